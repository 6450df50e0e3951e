package main

import (
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// stageBuckets are the latency histogram's upper bounds in seconds: 50 µs
// (LeNet-5's inference on a desktop) to about 3 s (a lost camera's frame),
// doubling.
var stageBuckets = prometheus.ExponentialBuckets(50e-6, 2, 17)

// runMetrics serves run's Prometheus metrics on /metrics:
//
//	edgecnn_frames_total                      frames classified
//	edgecnn_frames_dropped_total              stale camera frames dropped for a newer one
//	edgecnn_frames_skipped_total              frames that did not decode or preprocess
//	edgecnn_stage_seconds{stage}              latency histograms: decode, preprocess, infer, total
//	edgecnn_label_frames_total{label}         frames per reported label ("" when nothing was recognised)
//	edgecnn_label_changes_total               changes of the reported label
//	edgecnn_info{version,model,kernels,board,source}   1
//
// plus the Go runtime's and the process's own (memory, CPU, threads).
type runMetrics struct {
	srv     *http.Server
	ln      net.Listener
	frames  prometheus.Counter
	skipped prometheus.Counter
	changes prometheus.Counter
	stages  [4]prometheus.Observer // decode, preprocess, infer, total
	labels  *prometheus.CounterVec
	dropped atomic.Int64
	last    string // the previous frame's label
	seen    bool   // a frame has been observed
}

// runInfo names what a run is running, for edgecnn_info.
type runInfo struct{ model, kernels, board, source string }

// startMetrics listens on addr (HOST:PORT; a bare PORT binds 127.0.0.1) and
// serves /metrics.
func startMetrics(addr string, info runInfo) (*runMetrics, error) {
	addr, err := listenAddr("--metrics", addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	m := &runMetrics{ln: ln,
		frames: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgecnn_frames_total",
			Help: "Frames classified."}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgecnn_frames_skipped_total",
			Help: "Frames that did not decode or preprocess."}),
		changes: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgecnn_label_changes_total",
			Help: "Changes of the reported label."}),
		labels: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgecnn_label_frames_total",
			Help: `Frames per reported label ("" when nothing was recognised).`}, []string{"label"}),
	}
	stages := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "edgecnn_stage_seconds",
		Help:    "Time per frame spent in each stage; total is decode, preprocess and infer together.",
		Buckets: stageBuckets}, []string{"stage"})
	for i, s := range []string{"decode", "preprocess", "infer", "total"} {
		m.stages[i] = stages.WithLabelValues(s)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.frames, m.skipped, m.changes, m.labels, stages,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "edgecnn_frames_dropped_total",
			Help: "Stale camera frames dropped in favour of a newer one."},
			func() float64 { return float64(m.dropped.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgecnn_info", Help: "What this process runs.",
			ConstLabels: prometheus.Labels{"version": readBuildInfo().Version, "model": info.model,
				"kernels": info.kernels, "board": info.board, "source": info.source}},
			func() float64 { return 1 }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	go m.srv.Serve(ln)
	return m, nil
}

// URL is where the metrics are served.
func (m *runMetrics) URL() string { return "http://" + m.ln.Addr().String() + "/metrics" }

// observe counts one classified frame.
func (m *runMetrics) observe(r *result) {
	if m == nil {
		return
	}
	m.frames.Inc()
	m.dropped.Store(int64(r.Dropped))
	m.labels.WithLabelValues(r.Label).Inc()
	if m.seen && m.last != r.Label {
		m.changes.Inc()
	}
	m.last, m.seen = r.Label, true
	for i, v := range [...]float64{r.Latency.Decode, r.Latency.Preprocess, r.Latency.Infer, r.Latency.Total} {
		m.stages[i].Observe(v / 1e3)
	}
}

// skip counts a frame that did not decode or preprocess.
func (m *runMetrics) skip() {
	if m != nil {
		m.skipped.Inc()
	}
}

func (m *runMetrics) close() {
	if m != nil {
		m.srv.Close()
	}
}
