package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/metrics"
)

func TestStartFailsWithoutBroker(t *testing.T) {
	cfg := validConfig()
	cfg.Brokers = []string{"127.0.0.1:1"}
	cfg.StartTimeout = 500 * time.Millisecond

	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	err = d.Start()
	if err == nil {
		t.Fatal("Start succeeded without a broker")
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("Start took %s to fail, want about the 500ms start timeout", took)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q does not name the broker", err)
	}
	if err := d.Produce(context.Background(), &wrp.Message{}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Produce after failed Start = %v, want ErrNotStarted", err)
	}
	d.Stop()
}

func TestRejectedCalls(t *testing.T) {
	c := newCluster(t)
	d, err := New(WithConfig(testConfig(c)))
	if err != nil {
		t.Fatal(err)
	}
	msg := messages(1, 1)[0]
	ctx := context.Background()

	if err := d.Produce(ctx, msg); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Produce before Start = %v, want ErrNotStarted", err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err == nil {
		t.Error("second Start succeeded")
	}

	for name, call := range map[string]func(context.Context, *wrp.Message) error{
		"Produce": d.Produce, "TryProduce": d.TryProduce, "ProduceSync": d.ProduceSync,
	} {
		if err := call(ctx, nil); !errors.Is(err, ErrNilMessage) {
			t.Errorf("%s(nil) = %v, want ErrNilMessage", name, err)
		}
	}

	d.Stop()
	for name, call := range map[string]func(context.Context, *wrp.Message) error{
		"Produce": d.Produce, "TryProduce": d.TryProduce, "ProduceSync": d.ProduceSync,
	} {
		if err := call(ctx, msg); !errors.Is(err, ErrStopped) {
			t.Errorf("%s after Stop = %v, want ErrStopped", name, err)
		}
	}
}

// Every mode must deliver records whose topic, key, headers and value match
// the message, and report one successful outcome each.
func TestModesDeliverRecords(t *testing.T) {
	for _, mode := range []metrics.Mode{metrics.ModeProduce, metrics.ModeTryProduce, metrics.ModeProduceSync} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t)
			d := startDispatcher(t, testConfig(c), WithResults(1024))
			wait := collect(d)

			msgs := messages(300, 50)
			for _, m := range msgs {
				if err := produceWith(d, mode, m); err != nil {
					t.Fatalf("%s: %v", mode, err)
				}
			}
			d.Stop()
			outcomes := wait()

			if len(outcomes) != len(msgs) {
				t.Fatalf("got %d outcomes for %d messages", len(outcomes), len(msgs))
			}
			byUUID := map[string]Outcome{}
			for _, o := range outcomes {
				if o.Err != nil {
					t.Fatalf("outcome error: %v", o.Err)
				}
				if o.Mode != mode {
					t.Fatalf("outcome mode %s, want %s", o.Mode, mode)
				}
				byUUID[o.Message.TransactionUUID] = o
			}

			records := consumeAll(t, c, testTopics, len(msgs), 10*time.Second)
			if len(records) != len(msgs) {
				t.Fatalf("consumed %d records, want %d", len(records), len(msgs))
			}
			sent := map[string]*wrp.Message{}
			for _, m := range msgs {
				sent[m.TransactionUUID] = m
			}
			for _, r := range records {
				checkRecord(t, r, sent[r.msg.TransactionUUID], byUUID[r.msg.TransactionUUID])
			}
		})
	}
}

func produceWith(d *Dispatcher, mode metrics.Mode, m *wrp.Message) error {
	ctx := context.Background()
	switch mode {
	case metrics.ModeTryProduce:
		for {
			err := d.TryProduce(ctx, m)
			if !errors.Is(err, ErrQueueFull) {
				return err
			}
			time.Sleep(time.Millisecond)
		}
	case metrics.ModeProduceSync:
		return d.ProduceSync(ctx, m)
	default:
		return d.Produce(ctx, m)
	}
}

func checkRecord(t *testing.T, r consumed, sent *wrp.Message, o Outcome) {
	t.Helper()
	if sent == nil {
		t.Fatalf("consumed a record nobody sent: %s", r.msg.TransactionUUID)
	}
	if !reflect.DeepEqual(&r.msg, sent) {
		t.Fatalf("decoded value differs from the sent message:\n got %+v\nwant %+v", r.msg, *sent)
	}
	if r.record.Topic != o.Topic {
		t.Errorf("record on topic %q, outcome says %q", r.record.Topic, o.Topic)
	}
	if r.record.Partition != o.Partition || r.record.Offset != o.Offset {
		t.Errorf("record at %d@%d, outcome says %d@%d", r.record.Partition, r.record.Offset, o.Partition, o.Offset)
	}

	wantKey := sent.Metadata["/hw-deviceid"]
	if wantKey == "" {
		wantKey = strings.SplitN(sent.Source, "/", 2)[0]
	}
	if string(r.record.Key) != wantKey {
		t.Errorf("record key %q, want %q", r.record.Key, wantKey)
	}

	headers := map[string]string{}
	for _, h := range r.record.Headers {
		headers[h.Key] = string(h.Value)
	}
	want := map[string]string{"instance": "test-1", "src": sent.Source}
	if !maps.Equal(headers, want) {
		t.Errorf("record headers %v, want %v", headers, want)
	}
}

// Talaria's connect and disconnect messages carry Talaria's own Source; they
// must be keyed by the device in /hw-deviceid and routed by the event type
// device-status.
func TestLifecycleEventsKeyedByDevice(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c))

	for _, status := range []string{"online", "offline"} {
		m := &wrp.Message{
			Type:        wrp.SimpleEventMessageType,
			Source:      traffic.TalariaSource,
			Destination: "event:device-status/mac:112233445566/" + status,
			Metadata:    map[string]string{"/hw-deviceid": "mac:112233445566"},
		}
		if err := d.ProduceSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}

	records := consumeAll(t, c, []string{"device-lifecycle"}, 2, 5*time.Second)
	if len(records) != 2 {
		t.Fatalf("consumed %d lifecycle records, want 2", len(records))
	}
	for _, r := range records {
		if string(r.record.Key) != "mac:112233445566" {
			t.Errorf("lifecycle record key %q, want mac:112233445566", r.record.Key)
		}
	}
}

// One device's records must reach one partition in send order, with 8
// workers and many devices interleaved.
func TestPerDeviceOrderWithEightWorkers(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.Workers = 8
	d := startDispatcher(t, cfg)

	const devices, perDevice = 200, 25
	g := traffic.New(traffic.Options{Devices: devices, Seed: 3})
	var sent []*wrp.Message
	for range perDevice {
		for i := range devices {
			sent = append(sent, g.NextFor(i))
		}
	}

	// Four producers, each owning a quarter of the devices, so the send
	// order of each device is defined.
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for _, m := range sent {
				_, device, _, _ := traffic.ParseTransactionUUID(m.TransactionUUID)
				if device%4 != p {
					continue
				}
				if err := d.Produce(context.Background(), m); err != nil {
					t.Errorf("Produce: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	d.Stop()

	records := consumeAll(t, c, testTopics, len(sent), 15*time.Second)
	if len(records) != len(sent) {
		t.Fatalf("consumed %d records, want %d", len(records), len(sent))
	}
	checkPerDeviceOrder(t, records)
}

// checkPerDeviceOrder checks that each key's records sit on one partition
// of one topic and that their sequence numbers rise in offset order.
func checkPerDeviceOrder(t *testing.T, records []consumed) {
	t.Helper()
	type place struct {
		topic     string
		partition int32
	}
	// Records of one topic-partition arrive in offset order from the
	// consumer. A device's records may span topics, one route per event
	// type, so order is checked per device and topic.
	last := map[string]int64{}
	where := map[string]place{}
	for _, r := range records {
		_, device, seq, ok := traffic.ParseTransactionUUID(r.msg.TransactionUUID)
		if !ok {
			t.Fatalf("unparsable transaction UUID %q", r.msg.TransactionUUID)
		}
		k := fmt.Sprintf("%d/%s", device, r.record.Topic)
		p := place{r.record.Topic, r.record.Partition}
		if prev, seen := where[k]; seen && prev != p {
			t.Fatalf("device %d wrote to %v and %v", device, prev, p)
		}
		where[k] = p
		if prev, seen := last[k]; seen && int64(seq) <= prev {
			t.Fatalf("device %d on %s: sequence %d after %d", device, r.record.Topic, seq, prev)
		}
		last[k] = int64(seq)
	}
}

func TestTryProduceFailsWhenQueueFull(t *testing.T) {
	c := newCluster(t)
	release := kafkatest.HoldProduce(c)
	defer release()

	cfg := testConfig(c)
	cfg.Workers = 1
	cfg.QueueSize = 4
	cfg.MaxBufferedRecords = 1
	d := startDispatcher(t, cfg, WithResults(64))
	wait := collect(d)

	// One device, so every message uses the single lane. Produce messages
	// make the worker wait on franz-go's full buffer (one record in
	// flight, one waiting), so the lane fills up behind it.
	g := traffic.New(traffic.Options{Devices: 1})
	accepted := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := d.Produce(ctx, g.NextFor(0))
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break // Produce waited for room until its context ended
		}
		if err != nil {
			t.Fatal(err)
		}
		accepted++
		if accepted > 20 {
			t.Fatal("the lane never filled")
		}
	}
	if accepted != 6 {
		t.Errorf("accepted %d messages before the queue filled, want 6 (1 in flight, 1 in the worker, 4 queued)", accepted)
	}

	if err := d.TryProduce(context.Background(), g.NextFor(0)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("TryProduce on a full queue = %v, want ErrQueueFull", err)
	}

	depth, capacity := d.QueueDepth()
	if capacity != 4 || depth != 4 {
		t.Errorf("QueueDepth() = (%d, %d), want (4, 4)", depth, capacity)
	}
	buffered, maximum := d.BufferedRecords()
	if maximum != 1 || buffered < 1 {
		t.Errorf("BufferedRecords() = (%d, %d), want at least 1 of 1", buffered, maximum)
	}

	release()
	d.Stop()
	outcomes := wait()
	if len(outcomes) != accepted {
		t.Fatalf("got %d outcomes for %d accepted messages", len(outcomes), accepted)
	}
}

// A TryProduce message that meets franz-go's full buffer gets a buffer_full
// outcome rather than waiting in the worker.
func TestTryProduceBufferFullOutcome(t *testing.T) {
	c := newCluster(t)
	release := kafkatest.HoldProduce(c)
	defer release()

	cfg := testConfig(c)
	cfg.Workers = 1
	cfg.MaxBufferedRecords = 1
	d := startDispatcher(t, cfg, WithResults(64))
	wait := collect(d)

	g := traffic.New(traffic.Options{Devices: 1})
	for range 3 {
		if err := d.TryProduce(context.Background(), g.NextFor(0)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	release()
	d.Stop()

	var full, ok int
	for _, o := range wait() {
		switch {
		case o.Err == nil:
			ok++
		case o.ErrorType == metrics.ErrorTypeBufferFull:
			full++
		default:
			t.Errorf("unexpected outcome: %v (%s)", o.Err, o.ErrorType)
		}
	}
	if ok != 1 || full != 2 {
		t.Errorf("outcomes: %d written, %d buffer_full; want 1 and 2", ok, full)
	}
}

func TestProduceSyncContextTimeout(t *testing.T) {
	c := newCluster(t)
	release := kafkatest.HoldProduce(c)
	defer release()

	d := startDispatcher(t, testConfig(c), WithResults(8))
	wait := collect(d)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := d.ProduceSync(ctx, messages(1, 1)[0])
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrAckPending) {
		t.Fatalf("ProduceSync with a stalled broker = %v, want ErrAckPending and DeadlineExceeded", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("ProduceSync returned after %s, want about 100ms", took)
	}

	release()
	d.Stop()
	outcomes := wait()
	if len(outcomes) != 1 {
		t.Fatalf("got %d outcomes, want 1", len(outcomes))
	}
	if outcomes[0].Err != nil {
		t.Errorf("outcome after the broker recovered: %v", outcomes[0].Err)
	}
}

// A caller cancelling its context after Produce returned must not fail its
// record or any other.
func TestCallerCancelDoesNotFailRecords(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(1024))
	wait := collect(d)

	msgs := messages(500, 20)
	for i, m := range msgs {
		ctx, cancel := context.WithCancel(context.Background())
		if err := d.Produce(ctx, m); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			cancel()
		} else {
			defer cancel()
		}
	}
	d.Stop()

	for _, o := range wait() {
		if o.Err != nil {
			t.Fatalf("outcome failed after its caller cancelled: %v", o.Err)
		}
	}
}

func TestRoutingFailuresBecomeOutcomes(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.TopicMap = []TopicRoute{{Pattern: "known-*", Topic: "device-events"}}
	cfg.MaxMessageBytes = 4096

	var errored sync.Map
	d := startDispatcher(t, cfg, WithMessageErrored(func(eventType, topic, strategy, errorType string) {
		errored.Store(errorType, eventType)
	}))

	cases := []struct {
		name      string
		msg       *wrp.Message
		errorType string
		mention   string
	}{
		{"not an event", &wrp.Message{Source: "mac:112233445566", Destination: "mac:112233445566/config"},
			metrics.ErrorTypeInvalidDestination, "mac:112233445566/config"},
		{"no event type", &wrp.Message{Source: "mac:112233445566", Destination: "event:"},
			metrics.ErrorTypeInvalidDestination, "event:"},
		{"no route", &wrp.Message{Source: "mac:112233445566", Destination: "event:other/mac:112233445566"},
			metrics.ErrorTypeNoTopicMatch, "other"},
		{"too large", &wrp.Message{Source: "mac:112233445566", Destination: "event:known-x/mac:112233445566", Payload: make([]byte, 8192)},
			metrics.ErrorTypeMessageTooLarge, "4096"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := d.ProduceSync(context.Background(), tc.msg)
			if err == nil {
				t.Fatal("ProduceSync succeeded")
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
			if _, ok := errored.Load(tc.errorType); !ok {
				t.Errorf("messageErrored was not called with %s", tc.errorType)
			}
		})
	}
}

func TestUnknownTopicFails(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.TopicMap = []TopicRoute{{Pattern: "*", Topic: "no-such-topic"}}
	d := startDispatcher(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := d.ProduceSync(ctx, messages(1, 1)[0])
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ProduceSync to a missing topic = %v, want the broker's error", err)
	}
	if !strings.Contains(err.Error(), "no-such-topic") {
		t.Errorf("error %q does not name the topic", err)
	}
}

func TestCallbacksReceiveLabels(t *testing.T) {
	c := newCluster(t)
	var (
		mu        sync.Mutex
		published []string
		latencies int
	)
	d := startDispatcher(t, testConfig(c),
		WithMessagesPublished(func(eventType, topic, strategy string) {
			mu.Lock()
			defer mu.Unlock()
			published = append(published, eventType+"|"+topic+"|"+strategy)
		}),
		WithPublishLatency(func(eventType, topic, strategy string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if d > 0 {
				latencies++
			}
		}),
	)

	send := []struct{ destination, region, want string }{
		{"event:device-status/mac:112233445566/online", "", "device-status|device-lifecycle|single"},
		{"event:qos-report/mac:112233445566", "", "qos-report|qos-1|deviceid"},
		{"event:iot-temp/mac:112233445566", "west", "iot-temp|iot-west|metadata"},
		{"event:reboot/mac:112233445566", "", "reboot|device-events|single"},
	}
	for _, s := range send {
		m := &wrp.Message{Source: "mac:112233445566", Destination: s.destination, Metadata: map[string]string{}}
		if s.region != "" {
			m.Metadata["region"] = s.region
		}
		if err := d.ProduceSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	d.Stop()

	mu.Lock()
	defer mu.Unlock()
	for i, s := range send {
		if i >= len(published) {
			t.Fatalf("only %d published calls", len(published))
		}
		// The qos shard depends on the key hash; accept either topic.
		if strings.HasPrefix(s.want, "qos-report") && strings.HasPrefix(published[i], "qos-report|qos-") {
			continue
		}
		if published[i] != s.want {
			t.Errorf("published call %d = %q, want %q", i, published[i], s.want)
		}
	}
	if latencies != len(send) {
		t.Errorf("%d latency calls with a positive duration, want %d", latencies, len(send))
	}
}

func TestMetadataFallbackReported(t *testing.T) {
	c := newCluster(t)
	var fallbacks atomic.Int32
	d := startDispatcher(t, testConfig(c), WithResults(4),
		WithMessageErrored(func(_, _, strategy, errorType string) {
			if errorType == metrics.ErrorTypeMissingMetadataField && strategy == "metadata" {
				fallbacks.Add(1)
			}
		}))
	wait := collect(d)

	m := &wrp.Message{Source: "mac:112233445566", Destination: "event:iot-temp/mac:112233445566"}
	if err := d.ProduceSync(context.Background(), m); err != nil {
		t.Fatalf("a fallback must still publish: %v", err)
	}
	d.Stop()

	outcomes := wait()
	if len(outcomes) != 1 || !outcomes[0].Fallback || outcomes[0].Err != nil {
		t.Fatalf("outcome %+v, want one successful fallback", outcomes)
	}
	if fallbacks.Load() != 1 {
		t.Errorf("missing_metadata_field reported %d times, want 1", fallbacks.Load())
	}
}

// Messages that name no device get a nil key, and franz-go spreads them over
// partitions instead of piling them onto one.
func TestKeylessMessagesSpread(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(4096))
	wait := collect(d)

	const n = 3000
	for i := range n {
		m := &wrp.Message{
			Source:          "dns:service.example.com",
			Destination:     "event:reboot",
			TransactionUUID: fmt.Sprint(i),
		}
		if err := d.Produce(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			time.Sleep(2 * time.Millisecond) // let batches close
		}
	}
	d.Stop()

	partitions := map[int32]int{}
	for _, o := range wait() {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		if o.Key != "" {
			t.Fatalf("keyless message got key %q", o.Key)
		}
		partitions[o.Partition]++
	}
	if len(partitions) < 3 {
		t.Errorf("keyless messages used partitions %v, want them spread over at least 3 of 6", partitions)
	}

	records := consumeAll(t, c, []string{"device-events"}, n, 10*time.Second)
	for _, r := range records {
		if r.record.Key != nil {
			t.Fatalf("keyless record has key %q, want nil", r.record.Key)
		}
	}
}

// Every accepted message must get exactly one outcome when Stop runs while
// many goroutines publish in all three modes.
func TestStopMidStreamExactlyOneOutcome(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			c := newCluster(t)
			cfg := testConfig(c)
			cfg.Workers = 4
			cfg.QueueSize = 64
			d := startDispatcher(t, cfg, WithResults(256))
			wait := collect(d)

			var (
				mu       sync.Mutex
				accepted = map[string]bool{}
				wg       sync.WaitGroup
			)
			for p := range 6 {
				wg.Go(func() {
					g := traffic.New(traffic.Options{Devices: 30, Seed: uint64(p + 1)})
					mode := metrics.Mode(p % 3)
					for i := 0; ; i++ {
						m := g.Next()
						m.TransactionUUID = fmt.Sprintf("%d-%d", p, i)
						var err error
						switch mode {
						case metrics.ModeProduce:
							err = d.Produce(context.Background(), m)
						case metrics.ModeTryProduce:
							err = d.TryProduce(context.Background(), m)
						case metrics.ModeProduceSync:
							err = d.ProduceSync(context.Background(), m)
							if err != nil && !errors.Is(err, ErrStopped) {
								err = nil // accepted, failed at the broker
							}
						}
						switch {
						case err == nil:
							mu.Lock()
							accepted[m.TransactionUUID] = true
							mu.Unlock()
						case errors.Is(err, ErrStopped):
							return
						case errors.Is(err, ErrQueueFull):
						default:
							t.Errorf("unexpected error: %v", err)
							return
						}
					}
				})
			}

			time.Sleep(30 * time.Millisecond)
			d.Stop()
			wg.Wait()

			seen := map[string]int{}
			for _, o := range wait() {
				seen[o.Message.TransactionUUID]++
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("message %s got %d outcomes", id, n)
				}
				if !accepted[id] {
					t.Errorf("outcome for message %s that was not accepted", id)
				}
			}
			for id := range accepted {
				if seen[id] == 0 {
					t.Errorf("accepted message %s got no outcome", id)
				}
			}
			if len(accepted) == 0 {
				t.Error("no message was accepted before Stop")
			}
		})
	}
}

func TestStopIsIdempotentAndConcurrent(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(16))
	wait := collect(d)

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(d.Stop)
	}
	wg.Wait()
	d.Stop()
	if got := wait(); len(got) != 0 {
		t.Errorf("got %d outcomes without messages", len(got))
	}
}

// Without WithResults, Results returns a closed channel so ranging over it
// never hangs.
func TestResultsWithoutOption(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c))
	select {
	case _, ok := <-d.Results():
		if ok {
			t.Fatal("received an outcome without WithResults")
		}
	case <-time.After(time.Second):
		t.Fatal("Results() without WithResults blocks")
	}
}

// Unread results must stop admission rather than block franz-go: TryProduce
// fails once the results channel is full, and Stop still returns.
func TestUnreadResultsStopAdmission(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(8))

	msgs := messages(200, 10)
	accepted, rejected := 0, 0
	for _, m := range msgs {
		switch err := d.TryProduce(context.Background(), m); {
		case err == nil:
			accepted++
		case errors.Is(err, ErrQueueFull):
			rejected++
		default:
			t.Fatal(err)
		}
	}
	if accepted > 8 {
		t.Errorf("accepted %d messages with 8 result slots and no reader", accepted)
	}
	if rejected == 0 {
		t.Error("no TryProduce was rejected")
	}

	stopped := make(chan struct{})
	go func() { d.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop hangs with unread results")
	}

	n := 0
	for range d.Results() {
		n++
	}
	if n != accepted {
		t.Errorf("drained %d outcomes after Stop, want %d", n, accepted)
	}
}

func TestCallbackPanicDoesNotLoseOutcome(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(4),
		WithMessagesPublished(func(string, string, string) { panic("metrics backend broke") }))
	wait := collect(d)

	if err := d.ProduceSync(context.Background(), messages(1, 1)[0]); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	if got := wait(); len(got) != 1 {
		t.Fatalf("got %d outcomes, want 1", len(got))
	}
}

func TestNoCallbacksIsSafe(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c))
	for _, m := range messages(20, 5) {
		if err := d.ProduceSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTopicsListsRoutedTopics(t *testing.T) {
	c := newCluster(t)
	d, err := New(WithConfig(testConfig(c)))
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(testTopics)
	slices.Sort(want)
	if got := d.Topics(); !slices.Equal(got, want) {
		t.Errorf("Topics() = %v, want %v", got, want)
	}
}

// A ProduceSync whose context ends must report whether its message was
// accepted: ErrAckPending when it waits for the broker, ErrQueueFull when
// it never got in.
func TestProduceSyncErrorsTellAcceptance(t *testing.T) {
	c := newCluster(t)
	release := kafkatest.HoldProduce(c)
	defer release()

	d := startDispatcher(t, testConfig(c), WithResults(1))
	msgs := messages(2, 2)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	first := d.ProduceSync(ctx, msgs[0])
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	second := d.ProduceSync(ctx2, msgs[1])

	if !errors.Is(first, ErrAckPending) {
		t.Errorf("accepted message: %v, want ErrAckPending", first)
	}
	if !errors.Is(second, ErrQueueFull) || errors.Is(second, ErrAckPending) {
		t.Errorf("message that found no room: %v, want ErrQueueFull only", second)
	}
	if !errors.Is(second, context.DeadlineExceeded) {
		t.Errorf("message that found no room: %v, want it to match DeadlineExceeded", second)
	}

	release()
	d.Stop()
	n := 0
	for range d.Results() {
		n++
	}
	if n != 1 {
		t.Errorf("got %d outcomes, want 1 for the accepted message", n)
	}
}

func TestEndedContextRejected(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(8))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	for name, call := range map[string]func(context.Context, *wrp.Message) error{
		"Produce": d.Produce, "TryProduce": d.TryProduce, "ProduceSync": d.ProduceSync,
	} {
		err := call(ctx, messages(1, 1)[0])
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrAckPending) {
			t.Errorf("%s with a cancelled context = %v, want a rejection matching Canceled", name, err)
		}
	}
	d.Stop()
	if _, ok := <-d.Results(); ok {
		t.Error("a rejected message got an outcome")
	}
}

func TestNilContextAccepted(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c))
	msg := messages(1, 1)[0]
	//nolint:staticcheck // a nil context is what this test passes on purpose
	for name, call := range map[string]func(context.Context, *wrp.Message) error{
		"Produce": d.Produce, "TryProduce": d.TryProduce, "ProduceSync": d.ProduceSync,
	} {
		if err := call(nil, msg); err != nil {
			t.Errorf("%s with a nil context: %v", name, err)
		}
	}
}

// Stop during a Start that waits for a silent broker must not wait out the
// start timeout; Start then returns ErrStopped.
func TestStopDuringStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The accept loop is counted too, so every Go call happens while the
	// count is above zero.
	var conns sync.WaitGroup
	defer func() {
		ln.Close()
		conns.Wait()
	}()
	conns.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				// Read and never respond, until the client hangs up.
				_, _ = io.Copy(io.Discard, conn)
				conn.Close()
			})
		}
	})

	cfg := validConfig()
	cfg.Brokers = []string{ln.Addr().String()}
	cfg.StartTimeout = 5 * time.Second
	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}

	started := make(chan error, 1)
	go func() { started <- d.Start() }()
	time.Sleep(100 * time.Millisecond)

	began := time.Now()
	d.Stop()
	if took := time.Since(began); took > time.Second {
		t.Errorf("Stop during Start took %s", took)
	}
	select {
	case err := <-started:
		if !errors.Is(err, ErrStopped) {
			t.Errorf("Start interrupted by Stop = %v, want ErrStopped", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Start did not return after Stop")
	}
}

func TestAcksNoneReportsNoOffset(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.Acks = AcksNone
	d := startDispatcher(t, cfg, WithResults(16))
	wait := collect(d)

	for _, m := range messages(4, 1) {
		if err := d.ProduceSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	d.Stop()
	for _, o := range wait() {
		if o.Offset != -1 {
			t.Errorf("acks none outcome has offset %d, want -1", o.Offset)
		}
	}
}

// A topic whose max.message.bytes is below the producer's limit must fail
// an oversized record at once, naming the topic's limit.
func TestTopicMessageLimitApplies(t *testing.T) {
	c := newCluster(t)
	createTopic(t, c, "small-topic", map[string]string{"max.message.bytes": "4096"})

	cfg := testConfig(c)
	cfg.TopicMap = []TopicRoute{{Pattern: "*", Topic: "small-topic"}}
	d := startDispatcher(t, cfg)

	big := &wrp.Message{Source: "mac:112233445566", Destination: "event:x", Payload: make([]byte, 8192)}
	err := d.ProduceSync(context.Background(), big)
	if err == nil {
		t.Fatal("an 8 KiB record went to a topic limited to 4 KiB")
	}
	for _, want := range []string{"4096", "max.message.bytes", "small-topic"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	small := &wrp.Message{Source: "mac:112233445566", Destination: "event:x", Payload: make([]byte, 1024)}
	if err := d.ProduceSync(context.Background(), small); err != nil {
		t.Errorf("a 1 KiB record failed: %v", err)
	}
}

func createTopic(t *testing.T, c *kfake.Cluster, name string, configs map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topic := kafkatest.Topic{Name: name, Partitions: 1, Replication: 1, Configs: configs}
	if err := kafkatest.CreateTopics(ctx, c.ListenAddrs(), topic); err != nil {
		t.Fatal(err)
	}
}

// A broker address that closes every connection at once, as a TLS or SASL
// listener does to a plaintext client, must fail Start quickly. The client
// retries EOFs only after Start has proven the configuration, so Start must
// not wait out its timeout here.
func TestStartFailsFastOnClosedConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepting sync.WaitGroup
	defer func() {
		ln.Close()
		accepting.Wait()
	}()
	accepting.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	})

	cfg := validConfig()
	cfg.Brokers = []string{ln.Addr().String()}
	cfg.StartTimeout = 10 * time.Second
	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	err = d.Start()
	took := time.Since(began)
	if err == nil {
		t.Fatal("Start succeeded against a listener that closes every connection")
	}
	if took > 2*time.Second {
		t.Errorf("Start took %s to fail", took)
	}
	t.Logf("Start failed after %s: %v", took, err)
	d.Stop()
}
