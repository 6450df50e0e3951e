package engine

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// machineMemory returns the memory this process may use: the machine's
// RAM, or the memory limit of its control group (cgroup v2, e.g. a
// systemd unit's MemoryMax=) when lower; 0 if neither can be read.
func machineMemory() int64 {
	var info syscall.Sysinfo_t
	var total int64
	if syscall.Sysinfo(&info) == nil {
		total = int64(info.Totalram) * int64(info.Unit)
	}
	if limit := cgroupMemoryMax(); limit > 0 && (total == 0 || limit < total) {
		total = limit
	}
	return total
}

// cgroupMemoryMax returns the memory.max of this process's cgroup v2, or
// 0 when there is none or it says "max".
func cgroupMemoryMax() int64 {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(self)) {
		path, ok := strings.CutPrefix(strings.TrimSpace(line), "0::")
		if !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", path, "memory.max"))
		if err != nil {
			return 0
		}
		limit, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			return 0 // "max"
		}
		return limit
	}
	return 0
}
