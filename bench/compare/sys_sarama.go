package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"
)

// saramaConfig returns the producer settings closest to the franz-go
// systems'. sarama's idempotent producer requires acks all, at least one
// retry (the default is 3) and at most one request in flight per broker.
func saramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	cfg.ClientID = "wrpkafka-compare"
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Compression = sarama.CompressionSnappy
	// No Flush setting: sarama sends whatever is buffered as soon as the
	// broker connection is free, its equivalent of linger 0.
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	cfg.Producer.Partitioner = newMurmur2Partitioner
	return cfg
}

// murmur2Partitioner partitions keyed records as franz-go's default
// partitioner and the Java client do (murmur2 of the key), so every system
// puts a device on the same partition. sarama's own hash partitioners use
// FNV-1a, the hash the router shards deviceid routes with, which would leave
// most partitions of each qos shard topic unused.
type murmur2Partitioner struct {
	keyed kgo.TopicPartitioner
}

func newMurmur2Partitioner(topic string) sarama.Partitioner {
	return &murmur2Partitioner{keyed: kgo.StickyKeyPartitioner(nil).ForTopic(topic)}
}

func (p *murmur2Partitioner) Partition(msg *sarama.ProducerMessage, numPartitions int32) (int32, error) {
	var key []byte
	if msg.Key != nil {
		var err error
		if key, err = msg.Key.Encode(); err != nil {
			return 0, err
		}
	}
	// A nil key sticks to one random partition, as in franz-go.
	return int32(p.keyed.Partition(&kgo.Record{Key: key}, int(numPartitions))), nil
}

func (p *murmur2Partitioner) RequiresConsistency() bool { return true }

// saramaAcks drains the producer's Successes and Errors channels into the
// ack counter of the current phase.
type saramaAcks struct {
	mu      sync.Mutex
	acks    *ackCounter
	latency *latencyRecorder
}

func (s *saramaAcks) set(acks *ackCounter, lat *latencyRecorder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acks, s.latency = acks, lat
}

func (s *saramaAcks) report(msg *sarama.ProducerMessage, err error) {
	s.mu.Lock()
	acks, lat := s.acks, s.latency
	s.mu.Unlock()
	if start, ok := msg.Metadata.(time.Time); ok {
		lat.record(time.Since(start))
	}
	acks.ack(err)
}

// runSarama routes and encodes like the naive system and publishes with
// sarama's AsyncProducer.
func runSarama(env *childEnv) (*runResult, error) {
	t, err := prepareMessageTraffic(env, asyncProducers)
	if err != nil {
		return nil, err
	}
	cfg := libraryConfig(nil)
	rt := newNaiveRouter(cfg.TopicMap, cfg.Headers)

	producer, err := sarama.NewAsyncProducer(env.options.brokers, saramaConfig())
	if err != nil {
		return nil, fmt.Errorf("creating the sarama producer: %w", err)
	}
	outcomes := &saramaAcks{}
	var drained sync.WaitGroup
	drained.Go(func() {
		for msg := range producer.Successes() {
			outcomes.report(msg, nil)
		}
	})
	drained.Go(func() {
		for perr := range producer.Errors() {
			outcomes.report(perr.Msg, perr.Err)
		}
	})
	defer func() {
		producer.AsyncClose()
		drained.Wait()
	}()

	warm := newAckCounter(len(t.warmUp))
	outcomes.set(warm, nil)
	publishSarama(producer, rt, t.warmUp, t.warmUpGroups, warm)
	if err := warm.wait(ackTimeout); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}

	acks := newAckCounter(len(t.measured))
	lat := newLatencyRecorder(len(t.measured))
	outcomes.set(acks, lat)
	env.clock.start()
	publishSarama(producer, rt, t.measured, t.measuredGroups, acks)
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

func publishSarama(producer sarama.AsyncProducer, rt *naiveRouter, msgs []*wrp.Message, groups [][]int, acks *ackCounter) {
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
				msg := &sarama.ProducerMessage{
					Topic:    rec.topic,
					Value:    sarama.ByteEncoder(rec.value),
					Metadata: start,
				}
				if rec.key != nil {
					msg.Key = sarama.ByteEncoder(rec.key)
				}
				for _, h := range rec.headers {
					msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(h[0]), Value: []byte(h[1])})
				}
				producer.Input() <- msg
			}
		})
	}
	wg.Wait()
}
