package nn

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/safefile/safefiletest"
)

// TestLoadRefusesSpecialFiles: a model path naming a FIFO used to block
// the open for ever, and a link to /dev/zero was read until memory ran
// out; both are refused at once.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo, zero := filepath.Join(dir, "fifo.safetensors"), filepath.Join(dir, "zero.safetensors")
	safefiletest.Special(t, fifo, zero)
	safefiletest.Within(t, 5*time.Second, func() {
		_, err := Load(fifo)
		require.ErrorContains(t, err, "not a regular file but a FIFO")
		_, err = Load(zero)
		require.ErrorContains(t, err, "not a regular file but a device")
	})
}
