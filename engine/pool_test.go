package engine

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// rangeLog records the ranges a split hands out.
type rangeLog struct {
	mu     sync.Mutex
	ranges [][2]int
}

func (r *rangeLog) run(_, lo, hi int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ranges = append(r.ranges, [2]int{lo, hi})
}

// TestSplitGivesEachThreadEnoughWork: splitWork hands another thread a share
// only when the share holds at least minSplitMACs multiply-adds, and the
// shares cover the range exactly once.
func TestSplitGivesEachThreadEnoughWork(t *testing.T) {
	p := newPool(4)
	defer p.close()
	for _, c := range []struct {
		total, itemMACs, want int
	}{
		{10, minSplitMACs/10 - 1, 1}, // the whole job is below one share
		{10, minSplitMACs/5 + 1, 2},
		{10, minSplitMACs, 4},
		{3, minSplitMACs, 3}, // never more shares than items
		{0, minSplitMACs, 1},
	} {
		var log rangeLog
		p.splitWork(&log, c.total, 4, c.itemMACs)
		require.Len(t, log.ranges, c.want, "%+v", c)
		covered := make([]int, c.total)
		for _, r := range log.ranges {
			for i := r[0]; i < r[1]; i++ {
				covered[i]++
			}
		}
		for i, n := range covered {
			require.Equal(t, 1, n, "item %d of %+v", i, c)
		}
	}
}
