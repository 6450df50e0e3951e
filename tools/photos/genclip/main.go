// Command genclip writes camera-like photos of handwritten MNIST test digits
// (see package photos) as one MJPEG stream, or as JPEG files in a folder.
// The embedded sample clip of package camera/sample is made with it:
//
//	go run ./tools/photos/genclip -n 36 -seed 1 -out camera/sample/clip.mjpeg
//
// Each JPEG carries a comment "edgecnn-photos seed=S photo=I label=L mnist=M".
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/tools/photos"
)

func main() {
	n := flag.Int("n", 36, "number of photos")
	seed := flag.Uint64("seed", 1, "seed: the same seed makes the same photos")
	out := flag.String("out", "clip.mjpeg", "output: an .mjpeg file, or a folder for one JPEG per photo (DIR/<label>/NNNNNN.jpg)")
	mnist := flag.String("mnist", "", "folder holding the MNIST IDX files (default: the Go module cache)")
	maxQ := flag.Int("max-quality", 80, "highest JPEG quality")
	level := flag.String("level", "mixed", "difficulty: easy, medium, hard or mixed")
	flag.Parse()
	lv := photos.Mixed
	for l := photos.Mixed; l <= photos.Hard; l++ {
		if l.String() == *level {
			lv = l
		}
	}
	if err := run(*n, *seed, *out, *mnist, *maxQ, lv); err != nil {
		fmt.Fprintln(os.Stderr, "genclip:", err)
		os.Exit(1)
	}
}

func run(n int, seed uint64, out, mnistDir string, maxQ int, level photos.Level) error {
	dir, err := dataset.FindMNIST(mnistDir)
	if err != nil {
		return err
	}
	set, err := dataset.LoadMNIST(dir, false)
	if err != nil {
		return err
	}
	ph, err := photos.Generate(set, n, photos.Options{Seed: seed, MaxQuality: maxQ, Level: level})
	if err != nil {
		return err
	}
	if filepath.Ext(out) == ".mjpeg" || filepath.Ext(out) == ".mjpg" {
		var data []byte
		for _, p := range ph {
			data = append(data, p.JPEG...)
		}
		return os.WriteFile(out, data, 0o644)
	}
	for i, p := range ph {
		d := filepath.Join(out, fmt.Sprint(p.Label))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("%06d.jpg", i)), p.JPEG, 0o644); err != nil {
			return err
		}
	}
	return nil
}
