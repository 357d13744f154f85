package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
)

// offsets maps topic and partition to an offset.
type offsets map[string]map[int32]int64

// endOffsets returns the high watermark of every partition of the topics.
func endOffsets(brokers, topics []string) (offsets, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	for _, topic := range topics {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		for p := range int32(partitions) {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p
			rp.Timestamp = -1 // the latest offset
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("listing end offsets: %w", err)
	}

	out := offsets{}
	for _, t := range resp.Topics {
		out[t.Topic] = map[int32]int64{}
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("listing the end offset of %s/%d: %w", t.Topic, p.Partition, err)
			}
			out[t.Topic][p.Partition] = p.Offset
		}
	}
	return out, nil
}

// verification counts what one run wrote, consumed back from the broker
// or received by the HTTP sink.
type verification struct {
	Acknowledged int `json:"acknowledged"` // messages the child counted as delivered
	// CopiesExpected is set for a system that writes a message once per
	// matching route, whose extra copies count as duplicates.
	CopiesExpected bool `json:"copies_expected,omitempty"`
	Records        int  `json:"records"`      // everything the run wrote
	Unique         int  `json:"unique"`       // distinct measured messages
	Duplicates     int  `json:"duplicates"`   // measured messages seen more than once
	Missing        int  `json:"missing"`      // measured messages never seen
	WarmUp         int  `json:"warm_up"`      // warm-up messages
	Undecodable    int  `json:"undecodable"`  // values that are not WRP msgpack
	Foreign        int  `json:"foreign"`      // WRP messages of neither run id
	OrderBroken    int  `json:"order_broken"` // a device's record behind a later one on its partition
}

// ok reports whether every acknowledged message arrived once, in order.
// A message that failed may still have arrived (a timed-out record can be
// stored), so more unique messages than acknowledged ones are fine.
func (v *verification) ok() bool {
	return v.Unique >= v.Acknowledged && (v.Duplicates == 0 || v.CopiesExpected) &&
		v.Undecodable == 0 && v.Foreign == 0 && v.OrderBroken == 0
}

func (v *verification) String() string {
	status := "ok"
	if !v.ok() {
		status = "FAILED"
	}
	return fmt.Sprintf("verify %s: %d records, %d unique messages of the run for %d acknowledged, %d missing, %d duplicates, %d warm-up, %d undecodable, %d foreign, %d out of order",
		status, v.Records, v.Unique, v.Acknowledged, v.Missing, v.Duplicates, v.WarmUp, v.Undecodable, v.Foreign, v.OrderBroken)
}

// messageTally counts decoded messages against the traffic's run ids.
type messageTally struct {
	spec     trafficSpec
	v        verification
	seen     map[string]struct{}
	lastSeq  map[deviceTopicPartition]uint64
	expected int
}

type deviceTopicPartition struct {
	device    int
	topic     string
	partition int32
}

func newMessageTally(spec trafficSpec) *messageTally {
	return &messageTally{
		spec:     spec,
		seen:     make(map[string]struct{}, spec.messages),
		lastSeq:  map[deviceTopicPartition]uint64{},
		expected: spec.messages,
	}
}

// add counts one value. topic and partition place it for the order check,
// which runs only when checkOrder is set: the HTTP sink turns it off,
// because the dispatcher's 100 workers do not keep a device's order.
func (t *messageTally) add(value []byte, topic string, partition int32, checkOrder bool) {
	t.v.Records++
	var m wrp.Message
	if err := wrp.NewDecoderBytes(value, wrp.Msgpack).Decode(&m); err != nil {
		t.v.Undecodable++
		return
	}
	run, device, seq, ok := traffic.ParseTransactionUUID(m.TransactionUUID)
	switch {
	case !ok:
		t.v.Foreign++
		return
	case run == t.spec.warmUpRunID():
		t.v.WarmUp++
		return
	case run != t.spec.runID:
		t.v.Foreign++
		return
	}

	if _, dup := t.seen[m.TransactionUUID]; dup {
		t.v.Duplicates++
		return
	}
	t.seen[m.TransactionUUID] = struct{}{}
	t.v.Unique++

	if checkOrder {
		k := deviceTopicPartition{device, topic, partition}
		if last, ok := t.lastSeq[k]; ok && seq <= last {
			t.v.OrderBroken++
		}
		t.lastSeq[k] = seq
	}
}

func (t *messageTally) result() verification {
	v := t.v
	v.Missing = t.expected - v.Unique
	return v
}

// verifyRange consumes every record written between the offsets before and
// after a run and counts them.
func verifyRange(brokers []string, before, after offsets, spec trafficSpec) (verification, error) {
	assign := map[string]map[int32]kgo.Offset{}
	want := 0
	for topic, parts := range after {
		for p, end := range parts {
			start := before[topic][p]
			if end <= start {
				continue
			}
			if assign[topic] == nil {
				assign[topic] = map[int32]kgo.Offset{}
			}
			assign[topic][p] = kgo.NewOffset().At(start)
			want += int(end - start)
		}
	}

	tally := newMessageTally(spec)
	if want == 0 {
		return tally.result(), nil
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumePartitions(assign),
		kgo.FetchMaxBytes(64<<20),
	)
	if err != nil {
		return verification{}, err
	}
	defer cl.Close()

	idleSince := time.Now()
	for tally.v.Records < want && time.Since(idleSince) < 10*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Offset >= after[r.Topic][r.Partition] {
				return // written after the run, by someone else
			}
			idleSince = time.Now()
			tally.add(r.Value, r.Topic, r.Partition, true)
		})
	}
	if tally.v.Records < want {
		return tally.result(), fmt.Errorf("consumed %d of the %d records the run wrote before 10 s passed without a record", tally.v.Records, want)
	}
	return tally.result(), nil
}
