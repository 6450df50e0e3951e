package atomicfile

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// helperEnv makes the test binary a writer that is killed mid-write.
const helperEnv = "ATOMICFILE_TEST_WRITE_FOREVER"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		Write(path, func(w io.Writer) error {
			w.Write(make([]byte, 1<<20))
			select {} // until killed
		})
	}
	os.Exit(m.Run())
}

// TestKilledWriterLeavesNothingForLong: a writer killed with SIGKILL in
// the middle of a write leaves its hidden temporary file; the next write
// of the same file removes it (it used to stay for ever: an AlexNet
// checkpoint's is hundreds of MB). Temporary files of running writers,
// of other files and of no process are kept; those of the old naming
// without a process id go once they are old.
func TestKilledWriterLeavesNothingForLong(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL and process ids")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "model.safetensors")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+out)
	require.NoError(t, cmd.Start())
	// Never leave the writer behind, also when the test fails early.
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	temp := tempPrefix("model.safetensors") + strconv.Itoa(cmd.Process.Pid) + "-"
	require.Eventually(t, func() bool { return len(matching(t, dir, temp)) == 1 }, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, cmd.Process.Kill())
	_, _ = cmd.Process.Wait()

	keep := []string{
		tempPrefix("model.safetensors") + strconv.Itoa(os.Getpid()) + "-1", // this process: may be writing
		tempPrefix("other.bin") + "999999999-1",                            // another file's
		tempPrefix("model.safetensors") + "abc",                            // not ours
		tempPrefix("model.safetensors") + "12345",                          // old naming, recent
	}
	for _, name := range keep {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	legacy := filepath.Join(dir, tempPrefix("model.safetensors")+"67890")
	require.NoError(t, os.WriteFile(legacy, nil, 0o644))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(legacy, old, old))

	require.NoError(t, WriteBytes(out, []byte("new")))
	require.Empty(t, matching(t, dir, temp), "the killed writer's file")
	require.NoFileExists(t, legacy)
	for _, name := range keep {
		require.FileExists(t, filepath.Join(dir, name))
	}
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "new", string(data))
}

func matching(t *testing.T, dir, prefix string) []string {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestErrorsNameTheOutput: a full disk used to be reported as "write
// /dir/.model.safetensors.tmp-123: no space left on device", a file the
// user never asked for and that no longer exists.
func TestErrorsNameTheOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(out, 0o755)) // rename cannot replace a folder
	err := WriteBytes(out, []byte("x"))
	require.Error(t, err)
	require.NotContains(t, err.Error(), ".tmp-")
	require.Contains(t, err.Error(), out)

	full := smallFilesystem(t)
	out = filepath.Join(full, "model.safetensors")
	err = WriteBytes(out, make([]byte, 1<<20))
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.Equal(t, "write "+out+": no space left on device", err.Error())
	entries, _ := os.ReadDir(full)
	require.Empty(t, entries, "nothing left behind")
}
