package camera

import (
	"context"
	"errors"
	"sync"
)

// Grabber reads frames in its own goroutine so that capture and
// classification overlap. In newest mode (for cameras) it keeps only the
// newest frame: a frame that was not taken before the next one arrived is
// dropped and counted, so the consumer never works on a stale picture. In
// every mode (for files) the reader waits for the consumer and nothing is
// dropped. Frames that the source reports as corrupt are skipped and
// counted.
type Grabber struct {
	mu      sync.Mutex
	cond    *sync.Cond
	latest  *Frame
	pool    []*Frame
	every   bool
	stopped bool
	done    bool
	err     error
	stats   GrabStats
	onSkip  func(error)
	exited  chan struct{}
}

// GrabStats counts what a Grabber saw.
type GrabStats struct {
	Read    int // frames read from the source
	Dropped int // frames replaced by a newer one before they were taken
	Corrupt int // frames the source skipped as corrupt
}

// NewGrabber starts reading frames with read until it returns io.EOF or
// another error that does not wrap ErrCorrupt, or ctx ends. onSkip, if not
// nil, is called (on the reading goroutine) with each corrupt frame's error.
func NewGrabber(ctx context.Context, read func(*Frame) error, every bool, onSkip func(error)) *Grabber {
	g := &Grabber{every: every, onSkip: onSkip, exited: make(chan struct{})}
	g.cond = sync.NewCond(&g.mu)
	stop := context.AfterFunc(ctx, g.Stop)
	go func() {
		defer close(g.exited)
		defer stop()
		g.run(read)
	}()
	return g
}

func (g *Grabber) run(read func(*Frame) error) {
	for {
		g.mu.Lock()
		if g.stopped {
			g.finish(context.Canceled)
			return
		}
		var f *Frame
		if n := len(g.pool); n > 0 {
			f, g.pool = g.pool[n-1], g.pool[:n-1]
		} else {
			f = &Frame{}
		}
		g.mu.Unlock()

		err := read(f)

		g.mu.Lock()
		if err != nil {
			g.pool = append(g.pool, f)
			if errors.Is(err, ErrCorrupt) && !g.stopped {
				g.stats.Corrupt++
				g.mu.Unlock()
				if g.onSkip != nil {
					g.onSkip(err)
				}
				continue
			}
			g.finish(err)
			return
		}
		g.stats.Read++
		for g.every && g.latest != nil && !g.stopped {
			g.cond.Wait()
		}
		if g.latest != nil {
			g.stats.Dropped++
			g.pool = append(g.pool, g.latest)
		}
		g.latest = f
		g.cond.Broadcast()
		g.mu.Unlock()
	}
}

// finish records the end of reading; g.mu is held and released.
func (g *Grabber) finish(err error) {
	g.done, g.err = true, err
	g.cond.Broadcast()
	g.mu.Unlock()
}

// Next returns the newest frame not yet taken, waiting for one. The frame
// stays valid until the next call to Next, which recycles it. At the end it
// returns the error that ended reading (io.EOF for a finished file, the
// context's error after Stop or cancellation).
func (g *Grabber) Next(prev *Frame) (*Frame, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if prev != nil {
		g.pool = append(g.pool, prev)
	}
	for g.latest == nil && !g.done && !g.stopped {
		g.cond.Wait()
	}
	if g.latest != nil && !g.stopped {
		f := g.latest
		g.latest = nil
		g.cond.Broadcast()
		return f, nil
	}
	if g.stopped && !g.done {
		return nil, context.Canceled
	}
	return nil, g.err
}

// Stop ends reading: Next returns at once. A read in progress finishes
// first (close the source to interrupt a blocked one).
func (g *Grabber) Stop() {
	g.mu.Lock()
	g.stopped = true
	g.cond.Broadcast()
	g.mu.Unlock()
}

// Wait waits for the reading goroutine to exit.
func (g *Grabber) Wait() { <-g.exited }

// Stats returns the counts so far.
func (g *Grabber) Stats() GrabStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats
}
