//go:build !race

package camera_test

const raceEnabled = false
