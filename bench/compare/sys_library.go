package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/publisher"
)

type libraryMode int

const (
	modeProduce libraryMode = iota
	modeTryProduce
	modeSync
)

// tryProduceBackoff is how long a TryProduce caller sleeps after
// ErrQueueFull before it tries again, as the bench does.
const tryProduceBackoff = 50 * time.Microsecond

// libraryOutcomes routes the publisher's metric callbacks to the ack
// counter of the current phase (warm-up or measured).
type libraryOutcomes struct {
	acks    atomic.Pointer[ackCounter]
	latency atomic.Pointer[latencyRecorder]
}

func (o *libraryOutcomes) options() []publisher.Option {
	return []publisher.Option{
		publisher.WithMessagesPublished(func(_, _, _ string) {
			o.acks.Load().ack(nil)
		}),
		publisher.WithMessageErrored(func(_, _, _, errorType string) {
			// A metadata shard's fallback to round-robin is reported in
			// addition to the message's own outcome.
			if errorType != metrics.ErrorTypeMissingMetadataField {
				o.acks.Load().ack(errors.New(errorType))
			}
		}),
		publisher.WithPublishLatency(func(_, _, _ string, d time.Duration) {
			o.latency.Load().record(d)
		}),
	}
}

// runLibrary publishes through this library's Dispatcher in the given mode.
// The asynchronous modes count outcomes through the metric callbacks, as a
// service exporting metrics would, without the results channel.
func runLibrary(env *childEnv, mode libraryMode) (*runResult, error) {
	producers := asyncProducers
	if mode == modeSync {
		producers = syncProducers
	}
	t, err := prepareMessageTraffic(env, producers)
	if err != nil {
		return nil, err
	}

	cfg := libraryConfig(env.options.brokers)
	if env.options.workers > 0 {
		cfg.Workers = env.options.workers
	}
	outcomes := &libraryOutcomes{}
	d, err := publisher.New(append(outcomes.options(), publisher.WithConfig(cfg))...)
	if err != nil {
		return nil, err
	}
	if err := d.Start(); err != nil {
		return nil, err
	}
	defer d.Stop()

	warm := newAckCounter(len(t.warmUp))
	outcomes.acks.Store(warm)
	if _, err := publishLibrary(d, modeProduce, t.warmUp, t.warmUpGroups, nil); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	if err := warm.wait(ackTimeout); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}

	acks := newAckCounter(len(t.measured))
	lat := newLatencyRecorder(len(t.measured))
	outcomes.acks.Store(acks)
	var callLatency *latencyRecorder
	if mode == modeSync {
		// A ProduceSync caller waits from its call until the call returns.
		callLatency = lat
	} else {
		outcomes.latency.Store(lat)
	}

	env.clock.start()
	retries, err := publishLibrary(d, mode, t.measured, t.measuredGroups, callLatency)
	if err == nil {
		err = acks.wait(ackTimeout)
	}
	env.clock.stop()
	if err != nil {
		return nil, err
	}

	res := &runResult{Producers: producers, Workers: cfg.Workers, QueueFullRetries: retries}
	env.clock.fill(res)
	acks.fill(res)
	lat.fill(res)
	return res, nil
}

// publishLibrary calls the Dispatcher for every message, one goroutine per
// group. It returns how often TryProduce found the queue full, and the
// first error of a call that did not accept its message.
func publishLibrary(d *publisher.Dispatcher, mode libraryMode, msgs []*wrp.Message, groups [][]int, callLatency *latencyRecorder) (int64, error) {
	var (
		wg       sync.WaitGroup
		retries  atomic.Int64
		firstErr error
		errOnce  sync.Once
	)
	ctx := context.Background()
	for _, group := range groups {
		wg.Go(func() {
			for _, i := range group {
				var err error
				switch mode {
				case modeTryProduce:
					for {
						err = d.TryProduce(ctx, msgs[i])
						if !errors.Is(err, publisher.ErrQueueFull) {
							break
						}
						retries.Add(1)
						time.Sleep(tryProduceBackoff)
					}
				case modeSync:
					start := time.Now()
					err = d.ProduceSync(ctx, msgs[i])
					callLatency.record(time.Since(start))
					// The callbacks count the outcome's error. Only a call
					// that was not accepted stops the run.
					if !errors.Is(err, publisher.ErrStopped) && !errors.Is(err, publisher.ErrNotStarted) {
						err = nil
					}
				default:
					err = d.Produce(ctx, msgs[i])
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return retries.Load(), firstErr
}
