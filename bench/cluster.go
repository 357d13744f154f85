package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
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
	return &cluster{brokers: o.brokers}, nil
}

// createTopics creates the topics that do not exist yet, with replication
// factor 1 when the cluster has a single broker and the broker's default
// otherwise.
func createTopics(brokers, topics []string, partitions int32) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 20000
	for _, name := range topics {
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic = name
		t.NumPartitions = partitions
		t.ReplicationFactor = -1 // the broker's default.replication.factor
		req.Topics = append(req.Topics, t)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("creating topics on %v: %w", brokers, err)
	}
	for _, t := range resp.Topics {
		err := kerr.ErrorForCode(t.ErrorCode)
		if err != nil && err != kerr.TopicAlreadyExists {
			return fmt.Errorf("creating topic %q: %w", t.Topic, err)
		}
	}
	return nil
}
