package kernels

import "sync"

// freeList caches the scratch objects of the kernels (packing buffers, tile
// parameters): Get returns an object a finished call Put back, or a new one
// from New. It is sync.Pool without the dropping: a pool empties at every
// garbage collection and keeps objects per thread, so a call made after a
// collection, or on another thread than the last, allocates its scratch
// again, while a free list keeps every object until it is reused.
//
// Two things would still make a steady-state call allocate, and the list
// rules both out:
//
//   - Which object a call gets depends on how the threads interleave, so a
//     call could get an object whose buffers only ever served smaller
//     calls. Put therefore grows the idle objects and the returned one to
//     the largest buffers any of them has (fit): once every size has been
//     seen, every object can serve every call.
//   - A call may find the list empty because more calls run at once than
//     ever did before. ReserveScratch keeps as many objects made as the
//     engines say they will run calls at once.
type freeList[T any] struct {
	New func() *T
	// fit grows dst's buffers to at least src's capacities; nil for
	// objects of fixed size. Buffers need not keep their contents.
	fit  func(dst, src *T)
	mu   sync.Mutex
	free []*T
	made int
}

// reserver is a free list of any type, for ReserveScratch.
type reserver interface{ reserve(n int) }

var (
	listsMu  sync.Mutex
	lists    []reserver
	reserved int // objects every list keeps made, from ReserveScratch
)

// newFreeList makes and registers a free list.
func newFreeList[T any](newT func() *T, fit func(dst, src *T)) *freeList[T] {
	l := &freeList[T]{New: newT, fit: fit}
	listsMu.Lock()
	lists = append(lists, l)
	l.reserve(reserved)
	listsMu.Unlock()
	return l
}

// ReserveScratch readies the kernels' scratch for n more calls running at
// once, as an engine with n threads makes: steady-state calls then allocate
// nothing however the threads interleave. The scratch grows to the largest
// call seen, and is kept for the life of the process. release undoes the
// reservation's claim on later lists; objects already made stay cached.
func ReserveScratch(n int) (release func()) {
	listsMu.Lock()
	reserved += n
	for _, l := range lists {
		l.reserve(reserved)
	}
	listsMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			listsMu.Lock()
			reserved -= n
			listsMu.Unlock()
		})
	}
}

// reserve makes objects until n are made.
func (l *freeList[T]) reserve(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n <= l.made {
		return
	}
	free := make([]*T, len(l.free), n)
	copy(free, l.free)
	l.free = free
	for l.made < n {
		x := l.New()
		if l.fit != nil && len(l.free) > 0 {
			l.fit(x, l.free[0])
		}
		l.free = append(l.free, x)
		l.made++
	}
}

// Get returns a cached object, or New's.
func (l *freeList[T]) Get() *T {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		x := l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return x
	}
	l.made++
	if cap(l.free) < l.made {
		l.free = make([]*T, 0, l.made)
	}
	l.mu.Unlock()
	return l.New()
}

// Put caches x for a later Get, growing x and the idle objects to the
// largest buffers among them.
func (l *freeList[T]) Put(x *T) {
	l.mu.Lock()
	if l.fit != nil {
		for _, y := range l.free {
			l.fit(x, y)
		}
		for _, y := range l.free {
			l.fit(y, x)
		}
	}
	l.free = append(l.free, x)
	l.mu.Unlock()
}

// fitSlice grows *dst to at least src's capacity.
func fitSlice[E any](dst *[]E, src []E) {
	if cap(*dst) < cap(src) {
		*dst = make([]E, cap(src))
	}
}
