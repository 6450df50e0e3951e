package main

import (
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	stdout, stderr, code := edgecnn(t, "--version")
	require.Zero(t, code, stderr)
	require.Equal(t, 1, strings.Count(stdout, "\n"), stdout)
	require.Regexp(t, `^edgecnn \S+.*, go1\.\S+ linux/`+runtime.GOARCH+`.*, kernels \w+\n$`, stdout)

	stdout, stderr, code = edgecnn(t, "version", "--json")
	require.Zero(t, code, stderr)
	var b buildInfo
	require.NoError(t, json.Unmarshal([]byte(stdout), &b))
	require.NotEmpty(t, b.Version)
	require.Equal(t, runtime.Version(), b.Go)
	require.True(t, slices.ContainsFunc(b.Flags, func(f string) bool { return strings.HasPrefix(f, "CGO_ENABLED=") }), b.Flags)
	require.Equal(t, "generic", b.Compiled[0])
	require.Subset(t, b.Compiled, b.Runnable)
	require.Contains(t, b.Runnable, b.Kernels)

	stdout, stderr, code = edgecnn(t, "version")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "kernels  compiled in: generic")
}
