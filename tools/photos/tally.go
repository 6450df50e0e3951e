package photos

import (
	"fmt"
	"slices"
	"strings"
)

// Tally counts a classifier's right answers on photos, per level and, for
// hard photos, per hard condition (a photo with two conditions counts for
// both).
type Tally struct {
	n, ok map[string]int
	// seg counts the misses whose model input does not look like the
	// photo's MNIST digit (see LooksLike): errors of the digit path's
	// segmentation, not of recognition.
	seg map[string]int
	// Inherent counts the misread photos whose MNIST digit the classifier
	// misreads too: mistakes of the model, not of the photo's processing.
	Inherent int
}

// Add records the answer on photo p; segmented says, for a wrong answer,
// whether the model's input looked wrong already.
func (t *Tally) Add(p *Photo, right, segmented bool) {
	if t.n == nil {
		t.n, t.ok, t.seg = map[string]int{}, map[string]int{}, map[string]int{}
	}
	keys := []string{p.Level.String()}
	if p.Level == Hard {
		keys = append(keys, p.Conditions...)
	}
	for _, k := range keys {
		t.n[k]++
		switch {
		case right:
			t.ok[k]++
		case segmented:
			t.seg[k]++
		}
	}
}

// LooksLike reports whether a digit laid out MNIST-style (in, side x
// side) looks like the MNIST digit it was drawn from (digit, the same
// size): at least 85% of the strokes of each (pixels of 128 and more) lie
// within a pixel of ink of the other (64 and more). A misread digit that
// looks like its MNIST digit is a recognition error; one that does not,
// a segmentation error (a piece lost, a line or smudge kept).
func LooksLike(in, digit []uint8, side int) bool {
	return covered(in, digit, side, side) >= 0.85 && covered(digit, in, side, side) >= 0.85
}

// covered is the share of a's strokes within a pixel of b's ink (both w x
// h).
func covered(a, b []uint8, w, h int) float64 {
	n, ok := 0, 0
	for y := range h {
		for x := range w {
			if a[y*w+x] < 128 {
				continue
			}
			n++
		near:
			for j := max(y-1, 0); j <= min(y+1, h-1); j++ {
				for i := max(x-1, 0); i <= min(x+1, w-1); i++ {
					if b[j*w+i] >= 64 {
						ok++
						break near
					}
				}
			}
		}
	}
	return float64(ok) / float64(max(n, 1))
}

// Count returns the right answers and the photos of a level or condition.
func (t *Tally) Count(key string) (right, n int) { return t.ok[key], t.n[key] }

// Accuracy is the share of right answers of a level or condition (0 when
// there was no such photo).
func (t *Tally) Accuracy(key string) float64 {
	return float64(t.ok[key]) / float64(max(t.n[key], 1))
}

// String lists the accuracy of every level and condition seen, one a line.
func (t *Tally) String() string {
	var b strings.Builder
	keys := make([]string, 0, len(t.n))
	for k := range t.n {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-11s %6.2f%% (%d/%d)", k, 100*t.Accuracy(k), t.ok[k], t.n[k])
		if miss := t.n[k] - t.ok[k]; miss > 0 {
			fmt.Fprintf(&b, ", misses: %d segmentation, %d recognition", t.seg[k], miss-t.seg[k])
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "  misread in MNIST form too: %d\n", t.Inherent)
	return b.String()
}
