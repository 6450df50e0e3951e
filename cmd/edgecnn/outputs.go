package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"
)

// outputOptions are run's flags for running unattended: a config file, how
// much goes to stdout, and where results go besides it.
type outputOptions struct {
	config, mqtt, mqttTopic, metrics string
	mqttHeartbeat, logEvery          time.Duration
	quiet                            bool
}

func (o *outputOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.config, "config", "", "read flags from `FILE`, one NAME=VALUE per line (# comments); flags on the command line win")
	f.BoolVar(&o.quiet, "quiet", false, "print no line per frame (the first line, errors and the summary still go to stderr)")
	f.DurationVar(&o.logEvery, "log-every", 0, "print at most one frame line per `DURATION`, e.g. 1m (default: every frame)")
	f.StringVar(&o.mqtt, "mqtt", "", "publish label changes and heartbeats to the MQTT broker at `URL`, e.g. tcp://127.0.0.1:1883 (tcp://USER:PASS@HOST:PORT for credentials)")
	f.StringVar(&o.mqttTopic, "mqtt-topic", defaultMQTTTopic(), "MQTT `TOPIC`: label changes on TOPIC, TOPIC/heartbeat, online/offline on TOPIC/status")
	f.DurationVar(&o.mqttHeartbeat, "mqtt-heartbeat", 30*time.Second, "interval between MQTT heartbeats")
	f.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on `HOST:PORT`/metrics, e.g. 127.0.0.1:9180 (a bare PORT binds 127.0.0.1)")
}

// check validates the flags before any work starts.
func (o *outputOptions) check() error {
	if o.logEvery < 0 {
		return usagef("--log-every %v: want a duration of at least 0", o.logEvery)
	}
	if o.metrics != "" {
		if _, err := listenAddr("--metrics", o.metrics); err != nil {
			return err
		}
	}
	if o.mqtt != "" {
		if _, err := checkMQTT(o.mqtt, o.mqttTopic, o.mqttHeartbeat); err != nil {
			return err
		}
	}
	return nil
}

// outputs fans each classified frame out to the MQTT publisher and the
// metrics (either may be nil), and paces the per-frame lines.
type outputs struct {
	opt       outputOptions
	mqtt      *mqttPublisher
	metrics   *runMetrics
	lastPrint time.Time
}

// startOutputs starts what the flags ask for and reports where on log.
func startOutputs(opt outputOptions, info runInfo, log io.Writer) (*outputs, error) {
	out := &outputs{opt: opt}
	var err error
	if opt.metrics != "" {
		if out.metrics, err = startMetrics(opt.metrics, info); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "edgecnn run: metrics on %s\n", out.metrics.URL())
	}
	if opt.mqtt != "" {
		if out.mqtt, err = startMQTT(opt.mqtt, opt.mqttTopic, opt.mqttHeartbeat, log); err != nil {
			out.close()
			return nil, err
		}
	}
	return out, nil
}

// observe hands one classified frame to every output.
func (o *outputs) observe(r *result) {
	o.mqtt.observe(r)
	o.metrics.observe(r)
}

// skip counts a frame that could not be classified.
func (o *outputs) skip() { o.metrics.skip() }

// printDue reports whether the frame classified at now gets its line.
func (o *outputs) printDue(now time.Time) bool {
	switch {
	case o.opt.quiet:
		return false
	case o.opt.logEvery == 0:
		return true
	case now.Sub(o.lastPrint) >= o.opt.logEvery:
		o.lastPrint = now
		return true
	}
	return false
}

func (o *outputs) close() {
	o.mqtt.close()
	o.metrics.close()
}
