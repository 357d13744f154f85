package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/benchsetup"
)

// newFranzClient returns a client with franzOptions that has reached a
// broker.
func newFranzClient(brokers []string) (*kgo.Client, error) {
	cl, err := kgo.NewClient(franzOptions(brokers)...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("no broker of %v responded: %w", brokers, err)
	}
	return cl, nil
}

// buildRecords routes and encodes msgs with this library's router, as the
// library would, so the raw systems send the library's records.
func buildRecords(msgs []*wrp.Message) ([]*kgo.Record, error) {
	recorder, err := benchsetup.NewRecorder(libraryConfig(nil))
	if err != nil {
		return nil, err
	}

	records := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		if records[i], err = recorder.Record(m); err != nil {
			return nil, err
		}
	}
	return records, nil
}

// rawTraffic is the traffic as records, split over producer goroutines.
type rawTraffic struct {
	warmUp, measured             []*kgo.Record
	warmUpGroups, measuredGroups [][]int
}

func prepareRawTraffic(env *childEnv, producers int) (*rawTraffic, error) {
	t := &rawTraffic{
		warmUpGroups:   splitByDevice(env.traffic.warmUp, producers),
		measuredGroups: splitByDevice(env.traffic.measured, producers),
	}
	for _, part := range []struct {
		in  []encodedMessage
		out *[]*kgo.Record
	}{{env.traffic.warmUp, &t.warmUp}, {env.traffic.measured, &t.measured}} {
		msgs, err := decodeMessages(part.in)
		if err != nil {
			return nil, err
		}
		if *part.out, err = buildRecords(msgs); err != nil {
			return nil, err
		}
	}
	env.releaseTraffic()
	return t, nil
}

// runRawAsync publishes prepared records with franz-go's Produce from
// asyncProducers goroutines: the limit for the per-message work.
func runRawAsync(env *childEnv) (*runResult, error) {
	t, err := prepareRawTraffic(env, asyncProducers)
	if err != nil {
		return nil, err
	}
	cl, err := newFranzClient(env.options.brokers)
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	warm := newAckCounter(len(t.warmUp))
	publishPromised(cl, t.warmUp, t.warmUpGroups, warm, nil)
	if err := warm.wait(ackTimeout); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}

	acks := newAckCounter(len(t.measured))
	lat := newLatencyRecorder(len(t.measured))
	promises := timedPromises(len(t.measured), acks, lat)

	env.clock.start()
	publishPromisedTimed(cl, t.measured, t.measuredGroups, promises)
	err = acks.wait(ackTimeout)
	env.clock.stop()
	if err != nil {
		return nil, err
	}

	res := &runResult{Producers: asyncProducers}
	env.clock.fill(res)
	acks.fill(res)
	lat.fill(res)
	return res, nil
}

// publishPromised produces records with one goroutine per group and counts
// their outcomes in acks.
func publishPromised(cl *kgo.Client, records []*kgo.Record, groups [][]int, acks *ackCounter, lat *latencyRecorder) {
	var wg sync.WaitGroup
	for _, group := range groups {
		wg.Go(func() {
			for _, i := range group {
				start := time.Now()
				cl.Produce(context.Background(), records[i], func(_ *kgo.Record, err error) {
					lat.record(time.Since(start))
					acks.ack(err)
				})
			}
		})
	}
	wg.Wait()
}

// promiseSet holds one prebuilt promise per record, and the time each
// record was produced, so the timed loop allocates nothing for them.
type promiseSet struct {
	base     time.Time
	started  []time.Duration // since base
	promises []func(*kgo.Record, error)
}

func timedPromises(n int, acks *ackCounter, lat *latencyRecorder) *promiseSet {
	p := &promiseSet{base: time.Now(), started: make([]time.Duration, n), promises: make([]func(*kgo.Record, error), n)}
	for i := range n {
		p.promises[i] = func(_ *kgo.Record, err error) {
			lat.record(time.Since(p.base) - p.started[i])
			acks.ack(err)
		}
	}
	return p
}

func publishPromisedTimed(cl *kgo.Client, records []*kgo.Record, groups [][]int, p *promiseSet) {
	var wg sync.WaitGroup
	for _, group := range groups {
		wg.Go(func() {
			for _, i := range group {
				p.started[i] = time.Since(p.base)
				cl.Produce(context.Background(), records[i], p.promises[i])
			}
		})
	}
	wg.Wait()
}

// runRawSync publishes prepared records with franz-go's ProduceSync from
// syncProducers goroutines: the reference for ProduceSync latency.
func runRawSync(env *childEnv) (*runResult, error) {
	t, err := prepareRawTraffic(env, syncProducers)
	if err != nil {
		return nil, err
	}
	cl, err := newFranzClient(env.options.brokers)
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	produceSync(cl, t.warmUp, t.warmUpGroups, newAckCounter(len(t.warmUp)), nil)

	acks := newAckCounter(len(t.measured))
	lat := newLatencyRecorder(len(t.measured))
	env.clock.start()
	produceSync(cl, t.measured, t.measuredGroups, acks, lat)
	env.clock.stop()

	res := &runResult{Producers: syncProducers}
	env.clock.fill(res)
	acks.fill(res)
	lat.fill(res)
	return res, nil
}

func produceSync(cl *kgo.Client, records []*kgo.Record, groups [][]int, acks *ackCounter, lat *latencyRecorder) {
	var wg sync.WaitGroup
	for _, group := range groups {
		wg.Go(func() {
			for _, i := range group {
				start := time.Now()
				err := cl.ProduceSync(context.Background(), records[i]).FirstErr()
				lat.record(time.Since(start))
				acks.ack(err)
			}
		})
	}
	wg.Wait()
}
