package workers

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/router"
)

// instantProducer completes every record at once on the calling goroutine,
// so a benchmark measures the worker's own work.
type instantProducer struct{}

func (instantProducer) Produce(r *kgo.Record, promise func(*kgo.Record, error)) { promise(r, nil) }
func (instantProducer) TryProduce(r *kgo.Record, promise func(*kgo.Record, error)) {
	promise(r, nil)
}
func (instantProducer) RecordLimit(string) (int, string) { return 1 << 20, "maxMessageBytes" }
func (instantProducer) AcksNone() bool                   { return false }

func benchWorker(b *testing.B) *worker {
	b.Helper()
	table, err := router.Compile([]router.Spec{
		{Pattern: "device-status", Topic: "device-lifecycle"},
		{Pattern: "qos-*", Topics: []string{"q0", "q1", "q2"}, ShardBy: "deviceid"},
		{Pattern: "iot-*", Topics: []string{"east", "west", "central"}, ShardBy: "metadata:region"},
		{Pattern: "telemetry*", IgnoreCase: true, Topics: []string{"t0", "t1"}, ShardBy: "roundrobin"},
		{Pattern: "*", Topic: "device-events"},
	})
	if err != nil {
		b.Fatal(err)
	}
	headers, _, err := router.CompileHeaders(map[string]string{
		"src": "wrp.Source", "dst": "wrp.Destination", "X-Source-Instance": "talaria-1", "region": "us-east-1",
	})
	if err != nil {
		b.Fatal(err)
	}
	var routing atomic.Pointer[Routing]
	routing.Store(&Routing{Table: table, Headers: headers})
	return &worker{
		routing:  &routing,
		producer: instantProducer{},
		deliver:  func(*metrics.Outcome, chan<- metrics.Outcome) {},
		logger:   zap.NewNop(),
	}
}

// BenchmarkHandle measures one message through the worker: event type,
// route, headers, msgpack value, record, and the outcome from the promise.
// The partition key comes from the caller, as in the publisher.
func BenchmarkHandle(b *testing.B) {
	w := benchWorker(b)
	g := traffic.New(traffic.Options{Devices: 1000, Seed: 1})
	jobs := make([]Job, 1024)
	keys, err := router.ParseKeySources(nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range jobs {
		m := g.Next()
		key, from := keys.DeviceKey(m)
		jobs[i] = Job{Msg: m, Key: key, KeySource: from, Start: time.Now()}
	}

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		w.handle(&jobs[i%len(jobs)])
	}
}
