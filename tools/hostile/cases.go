//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/camera/sample"
)

// hostileCase is one hostile input and the edgecnn command it is handed
// to, with what must happen.
type hostileCase struct {
	class int // the item of issue 16 it reproduces
	name  string
	args  []string
	env   []string
	want  expect
	// live, for a command that runs until Ctrl-C, is what the harness does
	// meanwhile (for up to liveFor); then it sends SIGINT.
	live    func(ctx context.Context, p *process) error
	liveFor time.Duration
	// setup, if set, prepares the input with the edgecnn binary (a
	// checkpoint to damage) before the case runs.
	setup func(bin string) error
	// after checks what the command left behind.
	after func(outcome) error
}

// expect is what a case must end with: an exit code (-1: any) and text
// its stderr must and must not hold.
type expect struct {
	code      int
	stderr    []string
	notStderr []string
}

// refused is a clear error: exit code 1 and a message holding each of say.
func refused(say ...string) expect { return expect{code: 1, stderr: say} }

// usage is a usage error (exit code 2) naming the flag.
func usage(say ...string) expect { return expect{code: 2, stderr: say} }

// classes names the items of issue 16, for the report.
var classes = map[int]string{
	1:  "int8 model with out-of-range requantization",
	2:  "web preview under concurrent clients",
	3:  "progressive JPEG frames claiming 8192x8192",
	4:  "special files: FIFOs, /dev/zero",
	5:  "model asking for huge activations",
	6:  "web preview reached by a foreign host name",
	7:  "ONNX: huge integer initializer, duplicate names",
	8:  "image folder of huge 16-bit PNGs",
	9:  "out-of-range flags",
	10: "camera program that hangs or keeps dying",
	11: "stale temporary files, full disk",
	12: "damaged checkpoint",
	13: "--limit on a huge IDX file, bare --web",
	14: "garbage given to every parser",
}

// cases writes the corpus into c and returns its cases, class by class.
func cases(c *corpus) []*hostileCase {
	var all []*hostileCase
	for _, class := range []func(*corpus) []*hostileCase{
		extremeScales, webRace, progressiveFrames, specialFiles, memoryBomb, foreignHost, onnxBombs, hugePNGs,
		flagBounds, cameraProgram, tempFiles, damagedCheckpoint, idxLimit, garbage,
	} {
		all = append(all, class(c)...)
	}
	return all
}

// extremeScales: item 1. Scales that are each positive and finite but
// whose ratios pass 2^31 made every command that builds an engine panic.
func extremeScales(c *corpus) []*hostileCase {
	npy := c.write("x.npy", zerosNPY())
	var out []*hostileCase
	for name, file := range map[string][]byte{
		"weight scale 3e38":    patchModel(lenet5Int8(), map[string]map[int]float32{"conv1.weight_scale": {0: 3e38}}, nil),
		"output scale 1e-30":   patchModel(lenet5Int8(), nil, setNodeScale("fc3", 1e-30)),
		"output scale 1e-45":   patchModel(lenet5Int8(), nil, setNodeScale("fc1", 1e-45)),
		"input scale 3e38":     patchModel(lenet5Int8(), nil, func(doc map[string]any) { doc["input"].(map[string]any)["quant"].(map[string]any)["scale"] = 3e38 }),
		"weight scale denorm.": patchModel(lenet5Int8(), map[string]map[int]float32{"fc2.weight_scale": {3: 1e-45}}, nil),
	} {
		model := c.write("scales/"+strings.NewReplacer(" ", "-", ".", "").Replace(name)+".safetensors", file)
		for _, cmd := range [][]string{
			{"inspect"}, {"run", "--source", "synthetic", "--limit", "2"}, {"eval", "--limit", "10"},
			{"bench", "--time", "10ms"}, {"predict", "--input", npy},
		} {
			want := refused("out of range")
			if name == "weight scale denorm." { // a factor of 0: representable, runs
				want = expect{code: 0}
			}
			out = append(out, &hostileCase{class: 1, name: name + ": " + cmd[0], args: append(cmd, "--model", model), want: want})
		}
	}
	return out
}

// webRace: item 2. Concurrent /frame.jpg requests shared one buffer that
// the next frame was written into: some responses were torn.
func webRace(c *corpus) []*hostileCase {
	clip := c.write("clip.mjpeg", sample.Clip())
	frames := map[string]bool{}
	mr := camera.NewMJPEGReader(bytes.NewReader(sample.Clip()))
	for {
		img, err := mr.Next()
		if err != nil {
			break
		}
		frames[string(img)] = true
	}
	const clients, duration = 32, 2 * time.Second
	var served, torn atomic.Int64
	return []*hostileCase{{
		class: 2, name: fmt.Sprintf("%d clients fetching frames for %v", clients, duration),
		args:    []string{"run", "--source", clip, "--web", "127.0.0.1:0", "--fps", "200", "--every=false"},
		want:    expect{code: 0},
		liveFor: duration,
		live: func(ctx context.Context, p *process) error {
			url, err := previewURL(ctx, p)
			if err != nil {
				return err
			}
			stop := time.Now().Add(duration)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 5 * time.Second}
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for time.Now().Before(stop) {
						body, code, err := get(client, url+"frame.jpg", "")
						if err != nil || code != 200 {
							continue // before the first frame
						}
						served.Add(1)
						if !frames[string(body)] {
							torn.Add(1)
						}
					}
				})
			}
			wg.Wait()
			return nil
		},
		after: func(outcome) error {
			if served.Load() == 0 {
				return errors.New("no frame was served")
			}
			if n := torn.Load(); n > 0 {
				return fmt.Errorf("%d of %d responses were not a frame of the clip", n, served.Load())
			}
			return nil
		},
	}}
}

// progressiveFrames: item 3. Progressive (and CMYK) JPEG frames went to
// image/jpeg without the data-length check: twenty truncated 339-byte
// frames declaring 8192x8192 drove run to 1.9 GB.
func progressiveFrames(c *corpus) []*hostileCase {
	stream := c.write("progressive/bomb.mjpeg", bytes.Repeat(progressiveBomb(), 20))
	one := c.write("progressive/bomb.jpg", progressiveBomb())
	return []*hostileCase{
		{class: 3, name: "run on 20 truncated progressive 8192x8192 frames", args: []string{"run", "--source", stream},
			want: expect{code: 0, stderr: []string{"0 frames classified"}}},
		{class: 3, name: "run on one such file, as a colour model's input", want: expect{code: 0},
			args: []string{"run", "--source", one, "--model", c.write("progressive/colour.safetensors", colourModel())}},
	}
}

// onnxBombs: item 7. The ONNX reader expanded integer initializers to
// int64 (128 MiB of file took 1.33 GB) and searched for a free layer name
// from the start for every duplicate (20000 of them: 42 s).
func onnxBombs(c *corpus) []*hostileCase {
	head, zeros := hugeIntONNX(8192) // 64 MiB, 512 MiB as int64
	bigInts := c.writeZeros("onnx/huge-int8-shape.onnx", head, int64(zeros))
	sameNames := c.write("onnx/same-names.onnx", sameNamesONNX(20000))
	return []*hostileCase{
		{class: 7, name: "import a Reshape whose shape is a 8192x8192 INT8 initializer", want: expect{code: 1},
			args: []string{"import", "--onnx", bigInts, "--out", c.path("onnx/huge.safetensors")}},
		{class: 7, name: "import 20000 ReLUs all named relu", want: expect{code: 0},
			args: []string{"import", "--onnx", sameNames, "--out", c.path("onnx/same-names.safetensors")}},
	}
}

// hugePNGs: item 8. The image-folder loader decoded everything, on every
// core, before checking the classes: two 522 KB 8192x8192 16-bit PNGs
// cost 2.15 GB and 22.7 s, then failed.
func hugePNGs(c *corpus) []*hostileCase {
	bomb := pngBomb(8192, 8192)
	c.write("pngs/two/a/huge.png", bomb)
	c.write("pngs/two/b/huge.png", bomb)
	for _, d := range digits {
		c.write("pngs/ten/"+d+"/huge.png", bomb)
	}
	return []*hostileCase{
		{class: 8, name: "eval on two classes of 8192x8192 16-bit PNGs", args: []string{"eval", "--data", c.path("pngs/two")},
			want: refused("a", "b")},
		{class: 8, name: "eval on ten classes of 8192x8192 16-bit PNGs", args: []string{"eval", "--data", c.path("pngs/ten")},
			want: refused("huge.png")},
	}
}

// specialFiles: item 4. A FIFO or a link to /dev/zero where a file is
// read hung the command or exhausted memory; a FIFO source ignored Ctrl-C.
func specialFiles(c *corpus) []*hostileCase {
	fifo := func(name string) string {
		p := c.path(name)
		must(syscall.Mkfifo(p, 0o644))
		return p
	}
	zero := func(name string) string {
		p := c.path(name)
		must(os.Symlink("/dev/zero", p))
		return p
	}
	// A run folder and a dataset folder with the two among real images.
	fifo("special/run/a.jpg")
	zero("special/run/b.png")
	c.write("special/run/c.jpg", photo(".jpg"))
	for _, d := range digits {
		fifo("special/data/" + d + "/a.png")
		zero("special/data/" + d + "/b.jpg")
		c.write("special/data/"+d+"/c.png", photo(".png"))
	}
	model, zeroModel, npyFIFO := fifo("special/model.safetensors"), zero("special/zero.safetensors"), fifo("special/x.npy")
	configFIFO, configZero := fifo("special/run.conf"), zero("special/zero.conf")
	stream := fifo("special/stream.mjpeg")
	var writer *os.File // holds the stream FIFO open without writing
	return []*hostileCase{
		{class: 4, name: "run on a folder holding a FIFO and /dev/zero", args: []string{"run", "--source", c.path("special/run")},
			want: expect{code: 0, stderr: []string{"1 frames classified"}}},
		{class: 4, name: "eval on a dataset folder holding FIFOs and /dev/zero", args: []string{"eval", "--data", c.path("special/data")},
			want: expect{code: 0}},
		{class: 4, name: "inspect a FIFO", args: []string{"inspect", "--model", model}, want: refused("not a regular file but a FIFO")},
		{class: 4, name: "inspect /dev/zero", args: []string{"inspect", "--model", zeroModel}, want: refused("not a regular file but a device")},
		{class: 4, name: "predict a FIFO", args: []string{"predict", "--input", npyFIFO}, want: refused("not a regular file but a FIFO")},
		{class: 4, name: "run --config on a FIFO", args: []string{"run", "--config", configFIFO}, want: refused("not a regular file but a FIFO")},
		{class: 4, name: "run --config on /dev/zero", args: []string{"run", "--config", configZero}, want: refused("not a regular file but a device")},
		{class: 4, name: "run on a FIFO that sends nothing, then Ctrl-C", args: []string{"run", "--source", stream},
			want: expect{code: 0}, liveFor: time.Second,
			live: func(ctx context.Context, p *process) error {
				var err error
				if writer, err = os.OpenFile(stream, os.O_RDWR, 0); err != nil { // a writer, opened without waiting
					return err
				}
				if _, err := p.waitFor(ctx, regexp.MustCompile(`edgecnn run: model`)); err != nil {
					return err
				}
				time.Sleep(time.Second)
				return nil
			},
			after: func(outcome) error { return writer.Close() }},
	}
}

// memoryBomb: item 5. A model of a few kilobytes may legally ask for
// activations of 2^30 elements; run took 4.8 GB.
func memoryBomb(c *corpus) []*hostileCase {
	bomb, huge := c.write("bomb/4gib.safetensors", bombModel(0)), c.write("bomb/400gib.safetensors", bombModel(100))
	return []*hostileCase{
		{class: 5, name: "4 GiB of activations under --max-memory 400MiB", want: refused("over the limit of 400.0 MiB"),
			args: []string{"run", "--model", bomb, "--source", "synthetic", "--limit", "1", "--max-memory", "400MiB"}},
		{class: 5, name: "400 GiB of activations, default limit", want: refused("over the limit"),
			args: []string{"run", "--model", huge, "--source", "synthetic", "--limit", "1"}},
		{class: 5, name: "inspect reports 4 GiB of activations", want: expect{code: -1},
			args: []string{"inspect", "--model", bomb},
			after: func(o outcome) error {
				if !strings.Contains(o.stdout, "activations 4.3 GiB per image") {
					return errors.New("inspect does not report the activations")
				}
				return nil
			}},
		{class: 5, name: "bench at batch 1e9", want: refused("a batch of 1000000000 needs"),
			args: []string{"bench", "--batch", "1000000000"}},
	}
}

// foreignHost: item 6. The preview answered any Host, so a page whose name
// was made to resolve to the Pi (DNS rebinding) could read the camera.
func foreignHost(c *corpus) []*hostileCase {
	type probe struct {
		host, origin string
		status       int
	}
	probes := []probe{
		{"", "", 200},
		{"attacker.example", "", 403},
		{"attacker.example:8080", "http://attacker.example:8080", 403},
		{"", "http://attacker.example", 403},
		{"localhost", "http://localhost", 200},
	}
	return []*hostileCase{{
		class: 6, name: "requests with foreign Host and Origin headers",
		args: []string{"run", "--source", "synthetic", "--web", "127.0.0.1:0"}, want: expect{code: 0}, liveFor: time.Second,
		live: func(ctx context.Context, p *process) error {
			url, err := previewURL(ctx, p)
			if err != nil {
				return err
			}
			for _, pr := range probes {
				req, _ := http.NewRequestWithContext(ctx, "GET", url+"state", nil)
				if pr.host != "" {
					req.Host = pr.host
				}
				if pr.origin != "" {
					req.Header.Set("Origin", pr.origin)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != pr.status {
					return fmt.Errorf("Host %q Origin %q: status %d, want %d", pr.host, pr.origin, resp.StatusCode, pr.status)
				}
			}
			return nil
		},
	}}
}

// flagBounds: item 9. Values that were accepted, then hung or exhausted
// memory.
func flagBounds(c *corpus) []*hostileCase {
	clip := c.path("clip.mjpeg")
	return []*hostileCase{
		{class: 9, name: "--smooth 1e9", args: []string{"run", "--smooth", "1000000000"}, want: usage("--smooth")},
		{class: 9, name: "--fps 1e-9 on a file", args: []string{"run", "--source", clip, "--fps", "1e-9"}, want: usage("--fps")},
		{class: 9, name: "synthetic 16384x16384", args: []string{"run", "--source", "synthetic", "--size", "16384x16384"}, want: refused("over 2073600 pixels")},
		{class: 9, name: "--threads 1e8", args: []string{"run", "--threads", "100000000"}, want: usage("--threads")},
	}
}

// cameraProgram: item 10. A camera program that hangs gave no frame and
// no message for ever; one that kept dying was restarted every 250 ms.
func cameraProgram(c *corpus) []*hostileCase {
	frame := c.write("rpicam/frame.yuv", bytes.Repeat([]byte{128}, 640*480*3/2))
	script := func(name, body string) []string {
		dir := c.path("rpicam/" + name)
		must(os.MkdirAll(dir, 0o755))
		must(os.WriteFile(filepath.Join(dir, "rpicam-vid"), []byte("#!/bin/sh\n"+body), 0o755))
		return []string{"PATH=" + dir + ":" + os.Getenv("PATH")}
	}
	retries := 0
	return []*hostileCase{
		{class: 10, name: "rpicam-vid sends a frame, then hangs", args: []string{"run", "--source", "rpicam"},
			env:  script("hangs", "cat "+frame+"\necho 'camera stalled' >&2\nexec sleep 60\n"),
			want: expect{code: 0, stderr: []string{"sent no frame for 3s", "camera stalled"}}, liveFor: 8 * time.Second,
			live: func(ctx context.Context, p *process) error {
				_, err := p.waitFor(ctx, regexp.MustCompile(`sent no frame for 3s`))
				return err
			}},
		{class: 10, name: "rpicam-vid dies after every frame, for 5 s", args: []string{"run", "--source", "rpicam"},
			env:  script("dies", "cat "+frame+"\necho 'camera unplugged' >&2\nexit 1\n"),
			want: expect{code: 0, stderr: []string{"camera unplugged"}}, liveFor: 5 * time.Second,
			live: func(ctx context.Context, p *process) error {
				time.Sleep(5 * time.Second)
				p.mu.Lock()
				for _, l := range p.lines {
					if strings.Contains(l, "retrying in") {
						retries++
					}
				}
				p.mu.Unlock()
				return nil
			},
			after: func(outcome) error {
				// 250 ms doubling: 0.25+0.5+1+2 = 3.75 s, a fifth restart near 5 s.
				if retries > 6 {
					return fmt.Errorf("restarted %d times in 5 s: the back-off does not grow", retries)
				}
				return nil
			}},
	}
}

// tempFiles: item 11. Temporary files of writers killed mid-write stayed
// for ever; a full disk was reported under the temporary file's name.
func tempFiles(c *corpus) []*hostileCase {
	out := c.path("temp/logits.bin")
	stale := []string{c.write("temp/.logits.bin.tmp-999999999-1", make([]byte, 1<<20)), c.write("temp/.logits.bin.tmp-4242", nil)}
	old := time.Now().Add(-time.Hour)
	must(os.Chtimes(stale[1], old, old))
	cases := []*hostileCase{{
		class: 11, name: "the next write removes stale temporary files", want: expect{code: 0},
		args: []string{"eval", "--limit", "10", "--logits", out},
		after: func(outcome) error {
			for _, s := range stale {
				if _, err := os.Stat(s); err == nil {
					return fmt.Errorf("%s is still there", filepath.Base(s))
				}
			}
			return nil
		},
	}}
	full := c.path("temp/full")
	must(os.MkdirAll(full, 0o755))
	if os.Geteuid() == 0 && syscall.Mount("tmpfs", full, "tmpfs", 0, "size=64k") == nil {
		c.mounts = append(c.mounts, full)
		target := filepath.Join(full, "logits.bin")
		cases = append(cases, &hostileCase{class: 11, name: "full disk (64 KiB tmpfs)",
			args: []string{"eval", "--limit", "5000", "--logits", target},
			want: expect{code: 1, stderr: []string{"write " + target + ": no space left on device"}, notStderr: []string{".tmp-"}}})
	}
	return cases
}

// damagedCheckpoint: item 12. One flipped byte resumed silently and gave
// 78.8% instead of 93.6%.
func damagedCheckpoint(c *corpus) []*hostileCase {
	out := c.path("ckpt/m.safetensors")
	return []*hostileCase{{
		class: 12, name: "resume a checkpoint with one flipped byte",
		args: []string{"train", "--resume", "--out", out, "--epochs", "2"},
		want: refused("checksum mismatch"),
		setup: func(bin string) error {
			if out, err := run(bin, "train", "--arch", "lenet5", "--data", "mnist", "--limit", "256", "--epochs", "1", "--out", out); err != nil {
				return fmt.Errorf("training the checkpoint: %v: %s", err, out)
			}
			ckpt := out + ".ckpt"
			data, err := os.ReadFile(ckpt)
			if err != nil {
				return err
			}
			data[len(data)/2] ^= 0x04
			return os.WriteFile(ckpt, data, 0o644)
		},
	}}
}

// idxLimit: item 13. --limit did not limit how much IDX data was decoded,
// and a bare --web was a usage error although README says it means
// 127.0.0.1:8080.
func idxLimit(c *corpus) []*hostileCase {
	const n = 500_000 // 392 MB of images once decompressed, under 1 MB on disk
	c.write("idx/t10k-images-idx3-ubyte.gz", idxGzip(n, 28, 28))
	c.write("idx/t10k-labels-idx1-ubyte.gz", idxGzip(n))
	return []*hostileCase{
		{class: 13, name: "eval --limit 10 on 500,000 gzipped images", want: expect{code: 0},
			args: []string{"eval", "--data", "mnist:" + c.path("idx"), "--limit", "10"}},
		// Port 8080 may be taken on this machine: what matters is that
		// the flag parses and means that address.
		{class: 13, name: "bare --web", args: []string{"run", "--source", "synthetic", "--limit", "3", "--web"},
			want: expect{code: -1, notStderr: []string{"flag needs an argument"}},
			after: func(o outcome) error {
				if !strings.Contains(o.stderr, "http://127.0.0.1:8080/") && !strings.Contains(o.stderr, "127.0.0.1:8080: bind") {
					return fmt.Errorf("a bare --web is not 127.0.0.1:8080: %s", firstLine(o.stderr))
				}
				return nil
			}},
	}
}

// garbage: item 14. Whatever the parsers are given, an error naming the
// file, never a panic, a hang or a huge allocation.
func garbage(c *corpus) []*hostileCase {
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(i*7919 + i>>3)
	}
	lenet := bytes.Clone(lenet5Int8())
	bigHeader := bytes.Clone(lenet)
	bigHeader[5] = 0x7f // a header length of about 2^47
	cifar := c.path("garbage/cifar")
	must(os.MkdirAll(cifar, 0o755))
	record := bytes.Clone(noise[:3073])
	record[0] = 200 // a label CIFAR-10 does not have
	c.write("garbage/cifar/test_batch.bin", bytes.Repeat(record, 3))
	c.write("garbage/mnist/t10k-images-idx3-ubyte", []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2})
	c.write("garbage/mnist/t10k-labels-idx1-ubyte", []byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff})
	return []*hostileCase{
		{class: 14, name: "inspect noise", args: []string{"inspect", "--model", c.write("garbage/noise.safetensors", noise)}, want: refused("header length")},
		{class: 14, name: "inspect a truncated model", args: []string{"inspect", "--model", c.write("garbage/half.safetensors", lenet[:len(lenet)/2])}, want: refused("outside the", "data section")},
		{class: 14, name: "inspect a model claiming a 2^47-byte header", args: []string{"inspect", "--model", c.write("garbage/bighead.safetensors", bigHeader)}, want: refused("over the")},
		{class: 14, name: "predict noise", args: []string{"predict", "--input", c.write("garbage/noise.npy", noise)}, want: refused("not a NumPy")},
		{class: 14, name: "import noise", args: []string{"import", "--onnx", c.write("garbage/noise.onnx", noise), "--out", c.path("garbage/out.safetensors")}, want: expect{code: 1}},
		{class: 14, name: "resume noise", args: []string{"train", "--resume", "--out", c.path("garbage/noise")},
			want: refused("not an edgecnn checkpoint"), setup: func(string) error { c.write("garbage/noise.ckpt", noise); return nil }},
		{class: 14, name: "eval on a garbage CIFAR-10 batch", args: []string{"eval", "--data", "cifar10:" + cifar}, want: refused("label 200")},
		{class: 14, name: "eval on IDX files claiming 2^32 images", args: []string{"eval", "--data", "mnist:" + c.path("garbage/mnist")}, want: refused("IDX header claims")},
	}
}

// previewURL waits for run's line naming the preview's address.
func previewURL(ctx context.Context, p *process) (string, error) {
	m, err := p.waitFor(ctx, regexp.MustCompile(`live preview on (http://\S+)`))
	if err != nil {
		return "", err
	}
	return m[1], nil
}

// get fetches url, with Origin origin if not empty.
func get(client *http.Client, url, origin string) ([]byte, int, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, 0, err
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return body, resp.StatusCode, err
}
