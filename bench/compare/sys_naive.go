package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"
)

// messageTraffic is the traffic as wrp-go v3 messages, split over producer
// goroutines.
type messageTraffic struct {
	warmUp, measured             []*wrp.Message
	warmUpGroups, measuredGroups [][]int
}

func prepareMessageTraffic(env *childEnv, producers int) (*messageTraffic, error) {
	t := &messageTraffic{
		warmUpGroups:   splitByDevice(env.traffic.warmUp, producers),
		measuredGroups: splitByDevice(env.traffic.measured, producers),
	}
	var err error
	if t.warmUp, err = decodeMessages(env.traffic.warmUp); err != nil {
		return nil, err
	}
	if t.measured, err = decodeMessages(env.traffic.measured); err != nil {
		return nil, err
	}
	env.releaseTraffic()
	return t, nil
}

// runNaive routes, encodes and produces every message in the calling
// goroutine, with naiveRouter and franz-go's Produce.
func runNaive(env *childEnv) (*runResult, error) {
	t, err := prepareMessageTraffic(env, asyncProducers)
	if err != nil {
		return nil, err
	}
	cfg := libraryConfig(nil)
	rt := newNaiveRouter(cfg.TopicMap, cfg.Headers)
	cl, err := newFranzClient(env.options.brokers)
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	warm := newAckCounter(len(t.warmUp))
	publishNaive(cl, rt, t.warmUp, t.warmUpGroups, warm, nil)
	if err := warm.wait(ackTimeout); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}

	acks := newAckCounter(len(t.measured))
	lat := newLatencyRecorder(len(t.measured))
	env.clock.start()
	publishNaive(cl, rt, t.measured, t.measuredGroups, acks, lat)
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

func publishNaive(cl *kgo.Client, rt *naiveRouter, msgs []*wrp.Message, groups [][]int, acks *ackCounter, lat *latencyRecorder) {
	var wg sync.WaitGroup
	for _, group := range groups {
		wg.Go(func() {
			for _, i := range group {
				start := time.Now()
				rec, err := rt.build(msgs[i])
				if err != nil {
					acks.ack(err)
					continue
				}
				r := &kgo.Record{Topic: rec.topic, Key: rec.key, Value: rec.value}
				for _, h := range rec.headers {
					r.Headers = append(r.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
				}
				cl.Produce(context.Background(), r, func(_ *kgo.Record, err error) {
					lat.record(time.Since(start))
					acks.ack(err)
				})
			}
		})
	}
	wg.Wait()
}
