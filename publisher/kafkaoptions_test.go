package publisher

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/metrics"
)

// recordHook counts the records franz-go buffers and unbuffers, per topic.
type recordHook struct {
	mu         sync.Mutex
	buffered   map[string]int
	unbuffered map[string]int
	failed     int
}

func newRecordHook() *recordHook {
	return &recordHook{buffered: map[string]int{}, unbuffered: map[string]int{}}
}

func (h *recordHook) OnProduceRecordBuffered(r *kgo.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buffered[r.Topic]++
}

func (h *recordHook) OnProduceRecordUnbuffered(r *kgo.Record, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unbuffered[r.Topic]++
	if err != nil {
		h.failed++
	}
}

func TestKafkaOptionsHookSeesEveryRecord(t *testing.T) {
	c := newCluster(t)
	first, second := newRecordHook(), newRecordHook()
	d := startDispatcher(t, testConfig(c),
		WithResults(1024),
		WithKafkaOptions(kgo.WithHooks(first)),
		WithKafkaOptions(kgo.WithHooks(second)),
	)
	wait := collect(d)

	const n = 500
	for _, msg := range messages(n, 50) {
		if err := d.Produce(context.Background(), msg); err != nil {
			t.Fatalf("Produce: %v", err)
		}
	}
	d.Stop()

	perTopic := map[string]int{}
	for _, o := range wait() {
		if o.Err != nil {
			t.Fatalf("outcome for topic %q failed: %v", o.Topic, o.Err)
		}
		perTopic[o.Topic]++
	}

	for name, hook := range map[string]*recordHook{"first hook": first, "second hook": second} {
		hook.mu.Lock()
		if !maps.Equal(hook.buffered, perTopic) {
			t.Errorf("%s saw buffered records %v, want the outcomes' topics %v", name, hook.buffered, perTopic)
		}
		if !maps.Equal(hook.unbuffered, perTopic) {
			t.Errorf("%s saw unbuffered records %v, want %v", name, hook.unbuffered, perTopic)
		}
		if hook.failed != 0 {
			t.Errorf("%s saw %d failed records, want 0", name, hook.failed)
		}
		hook.mu.Unlock()
	}
}

func TestKafkaOptionsNilOption(t *testing.T) {
	_, err := New(WithConfig(Config{Brokers: []string{"127.0.0.1:9092"}, TopicMap: testRoutes()}),
		WithKafkaOptions(kgo.ClientID("x"), nil))
	if err == nil {
		t.Fatal("New accepted a nil franz-go option")
	}
	if !strings.Contains(err.Error(), "option 1 is nil") {
		t.Errorf("error %q does not name the nil option's index", err)
	}
}

// The publisher sets its record limit after the extra options, so a larger
// kgo.ProducerBatchMaxBytes cannot let an oversized record through.
func TestKafkaOptionsKeepRecordLimit(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.MaxMessageBytes = 4096

	var errorTypes sync.Map
	d := startDispatcher(t, cfg,
		WithKafkaOptions(kgo.ProducerBatchMaxBytes(1<<20)),
		WithMessageErrored(func(_, _, _, errorType string) { errorTypes.Store(errorType, true) }),
	)

	msg := &wrp.Message{
		Source:      "mac:112233445566",
		Destination: "event:big/mac:112233445566",
		Payload:     make([]byte, 8192),
	}
	err := d.ProduceSync(context.Background(), msg)
	if err == nil {
		t.Fatal("an 8 KiB record passed a 4096-byte maxMessageBytes")
	}
	if !strings.Contains(err.Error(), "4096") {
		t.Errorf("error %q does not name the 4096-byte limit", err)
	}
	if _, ok := errorTypes.Load(metrics.ErrorTypeMessageTooLarge); !ok {
		t.Errorf("messageErrored was not called with %s", metrics.ErrorTypeMessageTooLarge)
	}

	// A record within the limit still succeeds.
	msg.Payload = make([]byte, 100)
	if err := d.ProduceSync(context.Background(), msg); err != nil {
		t.Errorf("a small record failed: %v", err)
	}
}

// contextWrappingHook wraps each record's context, as OpenTelemetry's
// tracer does when it starts a span for the record.
type contextWrappingHook struct{}

type spanKey struct{}

func (contextWrappingHook) OnProduceRecordBuffered(r *kgo.Record) {
	r.Context = context.WithValue(r.Context, spanKey{}, "span")
}

// A hook that wraps record contexts used to crash the promise, which found
// the publisher's bookkeeping by a type assertion on the context.
func TestKafkaOptionsContextWrappingHook(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(64),
		WithKafkaOptions(kgo.WithHooks(contextWrappingHook{})))
	wait := collect(d)

	for _, m := range messages(50, 5) {
		if err := d.ProduceSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	d.Stop()
	if got := len(wait()); got != 50 {
		t.Errorf("got %d outcomes, want 50", got)
	}
}
