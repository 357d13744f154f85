//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/publisher"
)

func TestProduceUnderLoad(t *testing.T) {
	servers := brokers(t)
	topic := uniqueName(t, "load")
	createTopics(t, servers, 6, nil, topic)

	d := start(t, publisher.Config{
		Brokers:  servers,
		Workers:  4,
		TopicMap: []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
	}, publisher.WithResults(16384))
	wait := drain(d)

	const producers, perProducer = 8, 5000
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			g := traffic.New(traffic.Options{Devices: 500, Seed: uint64(p + 1), RunID: uint16(p)})
			for range perProducer {
				if err := d.Produce(context.Background(), g.Next()); err != nil {
					t.Errorf("Produce: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	d.Stop()

	ok := 0
	for _, o := range wait() {
		if o.Err != nil {
			t.Fatalf("outcome failed: %v", o.Err)
		}
		ok++
	}
	if ok != producers*perProducer {
		t.Fatalf("%d successful outcomes, want %d", ok, producers*perProducer)
	}
	if got := len(consume(t, servers, []string{topic}, ok)); got != ok {
		t.Fatalf("consumed %d records, want %d", got, ok)
	}
}

// TryProduce must report a full queue at once, and every message it did
// accept must still get one outcome.
func TestTryProduceReportsFullQueue(t *testing.T) {
	servers := brokers(t)
	topic := uniqueName(t, "try")
	createTopics(t, servers, 1, nil, topic)

	d := start(t, publisher.Config{
		Brokers:            servers,
		Workers:            1,
		QueueSize:          1,
		MaxBufferedRecords: 1,
		TopicMap:           []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
	}, publisher.WithResults(4096))
	wait := drain(d)

	var accepted, full atomic.Int64
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() {
			g := traffic.New(traffic.Options{Devices: 10, Seed: uint64(p + 1)})
			for range 300 {
				switch err := d.TryProduce(context.Background(), g.Next()); {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, publisher.ErrQueueFull):
					full.Add(1)
				default:
					t.Errorf("TryProduce: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	d.Stop()
	outcomes := wait()

	if full.Load() == 0 {
		t.Error("TryProduce never reported a full queue with room for one message")
	}
	if int64(len(outcomes)) != accepted.Load() {
		t.Fatalf("%d outcomes for %d accepted messages", len(outcomes), accepted.Load())
	}
	written := 0
	for _, o := range outcomes {
		switch {
		case o.Err == nil:
			written++
		case o.ErrorType != metrics.ErrorTypeBufferFull:
			t.Errorf("unexpected outcome: %v (%s)", o.Err, o.ErrorType)
		}
	}
	if got := len(consume(t, servers, []string{topic}, written)); got != written {
		t.Errorf("consumed %d records, want the %d written", got, written)
	}
}

// With auto topic creation off, ProduceSync to a missing topic must return
// the broker's error, and the same outcome must reach the results channel.
func TestProduceSyncMissingTopic(t *testing.T) {
	servers := brokers(t)
	missing := uniqueName(t, "missing")

	d := start(t, publisher.Config{
		Brokers:         servers,
		DeliveryTimeout: 10 * time.Second,
		TopicMap:        []publisher.TopicRoute{{Pattern: "*", Topic: missing}},
	}, publisher.WithResults(4))
	wait := drain(d)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	began := time.Now()
	err := d.ProduceSync(ctx, &wrp.Message{Source: "mac:112233445566", Destination: "event:x"})
	if err == nil || errors.Is(err, publisher.ErrAckPending) {
		t.Fatalf("ProduceSync to a missing topic = %v, want the broker's error", err)
	}
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error %q does not name the topic", err)
	}
	t.Logf("failed after %s: %v", time.Since(began).Round(time.Millisecond), err)

	d.Stop()
	outcomes := wait()
	if len(outcomes) != 1 {
		t.Fatalf("got %d outcomes, want 1", len(outcomes))
	}
	if outcomes[0].ErrorType != metrics.ErrorTypeUnknownTopic {
		t.Errorf("outcome error type %q, want %s", outcomes[0].ErrorType, metrics.ErrorTypeUnknownTopic)
	}
}

// A record over the topic's max.message.bytes must fail at once with an
// outcome naming its size and the limit, without a round trip of retries.
func TestMessageOverBrokerLimit(t *testing.T) {
	servers := brokers(t)
	small := uniqueName(t, "limit64k")
	regular := uniqueName(t, "limitdefault")
	createTopics(t, servers, 1, map[string]string{"max.message.bytes": "65536"}, small)
	createTopics(t, servers, 1, nil, regular)

	d := start(t, publisher.Config{
		Brokers:         servers,
		MaxMessageBytes: 4 << 20,
		TopicMap: []publisher.TopicRoute{
			{Pattern: "small", Topic: small},
			{Pattern: "*", Topic: regular},
		},
	}, publisher.WithResults(8))
	wait := drain(d)

	cases := []struct {
		eventType string
		payload   int
		limit     string
	}{
		{"small", 100 << 10, "65536"},
		// The broker's default max.message.bytes (1048588) is below the
		// configured 4 MiB, so the topic's limit applies.
		{"regular", 2 << 20, "1048588"},
	}
	for _, c := range cases {
		m := &wrp.Message{Source: "mac:112233445566", Destination: "event:" + c.eventType, Payload: make([]byte, c.payload)}
		began := time.Now()
		err := d.ProduceSync(context.Background(), m)
		if err == nil {
			t.Fatalf("%s: a %d-byte payload was accepted", c.eventType, c.payload)
		}
		if took := time.Since(began); took > time.Second {
			t.Errorf("%s: failing took %s", c.eventType, took)
		}
		for _, want := range []string{c.limit, fmt.Sprint(c.payload / 1000)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not mention %s", c.eventType, err, want)
			}
		}
	}

	d.Stop()
	for _, o := range wait() {
		if o.ErrorType != metrics.ErrorTypeMessageTooLarge {
			t.Errorf("outcome error type %q, want %s", o.ErrorType, metrics.ErrorTypeMessageTooLarge)
		}
	}
}

// Stop while many goroutines publish in every mode: every accepted message
// is either consumed back or reported failed, and none is written twice.
func TestStopUnderLoad(t *testing.T) {
	servers := brokers(t)
	topic := uniqueName(t, "stop")
	createTopics(t, servers, 6, nil, topic)

	d := start(t, publisher.Config{
		Brokers:         servers,
		Workers:         4,
		QueueSize:       512,
		ShutdownTimeout: 10 * time.Second,
		TopicMap:        []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
	}, publisher.WithResults(4096))
	wait := drain(d)

	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		wg       sync.WaitGroup
	)
	for p := range 6 {
		wg.Go(func() {
			g := traffic.New(traffic.Options{Devices: 100, Seed: uint64(p + 1), RunID: uint16(p)})
			mode := metrics.Mode(p % 3)
			for {
				m := g.Next()
				var err error
				switch mode {
				case metrics.ModeProduce:
					err = d.Produce(context.Background(), m)
				case metrics.ModeTryProduce:
					err = d.TryProduce(context.Background(), m)
				case metrics.ModeProduceSync:
					if err = d.ProduceSync(context.Background(), m); err != nil && !isRejection(err) {
						err = nil // accepted; its outcome reports the result
					}
				}
				switch {
				case err == nil:
					mu.Lock()
					accepted[m.TransactionUUID] = true
					mu.Unlock()
				case errors.Is(err, publisher.ErrStopped):
					return
				case errors.Is(err, publisher.ErrQueueFull):
				default:
					t.Errorf("unexpected error: %v", err)
					return
				}
			}
		})
	}

	time.Sleep(500 * time.Millisecond)
	d.Stop()
	wg.Wait()
	outcomes := wait()

	succeeded := map[string]bool{}
	seen := map[string]int{}
	for _, o := range outcomes {
		id := o.Message.TransactionUUID
		seen[id]++
		if !accepted[id] {
			t.Errorf("outcome for %s, which was not accepted", id)
		}
		if o.Err == nil {
			succeeded[id] = true
		}
	}
	for id := range accepted {
		if seen[id] != 1 {
			t.Errorf("accepted message %s got %d outcomes", id, seen[id])
		}
	}

	records := consume(t, servers, []string{topic}, len(succeeded))
	written := map[string]int{}
	for _, r := range records {
		written[r.Message.TransactionUUID]++
	}
	for id, n := range written {
		if n > 1 {
			t.Errorf("message %s written %d times", id, n)
		}
	}
	for id := range succeeded {
		if written[id] == 0 {
			t.Errorf("message %s succeeded but was not consumed back", id)
		}
	}
	t.Logf("%d accepted, %d succeeded, %d consumed", len(accepted), len(succeeded), len(records))
}

// isRejection reports whether a ProduceSync error means the message was not
// accepted.
func isRejection(err error) bool {
	return errors.Is(err, publisher.ErrStopped) || errors.Is(err, publisher.ErrQueueFull) ||
		errors.Is(err, publisher.ErrNotStarted) || errors.Is(err, publisher.ErrNilMessage)
}
