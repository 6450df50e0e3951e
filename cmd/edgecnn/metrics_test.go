package main

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// scrape fetches and parses a Prometheus text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// metric returns the sample of family name whose labels
// include want (name=value pairs).
func metric(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) *dto.Metric {
	t.Helper()
	f, ok := fams[name]
	require.True(t, ok, "no metric %s", name)
next:
	for _, m := range f.GetMetric() {
		for i := 0; i < len(want); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == want[i] && l.GetValue() == want[i+1])
			}
			if !found {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no sample of %s with labels %v", name, want)
	return nil
}

// TestRunMetrics feeds the clip to `run --metrics` through a pipe that
// stays open, scrapes the metrics once every frame is classified, then
// closes the pipe and compares them with the frames run printed.
func TestRunMetrics(t *testing.T) {
	frames := clipFrames(t)
	cmd := exec.Command(binary, "run", "--source", "-", "--format", "mjpeg", "--every", "--json", "--metrics", "127.0.0.1:0")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdoutPipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderrPipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	stderr := bufio.NewScanner(stderrPipe)
	var url string
	re := regexp.MustCompile(`metrics on (http://\S+)`)
	for url == "" && stderr.Scan() {
		if m := re.FindStringSubmatch(stderr.Text()); m != nil {
			url = m[1]
		}
	}
	require.NotEmpty(t, url, "no metrics address on stderr")
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
	go func() { // keep reading stderr so run never blocks on it
		for stderr.Scan() {
		}
	}()

	for _, f := range frames {
		_, err := stdin.Write(f)
		require.NoError(t, err)
	}
	var fams map[string]*dto.MetricFamily
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		fams = scrape(t, url)
		if metric(t, fams, "edgecnn_frames_total").GetCounter().GetValue() == float64(len(frames)) {
			break
		}
		require.True(t, time.Now().Before(deadline), "frames_total never reached %d", len(frames))
	}
	// Output to a pipe is flushed when run stops: read it now.
	stdin.Close()
	stdout, err := io.ReadAll(stdoutPipe)
	require.NoError(t, err)
	require.NoError(t, cmd.Wait())
	lines := jsonLines(t, string(stdout))
	require.Len(t, lines, len(frames))
	labels, changes, prev := map[string]float64{}, 0.0, ""
	for i, r := range lines {
		labels[r.Label]++
		if i > 0 && r.Label != prev {
			changes++
		}
		prev = r.Label
	}
	for l, n := range labels {
		require.Equal(t, n, metric(t, fams, "edgecnn_label_frames_total", "label", l).GetCounter().GetValue(), "label %q", l)
	}
	require.Len(t, fams["edgecnn_label_frames_total"].GetMetric(), len(labels))
	require.Equal(t, changes, metric(t, fams, "edgecnn_label_changes_total").GetCounter().GetValue())
	require.Zero(t, metric(t, fams, "edgecnn_frames_dropped_total").GetCounter().GetValue())
	require.Zero(t, metric(t, fams, "edgecnn_frames_skipped_total").GetCounter().GetValue())
	for _, stage := range []string{"decode", "preprocess", "infer", "total"} {
		h := metric(t, fams, "edgecnn_stage_seconds", "stage", stage).GetHistogram()
		require.Equal(t, uint64(len(frames)), h.GetSampleCount(), stage)
		require.Positive(t, h.GetSampleSum(), stage)
	}
	total := metric(t, fams, "edgecnn_stage_seconds", "stage", "total").GetHistogram().GetSampleSum()
	infer := metric(t, fams, "edgecnn_stage_seconds", "stage", "infer").GetHistogram().GetSampleSum()
	require.Less(t, infer, total)
	info := metric(t, fams, "edgecnn_info", "model", "embedded int8 LeNet-5")
	require.Equal(t, 1.0, info.GetGauge().GetValue())
	require.Contains(t, fams, "go_goroutines")
	require.Contains(t, fams, "process_resident_memory_bytes")

	_, err = http.Get(url)
	require.Error(t, err, "the metrics server stops with run")
}
