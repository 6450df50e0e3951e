// Command digitacc measures how well a digit model reads generated photos
// of handwritten digits (package photos) through its digit path, per level
// and per hard condition: the tuning sweep of the digit path, too long
// for `go test`.
//
//	go run ./tools/photos/digitacc -seeds 1,2,3 -n 600
//	go run ./tools/photos/digitacc -seeds 1 -level hard -dump /tmp/misses
//	go run ./tools/photos/digitacc -seeds 1,2 -cache /tmp/photos   # reruns skip generating
//
// The default model is the committed int8 LeNet-5 (models/). Tune on some
// seeds and report on others: TestDigitPhotosAccuracy in package
// preprocess holds the floors on a seed that tuning never used.
package main

import (
	"bytes"
	"encoding/gob"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/photos"
)

func main() {
	model := flag.String("model", "", "model file (default: the committed int8 LeNet-5)")
	seeds := flag.String("seeds", "1", "comma-separated seeds of the photo sets")
	n := flag.Int("n", 600, "photos per seed and level")
	level := flag.String("level", "all", "easy, medium, hard or all")
	mix := flag.Bool("mix-sizes", false, "photos of mixed sizes (320x240 to 1280x720) instead of 640x480")
	workers := flag.Int("workers", 0, "goroutines (default: every core)")
	dump := flag.String("dump", "", "folder to write the misread photos and what the model saw (PGM) into")
	mnist := flag.String("mnist", "", "folder holding the MNIST IDX files (default: the Go module cache)")
	cache := flag.String("cache", "", "folder to keep generated photo sets in, so that reruns of a sweep only read them")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: digitacc [flags]\n\nReads generated digit photos with a model through its digit path and prints accuracy per level and hard condition.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*model, *seeds, *n, *level, *mix, *workers, *dump, *mnist, *cache); err != nil {
		fmt.Fprintln(os.Stderr, "digitacc:", err)
		os.Exit(1)
	}
}

func run(modelPath, seedList string, n int, levelName string, mix bool, workers int, dump, mnistDir, cache string) error {
	if n <= 0 {
		return fmt.Errorf("-n %d: need at least one photo", n)
	}
	var levels []photos.Level
	for l := photos.Easy; l <= photos.Hard; l++ {
		if levelName == "all" || levelName == l.String() {
			levels = append(levels, l)
		}
	}
	if len(levels) == 0 {
		return fmt.Errorf("-level %q: want easy, medium, hard or all", levelName)
	}
	var seeds []uint64
	for _, s := range strings.Split(seedList, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("-seeds: %q is not a seed", s)
		}
		seeds = append(seeds, v)
	}
	data := models.LeNet5Int8()
	if modelPath != "" {
		var err error
		if data, err = os.ReadFile(modelPath); err != nil {
			return err
		}
	}
	m, err := nn.Decode(data)
	if err != nil {
		return err
	}
	if !m.Input.Digit {
		return fmt.Errorf("the model's input contract is not the digit path")
	}
	dir, err := dataset.FindMNIST(mnistDir)
	if err != nil {
		return err
	}
	set, err := dataset.LoadMNIST(dir, false)
	if err != nil {
		return err
	}
	if dump != "" {
		if err := os.MkdirAll(dump, 0o755); err != nil {
			return err
		}
	}
	total := map[photos.Level][2]int{}
	for _, seed := range seeds {
		for _, level := range levels {
			start := time.Now()
			opt := photos.Options{Seed: seed, Level: level, MixSizes: mix}
			ph, err := generate(set, n, opt, cache)
			if err != nil {
				return err
			}
			tally, misses, err := photos.Score(m, set, ph, workers)
			if err != nil {
				return err
			}
			fmt.Printf("seed %d, %s, %d photos (%.1f s):\n%s", seed, level, n, time.Since(start).Seconds(), tally)
			ok, cnt := tally.Count(level.String())
			t := total[level]
			total[level] = [2]int{t[0] + ok, t[1] + cnt}
			for _, miss := range misses {
				if dump == "" {
					break
				}
				p := miss.Photo
				name := fmt.Sprintf("s%d_%04d_%s_%d_got%d_%s", seed, miss.Number, p.Level, p.Label, miss.Got, strings.Join(p.Conditions, "+"))
				if err := os.WriteFile(filepath.Join(dump, name+".jpg"), p.JPEG, 0o644); err != nil {
					return err
				}
				side := m.Input.Width
				pgm := fmt.Appendf(nil, "P5\n%d %d\n255\n", side, m.Input.Height)
				if err := os.WriteFile(filepath.Join(dump, name+".pgm"), append(pgm, miss.Input...), 0o644); err != nil {
					return err
				}
				// The MNIST digit the photo was drawn from, to tell a wrong
				// 28x28 (segmentation) from a right one misread (recognition).
				if err := os.WriteFile(filepath.Join(dump, name+".mnist.pgm"), append(slices.Clone(pgm), set.Image(p.Index)...), 0o644); err != nil {
					return err
				}
			}
		}
	}
	if len(seeds) > 1 {
		for _, level := range levels {
			t := total[level]
			fmt.Printf("all seeds, %s: %.2f%% (%d/%d)\n", level, 100*float64(t[0])/float64(t[1]), t[0], t[1])
		}
	}
	return nil
}

// generate returns the photos of opt, read from folder cache when an
// earlier run kept them there, else generated (and kept, when cache is
// set).
func generate(set *dataset.Set, n int, opt photos.Options, cache string) ([]photos.Photo, error) {
	if cache == "" {
		return photos.Generate(set, n, opt)
	}
	path := filepath.Join(cache, fmt.Sprintf("seed%d-%s-%d-mix%v.gob", opt.Seed, opt.Level, n, opt.MixSizes))
	if data, err := os.ReadFile(path); err == nil {
		var ph []photos.Photo
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&ph); err != nil {
			return nil, fmt.Errorf("%s: %w (delete it to regenerate)", path, err)
		}
		return ph, nil
	}
	ph, err := photos.Generate(set, n, opt)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(ph); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	return ph, os.WriteFile(path, buf.Bytes(), 0o644)
}
