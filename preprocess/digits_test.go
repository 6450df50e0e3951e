package preprocess_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/photos"
)

var mnistTest = sync.OnceValues(func() (*dataset.Set, error) {
	dir, err := dataset.FindMNIST("")
	if err != nil {
		return nil, err
	}
	return dataset.LoadMNIST(dir, false)
})

// TestDigitPhotosAccuracy measures the digit path with the committed int8
// LeNet-5 on generated photos of a seed that tuning never used (tuning
// used seeds 1 to 9, through tools/photos/digitacc, which also runs the
// long sweeps), per level: most photos are hard ones, where the digit
// path has the most to lose. Issue 13 asks for 99.5% of easy and medium
// photos and 99.0% of hard ones; the floors below are what the path and
// model reach today, raised as they improve.
func TestDigitPhotosAccuracy(t *testing.T) {
	t.Parallel() // with TestImageNetParity, whose Python waits on I/O
	if raceEnabled {
		t.Skip("single-goroutine code: the accuracy run is left to the build without -race")
	}
	set, err := mnistTest()
	if err != nil {
		t.Skip(err)
	}
	m, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	for _, tc := range []struct {
		level photos.Level
		n     int
		floor float64
	}{
		{photos.Easy, 150, 0.96},
		{photos.Medium, 150, 0.97},
		{photos.Hard, 300, 0.88},
	} {
		n := tc.n
		if testing.Short() {
			n /= 2
		}
		ph, err := photos.Generate(set, n, photos.Options{Seed: 20260613, Level: tc.level})
		require.NoError(t, err)
		tally, misses, err := photos.Score(m, set, ph, 0)
		require.NoError(t, err)
		t.Logf("%s:\n%s", tc.level, tally)
		for _, miss := range misses {
			t.Logf("photo %d (%s %v): a %d read as %d", miss.Number, tc.level, miss.Photo.Conditions, miss.Photo.Label, miss.Got)
		}
		require.GreaterOrEqual(t, tally.Accuracy(tc.level.String()), tc.floor, "%s photos", tc.level)
	}
}
