// Package kafkatest has helpers for tests and the bench program that talk to
// a Kafka cluster directly: creating topics and consuming records back.
package kafkatest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xmidt-org/wrp-go/v3"
)

// Topic describes a topic to create.
type Topic struct {
	Name       string
	Partitions int32
	// Replication is the replication factor; 0 or -1 means the broker's
	// default.replication.factor.
	Replication int16
	// Configs are topic configs such as max.message.bytes.
	Configs map[string]string
}

// CreateTopics creates the topics, leaving existing ones alone, and waits
// until the cluster's metadata lists every one of them with a leader for
// each partition.
func CreateTopics(ctx context.Context, brokers []string, topics ...Topic) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()

	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	for _, t := range topics {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic = t.Name
		rt.NumPartitions = t.Partitions
		rt.ReplicationFactor = t.Replication
		if rt.ReplicationFactor == 0 {
			rt.ReplicationFactor = -1
		}
		for name, value := range t.Configs {
			c := kmsg.NewCreateTopicsRequestTopicConfig()
			c.Name = name
			c.Value = kmsg.StringPtr(value)
			rt.Configs = append(rt.Configs, c)
		}
		req.Topics = append(req.Topics, rt)
	}

	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("creating topics on %v: %w", brokers, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("creating topic %q: %w", t.Topic, err)
		}
	}
	return waitForLeaders(ctx, cl, topics)
}

// waitForLeaders polls metadata until every partition of the topics has a
// leader, because a real broker responds to CreateTopics before that.
func waitForLeaders(ctx context.Context, cl *kgo.Client, topics []Topic) error {
	for {
		req := kmsg.NewPtrMetadataRequest()
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t.Name)
			req.Topics = append(req.Topics, rt)
		}
		resp, err := req.RequestWith(ctx, cl)
		if err == nil && allLed(resp) {
			return nil
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for partition leaders of the new topics: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func allLed(resp *kmsg.MetadataResponse) bool {
	for _, t := range resp.Topics {
		if t.ErrorCode != 0 || len(t.Partitions) == 0 {
			return false
		}
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 || p.Leader < 0 {
				return false
			}
		}
	}
	return true
}

// Record is a consumed record with its value decoded by wrp-go v3.
type Record struct {
	*kgo.Record
	Message   wrp.Message
	DecodeErr error
}

// ConsumeAll reads the topics from their start until want records arrived,
// no record came for idle, or ctx ended. Records of one partition come in
// offset order.
func ConsumeAll(ctx context.Context, brokers, topics []string, want int, idle time.Duration) ([]Record, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	var out []Record
	lastRecord := time.Now()
	for len(out) < want && ctx.Err() == nil && time.Since(lastRecord) < idle {
		pollCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fetches := cl.PollFetches(pollCtx)
		cancel()

		for _, e := range fetches.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) && !errors.Is(e.Err, context.Canceled) {
				return out, fmt.Errorf("consuming %s/%d: %w", e.Topic, e.Partition, e.Err)
			}
		}
		fetches.EachRecord(func(r *kgo.Record) {
			lastRecord = time.Now()
			rec := Record{Record: r}
			rec.DecodeErr = wrp.NewDecoderBytes(r.Value, wrp.Msgpack).Decode(&rec.Message)
			out = append(out, rec)
		})
	}
	return out, nil
}
