package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

// broker is a real mosquitto on a loopback port, with a persistent store so
// that a subscriber's session survives a restart.
type broker struct {
	t         *testing.T
	dir, addr string
	cmd       *exec.Cmd
	log       strings.Builder
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startBroker(t *testing.T) *broker {
	exe, err := exec.LookPath("mosquitto")
	if err != nil {
		exe = "/usr/sbin/mosquitto" // Debian puts it in sbin, often not on PATH
		if _, err := os.Stat(exe); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("mosquitto is not installed (.ci/run installs it)")
			}
			t.Skip("mosquitto is not installed: apt-get install mosquitto")
		}
	}
	b := &broker{t: t, dir: t.TempDir(), addr: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	_, port, _ := net.SplitHostPort(b.addr)
	me, err := user.Current()
	require.NoError(t, err)
	// Started as root, mosquitto switches to the user "user" names (default
	// mosquitto, which could not write its store in our temporary folder).
	conf := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\nuser %s\n",
		port, b.dir, me.Username)
	require.NoError(t, os.WriteFile(filepath.Join(b.dir, "mosquitto.conf"), []byte(conf), 0o644))
	b.start(exe)
	t.Cleanup(func() {
		b.stop()
		if t.Failed() {
			t.Logf("mosquitto's log:\n%s", b.log.String())
		}
	})
	return b
}

func (b *broker) start(exe string) {
	b.cmd = exec.Command(exe, "-c", filepath.Join(b.dir, "mosquitto.conf"))
	b.cmd.Stderr = &b.log
	require.NoError(b.t, b.cmd.Start())
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", b.addr); err == nil {
			c.Close()
			return
		}
		require.True(b.t, time.Now().Before(deadline), "mosquitto did not start listening on %s", b.addr)
	}
}

// stop ends the broker as an operator would (SIGTERM: it saves its store).
func (b *broker) stop() {
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	b.cmd.Wait()
	b.cmd = nil
}

func (b *broker) restart() {
	exe := b.cmd.Path
	b.stop()
	time.Sleep(time.Second) // run notices the loss and queues its changes
	b.start(exe)
}

// subscriber records every message under a topic, on a persistent session
// (QoS 1) so nothing published while it reconnects is lost.
type subscriber struct {
	mu     sync.Mutex
	labels map[int]labelMessage // by frame
	order  []int
	beats  int
	status []string
}

func subscribe(t *testing.T, addr, topic string) *subscriber {
	s := &subscriber{labels: map[int]labelMessage{}}
	handler := func(_ mqtt.Client, m mqtt.Message) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch m.Topic() {
		case topic:
			var l labelMessage
			require.NoError(t, json.Unmarshal(m.Payload(), &l), "%s", m.Payload())
			if _, dup := s.labels[l.Frame]; !dup {
				s.labels[l.Frame] = l
				s.order = append(s.order, l.Frame)
			}
		case topic + "/heartbeat":
			var h heartbeat
			require.NoError(t, json.Unmarshal(m.Payload(), &h), "%s", m.Payload())
			s.beats++
		case topic + "/status":
			s.status = append(s.status, string(m.Payload()))
		}
	}
	opt := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("edgecnn-test-subscriber").
		SetCleanSession(false).SetAutoReconnect(true).SetMaxReconnectInterval(500 * time.Millisecond).
		SetDefaultPublishHandler(handler) // also receives what the resumed session delivers
	c := mqtt.NewClient(opt)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second) && tok.Error() == nil, "subscriber: %v", tok.Error())
	tok = c.Subscribe(topic+"/#", 1, nil)
	tok2 := c.Subscribe(topic, 1, nil)
	require.True(t, tok.WaitTimeout(10*time.Second) && tok.Error() == nil && tok2.WaitTimeout(10*time.Second) && tok2.Error() == nil)
	t.Cleanup(func() { c.Disconnect(100) })
	return s
}

// waitFor polls cond until it holds or 20 s passed.
func (s *subscriber) waitFor(t *testing.T, what string, cond func(*subscriber) bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s.mu.Lock()
		ok := cond(s)
		s.mu.Unlock()
		if ok {
			return
		}
		require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
	}
}

// TestRunMQTTSurvivesBrokerRestart runs `edgecnn run --mqtt` against a real
// mosquitto, restarts the broker mid-run, and checks that the process lives
// on and that every label change it printed reached the subscriber,
// including those made while the broker was down.
func TestRunMQTTSurvivesBrokerRestart(t *testing.T) {
	b := startBroker(t)
	const topic = "edgecnn/test"
	sub := subscribe(t, b.addr, topic)

	var stdout, stderr strings.Builder
	cmd := exec.Command(binary, "run", "--loop", "--fps", "25", "--json", "--mqtt", "tcp://"+b.addr,
		"--mqtt-topic", topic, "--mqtt-heartbeat", "200ms")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	sub.waitFor(t, "label changes before the restart", func(s *subscriber) bool { return len(s.order) >= 5 && s.beats >= 1 })
	b.restart()
	sub.mu.Lock()
	before := len(sub.order)
	sub.mu.Unlock()
	sub.waitFor(t, "label changes after the restart", func(s *subscriber) bool { return len(s.order) >= before+10 })

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait(), stderr.String())
	require.Contains(t, stderr.String(), "mqtt: connection lost")
	require.Equal(t, 2, strings.Count(stderr.String(), "mqtt: connected to tcp://"+b.addr), stderr.String())

	// Every change of label in the printed frames was published.
	var changes []result
	prev := "\x00"
	for _, r := range jsonLines(t, stdout.String()) {
		if r.Label != prev {
			changes = append(changes, r)
			prev = r.Label
		}
	}
	require.Greater(t, len(changes), before+10)
	sub.waitFor(t, "every label change", func(s *subscriber) bool { return len(s.labels) >= len(changes) })
	// The process waited for the broker to take its "offline"; the broker
	// passes it on to the subscriber in its own time.
	sub.waitFor(t, "the offline status", func(s *subscriber) bool {
		return len(s.status) > 0 && s.status[len(s.status)-1] == "offline"
	})
	sub.mu.Lock()
	defer sub.mu.Unlock()
	require.Len(t, sub.labels, len(changes), "no message without a change")
	last := ""
	for i, r := range changes {
		m, ok := sub.labels[r.Frame]
		require.True(t, ok, "change %d (frame %d, %q) was not delivered", i, r.Frame, r.Label)
		require.Equal(t, r.Label, m.Label)
		require.Equal(t, r.Prob, m.Prob)
		require.Equal(t, last, m.Previous)
		require.Equal(t, r.Top, m.Top)
		last = r.Label
	}
}

func TestRunMQTTFlags(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"--mqtt localhost:1883", `--mqtt "localhost:1883": want a broker URL`},
		{"--mqtt tcp://127.0.0.1:1 --mqtt-topic a/#", `--mqtt-topic "a/#"`},
		{"--mqtt tcp://127.0.0.1:1 --mqtt-heartbeat 0s", `--mqtt-heartbeat 0s`},
	} {
		_, stderr, code := edgecnn(t, append([]string{"run", "--limit", "1"}, strings.Fields(c.args)...)...)
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, c.want)
	}
}

// TestMQTTQueueKeepsTheNewest: while the broker is away, only label changes
// are queued, and a full queue drops its oldest.
func TestMQTTQueueKeepsTheNewest(t *testing.T) {
	p := &mqttPublisher{queue: make(chan labelMessage, 2)}
	for i, l := range []string{"1", "1", "2", "3", "3", "4", "5"} {
		p.observe(&result{Frame: i, Label: l, Found: true})
	}
	require.Equal(t, 3, p.lost, "the changes to 1, 2 and 3 dropped")
	require.Equal(t, 7, p.frames)
	a, b := <-p.queue, <-p.queue
	require.Equal(t, []int{5, 6}, []int{a.Frame, b.Frame})
	require.Equal(t, "3", a.Previous)
	require.Equal(t, "4", b.Previous)
}
