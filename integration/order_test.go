//go:build integration

package integration

import (
	"context"
	"sync"
	"testing"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// One device's records must land on one partition in send order, with 8
// workers and 1,000 devices publishing at once.
func TestPerDeviceOrder(t *testing.T) {
	servers := brokers(t)
	topic := uniqueName(t, "order")
	createTopics(t, servers, 12, nil, topic)

	d := start(t, publisher.Config{
		Brokers:   servers,
		Workers:   8,
		QueueSize: 2048,
		TopicMap:  []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
	}, publisher.WithResults(8192))
	wait := drain(d)

	const devices, perDevice, producers = 1000, 20, 4
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			// Each producer owns the devices p, p+4, ...; one generator per
			// producer keeps their sequence numbers in send order.
			g := traffic.New(traffic.Options{Devices: devices, Seed: 11})
			for range perDevice {
				for device := p; device < devices; device += producers {
					if err := d.Produce(context.Background(), g.NextFor(device)); err != nil {
						t.Errorf("Produce: %v", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	d.Stop()

	for _, o := range wait() {
		if o.Err != nil {
			t.Fatalf("outcome failed: %v", o.Err)
		}
	}

	const total = devices * perDevice
	records := consume(t, servers, []string{topic}, total)
	if len(records) != total {
		t.Fatalf("consumed %d records, want %d", len(records), total)
	}

	partitionOf := map[int]int32{}
	lastSeq := map[int]uint64{}
	for _, r := range records {
		_, device, seq, ok := traffic.ParseTransactionUUID(r.Message.TransactionUUID)
		if !ok {
			t.Fatalf("unparsable transaction UUID %q", r.Message.TransactionUUID)
		}
		if p, seen := partitionOf[device]; seen && p != r.Partition {
			t.Fatalf("device %d wrote to partitions %d and %d", device, p, r.Partition)
		}
		partitionOf[device] = r.Partition
		if prev, seen := lastSeq[device]; seen && seq != prev+1 {
			t.Fatalf("device %d: sequence %d follows %d", device, seq, prev)
		}
		lastSeq[device] = seq
	}
	if len(partitionOf) != devices {
		t.Errorf("saw %d devices, want %d", len(partitionOf), devices)
	}
	used := map[int32]bool{}
	for _, p := range partitionOf {
		used[p] = true
	}
	if len(used) < 10 {
		t.Errorf("1,000 devices used only %d of 12 partitions", len(used))
	}
}
