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
	// Inherent counts the misread photos whose MNIST digit the classifier
	// misreads too: mistakes of the model, not of the photo's processing.
	Inherent int
}

// Add records the answer on photo p.
func (t *Tally) Add(p *Photo, right bool) {
	if t.n == nil {
		t.n, t.ok = map[string]int{}, map[string]int{}
	}
	keys := []string{p.Level.String()}
	if p.Level == Hard {
		keys = append(keys, p.Conditions...)
	}
	for _, k := range keys {
		t.n[k]++
		if right {
			t.ok[k]++
		}
	}
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
		fmt.Fprintf(&b, "  %-11s %6.2f%% (%d/%d)\n", k, 100*t.Accuracy(k), t.ok[k], t.n[k])
	}
	fmt.Fprintf(&b, "  misread in MNIST form too: %d\n", t.Inherent)
	return b.String()
}
