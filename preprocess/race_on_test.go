//go:build race

package preprocess_test

// raceEnabled is set under the race detector, which makes the accuracy
// run on generated photos (single-goroutine code) too slow to be worth it.
const raceEnabled = true
