package faults

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// Cases other Kafka clients' users reported, each pinned here.

func newCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func newDispatcher(t *testing.T, c *kfake.Cluster, cfg publisher.Config, opts ...publisher.Option) *publisher.Dispatcher {
	t.Helper()
	cfg.Brokers = c.ListenAddrs()
	if cfg.TopicMap == nil {
		cfg.TopicMap = []publisher.TopicRoute{{Pattern: "*", Topic: topic}}
	}
	d, err := publisher.New(append([]publisher.Option{publisher.WithConfig(cfg)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}

func event(device int, seq uint64) *wrp.Message {
	return &wrp.Message{
		Type:            wrp.SimpleEventMessageType,
		Source:          "mac:112233445566",
		Destination:     "event:status/mac:112233445566",
		TransactionUUID: traffic.TransactionUUID(0, device, seq),
	}
}

// A broker that stops responding must not hold Stop past its deadline, and
// every pending message still gets a failed outcome.
func TestStopDeadlineWithSilentBroker(t *testing.T) {
	c := newCluster(t)
	release := kafkatest.HoldProduce(c)
	defer release()
	d := newDispatcher(t, c, publisher.Config{}, publisher.WithResults(1000))

	for seq := range uint64(200) {
		if err := d.Produce(context.Background(), event(0, seq)); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	d.StopContext(ctx)
	took := time.Since(began)
	t.Logf("Stop with a 200ms deadline returned after %s", took)
	if took > time.Second {
		t.Errorf("Stop took %s with a 200ms deadline", took)
	}

	n := 0
	for o := range d.Results() {
		n++
		if o.Err == nil || o.ErrorType != metrics.ErrorTypeStopped {
			t.Errorf("pending message outcome %v (%s), want stopped", o.Err, o.ErrorType)
		}
	}
	if n != 200 {
		t.Errorf("got %d outcomes for 200 pending messages", n)
	}
}

// With results enabled and never read, TryProduce of ten times the queue
// capacity must neither hang nor keep Stop from returning.
func TestUnreadResultsTryProduceTenTimesCapacity(t *testing.T) {
	c := newCluster(t)
	d := newDispatcher(t, c, publisher.Config{Workers: 2, QueueSize: 100}, publisher.WithResults(100))

	accepted := 0
	for seq := range uint64(1000) {
		switch err := d.TryProduce(context.Background(), event(int(seq%7), seq)); {
		case err == nil:
			accepted++
		case !errors.Is(err, publisher.ErrQueueFull):
			t.Fatal(err)
		}
	}

	stopped := make(chan struct{})
	go func() {
		d.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(15 * time.Second):
		t.Fatal("Stop hangs with unread results")
	}

	n := 0
	for range d.Results() {
		n++
	}
	if n != accepted {
		t.Errorf("drained %d outcomes for %d accepted messages", n, accepted)
	}
}

// One device's 1,000 messages stay strictly ordered when the first produce
// request fails once with NOT_LEADER_FOR_PARTITION.
func TestOrderAfterOneNotLeader(t *testing.T) {
	c := newCluster(t)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotLeaderForPartition, Count: 1})
	d := newDispatcher(t, c, publisher.Config{Workers: 4})

	for seq := range uint64(1000) {
		if err := d.Produce(context.Background(), event(0, seq+1)); err != nil {
			t.Fatal(err)
		}
	}
	d.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	records, err := kafkatest.ConsumeAll(ctx, c.ListenAddrs(), []string{topic}, 1000, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1000 {
		t.Fatalf("consumed %d records, want 1000", len(records))
	}
	for i, r := range records {
		_, _, seq, _ := traffic.ParseTransactionUUID(r.Message.TransactionUUID)
		if seq != uint64(i+1) {
			t.Fatalf("record %d carries sequence %d", i, seq)
		}
	}
}

// A broker that holds every produce request: ProduceSync with a 100ms
// context returns by about 150ms, and the message's real outcome still
// arrives exactly once.
func TestProduceSyncDeadlineWithHeldRequests(t *testing.T) {
	c := newCluster(t)
	release := kafkatest.HoldProduce(c)
	defer release()
	d := newDispatcher(t, c, publisher.Config{}, publisher.WithResults(4))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := d.ProduceSync(ctx, event(0, 1))
	took := time.Since(began)

	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, publisher.ErrAckPending) {
		t.Fatalf("ProduceSync = %v, want ErrAckPending with DeadlineExceeded", err)
	}
	t.Logf("ProduceSync returned after %s", took)
	if took > 500*time.Millisecond {
		t.Errorf("ProduceSync returned after %s, want about 100ms", took)
	}

	release()
	d.Stop()
	var outcomes []publisher.Outcome
	for o := range d.Results() {
		outcomes = append(outcomes, o)
	}
	if len(outcomes) != 1 {
		t.Fatalf("got %d outcomes, want exactly 1", len(outcomes))
	}
	if outcomes[0].Err != nil {
		t.Errorf("outcome after release: %v", outcomes[0].Err)
	}
}

// With auto topic creation off, a message routed to a missing topic gets one
// failed outcome within the delivery timeout, not an endless buffer.
func TestMissingTopicFailsOnce(t *testing.T) {
	c := newCluster(t)
	d := newDispatcher(t, c, publisher.Config{
		DeliveryTimeout: 5 * time.Second,
		TopicMap:        []publisher.TopicRoute{{Pattern: "*", Topic: "never-created"}},
	}, publisher.WithResults(4))

	began := time.Now()
	if err := d.Produce(context.Background(), event(0, 1)); err != nil {
		t.Fatal(err)
	}
	o := <-d.Results()
	took := time.Since(began)
	t.Logf("failed after %s: %v", took, o.Err)

	if o.ErrorType != metrics.ErrorTypeUnknownTopic {
		t.Errorf("outcome %v (%s), want unknown_topic", o.Err, o.ErrorType)
	}
	if took > 5*time.Second {
		t.Errorf("the outcome took %s, past the 5s delivery timeout", took)
	}
	// franz-go drops the record from its count just after the promise.
	deadline := time.Now().Add(time.Second)
	for {
		buffered, _ := d.BufferedRecords()
		if buffered == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d records still buffered a second after the outcome", buffered)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A 2 MiB payload against a 1 MiB limit fails at once with an outcome that
// names size and limit, and no produce request is sent for it.
func TestOversizedPayloadFailsWithoutRequest(t *testing.T) {
	c := newCluster(t)
	observed := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Observe: true, Count: -1})
	d := newDispatcher(t, c, publisher.Config{MaxMessageBytes: 1 << 20}, publisher.WithResults(4))

	m := event(0, 1)
	m.Payload = make([]byte, 2<<20)
	began := time.Now()
	err := d.ProduceSync(context.Background(), m)
	took := time.Since(began)

	if err == nil {
		t.Fatal("a 2 MiB payload was accepted")
	}
	for _, want := range []string{"1048576", "2097"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if took > 200*time.Millisecond {
		t.Errorf("failing took %s", took)
	}
	if hits := observed.Hits(); hits != 0 {
		t.Errorf("%d produce requests were sent for an oversized record", hits)
	}
	if o := <-d.Results(); o.ErrorType != metrics.ErrorTypeMessageTooLarge {
		t.Errorf("outcome type %q, want message_too_large", o.ErrorType)
	}
}

// Produce and Stop started 1ms apart, 1,000 times: every call returns and
// goleak finds nothing afterwards (TestMain).
func TestProduceAndStopRace(t *testing.T) {
	c := newCluster(t)
	rounds := 1000
	if testing.Short() {
		rounds = 100
	}
	for round := range rounds {
		d, err := publisher.New(publisher.WithConfig(publisher.Config{
			Brokers:  c.ListenAddrs(),
			Workers:  2,
			TopicMap: []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
		}), publisher.WithResults(64))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Start(); err != nil {
			t.Fatal(err)
		}

		var wg sync.WaitGroup
		accepted := 0
		wg.Go(func() {
			for seq := range uint64(20) {
				err := d.Produce(context.Background(), event(round%5, seq))
				if err == nil {
					accepted++
					continue
				}
				if !errors.Is(err, publisher.ErrStopped) {
					t.Errorf("round %d: Produce: %v", round, err)
				}
				return
			}
		})
		time.Sleep(time.Millisecond)
		done := make(chan struct{})
		go func() {
			d.Stop()
			close(done)
		}()

		n := 0
		for range d.Results() {
			n++
		}
		<-done
		wg.Wait()
		if n != accepted {
			t.Fatalf("round %d: %d outcomes for %d accepted messages", round, n, accepted)
		}
	}
}
