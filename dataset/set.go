package dataset

import "fmt"

// Set is a labelled image set held in memory. Subsets may share Images,
// Labels and Classes with the set they came from: treat them as read-only.
type Set struct {
	Name                    string   // where it came from, e.g. "mnist-train" or a folder path
	Channels, Height, Width int      // the size of every image
	Images                  []uint8  // Len()*Channels*Height*Width pixels, 0..255, CHW per image
	Labels                  []int    // the class of each image, an index into Classes
	Classes                 []string // the class names
}

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
