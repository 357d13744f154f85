// Package inbox is the bounded queue between publishing callers and the
// worker pool.
//
// An Inbox has one FIFO lane per worker. A caller picks the lane (the
// publisher hashes the device key, so all messages of one device share a
// lane), and the lane's single consumer takes items in the order they were
// put. Items put by one goroutine into one lane therefore come out in the
// order of the calls. Items of different lanes have no order between them.
//
// Capacity is split evenly over the lanes, so one busy lane can be full while
// others have room. Each lane holds at least one item.
package inbox

import (
	"context"
	"errors"
	"sync"
)

var (
	// ErrFull is returned by TryPut when the lane has no room.
	ErrFull = errors.New("inbox lane is full")

	// ErrClosed is returned by Put and TryPut after Close has begun.
	ErrClosed = errors.New("inbox is closed")
)

// Inbox is a set of bounded FIFO lanes. All methods are safe for concurrent
// use.
type Inbox[T any] struct {
	lanes []chan T

	// closing is closed when Close begins, which releases puts that wait
	// for room.
	closing   chan struct{}
	closeOnce sync.Once

	// gate is held shared by every put for its whole duration and
	// exclusively by Close while it closes the lanes, so no put can send on
	// a closed channel. closed is guarded by gate.
	gate   sync.RWMutex
	closed bool
}

// New returns an Inbox with the given number of lanes and total capacity.
// The capacity is split as evenly as possible, so lanes differ by at most
// one item, but every lane holds at least one: with fewer items than lanes,
// the total is the number of lanes. It panics if lanes < 1, because a
// publisher without workers is a programming error that validation rules
// out earlier.
func New[T any](lanes, capacity int) *Inbox[T] {
	if lanes < 1 {
		panic("inbox: lanes must be at least 1")
	}

	q := &Inbox[T]{
		lanes:   make([]chan T, lanes),
		closing: make(chan struct{}),
	}
	perLane, extra := capacity/lanes, capacity%lanes
	for i := range q.lanes {
		size := perLane
		if i < extra {
			size++
		}
		q.lanes[i] = make(chan T, max(size, 1))
	}
	return q
}

// Lanes returns the number of lanes.
func (q *Inbox[T]) Lanes() int { return len(q.lanes) }

// Lane returns the receive side of lane i for its consumer. The channel is
// closed once Close has run and every item put before it has been received.
func (q *Inbox[T]) Lane(i int) <-chan T { return q.lanes[i] }

// Put appends v to lane i, waiting for room until ctx ends or Close begins.
// It returns nil when v was queued, ctx.Err() when the context ended first,
// and ErrClosed when the inbox is closing.
func (q *Inbox[T]) Put(ctx context.Context, i int, v T) error {
	q.gate.RLock()
	defer q.gate.RUnlock()

	if q.closed {
		return ErrClosed
	}

	lane := q.lanes[i]
	select {
	case lane <- v:
		// Room right away: queue even if ctx has already ended.
		return nil
	default:
	}

	select {
	case lane <- v:
		// Room appeared while waiting.
		return nil
	case <-ctx.Done():
		// The caller gave up waiting.
		return ctx.Err()
	case <-q.closing:
		// Close began; the item was not queued.
		return ErrClosed
	}
}

// TryPut appends v to lane i if the lane has room, and otherwise returns
// ErrFull without waiting. It returns ErrClosed once Close has begun.
func (q *Inbox[T]) TryPut(i int, v T) error {
	q.gate.RLock()
	defer q.gate.RUnlock()

	if q.closed {
		return ErrClosed
	}

	select {
	case q.lanes[i] <- v:
		return nil
	default:
		return ErrFull
	}
}

// Len returns the number of items queued over all lanes.
func (q *Inbox[T]) Len() int {
	n := 0
	for _, lane := range q.lanes {
		n += len(lane)
	}
	return n
}

// Cap returns the total capacity over all lanes.
func (q *Inbox[T]) Cap() int {
	n := 0
	for _, lane := range q.lanes {
		n += cap(lane)
	}
	return n
}

// Close stops admission and closes every lane after the items already in it.
// Puts waiting for room return ErrClosed. Close waits only for puts that are
// in progress, never for consumers, and is safe to call more than once and
// from several goroutines.
func (q *Inbox[T]) Close() {
	q.closeOnce.Do(func() {
		close(q.closing)

		q.gate.Lock()
		defer q.gate.Unlock()

		q.closed = true
		for _, lane := range q.lanes {
			close(lane)
		}
	})
}
