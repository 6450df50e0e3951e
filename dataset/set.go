package dataset

import (
	"fmt"
	"math"
	"slices"
)

// Set is a labelled image set held in memory. Subsets may share Images,
// Labels and Classes with the set they came from: treat them as read-only.
type Set struct {
	Name                    string   // where it came from, e.g. "mnist-train" or a folder path
	Channels, Height, Width int      // the size of every image
	Images                  []uint8  // Len()*Channels*Height*Width pixels, 0..255, CHW per image
	Labels                  []int    // the class of each image, an index into Classes
	Classes                 []string // the class names
	// Files names the file of each image, for sets read from a folder;
	// nil otherwise.
	Files []string
	// Found says, for sets read through the digit path, whether a digit
	// was found in each image (the image is black where not); nil means
	// every image holds one.
	Found []bool
}

// pick copies the per-image metadata of images idx of s into out.
func (s *Set) pick(out *Set, idx []int) {
	if s.Files != nil {
		out.Files = make([]string, len(idx))
		for j, i := range idx {
			out.Files[j] = s.Files[i]
		}
	}
	if s.Found != nil {
		out.Found = make([]bool, len(idx))
		for j, i := range idx {
			out.Found[j] = s.Found[i]
		}
	}
}

// HasImage reports whether image i holds something to classify: false
// for an image where the digit path found no digit.
func (s *Set) HasImage(i int) bool { return s.Found == nil || s.Found[i] }

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// ImageSize returns the number of pixels of one image, Channels*Height*Width.
func (s *Set) ImageSize() int { return s.Channels * s.Height * s.Width }

// Image returns the CHW pixels of image i. It is a view into Images, not a
// copy; its capacity ends with the image, so appending to it cannot
// overwrite the next one.
func (s *Set) Image(i int) []uint8 {
	n := s.ImageSize()
	return s.Images[i*n : (i+1)*n : (i+1)*n]
}

// Subset returns a new set holding images idx[0], idx[1], ... in that order,
// copied. An index may repeat. It panics if an index is out of range.
// Classes is shared with s.
func (s *Set) Subset(idx []int) *Set {
	n := s.ImageSize()
	out := &Set{
		Name:     s.Name,
		Channels: s.Channels, Height: s.Height, Width: s.Width,
		Images:  make([]uint8, len(idx)*n),
		Labels:  make([]int, len(idx)),
		Classes: s.Classes,
	}
	for j, i := range idx {
		copy(out.Images[j*n:], s.Image(i))
		out.Labels[j] = s.Labels[i]
	}
	s.pick(out, idx)
	return out
}

// Head returns the first n images (all of them if n >= Len()). The result
// shares its pixels and labels with s.
func (s *Set) Head(n int) *Set {
	n = min(max(n, 0), s.Len())
	m := s.ImageSize()
	out := *s
	out.Name = fmt.Sprintf("%s[:%d]", s.Name, n)
	out.Images = s.Images[: n*m : n*m]
	out.Labels = s.Labels[:n:n]
	if s.Files != nil {
		out.Files = s.Files[:n:n]
	}
	if s.Found != nil {
		out.Found = s.Found[:n:n]
	}
	return &out
}

// Sample returns n distinct images drawn at random (all of them, shuffled,
// if n >= Len()), copied. The draw depends only on seed: the first n of
// Shuffle(Len(), NewRand(seed)).
func (s *Set) Sample(n int, seed uint64) *Set {
	n = min(max(n, 0), s.Len())
	out := s.Subset(Shuffle(s.Len(), NewRand(seed))[:n])
	out.Name = fmt.Sprintf("%s[sample %d seed %d]", s.Name, n, seed)
	return out
}

// ClassCounts returns how many images each class holds, indexed by class.
func (s *Set) ClassCounts() []int {
	counts := make([]int, len(s.Classes))
	for _, l := range s.Labels {
		if l >= 0 && l < len(counts) {
			counts[l]++
		}
	}
	return counts
}

// Split holds out a fraction of every class, picked at random with seed,
// for testing: it returns the rest and the held-out images, both copied.
// Each class with at least two images keeps at least one on each side.
func (s *Set) Split(fraction float64, seed uint64) (train, test *Set) {
	rng := NewRand(seed)
	var keep, out []int
	byClass := make([][]int, len(s.Classes))
	for i, l := range s.Labels {
		byClass[l] = append(byClass[l], i)
	}
	for _, idx := range byClass {
		n := int(float64(fraction*float64(len(idx))) + 0.5)
		if len(idx) >= 2 {
			n = min(max(n, 1), len(idx)-1)
		}
		order := Shuffle(len(idx), rng)
		for k, j := range order {
			if k < n {
				out = append(out, idx[j])
			} else {
				keep = append(keep, idx[j])
			}
		}
	}
	slices.Sort(keep)
	slices.Sort(out)
	train, test = s.Subset(keep), s.Subset(out)
	test.Name = fmt.Sprintf("%s[held out %d%% seed %d]", s.Name, int(float64(100*fraction)+0.5), seed)
	return train, test
}

// ChannelStats returns the mean and standard deviation of each channel's
// pixels over the whole set, on the 0..1 scale of nn.Input's Mean and Std
// (a constant channel gets a deviation of 1, not 0).
func (s *Set) ChannelStats() (mean, std []float32) {
	mean, std = make([]float32, s.Channels), make([]float32, s.Channels)
	plane := s.Height * s.Width
	for c := range s.Channels {
		var sum, sq float64
		for i := range s.Len() {
			for _, v := range s.Image(i)[c*plane : (c+1)*plane] {
				x := float64(v) / 255
				sum += x
				sq += float64(x * x)
			}
		}
		n := float64(max(s.Len()*plane, 1))
		m := sum / n
		sd := math.Sqrt(max(sq/n-float64(m*m), 0))
		if sd < 1e-6 {
			sd = 1
		}
		mean[c], std[c] = float32(m), float32(sd)
	}
	return mean, std
}
