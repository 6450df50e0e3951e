package preprocess_test

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/digitfixture"
	"github.com/edgecnn/edgecnn/tools/photos"
)

var fullPhotos = flag.Bool("photos-full", false, "TestDigitPhotosAccuracy: read 600 photos per level instead of the quick set")

// TestDigitPhotosAccuracy measures the digit path with the committed int8
// LeNet-5 on generated photos of a seed that tuning never used (tuning
// used seeds 1 to 9, through tools/photos/digitacc, which also runs the
// long sweeps), per level. The quick set (40 easy, 40 medium, 120 hard
// photos: every hard condition about 30 times) keeps `go test` short;
// -photos-full reads 600 per level, the figures BENCHMARKS.md records.
// Issue 13 asks for 99.5% of easy and medium photos and 99.0% of hard
// ones; the floors below are what the path and model reach today on
// these photos, raised as they improve.
func TestDigitPhotosAccuracy(t *testing.T) {
	t.Parallel() // with TestImageNetParity, whose Python waits on I/O
	if raceEnabled {
		t.Skip("single-goroutine code: the accuracy run is left to the build without -race")
	}
	set := digitfixture.MNISTTest(t)
	m := digitfixture.LeNet5Int8(t)
	for _, tc := range []struct {
		level       photos.Level
		quick, full int
		floor       float64 // on the quick set
		fullFloor   float64
	}{
		{photos.Easy, 40, 600, 0.95, 0.975},
		{photos.Medium, 40, 600, 0.95, 0.975},
		{photos.Hard, 120, 600, 0.94, 0.94},
	} {
		n, floor := tc.quick, tc.floor
		if *fullPhotos {
			n, floor = tc.full, tc.fullFloor
		}
		ph, err := photos.Generate(set, n, photos.Options{Seed: 20260613, Level: tc.level})
		require.NoError(t, err)
		tally, misses, err := photos.Score(m, set, ph, 0)
		require.NoError(t, err)
		t.Logf("%s:\n%s", tc.level, tally)
		for _, miss := range misses {
			t.Logf("photo %d (%s %v): a %d read as %d", miss.Number, tc.level, miss.Photo.Conditions, miss.Photo.Label, miss.Got)
		}
		require.GreaterOrEqual(t, tally.Accuracy(tc.level.String()), floor, "%s photos", tc.level)
	}
}

// TestDigitPathFaintInkBesideShadow reads hard photos whose digit, in
// faint ink on lit paper, sits beside a large dark shadow: the shadow's
// paper is noisier, and one noise threshold for the whole photo, pushed up
// by it, broke the strokes or lost the digit (a dot was read instead, or
// nothing). Photos of the tuning seeds 1 and 2 that did so.
func TestDigitPathFaintInkBesideShadow(t *testing.T) {
	t.Parallel()
	set := digitfixture.MNISTTest(t)
	m := digitfixture.LeNet5Int8(t)
	var ph []photos.Photo
	for _, c := range []struct {
		seed uint64
		i    int
	}{{1, 197}, {2, 432}, {2, 591}} {
		p, err := photos.Render(set, c.i, photos.Options{Seed: c.seed, Level: photos.Hard})
		require.NoError(t, err)
		require.True(t, p.Has(photos.CondShadow) && p.Has(photos.CondFaint), "seed %d photo %d: %v", c.seed, c.i, p.Conditions)
		ph = append(ph, p)
	}
	tally, misses, err := photos.Score(m, set, ph, 1)
	require.NoError(t, err)
	for _, miss := range misses {
		t.Errorf("photo %d (%v): a %d read as %d", miss.Number, miss.Photo.Conditions, miss.Photo.Label, miss.Got)
	}
	require.Equal(t, 1.0, tally.Accuracy(photos.Hard.String()))
}
