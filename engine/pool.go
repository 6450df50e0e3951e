package engine

import "sync"

// rangeJob is work that can be cut into index ranges: run(part, lo, hi)
// does [lo, hi) using the part-th share of any per-thread state.
type rangeJob interface {
	run(part, lo, hi int)
}

// pool is a fixed set of goroutines started once per engine. Handing them
// work sends a small struct over a channel, so a steady-state inference
// allocates nothing.
type pool struct {
	tasks chan task
	wg    sync.WaitGroup
}

type task struct {
	job          rangeJob
	part, lo, hi int
}

// newPool starts threads-1 goroutines: the caller's goroutine is the last
// thread.
func newPool(threads int) *pool {
	p := &pool{tasks: make(chan task, threads)}
	for range threads - 1 {
		go func() {
			for t := range p.tasks {
				t.job.run(t.part, t.lo, t.hi)
				p.wg.Done()
			}
		}()
	}
	return p
}

// split runs job over [0, total) cut into at most parts contiguous ranges
// of at least grain items, and returns when all are done. The last range
// runs on the calling goroutine. One split with parts > 1 may run at a time:
// the engine splits either a batch across threads or, inside one thread,
// a layer, never both.
func (p *pool) split(job rangeJob, total, parts, grain int) {
	parts = max(1, min(parts, total/max(grain, 1)))
	if parts == 1 {
		job.run(0, 0, total)
		return
	}
	size := (total + parts - 1) / parts
	for part := range parts - 1 {
		if lo := part * size; lo < total {
			p.wg.Add(1)
			p.tasks <- task{job: job, part: part, lo: lo, hi: min(lo+size, total)}
		}
	}
	last := parts - 1
	if lo := last * size; lo < total {
		job.run(last, lo, total)
	}
	p.wg.Wait()
}

// close stops the goroutines.
func (p *pool) close() { close(p.tasks) }
