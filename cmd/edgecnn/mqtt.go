package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// mqttSchemes are the broker URL schemes paho dials.
var mqttSchemes = []string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}

// mqttQueue is how many label changes wait while the broker is away; past
// it the oldest are dropped (and counted), so a long outage costs bounded
// memory and the newest state is what arrives.
const mqttQueue = 256

// labelMessage is published on TOPIC at every change of the reported label
// (QoS 1, retained, so a new subscriber sees the current label at once).
// Its JSON form is a stable interface.
type labelMessage struct {
	Label    string     `json:"label"` // "" when nothing was recognised
	Prob     float64    `json:"prob"`
	Previous string     `json:"previous"`
	Found    bool       `json:"found"`
	Frame    int        `json:"frame"`
	Time     time.Time  `json:"time"`
	Top      []topEntry `json:"top"`
}

// heartbeat is published on TOPIC/heartbeat every --mqtt-heartbeat (QoS 0).
type heartbeat struct {
	Time    time.Time `json:"time"`
	Uptime  float64   `json:"uptime_s"`
	Frames  int       `json:"frames"`
	FPS     float64   `json:"fps"`
	Dropped int       `json:"dropped"`
	Label   string    `json:"label"`
	Queued  int       `json:"mqtt_queued"`  // label changes waiting for the broker
	Lost    int       `json:"mqtt_dropped"` // label changes dropped because the queue was full
	Version string    `json:"version"`
}

// mqttPublisher sends run's label changes and heartbeats to a broker. The
// classification loop only hands it results (observe never blocks); one
// goroutine publishes, waiting for the broker's acknowledgement of each label
// change, so while the broker is away changes wait in a bounded queue and are
// delivered, in order, after the client reconnects (with back-off, up to a
// minute between tries). TOPIC/status is "online" while connected and
// "offline" (the broker's last will, or on exit) otherwise.
type mqttPublisher struct {
	client  mqtt.Client
	topic   string
	version string // for the heartbeat
	start   time.Time
	queue   chan labelMessage
	stop    chan struct{}
	done    chan struct{}
	log     io.Writer

	mu      sync.Mutex // guards the fields below, shared with the publishing goroutine
	label   string
	started bool // a first label has been seen
	frames  int
	fps     float64
	dropped int
	lost    int
}

// defaultMQTTTopic is edgecnn/<hostname>.
func defaultMQTTTopic() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "edgecnn"
	}
	return "edgecnn/" + host
}

// startMQTT connects to broker (tcp://HOST:PORT, ssl://, ws://; a user and
// password in the URL are sent as credentials). It returns at once: the
// first connection, like every reconnection, is retried in the background.
func startMQTT(broker, topic string, every time.Duration, log io.Writer) (*mqttPublisher, error) {
	u, err := checkMQTT(broker, topic, every)
	if err != nil {
		return nil, err
	}
	p := &mqttPublisher{topic: topic, version: readBuildInfo().Version, start: time.Now(), queue: make(chan labelMessage, mqttQueue),
		stop: make(chan struct{}), done: make(chan struct{}), log: log}
	host, _ := os.Hostname()
	opt := mqtt.NewClientOptions().
		AddBroker(broker).
		SetClientID(fmt.Sprintf("edgecnn-%s-%d", host, os.Getpid())).
		SetConnectRetry(true).
		SetConnectRetryInterval(2*time.Second).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(time.Minute).
		SetConnectTimeout(10*time.Second).
		SetKeepAlive(30*time.Second).
		SetWill(topic+"/status", "offline", 1, true).
		SetOnConnectHandler(func(c mqtt.Client) {
			fmt.Fprintf(log, "edgecnn run: mqtt: connected to %s, publishing on %s\n", u.Redacted(), topic)
			c.Publish(topic+"/status", 1, true, "online")
		}).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			fmt.Fprintf(log, "edgecnn run: mqtt: connection lost: %v; reconnecting\n", err)
		})
	if u.User != nil {
		opt.SetUsername(u.User.Username())
		if pw, ok := u.User.Password(); ok {
			opt.SetPassword(pw)
		}
	}
	p.client = mqtt.NewClient(opt)
	// With ConnectRetry the token completes once the first connection is up.
	go p.publish(p.client.Connect(), every)
	return p, nil
}

// checkMQTT validates the MQTT flags and returns the broker's URL.
func checkMQTT(broker, topic string, every time.Duration) (*url.URL, error) {
	u, err := url.Parse(broker)
	if err != nil || u.Host == "" || !slices.Contains(mqttSchemes, u.Scheme) {
		return nil, usagef("--mqtt %q: want a broker URL such as tcp://HOST:1883", broker)
	}
	if topic == "" || strings.ContainsAny(topic, "#+") {
		return nil, usagef("--mqtt-topic %q: want a topic without wildcards, e.g. edgecnn/kitchen", topic)
	}
	if every <= 0 {
		return nil, usagef("--mqtt-heartbeat %v: want a positive interval", every)
	}
	return u, nil
}

// observe takes one classified frame; it publishes when the label changed.
func (p *mqttPublisher) observe(r *result) {
	if p == nil {
		return
	}
	p.mu.Lock()
	changed := !p.started || r.Label != p.label
	prev := p.label
	p.started, p.label, p.frames, p.fps, p.dropped = true, r.Label, p.frames+1, r.FPS, r.Dropped
	p.mu.Unlock()
	if !changed {
		return
	}
	m := labelMessage{Label: r.Label, Prob: r.Prob, Previous: prev, Found: r.Found, Frame: r.Frame,
		Time: time.Now().UTC(), Top: append([]topEntry(nil), r.Top...)}
	for {
		select {
		case p.queue <- m:
			return
		default: // full: drop the oldest waiting change
			select {
			case <-p.queue:
				p.mu.Lock()
				p.lost++
				p.mu.Unlock()
			default:
			}
		}
	}
}

// publish is the publishing goroutine. It starts once the first connection
// is up: paho drops what was published before it (a clean session starts
// with an empty store), while after a reconnection it resends what waited.
func (p *mqttPublisher) publish(connected mqtt.Token, every time.Duration) {
	defer close(p.done)
	select {
	case <-connected.Done():
	case <-p.stop:
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case m := <-p.queue:
			if !p.send(m, p.stop) {
				return
			}
		case <-tick.C:
			p.beat()
		case <-p.stop:
			return
		}
	}
}

// send publishes one label change and waits for the broker's
// acknowledgement, through reconnections, until cancel closes.
func (p *mqttPublisher) send(m labelMessage, cancel <-chan struct{}) bool {
	data, _ := json.Marshal(m)
	tok := p.client.Publish(p.topic, 1, true, data)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			fmt.Fprintf(p.log, "edgecnn run: mqtt: publish: %v\n", err)
		}
		return true
	case <-cancel:
		return false
	}
}

// beat publishes a heartbeat if connected; heartbeats are not queued.
func (p *mqttPublisher) beat() {
	if !p.client.IsConnectionOpen() {
		return
	}
	p.mu.Lock()
	h := heartbeat{Time: time.Now().UTC(), Uptime: round(time.Since(p.start).Seconds(), 1e3), Frames: p.frames,
		FPS: p.fps, Dropped: p.dropped, Label: p.label, Queued: len(p.queue), Lost: p.lost, Version: p.version}
	p.mu.Unlock()
	data, _ := json.Marshal(h)
	p.client.Publish(p.topic+"/heartbeat", 0, false, data)
}

// close delivers the changes still queued (for up to a few seconds if the
// broker is there), marks the status offline and disconnects.
func (p *mqttPublisher) close() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
	expired := make(chan struct{})
	defer time.AfterFunc(3*time.Second, func() { close(expired) }).Stop()
	if p.client.IsConnectionOpen() {
	drain:
		for {
			select {
			case m := <-p.queue:
				if !p.send(m, expired) {
					break drain
				}
			default:
				break drain
			}
		}
		p.client.Publish(p.topic+"/status", 1, true, "offline").WaitTimeout(time.Second)
	}
	p.client.Disconnect(250)
}
