// Package photos makes camera-like photos of handwritten digits: MNIST
// test digits drawn as ink on paper under uneven light, at three levels of
// difficulty. Easy photos are large dark digits on evenly lit paper;
// medium ones add lighting gradients, blur, sensor noise, rotation and a
// stray mark away from the digit; hard ones add one to three of the
// conditions that break naive digit finders: a sharp shadow edge across
// the paper, faint grey (pencil) ink, several marks on the page, a stray
// pen line near or touching the digit, a smudge beside it, a small digit,
// or a thin pen on a large digit.
//
// Digits are drawn in two ways, so that stroke width varies as it does
// between writers and pens: the MNIST grey levels scaled up (strokes as
// thick, relative to the digit, as MNIST's), or the digit's skeleton
// traced with a round pen of its own width, never so wide that it fills a
// loop (a digit whose loop MNIST shows filled, and whose skeleton so
// loses it, is not traced: the next digit of its label is). Paper has
// texture and a warm or cool tint; pens are black, blue or grey. Photos
// are JPEGs of varying quality.
//
// A photo is a deterministic function of the seed and its number, so tests
// and the embedded sample clip are reproducible. The camera and
// preprocess packages are measured on them; tests tune on some seeds and
// report accuracy on others.
package photos

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/edgecnn/edgecnn/dataset"
)

// Level is how hard a photo is.
type Level int

// The levels of difficulty.
const (
	Mixed  Level = iota // a third each of the others (in Options: the default)
	Easy                // a large dark digit on evenly lit paper
	Medium              // lighting gradients, blur, noise, rotation, a mark away from the digit
	Hard                // medium plus one to three hard conditions
)

var levelNames = [...]string{"mixed", "easy", "medium", "hard"}

func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// The hard conditions, as named in Photo.Conditions.
const (
	CondShadow    = "shadow"     // a sharp shadow edge across the paper
	CondFaint     = "faint"      // faint grey ink
	CondMarks     = "marks"      // several other marks on the page
	CondTouchLine = "touch-line" // a stray pen line touching or crossing the digit
	CondNearLine  = "near-line"  // a stray pen line a few pixels from the digit
	CondSmudge    = "smudge"     // a smudge beside (partly under) the digit
	CondSmall     = "small"      // a digit 22 to 45 pixels tall
	CondThinPen   = "thin-pen"   // a large digit written with a thin pen
)

// HardConditions lists the hard conditions.
var HardConditions = []string{CondShadow, CondFaint, CondMarks, CondTouchLine, CondNearLine, CondSmudge, CondSmall, CondThinPen}

// Options describe a set of photos. Zero values take the defaults.
type Options struct {
	Seed uint64
	// Level picks the difficulty; Mixed (the default) a third of each.
	Level Level
	// Width and Height are the photo size (640x480). With MixSizes,
	// photos are 640x480, 480x640, 800x600, 1280x720 or 320x240.
	Width, Height int
	MixSizes      bool
	// MinQuality and MaxQuality bound the JPEG quality (40, 92).
	MinQuality, MaxQuality int
}

func (o Options) withDefaults() Options {
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 640, 480
	}
	if o.MinQuality == 0 {
		o.MinQuality = 40
	}
	if o.MaxQuality == 0 {
		o.MaxQuality = 92
	}
	o.MinQuality = min(o.MinQuality, o.MaxQuality)
	return o
}

// Photo is one generated photo.
type Photo struct {
	JPEG  []byte
	Label int // the digit
	Index int // its index in the MNIST set
	// Box is the digit's bounding box in the photo.
	Box   image.Rectangle
	Level Level
	// Conditions names the hard conditions of a hard photo, and "mark"
	// for a medium photo's stray mark.
	Conditions []string
	// Style is how the digit was drawn: "scan" or "pen".
	Style string
}

// Has reports whether the photo has condition c.
func (p *Photo) Has(c string) bool {
	for _, x := range p.Conditions {
		if x == c {
			return true
		}
	}
	return false
}

// Generate makes n photos from the digits of set (28x28 MNIST digits padded
// to 32x32, as dataset.LoadMNIST returns them), on every core. Photo i is
// Render(set, i, opt).
func Generate(set *dataset.Set, n int, opt Options) ([]Photo, error) {
	out := make([]Photo, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				out[i], errs[i] = Render(set, i, opt)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Render makes photo number i of the set described by opt.
func Render(set *dataset.Set, i int, opt Options) (Photo, error) {
	opt = opt.withDefaults()
	if set.Channels != 1 || set.Len() == 0 {
		return Photo{}, fmt.Errorf("photos: need a 1-channel digit set, got %d channels, %d images", set.Channels, set.Len())
	}
	return render(set, i, opt, -1)
}

// render makes photo i, of MNIST digit number digit instead of the one
// the seed picks when digit >= 0. A digit drawn with a pen that the pen
// cannot trace (see traceable) is replaced by the next one of the same
// label that it can: the photo is drawn again from the same random
// numbers, so only the digit changes.
func render(set *dataset.Set, i int, opt Options, digit int) (Photo, error) {
	rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)*0x9E3779B97F4A7C15+1))
	w, h := opt.Width, opt.Height
	if opt.MixSizes {
		sizes := [][2]int{{640, 480}, {640, 480}, {480, 640}, {800, 600}, {1280, 720}, {320, 240}}
		s := sizes[rng.IntN(len(sizes))]
		w, h = s[0], s[1]
	}
	level := opt.Level
	if level == Mixed {
		level = Level(1 + i%3)
	}
	idx := rng.IntN(set.Len())
	if digit >= 0 {
		idx = digit
	}
	p := Photo{Label: set.Labels[idx], Index: idx, Level: level}
	sc := newScene(rng, w, h, level)
	p.Conditions = sc.conditions
	sc.paper()
	box, style, ok := sc.digit(set.Image(idx), set.Width, set.Height)
	if !ok {
		return Photo{}, fmt.Errorf("photos: digit %d of %s is blank", idx, set.Name)
	}
	if style == "pen" && digit < 0 && !traceable(set.Image(idx), set.Width, set.Height) {
		return render(set, i, opt, traceableLike(set, idx))
	}
	p.Box, p.Style = box, style
	sc.marks()
	img := sc.compose()
	q := opt.MinQuality + rng.IntN(opt.MaxQuality-opt.MinQuality+1)
	if level == Easy {
		q = max(q, 70)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return Photo{}, err
	}
	p.JPEG = WithComment(buf.Bytes(), fmt.Sprintf("edgecnn-photos seed=%d photo=%d label=%d mnist=%d level=%s conditions=%s",
		opt.Seed, i, p.Label, idx, level, strings.Join(p.Conditions, ",")))
	return p, nil
}

// traceableLike returns the first digit after idx (going round) with the
// same label that a pen can trace, or idx when there is none.
func traceableLike(set *dataset.Set, idx int) int {
	for k := 1; k < set.Len(); k++ {
		j := (idx + k) % set.Len()
		if set.Labels[j] == set.Labels[idx] && traceable(set.Image(j), set.Width, set.Height) {
			return j
		}
	}
	return idx
}

// WithComment returns a JPEG with a comment (COM) segment after its start
// marker.
func WithComment(jpg []byte, text string) []byte {
	if len(text) > 60000 || len(jpg) < 2 {
		return jpg
	}
	n := len(text) + 2
	out := make([]byte, 0, len(jpg)+n+2)
	out = append(out, jpg[:2]...)
	out = append(out, 0xFF, 0xFE, byte(n>>8), byte(n))
	out = append(out, text...)
	return append(out, jpg[2:]...)
}
