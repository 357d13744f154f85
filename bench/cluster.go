package main

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	"github.com/xmidt-org/wrpkafka/router"
)

// cluster is the target of a phase: an embedded kfake cluster or the
// brokers given with -brokers.
type cluster struct {
	brokers []string
	fake    *kfake.Cluster
}

func (c *cluster) describe() string {
	if c.fake != nil {
		return fmt.Sprintf("embedded kfake cluster, 3 brokers at %v", c.brokers)
	}
	return fmt.Sprintf("Kafka at %v", c.brokers)
}

func (c *cluster) close() {
	if c.fake != nil {
		c.fake.Close()
	}
}

// openCluster starts an embedded cluster with the topics, or makes sure the
// topics exist on the given brokers.
func openCluster(o options, topics []string) (*cluster, error) {
	if len(o.brokers) == 0 {
		opts := []kfake.Opt{
			kfake.NumBrokers(3),
			kfake.SeedTopics(int32(o.partitions), topics...),
		}
		if o.discard {
			opts = append(opts, kfake.BlackholeProduce())
		}
		fake, err := kfake.NewCluster(opts...)
		if err != nil {
			return nil, fmt.Errorf("starting the embedded cluster: %w", err)
		}
		return &cluster{brokers: fake.ListenAddrs(), fake: fake}, nil
	}

	if err := createTopics(o.brokers, topics, int32(o.partitions)); err != nil {
		return nil, err
	}
	if err := warmUp(o.brokers, topics); err != nil {
		return nil, err
	}
	return &cluster{brokers: o.brokers}, nil
}

// warmUpRecords is how many records warmUp writes. On a broker started
// moments before, the first 20,000 records ran at a tenth of the later rate
// while the broker's JVM compiled its hot code. Measured with Kafka 4.4.0 on
// a 2-core VM; a fresh broker still runs slower for the first few seconds.
const warmUpRecords = 100000

// warmUp writes records to every topic before a phase is timed, so that
// whichever phase runs first does not pay for a cold broker: its first
// producer id, metadata of new topics and JIT compilation. The records are
// WRP messages without a run id, so verification skips them.
func warmUp(brokers, topics []string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.MetadataMinAge(250*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()

	value, err := router.Encode(nil, &wrp.Message{Type: wrp.SimpleEventMessageType, TransactionUUID: "warm-up"})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var firstErr atomic.Pointer[error]
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			firstErr.CompareAndSwap(nil, &err)
		}
	}
	for i := range warmUpRecords {
		key := []byte(strconv.Itoa(i % 1000))
		cl.Produce(ctx, &kgo.Record{Topic: topics[i%len(topics)], Key: key, Value: value}, promise)
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("warming up the topics: %w", err)
	}
	if err := firstErr.Load(); err != nil {
		return fmt.Errorf("warming up the topics: %w", *err)
	}
	return nil
}

// createTopics creates the topics that do not exist yet, with the broker's
// default replication factor.
func createTopics(brokers, topics []string, partitions int32) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	specs := make([]kafkatest.Topic, len(topics))
	for i, name := range topics {
		specs[i] = kafkatest.Topic{Name: name, Partitions: partitions}
	}
	return kafkatest.CreateTopics(ctx, brokers, specs...)
}
