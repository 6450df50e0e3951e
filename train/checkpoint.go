package train

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"os"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/nn"
)

// checkpointVersion changes whenever the checkpoint layout does.
const checkpointVersion = 1

// checkpoint is everything needed to continue training bit-identically:
// the model (as a model file), the optimizer state, the position and the
// metrics so far.
type checkpoint struct {
	Version   int
	Config    Config
	Position  position
	History   []EpochMetrics
	Model     []byte
	Optimizer map[string][]float32
}

// SaveCheckpoint writes the trainer's state to path atomically.
func (t *Trainer) SaveCheckpoint(path string) error {
	model, err := nn.Encode(t.Model)
	if err != nil {
		return err
	}
	ck := checkpoint{Version: checkpointVersion, Config: t.Cfg, Position: t.pos, History: t.history,
		Model: model, Optimizer: t.opt.state()}
	err = atomicfile.Write(path, func(w io.Writer) error { return gob.NewEncoder(w).Encode(&ck) })
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// Resume restores a trainer from a checkpoint. epochs, if positive,
// replaces the configured number of epochs (to train further than planned).
func Resume(path string, epochs int) (*Trainer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ck checkpoint
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&ck); err != nil {
		return nil, fmt.Errorf("%s: not a checkpoint: %w", path, err)
	}
	if ck.Version != checkpointVersion {
		return nil, fmt.Errorf("%s: checkpoint version %d, want %d", path, ck.Version, checkpointVersion)
	}
	m, err := nn.Decode(ck.Model)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg := ck.Config
	if epochs > 0 {
		cfg.Epochs = epochs
	}
	t, err := New(m, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := restore(t.opt, ck.Optimizer, ck.Position.Steps); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.pos, t.history = ck.Position, ck.History
	return t, nil
}
