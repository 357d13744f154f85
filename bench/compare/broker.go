package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	"github.com/xmidt-org/wrpkafka/router"
)

// broker is the Kafka cluster the systems publish to: an embedded kfake
// cluster in this process, or the brokers given with -brokers.
type broker struct {
	addrs []string
	fake  *kfake.Cluster
}

func (b *broker) describe() string {
	if b.fake != nil {
		return fmt.Sprintf("embedded kfake cluster, 1 broker at %v", b.addrs)
	}
	return fmt.Sprintf("Kafka at %v", b.addrs)
}

// describeKind describes the broker without its addresses, which change
// when verify mode renews the embedded cluster.
func (b *broker) describeKind() string {
	if b.fake != nil {
		return "embedded kfake cluster, 1 broker"
	}
	return fmt.Sprintf("Kafka at %v", b.addrs)
}

func (b *broker) close() {
	if b.fake != nil {
		b.fake.Close()
	}
}

// comparisonTopics returns every topic the routes can pick.
func comparisonTopics() ([]string, error) {
	table, err := router.Compile(libraryConfig(nil).TopicMap)
	if err != nil {
		return nil, err
	}
	return table.Topics(), nil
}

// openBroker starts an embedded cluster with the topics, or creates the
// topics that are missing on the given brokers. The embedded cluster
// discards what it receives unless keepData is set.
func openBroker(addrs, topics []string, keepData bool) (*broker, error) {
	if len(addrs) == 0 {
		opts := []kfake.Opt{
			kfake.NumBrokers(1),
			kfake.SeedTopics(partitions, topics...),
		}
		if !keepData {
			opts = append(opts, kfake.BlackholeProduce())
		}
		fake, err := kfake.NewCluster(opts...)
		if err != nil {
			return nil, fmt.Errorf("starting the embedded cluster: %w", err)
		}
		return &broker{addrs: fake.ListenAddrs(), fake: fake}, nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	specs := make([]kafkatest.Topic, len(topics))
	for i, name := range topics {
		specs[i] = kafkatest.Topic{Name: name, Partitions: partitions}
	}
	if err := kafkatest.CreateTopics(ctx, addrs, specs...); err != nil {
		return nil, fmt.Errorf("creating the topics on %v: %w", addrs, err)
	}
	return &broker{addrs: addrs}, nil
}
