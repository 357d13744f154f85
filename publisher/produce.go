package publisher

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/inbox"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/router"
	"github.com/xmidt-org/wrpkafka/workers"
)

// Produce queues msg for publishing, waiting for room in the inbox (and in
// the results channel, when enabled) until ctx ends. It returns nil once the
// message is accepted; its outcome then reaches the metric callbacks and
// Results().
//
// ctx bounds only the wait for room: once accepted, the message is produced
// under the publisher's own context, so cancelling ctx never fails it or any
// other message. A context that has already ended is rejected at once. A
// non-nil error means the message was not accepted and gets no outcome:
// ErrNilMessage, ErrNotStarted, ErrStopped, ErrQueueFull (the wait for room
// ended), or the context's error.
//
// The message must not be modified after Produce returns nil until its
// outcome arrives, because a worker reads it to build the record.
//
// Messages of one device (same partition key) are written in the order
// their Produce, TryProduce or ProduceSync calls returned.
func (d *Dispatcher) Produce(ctx context.Context, msg *wrp.Message) error {
	_, err := d.admit(ctx, msg, metrics.ModeProduce)
	return err
}

// TryProduce queues msg like Produce but never waits: when the message's
// inbox lane or the results channel has no room it returns ErrQueueFull at
// once. If franz-go's own buffer is full when a worker reaches the message,
// the message gets a buffer_full outcome instead of waiting. ctx is checked
// once and never reaches franz-go.
func (d *Dispatcher) TryProduce(ctx context.Context, msg *wrp.Message) error {
	_, err := d.admit(ctx, msg, metrics.ModeTryProduce)
	return err
}

// ProduceSync queues msg like Produce and waits for its outcome. It returns:
//
//   - nil when the broker acknowledged the record;
//   - the outcome's error when routing, encoding or the broker failed it;
//   - ErrAckPending, wrapping ctx's error, when ctx ended after the message
//     was accepted: its real outcome still reaches the callbacks and
//     Results();
//   - an admission error as Produce does, when the message was not
//     accepted.
func (d *Dispatcher) ProduceSync(ctx context.Context, msg *wrp.Message) error {
	if ctx == nil {
		ctx = context.Background()
	}
	reply, err := d.admit(ctx, msg, metrics.ModeProduceSync)
	if err != nil {
		return err
	}

	select {
	case o := <-reply:
		// The outcome arrived, and the channel is empty again.
		replies.Put(reply)
		return o.Err
	case <-ctx.Done():
		// The caller stopped waiting; the outcome still arrives elsewhere.
		// The channel stays out of the pool, because the outcome will
		// still be sent into it.
		return fmt.Errorf("%w: %w", ErrAckPending, ctx.Err())
	}
}

// ProduceByQoS publishes msg with the call its WRP quality of service
// selects: low (0-24) uses TryProduce, medium and high (25-74) use Produce,
// and critical (75-99) uses ProduceSync. Values below 0 count as low and
// above 99 as critical, as in wrp-go. The result is that of the chosen
// call.
func (d *Dispatcher) ProduceByQoS(ctx context.Context, msg *wrp.Message) error {
	if msg == nil {
		return ErrNilMessage
	}
	switch msg.QualityOfService.Level() {
	case wrp.QOSLow:
		return d.TryProduce(ctx, msg)
	case wrp.QOSCritical:
		return d.ProduceSync(ctx, msg)
	default:
		return d.Produce(ctx, msg)
	}
}

// admit runs the admission shared by the three calls and returns the reply
// channel of a ProduceSync message.
func (d *Dispatcher) admit(ctx context.Context, msg *wrp.Message, mode metrics.Mode) (chan metrics.Outcome, error) {
	start := time.Now()
	if msg == nil {
		return nil, ErrNilMessage
	}
	if ctx == nil {
		ctx = context.Background()
	} else if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wrpkafka: context ended before the call: %w", err)
	}
	run := d.run.Load()
	if run == nil {
		if state := d.state.Load(); state == stateNew || state == stateStarting {
			return nil, ErrNotStarted
		}
		return nil, ErrStopped
	}

	key, keySource := d.resolved.keys.DeviceKey(msg)
	job := workers.Job{
		Msg:       msg,
		Mode:      mode,
		Key:       key,
		KeySource: keySource,
		Start:     start,
	}
	var reply chan metrics.Outcome
	if mode == metrics.ModeProduceSync {
		reply = replies.Get().(chan metrics.Outcome)
		job.Reply = reply
	}

	d.outstanding.Add(1)
	if err := d.enqueue(ctx, run, mode, d.laneFor(key, run), job); err != nil {
		d.finishOne()
		if reply != nil {
			replies.Put(reply)
		}
		return nil, err
	}
	return reply, nil
}

// replies pools the channels that carry an outcome to a waiting
// ProduceSync. Each holds room for the one outcome.
var replies = sync.Pool{
	New: func() any { return make(chan metrics.Outcome, 1) },
}

// enqueue reserves a results slot when results are enabled and puts the job
// into its lane, waiting or not according to mode.
func (d *Dispatcher) enqueue(ctx context.Context, run *running, mode metrics.Mode, lane int, job workers.Job) error {
	wait := mode != metrics.ModeTryProduce

	if d.results != nil {
		if wait {
			if err := d.results.reserve(ctx, d.stopping); err != nil {
				return admissionError(err)
			}
		} else if !d.results.tryReserve() {
			return errResultsFull
		}
	}

	var err error
	if wait {
		err = run.inbox.Put(ctx, lane, job)
	} else {
		err = run.inbox.TryPut(lane, job)
	}
	if err != nil {
		if d.results != nil {
			d.results.release()
		}
		return admissionError(err)
	}
	return nil
}

func admissionError(err error) error {
	switch {
	case errors.Is(err, inbox.ErrFull):
		return ErrQueueFull
	case errors.Is(err, inbox.ErrClosed), errors.Is(err, ErrStopped):
		return ErrStopped
	default:
		return fmt.Errorf("%w: gave up waiting for room: %w", ErrQueueFull, err)
	}
}

// laneFor picks the inbox lane: by key hash, so one device always uses one
// lane, or in rotation for messages without a key.
func (d *Dispatcher) laneFor(key string, run *running) int {
	lanes := uint64(run.inbox.Lanes())
	if key == "" {
		return int(d.keylessLanes.Add(1) % lanes)
	}
	return int(uint64(router.Hash(key)) % lanes)
}

// deliver hands an outcome to the callbacks, the results channel and a
// waiting ProduceSync caller. It runs on a worker or on franz-go's promise
// goroutine and never blocks.
func (d *Dispatcher) deliver(o *metrics.Outcome, reply chan<- metrics.Outcome) {
	if o.Err != nil {
		d.logFailure(o)
	}
	d.callbacks.Report(o)
	if d.results != nil {
		d.results.deliver(*o)
	}
	if reply != nil {
		reply <- *o
	}
	d.finishOne()
}

// finishOne drops one message from the outstanding count and signals Stop
// when the last one is done.
func (d *Dispatcher) finishOne() {
	if d.outstanding.Add(-1) != 0 {
		return
	}
	select {
	case <-d.stopping:
		d.drainedOnce.Do(func() { close(d.drained) })
	default:
	}
}
