package main

import (
	"math/rand/v2"
	"time"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
)

// workload is the generated traffic, split over the producer goroutines so
// that each device belongs to exactly one of them and its messages keep
// their order.
type workload struct {
	runID    uint16
	total    int
	perGroup [][]*wrp.Message
	bytes    int64 // payload bytes, for a rough MB/s figure
}

func generate(o options) *workload {
	w := &workload{
		runID:    uint16(rand.N(1<<16-1) + 1),
		total:    o.messages,
		perGroup: make([][]*wrp.Message, o.producers),
	}
	g := traffic.New(traffic.Options{Devices: o.devices, Seed: uint64(time.Now().UnixNano()), RunID: w.runID})

	for range o.messages {
		m := g.Next()
		_, device, _, _ := traffic.ParseTransactionUUID(m.TransactionUUID)
		p := device % o.producers
		w.perGroup[p] = append(w.perGroup[p], m)
		w.bytes += int64(len(m.Payload))
	}
	return w
}
