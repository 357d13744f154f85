package publisher

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/xmidt-org/wrpkafka/metrics"
)

// results is the results channel with room reserved at admission, so that
// delivering an outcome never blocks franz-go's promise goroutine.
//
// Invariant: reserved + len(ch) <= cap(ch). A message reserves a slot before
// it enters the inbox; its outcome is sent into ch, which therefore always
// has room, and only then is the reservation dropped. The slot becomes free
// again when the caller reads the outcome.
type results struct {
	ch       chan metrics.Outcome
	reserved atomic.Int64
}

func newResults(capacity int) *results {
	return &results{ch: make(chan metrics.Outcome, capacity)}
}

// tryReserve takes a slot if one is free.
func (r *results) tryReserve() bool {
	for {
		n := r.reserved.Load()
		if int(n)+len(r.ch) >= cap(r.ch) {
			return false
		}
		if r.reserved.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Polling bounds for reserve. Reading from a channel notifies no waiting
// sender, so a waiting caller checks for room with a growing pause.
const (
	minReservePause = 50 * time.Microsecond
	maxReservePause = 5 * time.Millisecond
)

// reserve takes a slot, waiting until one is free, ctx ends or stopping is
// closed. It returns ctx.Err() or ErrStopped when it gives up.
func (r *results) reserve(ctx context.Context, stopping <-chan struct{}) error {
	if r.tryReserve() {
		return nil
	}

	pause := minReservePause
	timer := time.NewTimer(pause)
	defer timer.Stop()

	for {
		select {
		case <-timer.C:
			// Check again.
		case <-ctx.Done():
			// The caller gave up waiting.
			return ctx.Err()
		case <-stopping:
			// Stop began; no more admissions.
			return ErrStopped
		}

		if r.tryReserve() {
			return nil
		}
		pause = min(2*pause, maxReservePause)
		timer.Reset(pause)
	}
}

// release returns a slot whose message was not admitted after all.
func (r *results) release() {
	r.reserved.Add(-1)
}

// deliver sends an outcome into its reserved slot. It never blocks.
func (r *results) deliver(o metrics.Outcome) {
	r.ch <- o
	r.reserved.Add(-1)
}
