package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// decodeStrict parses exactly one JSON value from s, rejecting unknown
// fields so the test's struct and the command's agree.
func decodeStrict(t *testing.T, s string, v any) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.DisallowUnknownFields()
	require.NoError(t, d.Decode(v), s)
	require.False(t, d.More(), "one JSON value: %s", s)
}

func TestInspectJSON(t *testing.T) {
	stdout, stderr, code := edgecnn(t, "inspect", "--json")
	require.Zero(t, code, stderr)
	var m modelJSON
	decodeStrict(t, stdout, &m)
	require.Equal(t, "lenet5", m.Arch)
	require.Equal(t, "float32", m.Format)
	require.Equal(t, []int{1, 32, 32}, m.Input.Shape)
	require.Len(t, m.Labels, 10)
	require.Equal(t, 61706, m.Params)
	require.Equal(t, int64(416520), m.MACs)
	require.Equal(t, "conv1", m.Layers[0].Name)
	require.Equal(t, "conv2d 5x5/1", m.Layers[0].Describe)
	require.Equal(t, []int{6, 28, 28}, m.Layers[0].Out)
	require.Nil(t, m.Layers[0].Quant)

	stdout, stderr, code = edgecnn(t, "inspect", "--json", "--model", "../../models/lenet5.int8.safetensors")
	require.Zero(t, code, stderr)
	decodeStrict(t, stdout, &m)
	require.Equal(t, "int8", m.Format)
	require.NotNil(t, m.Input.Quant)
	require.Equal(t, "int8", m.Layers[0].Weights)
	require.Positive(t, m.Layers[0].ScaleMin)
	require.GreaterOrEqual(t, m.Layers[0].ScaleMax, m.Layers[0].ScaleMin)
	require.Positive(t, m.Layers[0].Quant.Scale)
}

func TestConvertJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lenet5.int8.safetensors")
	stdout, stderr, code := edgecnn(t, "convert", "--in", "../../models/lenet5.safetensors", "--calib", "mnist",
		"--calib-n", "100", "--eval", "mnist", "--out", out, "--json")
	require.Zero(t, code, stderr)
	var r convertJSON
	decodeStrict(t, stdout, &r)
	require.Equal(t, out, r.Out)
	require.Equal(t, 100, r.Images)
	require.Equal(t, "minmax", r.Method)
	require.Equal(t, "conv1", r.Layers[0].Name)
	require.NotNil(t, r.Layers[0].SQNR)
	require.Greater(t, *r.Layers[0].SQNR, 20.0)
	require.NotNil(t, r.Layers[0].IsolatedSQNR)
	require.Greater(t, *r.Layers[0].IsolatedSQNR, 20.0)
	require.Equal(t, "relu", string(r.Layers[1].Op))
	require.Nil(t, r.Layers[1].IsolatedSQNR, "measured for conv2d and linear layers only")
	require.Positive(t, r.Layers[0].Quant.Scale)
	last := r.Layers[len(r.Layers)-1]
	require.True(t, last.FloatOutput, "%s writes float32 logits", last.Name)
	require.False(t, r.Layers[0].FloatOutput)
	require.NotNil(t, r.Eval)
	require.Greater(t, r.Eval.Int8, 0.97)
	require.InDelta(t, r.Eval.Float, r.Eval.Int8, 0.01)
	require.FileExists(t, out)
}

func TestTrainJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	stdout, stderr, code := edgecnn(t, "train", "--limit", "500", "--test-limit", "1000", "--epochs", "2", "--out", out, "--json")
	require.Zero(t, code, stderr)
	require.Contains(t, stderr, "wrote "+out)
	require.Contains(t, stderr, "test 1000)", "--test-limit")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2)
	for i, l := range lines {
		var e epochJSON
		decodeStrict(t, l, &e)
		require.Equal(t, i+1, e.Epoch)
		require.Equal(t, 2, e.Epochs)
		require.Positive(t, e.Loss)
		require.NotNil(t, e.TestTop1)
		require.Greater(t, *e.TestTop1, 0.2, "well above chance (0.1)")
		require.NotNil(t, e.TestLoss)
		require.Less(t, *e.TestLoss, 2.3, "below chance's ln 10")
		require.Positive(t, e.ImagesPerSec)
		require.Equal(t, out+".ckpt", e.Checkpoint)
	}
}
