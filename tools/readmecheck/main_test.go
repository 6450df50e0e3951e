package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestREADMECommandsAreCovered fails as soon as a README command has no
// line in .ci/readme-commands (or the lines are out of order), in
// `go test ./...` rather than at the end of CI's long README step.
func TestREADMECommandsAreCovered(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	const commands = "../../.ci/readme-commands"
	entries, err := readEntries(commands)
	require.NoError(t, err)
	require.NoError(t, checkCoverage(readmeCommands(string(readme)), entries, commands))
}
