package prometheus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/goleak"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	wrpprom "github.com/xmidt-org/wrpkafka/metrics/prometheus"
	"github.com/xmidt-org/wrpkafka/publisher"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var testTopics = []string{"device-events", "iot-east", "iot-west"}

// newCluster starts an in-process kfake cluster on 127.0.0.1 and closes it
// when the test ends.
func newCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, testTopics...))
	if err != nil {
		t.Fatalf("starting kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func testConfig(c *kfake.Cluster) publisher.Config {
	return publisher.Config{
		Brokers: c.ListenAddrs(),
		TopicMap: []publisher.TopicRoute{
			{
				Pattern:  "iot-*",
				Topics:   []string{"iot-east", "iot-west"},
				ShardBy:  "metadata:region",
				ShardMap: map[string]string{"east": "iot-east", "west": "iot-west"},
			},
			{Pattern: "*", Topic: "device-events"},
		},
		Workers:         2,
		QueueSize:       64,
		ShutdownTimeout: 5 * time.Second,
		StartTimeout:    5 * time.Second,
	}
}

// sample is one gathered counter, gauge or histogram, with its labels.
type sample struct {
	labels map[string]string
	value  float64 // the counter or gauge value, or the histogram's count
}

// gather returns every sample of the metric family name.
func gather(t *testing.T, g prometheus.Gatherer, name string) []sample {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("gathering: %v", err)
	}

	var out []sample
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			out = append(out, sample{labels: labelMap(m), value: value(f.GetType(), m)})
		}
	}
	return out
}

func labelMap(m *dto.Metric) map[string]string {
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	return labels
}

func value(kind dto.MetricType, m *dto.Metric) float64 {
	switch kind {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	default:
		return 0
	}
}

// sum adds the samples of name whose labels include every pair of match.
func sum(t *testing.T, g prometheus.Gatherer, name string, match map[string]string) float64 {
	t.Helper()
	var total float64
	for _, s := range gather(t, g, name) {
		matches := true
		for k, v := range match {
			if s.labels[k] != v {
				matches = false
			}
		}
		if matches {
			total += s.value
		}
	}
	return total
}

func TestMetricsFromDispatcher(t *testing.T) {
	c := newCluster(t)
	reg := prometheus.NewRegistry()
	m, err := wrpprom.New(reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	d, err := publisher.New(append(m.Options(), publisher.WithConfig(testConfig(c)))...)
	if err != nil {
		t.Fatalf("publisher.New: %v", err)
	}
	if err := m.RegisterGauges(d); err != nil {
		t.Fatalf("RegisterGauges: %v", err)
	}
	if err := d.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(d.Stop)

	const device = "mac:112233445566"
	ctx := context.Background()
	publish := func(msg *wrp.Message) error { return d.ProduceSync(ctx, msg) }

	for range 3 {
		if err := publish(&wrp.Message{Source: device, Destination: "event:online/" + device}); err != nil {
			t.Fatalf("publishing online: %v", err)
		}
	}
	for range 2 {
		msg := &wrp.Message{Source: device, Destination: "event:iot-temp/" + device, Metadata: map[string]string{"region": "east"}}
		if err := publish(msg); err != nil {
			t.Fatalf("publishing iot-temp: %v", err)
		}
	}
	// No region: the route falls back to round-robin and reports
	// missing_metadata_field as well as its own success.
	if err := publish(&wrp.Message{Source: device, Destination: "event:iot-noregion/" + device}); err != nil {
		t.Fatalf("publishing iot-noregion: %v", err)
	}
	// Not an event locator.
	if err := publish(&wrp.Message{Source: device, Destination: device + "/config"}); err == nil {
		t.Fatal("a message with a device Destination was published")
	}
	d.Stop()

	const (
		published = "kafka_messages_published_total"
		errored   = "kafka_messages_errored_total"
		latency   = "kafka_publish_duration_seconds"
	)
	checks := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"online published", published,
			map[string]string{"event_type": "online", "topic": "device-events", "shard_strategy": "single"}, 3},
		{"iot-temp published", published,
			map[string]string{"event_type": "iot-temp", "topic": "iot-east", "shard_strategy": "metadata"}, 2},
		{"fallback published", published,
			map[string]string{"event_type": "iot-noregion", "shard_strategy": "metadata"}, 1},
		{"all published", published, nil, 6},
		{"missing metadata field", errored,
			map[string]string{"event_type": "iot-noregion", "shard_strategy": "metadata", "error_type": "missing_metadata_field"}, 1},
		{"invalid destination", errored,
			map[string]string{"event_type": "", "topic": "", "shard_strategy": "", "error_type": "invalid_destination"}, 1},
		{"all errored", errored, nil, 2},
		{"online latency count", latency,
			map[string]string{"event_type": "online", "topic": "device-events", "shard_strategy": "single"}, 3},
		{"failed message latency count", latency,
			map[string]string{"event_type": "", "topic": ""}, 1},
		{"all latency counts", latency, nil, 7},
	}
	for _, check := range checks {
		if got := sum(t, reg, check.metric, check.labels); got != check.want {
			t.Errorf("%s: %s%v = %g, want %g", check.name, check.metric, check.labels, got, check.want)
		}
	}

	// The histogram holds real latencies: positive, and far below a minute
	// on an in-process cluster.
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != latency {
			continue
		}
		for _, metric := range f.GetMetric() {
			h := metric.GetHistogram()
			if h.GetSampleSum() <= 0 || h.GetSampleSum() > 60 {
				t.Errorf("%s%v has a sum of %gs, want between 0 and 60", latency, labelMap(metric), h.GetSampleSum())
			}
		}
	}

	// The names, types and help texts pass Prometheus's lint rules.
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestGaugesReadOnScrape(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.Workers = 1
	cfg.QueueSize = 16
	cfg.MaxBufferedRecords = 4

	reg := prometheus.NewRegistry()
	m, err := wrpprom.New(reg, wrpprom.WithNamespace("talaria"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	d, err := publisher.New(append(m.Options(), publisher.WithConfig(cfg))...)
	if err != nil {
		t.Fatalf("publisher.New: %v", err)
	}
	if err := m.RegisterGauges(d); err != nil {
		t.Fatalf("RegisterGauges: %v", err)
	}

	gauge := func(name string) float64 { return sum(t, reg, "talaria_"+name, nil) }

	// Before Start every gauge is 0.
	for _, name := range []string{"kafka_buffer_records", "kafka_buffer_utilization", "kafka_queue_depth", "kafka_queue_capacity"} {
		if got := gauge(name); got != 0 {
			t.Errorf("before Start, %s = %g, want 0", name, got)
		}
	}

	if err := d.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	release := kafkatest.HoldProduce(c)
	t.Cleanup(func() {
		release()
		d.Stop()
	})

	// With produce requests held, 4 records fill franz-go's buffer, the
	// single worker waits in franz-go with the 5th, and 3 more wait in the
	// inbox.
	for i := range 8 {
		msg := &wrp.Message{Source: "mac:112233445566", Destination: "event:online/mac:112233445566", TransactionUUID: string(rune('a' + i))}
		if err := d.Produce(context.Background(), msg); err != nil {
			t.Fatalf("Produce %d: %v", i, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		buffered, _ := d.BufferedRecords()
		depth, _ := d.QueueDepth()
		if buffered == 5 && depth == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backlog did not settle: %d buffered, %d queued, want 5 and 3", buffered, depth)
		}
		time.Sleep(10 * time.Millisecond)
	}

	_, capacity := d.QueueDepth()
	want := map[string]float64{
		"kafka_buffer_records":     5,
		"kafka_buffer_utilization": 1, // 5 of 4 is capped at 1
		"kafka_queue_depth":        3,
		"kafka_queue_capacity":     float64(capacity),
	}
	for name, value := range want {
		if got := gauge(name); got != value {
			t.Errorf("%s = %g, want %g", name, got, value)
		}
	}
	if capacity != 16 {
		t.Errorf("queue capacity %d, want the configured 16", capacity)
	}

	release()
	d.Stop()
	if got := sum(t, reg, "talaria_kafka_messages_published_total", nil); got != 8 {
		t.Errorf("after Stop, talaria_kafka_messages_published_total = %g, want 8", got)
	}
}

// fakeSource returns fixed backlog values.
type fakeSource struct {
	buffered, maximum, depth, capacity int
}

func (f fakeSource) BufferedRecords() (int, int) { return f.buffered, f.maximum }
func (f fakeSource) QueueDepth() (int, int)      { return f.depth, f.capacity }

func TestGaugeUtilization(t *testing.T) {
	cases := []struct {
		name   string
		source fakeSource
		want   float64
	}{
		{"before start", fakeSource{}, 0},
		{"empty", fakeSource{maximum: 100}, 0},
		{"half", fakeSource{buffered: 50, maximum: 100}, 0.5},
		{"full", fakeSource{buffered: 100, maximum: 100}, 1},
		{"callers waiting", fakeSource{buffered: 130, maximum: 100}, 1},
		{"no maximum", fakeSource{buffered: 7}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := wrpprom.New(reg)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.RegisterGauges(tc.source); err != nil {
				t.Fatal(err)
			}
			if got := sum(t, reg, "kafka_buffer_utilization", nil); got != tc.want {
				t.Errorf("kafka_buffer_utilization = %g, want %g", got, tc.want)
			}
			if got := sum(t, reg, "kafka_buffer_records", nil); got != float64(tc.source.buffered) {
				t.Errorf("kafka_buffer_records = %g, want %d", got, tc.source.buffered)
			}
		})
	}
}

func TestRegisterGaugesReplacesSource(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := wrpprom.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterGauges(fakeSource{depth: 1, capacity: 10}); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterGauges(fakeSource{depth: 2, capacity: 20}); err != nil {
		t.Fatalf("second RegisterGauges: %v", err)
	}
	if got := sum(t, reg, "kafka_queue_depth", nil); got != 2 {
		t.Errorf("kafka_queue_depth = %g, want 2 from the second source", got)
	}
	if got := sum(t, reg, "kafka_queue_capacity", nil); got != 20 {
		t.Errorf("kafka_queue_capacity = %g, want 20 from the second source", got)
	}

	if err := m.RegisterGauges(nil); err == nil {
		t.Error("RegisterGauges accepted a nil source")
	}
}

func TestNewDuplicateRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := wrpprom.New(reg); err != nil {
		t.Fatal(err)
	}

	_, err := wrpprom.New(reg)
	if err == nil {
		t.Fatal("a second New on the same registry succeeded")
	}
	if !strings.Contains(err.Error(), "kafka_messages_published_total") {
		t.Errorf("error %q does not name the metric", err)
	}
	var duplicate prometheus.AlreadyRegisteredError
	if !errors.As(err, &duplicate) {
		t.Errorf("error %q does not wrap prometheus.AlreadyRegisteredError", err)
	}

	// A second Metrics with its own namespace registers.
	if _, err := wrpprom.New(reg, wrpprom.WithNamespace("second")); err != nil {
		t.Errorf("New with another namespace: %v", err)
	}
}

func TestNewOnWrappedRegistries(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, name := range []string{"a", "b"} {
		wrapped := prometheus.WrapRegistererWith(prometheus.Labels{"publisher": name}, reg)
		m, err := wrpprom.New(wrapped)
		if err != nil {
			t.Fatalf("New for publisher %s: %v", name, err)
		}
		m.MessagePublished("online", "t", "single")
	}
	for _, name := range []string{"a", "b"} {
		if got := sum(t, reg, "kafka_messages_published_total", map[string]string{"publisher": name}); got != 1 {
			t.Errorf("publisher %s counted %g, want 1", name, got)
		}
	}
}

func TestRegisterGaugesTakenName(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "kafka_queue_depth", Help: "taken"}))
	m, err := wrpprom.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	err = m.RegisterGauges(fakeSource{})
	if err == nil {
		t.Fatal("RegisterGauges succeeded over an existing kafka_queue_depth")
	}
	if !strings.Contains(err.Error(), "kafka_queue_depth") {
		t.Errorf("error %q does not name the metric that is taken", err)
	}
}

// failingRegisterer fails the registration of one metric name and passes
// everything else to a registry.
type failingRegisterer struct {
	*prometheus.Registry
	failName string
}

func (f failingRegisterer) Register(c prometheus.Collector) error {
	descs := make(chan *prometheus.Desc, 8)
	c.Describe(descs)
	close(descs)
	for d := range descs {
		if strings.Contains(d.String(), `"`+f.failName+`"`) {
			return errors.New("injected failure")
		}
	}
	return f.Registry.Register(c)
}

// A failed New leaves nothing registered, so New on the same registry
// works afterwards.
func TestNewRegistersAllOrNothing(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := wrpprom.New(failingRegisterer{Registry: reg, failName: "kafka_publish_duration_seconds"})
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("New = %v, want the injected failure", err)
	}
	if _, err := wrpprom.New(reg); err != nil {
		t.Errorf("New after a failed New: %v", err)
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	cases := []struct {
		name    string
		reg     prometheus.Registerer
		opts    []wrpprom.Option
		mention string
	}{
		{"nil registerer", nil, nil, "registerer is nil"},
		{"no buckets", prometheus.NewRegistry(), []wrpprom.Option{wrpprom.WithBuckets()}, "no buckets"},
		{"unsorted buckets", prometheus.NewRegistry(), []wrpprom.Option{wrpprom.WithBuckets(0.1, 0.05)}, "bucket 1"},
		{"nil event type label", prometheus.NewRegistry(), []wrpprom.Option{wrpprom.WithEventTypeLabel(nil)}, "function is nil"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wrpprom.New(tc.reg, tc.opts...)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}

func TestNamesAndBuckets(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := wrpprom.New(reg,
		wrpprom.WithNamespace("talaria"),
		wrpprom.WithSubsystem("device"),
		wrpprom.WithBuckets(0.01, 0.1, 1),
	)
	if err != nil {
		t.Fatal(err)
	}
	m.PublishLatency("online", "device-events", "single", 50*time.Millisecond)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || families[0].GetName() != "talaria_device_kafka_publish_duration_seconds" {
		t.Fatalf("gathered %v, want only talaria_device_kafka_publish_duration_seconds", families)
	}
	buckets := families[0].GetMetric()[0].GetHistogram().GetBucket()
	var bounds []float64
	for _, b := range buckets {
		bounds = append(bounds, b.GetUpperBound())
	}
	if len(bounds) != 3 || bounds[0] != 0.01 || bounds[1] != 0.1 || bounds[2] != 1 {
		t.Errorf("bucket bounds %v, want [0.01 0.1 1]", bounds)
	}
	if got := buckets[1].GetCumulativeCount(); got != 1 {
		t.Errorf("the 0.1s bucket holds %d observations, want the 50ms one", got)
	}
}

func TestEventTypeLabel(t *testing.T) {
	reg := prometheus.NewRegistry()
	known := map[string]bool{"online": true}
	m, err := wrpprom.New(reg, wrpprom.WithEventTypeLabel(func(eventType string) string {
		if known[eventType] {
			return eventType
		}
		return "other"
	}))
	if err != nil {
		t.Fatal(err)
	}
	m.MessagePublished("online", "t", "single")
	m.MessagePublished("made-up-1", "t", "single")
	m.MessagePublished("made-up-2", "t", "single")

	if got := sum(t, reg, "kafka_messages_published_total", map[string]string{"event_type": "other"}); got != 2 {
		t.Errorf("event_type=other counts %g, want 2", got)
	}
	if got := len(gather(t, reg, "kafka_messages_published_total")); got != 2 {
		t.Errorf("%d label sets, want 2 (online and other)", got)
	}
}

// Event types come from device messages, which may hold any bytes.
func TestInvalidUTF8EventType(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := wrpprom.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	bad := string([]byte{'x', 0xff, 0xfe})
	m.MessagePublished(bad, "t", "single")
	m.MessageErrored(bad, "t", "single", "broker_error")
	m.PublishLatency(bad, "t", "single", time.Millisecond)

	labels := map[string]string{"event_type": "x\uFFFD"}
	for _, name := range []string{"kafka_messages_published_total", "kafka_messages_errored_total", "kafka_publish_duration_seconds"} {
		if got := sum(t, reg, name, labels); got != 1 {
			t.Errorf("%s%v = %g, want 1", name, labels, got)
		}
	}
}
