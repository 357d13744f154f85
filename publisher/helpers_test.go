package publisher

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/goleak"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	"github.com/xmidt-org/wrpkafka/internal/traffic"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTopics are the topics of testRoutes, seeded with 6 partitions each.
var testTopics = []string{"device-lifecycle", "qos-0", "qos-1", "iot-east", "iot-west", "iot-central", "device-events"}

// testRoutes cover every strategy and the event types of the traffic
// generator.
func testRoutes() []TopicRoute {
	return []TopicRoute{
		{Pattern: "device-status", Topic: "device-lifecycle"},
		{Pattern: "qos-*", Topics: []string{"qos-0", "qos-1"}, ShardBy: "deviceid"},
		{
			Pattern:  "iot-*",
			Topics:   []string{"iot-east", "iot-west", "iot-central"},
			ShardBy:  "metadata:region",
			ShardMap: map[string]string{"east": "iot-east", "west": "iot-west", "central": "iot-central"},
		},
		{Pattern: "*", Topic: "device-events"},
	}
}

// newCluster starts an in-process kfake cluster seeded with topics and
// closes it when the test ends.
func newCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(6, testTopics...)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("starting kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func testConfig(c *kfake.Cluster) Config {
	return Config{
		Brokers:         c.ListenAddrs(),
		TopicMap:        testRoutes(),
		Headers:         map[string]string{"src": "wrp.Source", "instance": "test-1"},
		Workers:         4,
		QueueSize:       256,
		ShutdownTimeout: 5 * time.Second,
		StartTimeout:    5 * time.Second,
	}
}

// startDispatcher creates and starts a Dispatcher and stops it when the test
// ends, if the test has not.
func startDispatcher(t testing.TB, cfg Config, opts ...Option) *Dispatcher {
	t.Helper()
	d, err := New(append([]Option{WithConfig(cfg)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := d.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(d.Stop)
	return d
}

// collect ranges over the results channel in the background; wait returns
// everything received once the channel closes.
func collect(d *Dispatcher) (wait func() []Outcome) {
	var (
		outcomes []Outcome
		done     = make(chan struct{})
	)
	go func() {
		defer close(done)
		for o := range d.Results() {
			outcomes = append(outcomes, o)
		}
	}()
	return func() []Outcome {
		<-done
		return outcomes
	}
}

// consumed is one record read back from the cluster.
type consumed struct {
	record *kgo.Record
	msg    wrp.Message
}

// consumeAll reads every record of topics from the start until want records
// arrived or the timeout passed, decoding each value with wrp-go.
func consumeAll(t testing.TB, c *kfake.Cluster, topics []string, want int, timeout time.Duration) []consumed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	records, err := kafkatest.ConsumeAll(ctx, c.ListenAddrs(), topics, want, timeout)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]consumed, len(records))
	for i, r := range records {
		if r.DecodeErr != nil {
			t.Errorf("record at %s/%d@%d does not decode: %v", r.Topic, r.Partition, r.Offset, r.DecodeErr)
		}
		out[i] = consumed{record: r.Record, msg: r.Message}
	}
	return out
}

// messages returns n generated messages for the given number of devices.
func messages(n, devices int) []*wrp.Message {
	g := traffic.New(traffic.Options{Devices: devices, Seed: 7})
	out := make([]*wrp.Message, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}
