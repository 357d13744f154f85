package publisher

import (
	"errors"
	"fmt"
)

// Errors returned by the publishing calls for messages they did not accept.
// A rejected message gets no Outcome: neither the metric callbacks nor the
// results channel see it.
var (
	// ErrNilMessage is returned for a nil *wrp.Message.
	ErrNilMessage = errors.New("wrpkafka: message is nil")

	// ErrNotStarted is returned before Start has succeeded.
	ErrNotStarted = errors.New("wrpkafka: publisher is not started: call Start first")

	// ErrStopped is returned once Stop has begun.
	ErrStopped = errors.New("wrpkafka: publisher is stopped")

	// ErrQueueFull is returned by TryProduce when the message's inbox lane,
	// or the results channel, has no room. Produce and ProduceSync return it
	// when their context ended while they waited for room, and then the
	// error also matches the context's error. Retry later, raise queueSize
	// or workers, read Results() faster, or give Produce more time.
	ErrQueueFull = errors.New("wrpkafka: queue is full")
)

// ErrAckPending is returned by ProduceSync when its context ended after the
// message was accepted but before the broker acknowledged it. The error also
// matches the context's error. Unlike the errors above, it means the message
// was accepted: it is still being published, and its outcome arrives on the
// metric callbacks and Results().
var ErrAckPending = errors.New("wrpkafka: acknowledgement still pending")

// errResultsFull is ErrQueueFull with the reason that unread outcomes fill
// the results channel. It is built once so rejections do not allocate.
var errResultsFull = fmt.Errorf("%w: the results channel is full of unread outcomes; read Results()", ErrQueueFull)
