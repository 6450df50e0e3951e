package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/camera/sample"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/nn"
)

// jsonLines parses --json output.
func jsonLines(t *testing.T, stdout string) []result {
	t.Helper()
	var out []result
	for line := range strings.Lines(stdout) {
		var r result
		require.NoError(t, json.Unmarshal([]byte(line), &r), "line %q", line)
		out = append(out, r)
	}
	return out
}

// clipFrames returns the JPEGs of the embedded clip.
func clipFrames(t *testing.T) [][]byte {
	t.Helper()
	mr := camera.NewMJPEGReader(bytes.NewReader(sample.Clip()))
	var out [][]byte
	for {
		img, err := mr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, append([]byte{}, img...))
	}
}

// rawClip writes the clip as raw I420 or YUYV frames.
func rawClip(t *testing.T, path string, format camera.Format) {
	t.Helper()
	var data []byte
	for _, j := range clipFrames(t) {
		img, err := jpeg.Decode(bytes.NewReader(j))
		require.NoError(t, err)
		m := img.(*image.YCbCr)
		w, h := m.Rect.Dx(), m.Rect.Dy()
		switch format {
		case camera.FormatI420:
			for y := range h {
				data = append(data, m.Y[y*m.YStride:y*m.YStride+w]...)
			}
			for _, p := range [][]byte{m.Cb, m.Cr} {
				for y := range h / 2 {
					data = append(data, p[y*m.CStride:y*m.CStride+w/2]...)
				}
			}
		case camera.FormatYUYV:
			for y := range h {
				for x := 0; x < w; x += 2 {
					ci := m.COffset(x, y)
					data = append(data, m.Y[y*m.YStride+x], m.Cb[ci], m.Y[y*m.YStride+x+1], m.Cr[ci])
				}
			}
		}
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// checkClipLabels requires the results to name (nearly) every digit of the
// clip right, in order.
func checkClipLabels(t *testing.T, res []result) {
	t.Helper()
	labels := sample.Labels()
	require.Len(t, res, len(labels))
	correct := 0
	for i, r := range res {
		require.Equal(t, i, r.Frame)
		if r.Label == fmt.Sprint(labels[i]) {
			correct++
		}
	}
	require.GreaterOrEqual(t, correct, len(labels)-1)
}

// TestRunDefault is the README's first command: no flags, the embedded clip
// and the embedded int8 model.
func TestRunDefault(t *testing.T) {
	stdout, stderr, code := edgecnn(t, "run")
	require.Zero(t, code, stderr)
	require.Equal(t, 36, strings.Count(stdout, "\n"))
	require.Contains(t, stdout, "sample-clip.mjpeg#0: ")
	require.Regexp(t, `board .+; kernels \w+, \d+ threads`, stderr)
	require.Contains(t, stderr, "36 frames classified")
	require.Contains(t, stderr, "mean latency")

	stdout, stderr, code = edgecnn(t, "run", "--json", "--top", "2")
	require.Zero(t, code, stderr)
	res := jsonLines(t, stdout)
	checkClipLabels(t, res)
	for _, r := range res {
		require.Equal(t, fmt.Sprintf("%s#%d", sample.Name, r.Frame), r.File)
		require.Len(t, r.Top, 2)
		require.Equal(t, r.Label, r.Top[0].Label)
		require.Greater(t, r.Prob, 0.0)
		require.True(t, r.Found)
		require.Len(t, r.Box, 4)
		require.Equal(t, 640, r.Width)
		require.Greater(t, r.Latency.Total, 0.0)
	}
	require.Greater(t, res[len(res)-1].FPS, 0.0)
}

// TestRunRawFiles classifies the clip from raw I420 and YUYV files; the
// fps it reports is the throughput of decode + preprocess + infer.
func TestRunRawFiles(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []camera.Format{camera.FormatI420, camera.FormatYUYV} {
		path := filepath.Join(dir, "clip."+format.String())
		rawClip(t, path, format)
		stdout, stderr, code := edgecnn(t, "run", "--source", path, "--size", "640x480", "--json")
		require.Zero(t, code, stderr)
		res := jsonLines(t, stdout)
		checkClipLabels(t, res)
		t.Logf("%s: %.0f fps (last 64 frames); %s", format, res[len(res)-1].FPS, strings.TrimSpace(stderr[strings.Index(stderr, "\n")+1:]))
	}
	// The wrong size: a short last frame is skipped and counted, not a crash.
	stdout, stderr, code := edgecnn(t, "run", "--source", filepath.Join(dir, "clip.i420"), "--size", "640x400", "--json")
	require.Zero(t, code, stderr)
	require.Contains(t, stderr, "short frame")
	require.NotEmpty(t, stdout)
}

func TestRunFolderSkipsCorruptImages(t *testing.T) {
	dir := t.TempDir()
	frames := clipFrames(t)
	for i, j := range frames[:5] {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.jpg", i)), j, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "03b.jpg"), frames[5][:len(frames[5])/3], 0o644))
	stdout, stderr, code := edgecnn(t, "run", "--source", dir, "--json")
	require.Zero(t, code, stderr)
	res := jsonLines(t, stdout)
	require.Len(t, res, 5)
	labels := sample.Labels()
	for i, r := range res {
		require.Equal(t, filepath.Join(dir, fmt.Sprintf("%02d.jpg", i)), r.File)
		require.Equal(t, fmt.Sprint(labels[i]), r.Label)
	}
	require.Contains(t, stderr, "03b.jpg")
	require.Contains(t, stderr, "corrupt 1")

	// An MJPEG stream with garbage and a broken frame inside.
	var stream []byte
	for i, j := range frames[:4] {
		if i == 2 {
			stream = append(stream, j[:len(j)/2]...)
			continue
		}
		stream = append(stream, "--frame\r\n\r\n"...)
		stream = append(stream, j...)
	}
	path := filepath.Join(dir, "s.mjpeg")
	require.NoError(t, os.WriteFile(path, stream, 0o644))
	stdout, stderr, code = edgecnn(t, "run", "--source", path, "--json", "--smooth", "2")
	require.Zero(t, code, stderr)
	require.Len(t, jsonLines(t, stdout), 3)
	require.Contains(t, stderr, "corrupt 1")
}

func TestRunSyntheticAndLimit(t *testing.T) {
	stdout, stderr, code := edgecnn(t, "run", "--source", "synthetic", "--format", "yuyv", "--limit", "20", "--json")
	require.Zero(t, code, stderr)
	res := jsonLines(t, stdout)
	require.Len(t, res, 20)
	for _, r := range res {
		require.Empty(t, r.File, "live sources have no file")
		require.Contains(t, []string{"0", "1"}, r.Label)
	}
}

func TestRunErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--size", "640by480", "--source", "x.yuv"}, 2, `--size "640by480"`},
		{[]string{"--roi", "1,2,3"}, 2, "--roi"},
		{[]string{"--format", "nv12"}, 2, "unknown frame format"},
		{[]string{"--gpio", "GPIO17"}, 2, "PIN=LABEL"},
		{[]string{"--gpio", "GPIO17=cat"}, 2, `no label "cat"`},
		{[]string{"--gpio", "GPIO17=7:2"}, 2, "threshold"},
		{[]string{"--source", "/nonexistent/video.mjpeg"}, 1, "no such file"},
		{[]string{"--source", "frames.yuv"}, 1, "frames.yuv"},
		{[]string{"--web", "nonsense"}, 2, "--web"},
	} {
		_, stderr, code := edgecnn(t, append([]string{"run"}, c.args...)...)
		require.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		require.Contains(t, stderr, c.want, "%v", c.args)
	}
	if _, err := os.Stat("/dev/gpiochip0"); err != nil {
		_, stderr, code := edgecnn(t, "run", "--gpio", "GPIO17=7:0.8")
		require.Equal(t, 1, code, stderr)
		require.Contains(t, stderr, "--gpio")
		require.Contains(t, stderr, "Raspberry Pi")
	}
}

// startRun starts `edgecnn run` with a web preview and returns its URL.
func startRun(t *testing.T, args ...string) (url string, stop func() string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"run", "--web", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Start())
	lines := make(chan string, 100)
	var all strings.Builder
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(done)
	}()
	re := regexp.MustCompile(`live preview on (http://\S+)`)
	timeout := time.After(20 * time.Second)
	for url == "" {
		select {
		case l := <-lines:
			if m := re.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-timeout:
			cmd.Process.Kill()
			t.Fatal("no preview address")
		}
	}
	return url, func() string {
		cmd.Process.Signal(os.Interrupt)
		waited := make(chan error, 1)
		go func() { <-done; waited <- cmd.Wait() }()
		select {
		case err := <-waited:
			require.NoError(t, err, "exit after Ctrl-C")
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatal("run did not stop on Ctrl-C")
		}
		return all.String()
	}
}

// waitState polls /state until a frame has been classified.
func waitState(t *testing.T, url string) result {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "state")
		if err == nil {
			var r result
			err = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if err == nil && r.Version > 0 {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no classified frame on the page")
	return result{}
}

func TestRunWebPreview(t *testing.T) {
	url, stop := startRun(t, "--fps", "30")
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
	st := waitState(t, url)
	require.NotEmpty(t, st.Label)
	require.Len(t, st.Top, 3)

	get := func(path string) (*http.Response, []byte) {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, body
	}
	resp, body := get("")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	require.Contains(t, string(body), `<div id="label"`)
	require.Contains(t, string(body), "kernels")
	resp, body = get("frame.jpg")
	require.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
	_, err := jpeg.Decode(bytes.NewReader(body))
	require.NoError(t, err)
	resp, body = get("input.png")
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	require.Equal(t, "\x89PNG", string(body[:4]))
	resp, _ = get("app.js")
	require.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	for _, p := range []string{"../main.go", "web/index.html", "index.html", "etc/passwd", "state/x"} {
		resp, _ = get(p)
		require.Equal(t, 404, resp.StatusCode, p)
	}
	post, err := http.Post(url+"state", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	post.Body.Close()
	require.Equal(t, 405, post.StatusCode)

	summary := stop()
	require.Contains(t, summary, "frames classified")
}

// TestRunWebPreviewInChromium loads the page in headless Chromium and
// checks that it shows the frame and the label.
func TestRunWebPreviewInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium): skipping the browser test of the web preview")
	}
	url, stop := startRun(t, "--fps", "20")
	st := waitState(t, url)
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir(),
		"--virtual-time-budget=4000", "--dump-dom", url}
	out, err := exec.Command(browser, args...).Output()
	require.NoError(t, err)
	dom := string(out)
	require.Regexp(t, `<div id="label"[^>]*>\d</div>`, dom, "the label is shown")
	require.Regexp(t, `<img id="frame"[^>]*data-loaded="1"`, dom, "the frame image loaded")
	require.Regexp(t, `<li><span class="name">\d</span>`, dom, "top-k bars are drawn")
	if shot := os.Getenv("EDGECNN_SCREENSHOT"); shot != "" {
		exec.Command(browser, append(args[:len(args)-2], "--window-size=1000,620", "--screenshot="+shot, url)...).Run()
	}
	_ = st
	stop()
}

func TestCapture(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in")
	require.NoError(t, os.Mkdir(src, 0o755))
	for i, j := range clipFrames(t)[:3] {
		require.NoError(t, os.WriteFile(filepath.Join(src, fmt.Sprintf("%d.jpg", i)), j, 0o644))
	}
	out := filepath.Join(dir, "data")
	stdout, stderr, code := edgecnn(t, "capture", "--source", src, "--label", "seven", "--out", out)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "saved 3 frames")
	stdout, stderr, code = edgecnn(t, "capture", "--source", src, "--label", "seven", "--out", out, "--as", "input", "--count", "2")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "saved 2 frames")
	_, stderr, code = edgecnn(t, "capture", "--source", "synthetic", "--label", "one", "--out", out, "--count", "2", "--roi", "100,100,200,200")
	require.Zero(t, code, stderr)
	for _, f := range []string{"seven/000000.jpg", "seven/000002.jpg", "seven/000003.png", "seven/000004.png", "one/000001.png"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	set, err := dataset.LoadFolder(out, dataset.FolderOptions{Input: nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}}})
	// The JPEG frames are saved as they came.
	saved, err2 := os.ReadFile(filepath.Join(out, "seven", "000000.jpg"))
	require.NoError(t, err2)
	require.Equal(t, clipFrames(t)[0], saved)
	require.NoError(t, err)
	require.Equal(t, 7, set.Len())
	require.Equal(t, []string{"one", "seven"}, set.Classes)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--label", "7", "--out", out}, "--source"},
		{[]string{"--source", src, "--out", out}, "--label"},
		{[]string{"--source", src, "--label", "../x", "--out", out}, "--label"},
		{[]string{"--source", src, "--label", "7"}, "--out"},
		{[]string{"--source", src, "--label", "7", "--out", out, "--as", "thumb"}, "--as"},
	} {
		_, stderr, code := edgecnn(t, append([]string{"capture"}, c.args...)...)
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, c.want)
	}
}
