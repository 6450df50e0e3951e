package engine

import (
	"runtime"
	"time"

	"github.com/edgecnn/edgecnn/kernels"
)

// rangeJob is work that can be cut into index ranges: run(part, lo, hi)
// does [lo, hi) using the part-th share of any per-thread state.
type rangeJob interface {
	run(part, lo, hi int)
}

// pool is a fixed set of goroutines started once per engine. Handing them
// work sends a small struct over a channel, so a steady-state inference
// allocates nothing; idle goroutines poll the channel for a while before
// they block (spinFor).
type pool struct {
	tasks chan task
	done  chan struct{} // one value per finished task
	// minMACs is the least work, in multiply-adds, worth a share of its
	// own: minSplitMACs, lowered by tests that exercise splitting on small
	// models.
	minMACs int
	// release gives back the kernels' scratch reserved for the threads.
	release func()
}

type task struct {
	job          rangeJob
	part, lo, hi int
}

// newPool starts threads-1 goroutines: the caller's goroutine is the last
// thread. It reserves the kernels' scratch for threads calls at once, so
// steady-state inference allocates nothing however the threads interleave.
func newPool(threads int) *pool {
	p := &pool{tasks: make(chan task, threads), done: make(chan struct{}, threads), minMACs: minSplitMACs}
	p.release = kernels.ReserveScratch(threads)
	for range threads - 1 {
		go func() {
			for {
				t, ok := receive(p.tasks)
				if !ok {
					return
				}
				t.job.run(t.part, t.lo, t.hi)
				p.done <- struct{}{}
			}
		}()
	}
	return p
}

// spinFor is how long a thread waiting for work, or for the other threads'
// shares, polls before it blocks. A blocked thread takes long to wake: on
// the 2-CPU virtual machine of BENCHMARKS.md a share sent to a blocked
// goroutine started 45 to 72 µs later, which made a batch-1 AlexNet no
// faster on 2 threads than on 1. The layers of one inference follow each
// other within microseconds, so polling keeps the threads awake from one
// split to the next; between inferences they block and leave the CPU.
const spinFor = 200 * time.Microsecond

// receive returns the next value of c, polling for up to spinFor before it
// blocks; ok is false once c is closed and empty. While polling it yields
// now and then: a goroutine made runnable on this thread (the one that
// receives this thread's result, say) must not wait for the poll to end.
func receive[T any](c chan T) (v T, ok bool) {
	start := time.Now()
	for i := 1; ; i++ {
		select {
		case v, ok = <-c:
			return v, ok
		default:
		}
		if i%64 == 0 {
			if time.Since(start) > spinFor {
				break
			}
			runtime.Gosched()
		}
	}
	v, ok = <-c
	return v, ok
}

// minSplitMACs is the least work worth a share of its own: about 5 µs of
// AVX-512 VNNI, 100 µs of a Pi 4 core. Below it, handing work over and
// waiting for the slowest share costs more than it saves: with shares of
// 64 k multiply-adds, LeNet-5 at batch 1 took 15.4 to 16.1 µs on 2 threads
// against 13.0 µs on 1 (BENCHMARKS.md). Its layers, 117 k to 240 k
// multiply-adds, run on one thread.
const minSplitMACs = 1 << 20

// splitWork is split into at most parts ranges of at least p.minMACs
// multiply-adds each, at itemMACs per item.
func (p *pool) splitWork(job rangeJob, total, parts, itemMACs int) {
	p.split(job, total, min(parts, total*itemMACs/max(p.minMACs, 1)))
}

// split runs job over [0, total) cut into at most parts contiguous ranges
// and returns when all are done. The last range runs on the calling
// goroutine. One split with parts > 1 may run at a time: the engine splits
// either a batch across threads or, inside one thread, a layer, never both.
func (p *pool) split(job rangeJob, total, parts int) {
	parts = max(1, min(parts, total))
	if parts == 1 {
		job.run(0, 0, total)
		return
	}
	size := (total + parts - 1) / parts
	handed := 0
	for part := range parts - 1 {
		if lo := part * size; lo < total {
			p.tasks <- task{job: job, part: part, lo: lo, hi: min(lo+size, total)}
			handed++
		}
	}
	last := parts - 1
	if lo := last * size; lo < total {
		job.run(last, lo, total)
	}
	for range handed {
		receive(p.done)
	}
}

// close stops the goroutines.
func (p *pool) close() {
	close(p.tasks)
	p.release()
}
