package camera

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the camera program if edgecnn dies.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
