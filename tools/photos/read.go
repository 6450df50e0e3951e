package photos

import (
	"cmp"
	"runtime"
	"slices"
	"sync"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
)

// Miss is a photo the model misread.
type Miss struct {
	Photo *Photo
	// Number is the photo's number in the slice scored.
	Number int
	// Got is the model's answer, -1 when the digit path found no digit.
	Got int
	// Input is what the model saw (its input size, C*H*W bytes).
	Input []uint8
}

// Score reads every photo with model m through m's input contract, as
// `edgecnn run` and `edgecnn eval` do, on workers goroutines (every core
// when workers <= 0), and counts the right answers. set is the digit set
// the photos were made from: a misread photo whose digit m misreads in
// its MNIST form too counts as inherent. The misses come back in photo
// order.
func Score(m *nn.Model, set *dataset.Set, ph []Photo, workers int) (*Tally, []Miss, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(ph)))
	// The engines are built here, one per worker, so that the model is
	// only read concurrently.
	engines := make([]*engine.Engine, workers)
	defer func() {
		for _, e := range engines {
			if e != nil {
				e.Close()
			}
		}
	}()
	pres := make([]*preprocess.Preprocessor, workers)
	for w := range workers {
		var err error
		if engines[w], err = engine.New(m, engine.Options{Threads: 1}); err != nil {
			return nil, nil, err
		}
		if pres[w], err = preprocess.New(m.Input, preprocess.Options{}); err != nil {
			return nil, nil, err
		}
	}
	var (
		mu     sync.Mutex
		tally  Tally
		misses []Miss
		first  error
		wg     sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			err := func() error {
				e, p := engines[w], pres[w]
				classify := func(pixels []uint8) (int, error) {
					logits, err := e.Infer(pixels, 1)
					if err != nil {
						return 0, err
					}
					return argmax(logits), nil
				}
				for i := w; i < len(ph); i += workers {
					photo := &ph[i]
					res, err := p.File(photo.JPEG)
					if err != nil {
						return err
					}
					got := -1
					if res.Found {
						if got, err = classify(res.Pixels); err != nil {
							return err
						}
					}
					inherent, segmented := false, false
					if got != photo.Label {
						digit := set.Image(photo.Index)
						orig, err := classify(digit)
						if err != nil {
							return err
						}
						inherent = orig != photo.Label
						segmented = !res.Found || len(digit) != len(res.Pixels) || !LooksLike(res.Pixels, digit, m.Input.Width)
					}
					mu.Lock()
					tally.Add(photo, got == photo.Label, segmented)
					if got != photo.Label {
						if inherent {
							tally.Inherent++
						}
						misses = append(misses, Miss{Photo: photo, Number: i, Got: got, Input: slices.Clone(res.Pixels)})
					}
					mu.Unlock()
				}
				return nil
			}()
			if err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, nil, first
	}
	slices.SortFunc(misses, func(a, b Miss) int { return a.Number - b.Number })
	return &tally, misses, nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
