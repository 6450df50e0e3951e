package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"image"
	"image/jpeg"
	"image/png"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgecnn/edgecnn/camera"
)

//go:embed web/index.html web/app.js web/style.css
var webAssets embed.FS

var indexTemplate = template.Must(template.ParseFS(webAssets, "web/index.html"))

// webPublishEvery is how often the run loop hands a frame to the preview.
const webPublishEvery = 50 * time.Millisecond

// preview is the live web page of `edgecnn run --web`: the newest frame
// with its label, the model input, the top-k and the rates. It serves its
// own embedded assets and nothing else.
type preview struct {
	about struct{ Model, Source, Board, Kernels string }

	mu      sync.Mutex
	version int
	res     result
	frame   camera.Frame
	input   []uint8
	inW     int
	inH     int
	inC     int
	// jpg is the frame of version jpgV as JPEG. Each published frame gets
	// a new slice that is never written again: handlers send it after
	// releasing the lock, while newer frames arrive.
	jpg  []byte
	jpgV int
	last time.Time

	srv *http.Server
	ln  net.Listener
}

// defaultWebAddr is what a bare --web listens on.
const defaultWebAddr = "127.0.0.1:8080"

// withBareWeb returns the command line args with a bare --web (one not
// followed by a value: last, or followed by another flag) made
// --web=127.0.0.1:8080. A flag default cannot say this: pflag would then
// only take a value written --web=ADDR, and README's --web 0.0.0.0:8080
// would stop working.
func withBareWeb(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if a == "--web" && (i+1 == len(out) || strings.HasPrefix(out[i+1], "-")) {
			out[i] = "--web=" + defaultWebAddr
		}
	}
	return out
}

// listenAddr binds to 127.0.0.1 unless the address names a host: ":8080"
// and "8080" mean 127.0.0.1:8080; 0.0.0.0:8080 must be asked for.
func listenAddr(flag, addr string) (string, error) {
	if !strings.Contains(addr, ":") {
		addr = ":" + addr // a bare port
	}
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return "", usagef("%s %q: want HOST:PORT, e.g. 127.0.0.1:8080", flag, addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// startPreview listens on addr and serves the page in the background to
// requests whose Host (and Origin, if any) names a loopback address, the
// bound address or one of the names in allow (see newHostCheck).
func startPreview(addr string, allow []string) (*preview, error) {
	addr, err := listenAddr("--web", addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--web: %w", err)
	}
	p := &preview{ln: ln}
	p.srv = &http.Server{
		Handler:           p.handler(newHostCheck(ln.Addr().(*net.TCPAddr).IP, allow)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	go p.srv.Serve(ln)
	return p, nil
}

// handler serves the page and its parts to the hosts it answers to.
func (p *preview) handler(hosts *hostCheck) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.serveIndex)
	mux.HandleFunc("GET /app.js", p.serveAsset("web/app.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /style.css", p.serveAsset("web/style.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /state", p.serveState)
	mux.HandleFunc("GET /frame.jpg", p.serveFrame)
	mux.HandleFunc("GET /input.png", p.serveInput)
	return secure(hosts, mux)
}

// URL is the address of the page.
func (p *preview) URL() string { return "http://" + p.ln.Addr().String() + "/" }

// close stops the server, letting requests in flight finish briefly.
func (p *preview) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.srv.Shutdown(ctx)
}

// secure adds the headers every response carries, refuses methods other
// than GET and HEAD, and requests whose Host or Origin the preview does not
// answer to (DNS rebinding: a page from another site whose name now
// resolves to this machine).
func secure(hosts *hostCheck, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			hd.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := hosts.check(r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// publish hands the preview a classified frame, at most every
// webPublishEvery (always when force is set); it copies what it keeps.
func (p *preview) publish(f *camera.Frame, in *camera.Input, res *result, c, h, w int, force bool) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !force && now.Sub(p.last) < webPublishEvery {
		return
	}
	p.last = now
	p.version++
	p.res = *res
	p.res.Top = append([]topEntry(nil), res.Top...)
	p.res.Version = p.version
	p.frame.CopyFrom(f)
	if f.Format == camera.FormatMJPEG {
		p.jpg, p.jpgV = slices.Clone(f.Data), p.version // sent as it came
	}
	p.input = append(p.input[:0], in.Pixels...)
	p.inC, p.inH, p.inW = c, h, w
}

func (p *preview) serveAsset(name, ctype string) http.HandlerFunc {
	data, err := webAssets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "max-age=60")
		w.Write(data)
	}
}

// page is what index.html shows before its script takes over.
type page struct {
	Model, Source, Board, Kernels string
	Label                         string
	Top                           []struct {
		Label   string
		Percent float64
	}
	Frame, Version, Dropped int
	FPS, TotalMS            float64
}

func (p *preview) serveIndex(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	pg := page{Model: p.about.Model, Source: p.about.Source, Board: p.about.Board, Kernels: p.about.Kernels,
		Label: "…", Frame: p.res.Frame, Version: p.version, Dropped: p.res.Dropped, FPS: p.res.FPS, TotalMS: p.res.Latency.Total}
	if p.version > 0 {
		pg.Label = p.res.Label
		if !p.res.Found {
			pg.Label = "?"
		}
	}
	for _, t := range p.res.Top {
		pg.Top = append(pg.Top, struct {
			Label   string
			Percent float64
		}{t.Label, 100 * t.Prob})
	}
	p.mu.Unlock()
	var b bytes.Buffer
	if err := indexTemplate.Execute(&b, pg); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

func (p *preview) serveState(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	data, err := json.Marshal(p.res)
	p.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}

// serveFrame sends the newest frame as JPEG: MJPEG frames as they came,
// others encoded once per frame, on the first request for it.
func (p *preview) serveFrame(w http.ResponseWriter, r *http.Request) {
	data, err := p.frameJPEG()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(data)
}

var errNoFrame = errors.New("no frame yet")

func (p *preview) frameJPEG() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.version == 0 {
		return nil, errNoFrame
	}
	if p.jpgV == p.version {
		return p.jpg, nil
	}
	img, err := camera.Image(&p.frame)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer // a new buffer: the previous frame's may still be in flight
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	p.jpg, p.jpgV = b.Bytes(), p.version
	return p.jpg, nil
}

// serveInput sends the model input as a PNG (gray or RGB).
func (p *preview) serveInput(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.version == 0 {
		p.mu.Unlock()
		http.Error(w, errNoFrame.Error(), http.StatusServiceUnavailable)
		return
	}
	c, h, wd := p.inC, p.inH, p.inW
	var img image.Image
	if c == 1 {
		g := image.NewGray(image.Rect(0, 0, wd, h))
		copy(g.Pix, p.input)
		img = g
	} else {
		m := image.NewRGBA(image.Rect(0, 0, wd, h))
		n := wd * h
		for i := range n {
			m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = p.input[i], p.input[n+i], p.input[2*n+i], 255
		}
		img = m
	}
	p.mu.Unlock()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(b.Bytes())
}
