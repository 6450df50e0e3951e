package photos

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/digitfixture"
)

// mnist returns the first 200 MNIST test digits, or skips.
func mnist(t testing.TB) *dataset.Set { return digitfixture.MNISTTest(t).Head(200) }

func TestRenderIsDeterministicAndValid(t *testing.T) {
	set := mnist(t)
	opt := Options{Seed: 7, Level: Easy}
	for i := range 6 {
		a, err := Render(set, i, opt)
		require.NoError(t, err)
		b, err := Render(set, i, opt)
		require.NoError(t, err)
		require.Equal(t, a, b, "photo %d differs between runs", i)
		img, err := jpeg.Decode(bytes.NewReader(a.JPEG))
		require.NoError(t, err)
		require.Equal(t, 640, img.Bounds().Dx())
		require.Equal(t, 480, img.Bounds().Dy())
		require.Equal(t, set.Labels[a.Index], a.Label)
		h := a.Box.Dy()
		require.True(t, h >= 80 && h <= 250, "easy digit height %d", h)
		require.Equal(t, Easy, a.Level)
		require.Empty(t, a.Conditions)
	}
	other, err := Render(set, 0, Options{Seed: 8})
	require.NoError(t, err)
	first, _ := Render(set, 0, opt)
	require.NotEqual(t, first.JPEG, other.JPEG, "the seed changes the photos")
}

// TestHardPhotosHaveTheirConditions: every hard photo has one to three
// hard conditions, and a small digit is small.
func TestHardPhotosHaveTheirConditions(t *testing.T) {
	set := mnist(t)
	seen := map[string]bool{}
	for i := range 40 {
		p, err := Render(set, i, Options{Seed: 3, Level: Hard})
		require.NoError(t, err)
		require.Equal(t, Hard, p.Level)
		require.NotEmpty(t, p.Conditions)
		require.LessOrEqual(t, len(p.Conditions), 3)
		for _, c := range p.Conditions {
			require.Contains(t, HardConditions, c)
			seen[c] = true
		}
		if p.Has(CondSmall) {
			require.Less(t, p.Box.Dy(), 60, "photo %d", i)
		}
	}
	require.Len(t, seen, len(HardConditions), "40 photos show every condition")
	mixed, err := Render(set, 4, Options{Seed: 3})
	require.NoError(t, err)
	require.Equal(t, Medium, mixed.Level, "mixed photos cycle through the levels")
}

func BenchmarkRender(b *testing.B) {
	set := mnist(b)
	i := 0
	for b.Loop() {
		if _, err := Render(set, i, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestScoreTalliesLevelsAndConditions: Score reads every photo once,
// counts it for its level and each of its conditions, and returns what
// the model saw for each miss.
func TestScoreTalliesLevelsAndConditions(t *testing.T) {
	set := mnist(t)
	ph, err := Generate(set, 8, Options{Seed: 4, Level: Hard})
	require.NoError(t, err)
	m := digitfixture.LeNet5Int8(t)
	tally, misses, err := Score(m, set, ph, 2)
	require.NoError(t, err)
	right, n := tally.Count("hard")
	require.Equal(t, 8, n)
	require.Equal(t, 8-len(misses), right)
	conds := map[string]int{}
	for _, p := range ph {
		for _, c := range p.Conditions {
			conds[c]++
		}
	}
	for c, want := range conds {
		_, got := tally.Count(c)
		require.Equal(t, want, got, c)
	}
	for i, miss := range misses {
		require.NotEqual(t, miss.Photo.Label, miss.Got)
		require.Len(t, miss.Input, m.Input.Shape().Size())
		require.Same(t, &ph[miss.Number], miss.Photo)
		if i > 0 {
			require.Less(t, misses[i-1].Number, miss.Number)
		}
	}
	require.Contains(t, tally.String(), "hard ")
}

// LooksLike tells a digit laid out right from one with a piece lost, a
// blob kept or another digit.
func TestLooksLike(t *testing.T) {
	set := mnist(t)
	side := dataset.MNISTSize
	a := set.Image(0)
	require.True(t, LooksLike(a, a, side))
	shifted := make([]uint8, len(a)) // one pixel to the right
	for y := range side {
		copy(shifted[y*side+1:(y+1)*side], a[y*side:(y+1)*side-1])
	}
	require.True(t, LooksLike(shifted, a, side), "a pixel off is the same digit")
	blob := slices.Clone(a)
	for y := 2; y < 12; y++ {
		for x := 2; x < 12; x++ {
			blob[y*side+x] = 255
		}
	}
	require.False(t, LooksLike(blob, a, side), "a smudge kept")
	half := slices.Clone(a)
	clear(half[len(half)/2:])
	require.False(t, LooksLike(half, a, side), "half the digit lost")
	other := 1
	for set.Labels[other] == set.Labels[0] {
		other++
	}
	require.False(t, LooksLike(set.Image(other), a, side), "a %d is not a %d", set.Labels[other], set.Labels[0])
}

// TestPenKeepsLoopsOpen: a digit traced with a pen keeps every loop of
// its centre line open, about half as wide as the loop, so that the
// photo shows the digit of its label (a thick pen used to fill the loops
// of 6s, 8s and 9s and draw another digit on 2-3% of pen photos).
func TestPenKeepsLoopsOpen(t *testing.T) {
	set := mnist(t)
	var looped []int // digits with loops
	for i, l := range set.Labels {
		if l == 0 || l == 6 || l == 8 || l == 9 {
			looped = append(looped, i)
		}
	}
	pens, loops := 0, 0
	for i := range 120 {
		rng := rand.New(rand.NewPCG(11, uint64(i)))
		sc := newScene(rng, 640, 480, Level(1+i%3))
		sc.clearInk()
		idx := looped[i%len(looped)]
		img := set.Image(idx)
		_, style, ok := sc.digit(img, set.Width, set.Height)
		require.True(t, ok)
		if style != "pen" {
			continue
		}
		pens++
		want := 0
		for _, r := range holeRadii(thinned(img, set.Width, set.Height)) {
			if r/skelUp >= minLoop {
				want++
			}
		}
		loops += want
		box := sc.digitBox.Inset(-1)
		mask := make([]bool, box.Dx()*box.Dy())
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				if image.Pt(x, y).In(sc.digitBox) {
					mask[(y-box.Min.Y)*box.Dx()+x-box.Min.X] = sc.digitMask[y*sc.w+x]
				}
			}
		}
		got := 0
		for _, r := range holeRadii(mask, box.Dx(), box.Dy()) {
			if r >= max(0.5, sc.loop/2-1) {
				got++
			}
		}
		require.GreaterOrEqual(t, got, want, "photo %d: digit %d (a %d) has %d loops, the pen left %d open", i, idx, set.Labels[idx], want, got)
	}
	t.Logf("%d pen digits, %d loops", pens, loops)
	require.Greater(t, loops, 40)
}

// TestPenTracesOnlyDigitsItCan: a digit whose loop is a filled blob is
// not traced with a pen (its skeleton loses the loop: a 9 becomes a 7 or
// a 1); a pen photo draws the next digit of the same label instead.
func TestPenTracesOnlyDigitsItCan(t *testing.T) {
	set := digitfixture.MNISTTest(t)
	for _, i := range []int{209, 1045, 1491} { // 9, 9, 6 with filled loops
		require.False(t, traceable(set.Image(i), set.Width, set.Height), "MNIST test digit %d", i)
	}
	for i := range 20 { // ordinary digits
		require.True(t, traceable(set.Image(i), set.Width, set.Height), "MNIST test digit %d", i)
	}
	j := traceableLike(set, 209)
	require.Equal(t, set.Labels[209], set.Labels[j])
	require.True(t, traceable(set.Image(j), set.Width, set.Height))

	head := mnist(t)
	for i := range 20 {
		p, err := Render(head, i, Options{Seed: 5})
		require.NoError(t, err)
		if p.Style == "pen" {
			require.True(t, traceable(head.Image(p.Index), head.Width, head.Height), "photo %d traces digit %d", i, p.Index)
		}
	}
}
