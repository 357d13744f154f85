package workers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/inbox"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/router"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeProducer records each record it is handed and calls its promise at
// once with err. With panicAfter set it then panics.
type fakeProducer struct {
	mu         sync.Mutex
	records    []*kgo.Record
	tried      int
	err        error
	maxBytes   int
	panicAfter bool
	// replaceContext swaps the record's Context for an unrelated one, as a
	// tracing hook may.
	replaceContext bool
}

type hookKey struct{}

func (p *fakeProducer) Produce(r *kgo.Record, promise func(*kgo.Record, error)) {
	p.mu.Lock()
	// The worker reuses the record after its promise, as franz-go allows,
	// so keep a copy.
	kept := &kgo.Record{
		Topic:   r.Topic,
		Key:     slices.Clone(r.Key),
		Value:   slices.Clone(r.Value),
		Headers: slices.Clone(r.Headers),
	}
	p.records = append(p.records, kept)
	r.Partition, r.Offset = 3, int64(len(p.records)-1)
	err := p.err
	p.mu.Unlock()

	if p.replaceContext {
		r.Context = context.WithValue(context.Background(), hookKey{}, "span")
	}

	promise(r, err)
	if p.panicAfter {
		panic("producer broke after the hand-off")
	}
}

func (p *fakeProducer) TryProduce(r *kgo.Record, promise func(*kgo.Record, error)) {
	p.mu.Lock()
	p.tried++
	p.mu.Unlock()
	p.Produce(r, promise)
}

func (p *fakeProducer) RecordLimit(string) (int, string) { return p.maxBytes, "maxMessageBytes" }

func (p *fakeProducer) AcksNone() bool { return false }

type harness struct {
	q        *inbox.Inbox[Job]
	pool     *Pool
	producer *fakeProducer

	mu       sync.Mutex
	outcomes []metrics.Outcome
}

func newHarness(t *testing.T, lanes int, producer *fakeProducer) *harness {
	t.Helper()
	table, err := router.Compile([]router.Spec{
		{Pattern: "iot-*", Topic: "iot"},
		{Pattern: "device-status", Topic: "lifecycle"},
	})
	if err != nil {
		t.Fatal(err)
	}
	headers, _, err := router.CompileHeaders(map[string]string{"src": "wrp.Source"})
	if err != nil {
		t.Fatal(err)
	}
	var routing atomic.Pointer[Routing]
	routing.Store(&Routing{Table: table, Headers: headers})

	if producer.maxBytes == 0 {
		producer.maxBytes = 1 << 20
	}
	h := &harness{q: inbox.New[Job](lanes, 64), producer: producer}
	h.pool = Start(Config{
		Inbox:    h.q,
		Routing:  &routing,
		Producer: producer,
		Deliver: func(o *metrics.Outcome, reply chan<- metrics.Outcome) {
			h.mu.Lock()
			h.outcomes = append(h.outcomes, *o)
			h.mu.Unlock()
			if reply != nil {
				reply <- *o
			}
		},
		Logger: zap.NewNop(),
	})
	return h
}

func (h *harness) put(t *testing.T, lane int, job Job) {
	t.Helper()
	if job.Start.IsZero() {
		job.Start = time.Now()
	}
	if err := h.q.Put(context.Background(), lane, job); err != nil {
		t.Fatal(err)
	}
}

// finish closes the inbox, waits for the workers and returns the outcomes.
func (h *harness) finish() []metrics.Outcome {
	h.q.Close()
	h.pool.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.outcomes
}

func event(destination string) *wrp.Message {
	return &wrp.Message{Type: wrp.SimpleEventMessageType, Source: "mac:112233445566", Destination: destination}
}

func TestWorkerBuildsRecord(t *testing.T) {
	p := &fakeProducer{}
	h := newHarness(t, 1, p)
	msg := event("event:iot-temp/mac:112233445566")
	h.put(t, 0, Job{Msg: msg, Key: "mac:112233445566", KeySource: "source"})
	outcomes := h.finish()

	if len(p.records) != 1 || len(outcomes) != 1 {
		t.Fatalf("%d records, %d outcomes; want 1 and 1", len(p.records), len(outcomes))
	}
	r := p.records[0]
	if r.Topic != "iot" || string(r.Key) != "mac:112233445566" {
		t.Errorf("record topic %q key %q", r.Topic, r.Key)
	}
	if len(r.Headers) != 1 || r.Headers[0].Key != "src" || string(r.Headers[0].Value) != msg.Source {
		t.Errorf("record headers %v", r.Headers)
	}
	var decoded wrp.Message
	if err := wrp.NewDecoderBytes(r.Value, wrp.Msgpack).Decode(&decoded); err != nil || decoded.Destination != msg.Destination {
		t.Errorf("value decodes to %+v, %v", decoded, err)
	}

	o := outcomes[0]
	if o.Err != nil || o.EventType != "iot-temp" || o.Topic != "iot" || o.Strategy != "single" ||
		o.Partition != 3 || o.Offset != 0 || o.KeySource != "source" || o.Latency <= 0 {
		t.Errorf("outcome %+v", o)
	}
}

func TestWorkerNilKeyForKeylessMessage(t *testing.T) {
	p := &fakeProducer{}
	h := newHarness(t, 1, p)
	h.put(t, 0, Job{Msg: event("event:iot-temp")})
	h.finish()
	if p.records[0].Key != nil {
		t.Errorf("keyless record has key %q, want nil", p.records[0].Key)
	}
}

func TestWorkerFailuresBecomeOutcomes(t *testing.T) {
	cases := []struct {
		name      string
		msg       *wrp.Message
		maxBytes  int
		errorType string
	}{
		{"invalid destination", event("mac:112233445566/config"), 0, metrics.ErrorTypeInvalidDestination},
		{"no route", event("event:unknown"), 0, metrics.ErrorTypeNoTopicMatch},
		{"too large", &wrp.Message{Destination: "event:iot-x", Payload: make([]byte, 2048)}, 1024, metrics.ErrorTypeMessageTooLarge},
		{"nil message", nil, 0, metrics.ErrorTypeInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakeProducer{maxBytes: tc.maxBytes}
			h := newHarness(t, 1, p)
			h.put(t, 0, Job{Msg: tc.msg})
			// The worker must go on after the failure.
			h.put(t, 0, Job{Msg: event("event:iot-ok")})
			outcomes := h.finish()

			if len(outcomes) != 2 {
				t.Fatalf("got %d outcomes, want 2", len(outcomes))
			}
			if outcomes[0].ErrorType != tc.errorType || outcomes[0].Err == nil {
				t.Errorf("outcome error %v (%s), want type %s", outcomes[0].Err, outcomes[0].ErrorType, tc.errorType)
			}
			if outcomes[1].Err != nil {
				t.Errorf("the next message failed: %v", outcomes[1].Err)
			}
			if len(p.records) != 1 {
				t.Errorf("producer got %d records, want only the good one", len(p.records))
			}
		})
	}
}

func TestWorkerTooLargeNamesSizeAndLimit(t *testing.T) {
	p := &fakeProducer{maxBytes: 1024}
	h := newHarness(t, 1, p)
	h.put(t, 0, Job{Msg: &wrp.Message{Destination: "event:iot-x", Payload: make([]byte, 2048)}})
	o := h.finish()[0]
	if !strings.Contains(o.Err.Error(), "1024") || !strings.Contains(o.Err.Error(), "bytes") {
		t.Errorf("error %q does not name size and limit", o.Err)
	}
}

func TestWorkerBrokerErrorOutcome(t *testing.T) {
	p := &fakeProducer{err: kerr.UnknownTopicOrPartition}
	h := newHarness(t, 1, p)
	h.put(t, 0, Job{Msg: event("event:iot-x")})
	o := h.finish()[0]
	if o.ErrorType != metrics.ErrorTypeUnknownTopic || !errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
		t.Errorf("outcome %v (%s)", o.Err, o.ErrorType)
	}
	if !strings.Contains(o.Err.Error(), `"iot"`) {
		t.Errorf("error %q does not name the topic", o.Err)
	}
}

func TestWorkerTryProduceMode(t *testing.T) {
	p := &fakeProducer{}
	h := newHarness(t, 1, p)
	h.put(t, 0, Job{Msg: event("event:iot-x"), Mode: metrics.ModeTryProduce})
	h.put(t, 0, Job{Msg: event("event:iot-x"), Mode: metrics.ModeProduce})
	h.finish()
	if p.tried != 1 {
		t.Errorf("TryProduce called %d times, want 1", p.tried)
	}
}

// A panic after franz-go took the record must not add a second outcome:
// the promise owns it.
func TestWorkerPanicAfterHandOffKeepsOneOutcome(t *testing.T) {
	p := &fakeProducer{panicAfter: true}
	h := newHarness(t, 1, p)
	h.put(t, 0, Job{Msg: event("event:iot-x")})
	h.put(t, 0, Job{Msg: event("event:iot-y")})
	if got := h.finish(); len(got) != 2 {
		t.Fatalf("got %d outcomes for 2 messages", len(got))
	}
}

func TestWorkerKeepsLaneOrder(t *testing.T) {
	p := &fakeProducer{}
	h := newHarness(t, 4, p)
	for i := range 200 {
		m := event("event:iot-x")
		m.TransactionUUID = string(rune('a' + i%26))
		m.Path = time.Duration(i).String()
		h.put(t, 2, Job{Msg: m})
	}
	h.finish()
	for i, r := range p.records {
		var m wrp.Message
		if err := wrp.NewDecoderBytes(r.Value, wrp.Msgpack).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Path != time.Duration(i).String() {
			t.Fatalf("record %d carries message %s", i, m.Path)
		}
	}
}

func TestWorkerReplies(t *testing.T) {
	p := &fakeProducer{}
	h := newHarness(t, 1, p)
	reply := make(chan metrics.Outcome, 1)
	h.put(t, 0, Job{Msg: event("event:iot-x"), Reply: reply, Mode: metrics.ModeProduceSync})
	h.finish()
	select {
	case o := <-reply:
		if o.Err != nil || o.Mode != metrics.ModeProduceSync {
			t.Errorf("reply %+v", o)
		}
	default:
		t.Fatal("no reply")
	}
}

// A franz-go hook may replace a record's Context, as OpenTelemetry's tracer
// does; the promise must still find the message and deliver its outcome.
func TestWorkerSurvivesReplacedRecordContext(t *testing.T) {
	p := &fakeProducer{replaceContext: true}
	h := newHarness(t, 1, p)
	h.put(t, 0, Job{Msg: event("event:iot-x")})
	h.put(t, 0, Job{Msg: event("event:iot-y")})
	outcomes := h.finish()
	if len(outcomes) != 2 {
		t.Fatalf("got %d outcomes, want 2", len(outcomes))
	}
	for _, o := range outcomes {
		if o.Err != nil || o.Topic != "iot" {
			t.Errorf("outcome %+v", o)
		}
	}
}
