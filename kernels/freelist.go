package kernels

import "sync"

// freeList caches the scratch objects of the kernels (packing buffers, tile
// parameters): Get returns an object a finished call Put back, or a new one
// from New. It is sync.Pool without the dropping: a pool empties at every
// garbage collection and keeps objects per thread, so a call made after a
// collection, or on another thread than the last, allocates its scratch
// again, while a free list keeps every object until it is reused. It ends
// up holding as many objects as calls ever ran at once, so steady-state
// calls allocate nothing, however the goroutines move between threads.
type freeList struct {
	New  func() any
	mu   sync.Mutex
	free []any
}

// Get returns a cached object, or New's.
func (l *freeList) Get() any {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		x := l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return x
	}
	l.mu.Unlock()
	return l.New()
}

// Put caches x for a later Get.
func (l *freeList) Put(x any) {
	l.mu.Lock()
	l.free = append(l.free, x)
	l.mu.Unlock()
}
