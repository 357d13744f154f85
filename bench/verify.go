package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
)

// verification is the result of consuming the run's records back.
type verification struct {
	expected     int // messages of the run the broker acknowledged
	consumed     int // records of this run read back
	unique       int
	duplicates   int
	undecodable  int
	reordered    int // a device's record on a topic with a lower sequence than the one before
	splitDevices int // a device's records of one topic on more than one partition
}

func (v *verification) ok() bool {
	return v.unique == v.expected && v.duplicates == 0 && v.undecodable == 0 &&
		v.reordered == 0 && v.splitDevices == 0
}

type deviceTopic struct {
	device int
	topic  string
}

type position struct {
	partition int32
	seq       uint64
}

// verify reads every record of the topics from the start, keeps those of
// this run, and checks them. It stops when want messages arrived or no record
// came for 5 seconds.
func verify(brokers, topics []string, runID uint16, want int) (*verification, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(64<<20),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	v := &verification{expected: want}
	seen := make(map[string]struct{}, want)
	last := map[deviceTopic]position{}

	idle := time.Now()
	for v.unique < v.expected && time.Since(idle) < 5*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()

		fetches.EachRecord(func(r *kgo.Record) {
			idle = time.Now()
			v.check(r, runID, seen, last)
		})
	}
	return v, nil
}

func (v *verification) check(r *kgo.Record, runID uint16, seen map[string]struct{}, last map[deviceTopic]position) {
	for _, h := range r.Headers {
		if h.Key == rawPhaseHeader {
			return // written by the raw franz-go phase
		}
	}

	var m wrp.Message
	if err := wrp.NewDecoderBytes(r.Value, wrp.Msgpack).Decode(&m); err != nil {
		v.undecodable++
		return
	}
	run, device, seq, ok := traffic.ParseTransactionUUID(m.TransactionUUID)
	if !ok || run != runID {
		return // another run's record
	}

	v.consumed++
	if _, dup := seen[m.TransactionUUID]; dup {
		v.duplicates++
		return
	}
	seen[m.TransactionUUID] = struct{}{}
	v.unique++

	// Records of one partition arrive in offset order, so a device's
	// sequence numbers on a topic must rise.
	k := deviceTopic{device, r.Topic}
	if prev, ok := last[k]; ok {
		if prev.partition != r.Partition {
			v.splitDevices++
		} else if seq <= prev.seq {
			v.reordered++
		}
	}
	last[k] = position{r.Partition, seq}
}

func (v *verification) String() string {
	order := "held"
	if v.reordered > 0 || v.splitDevices > 0 {
		order = fmt.Sprintf("BROKEN (%d out of order, %d split over partitions)", v.reordered, v.splitDevices)
	}
	return fmt.Sprintf("consumed back %d of %d messages (%d missing, %d duplicates, %d undecodable); per-device order %s",
		v.unique, v.expected, v.expected-v.unique, v.duplicates, v.undecodable, order)
}
