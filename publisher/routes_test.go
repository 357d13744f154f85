package publisher

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/metrics"
)

func TestUpdateRoutesSwapsTopics(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(16))
	msg := &wrp.Message{Source: "mac:112233445566", Destination: "event:reboot/mac:112233445566"}

	if err := d.ProduceSync(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if o := <-d.Results(); o.Topic != "device-events" {
		t.Fatalf("before the update: topic %q", o.Topic)
	}

	err := d.UpdateRoutes(context.Background(),
		[]TopicRoute{{Pattern: "reboot", Topic: "device-lifecycle"}, {Pattern: "*", Topic: "device-events"}},
		map[string]string{"kind": "wrp.Type"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ProduceSync(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if o := <-d.Results(); o.Topic != "device-lifecycle" {
		t.Errorf("after the update: topic %q, want device-lifecycle", o.Topic)
	}
	if got := d.Topics(); len(got) != 2 {
		t.Errorf("Topics() = %v after the update", got)
	}

	records := consumeAll(t, c, []string{"device-lifecycle"}, 1, 5*time.Second)
	if len(records) != 1 {
		t.Fatalf("consumed %d records from device-lifecycle, want 1", len(records))
	}
	if h := records[0].record.Headers; len(h) != 1 || h[0].Key != "kind" || string(h[0].Value) != "Invalid0" {
		t.Errorf("headers after the update: %v", h)
	}
}

func TestUpdateRoutesInvalidChangesNothing(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c))
	before := d.Topics()

	cases := []struct {
		name    string
		routes  []TopicRoute
		headers map[string]string
		want    string
	}{
		{"no routes", nil, nil, "topicMap is empty"},
		{"bad glob", []TopicRoute{{Pattern: "[a-", Topic: "t"}}, nil, `"[a-"`},
		{"bad shape", []TopicRoute{{Pattern: "*", Topic: "t", ShardBy: "roundrobin"}}, nil, "topicMap[0]"},
		{"empty header name", []TopicRoute{{Pattern: "*", Topic: "t"}}, map[string]string{"": "x"}, "header"},
	}
	for _, tc := range cases {
		err := d.UpdateRoutes(context.Background(), tc.routes, tc.headers)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: UpdateRoutes = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if after := d.Topics(); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("topics changed from %v to %v after failed updates", before, after)
	}
}

// Updates while many goroutines publish must be race-free and never lose or
// double an outcome.
func TestUpdateRoutesConcurrentWithProducers(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(4096))
	wait := collect(d)

	var accepted atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for p := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := &wrp.Message{Source: "mac:11223344556" + string(rune('0'+p)), Destination: "event:reboot"}
				if err := d.Produce(context.Background(), m); err == nil {
					accepted.Add(1)
				}
			}
		})
	}

	topics := []string{"device-events", "device-lifecycle"}
	for i := range 50 {
		err := d.UpdateRoutes(context.Background(), []TopicRoute{{Pattern: "*", Topic: topics[i%2]}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	d.Stop()

	outcomes := wait()
	if int64(len(outcomes)) != accepted.Load() {
		t.Fatalf("%d outcomes for %d accepted messages", len(outcomes), accepted.Load())
	}
	for _, o := range outcomes {
		if o.Err != nil {
			t.Fatalf("outcome failed: %v", o.Err)
		}
	}
}

func TestUpdateRoutesBeforeStart(t *testing.T) {
	d, err := New(WithConfig(validConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.UpdateRoutes(context.Background(), []TopicRoute{{Pattern: "*", Topic: "other"}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := d.Topics(); len(got) != 1 || got[0] != "other" {
		t.Errorf("Topics() = %v", got)
	}
	var zero Dispatcher
	if err := zero.UpdateRoutes(context.Background(), []TopicRoute{{Pattern: "*", Topic: "t"}}, nil); err == nil {
		t.Error("UpdateRoutes on a zero Dispatcher succeeded")
	}
}

func TestProduceByQoSPicksMode(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c), WithResults(16))

	cases := []struct {
		qos  wrp.QOSValue
		mode metrics.Mode
	}{
		{-5, metrics.ModeTryProduce},
		{0, metrics.ModeTryProduce},
		{24, metrics.ModeTryProduce},
		{25, metrics.ModeProduce},
		{74, metrics.ModeProduce},
		{75, metrics.ModeProduceSync},
		{99, metrics.ModeProduceSync},
		{150, metrics.ModeProduceSync},
	}
	for _, tc := range cases {
		m := &wrp.Message{Source: "mac:112233445566", Destination: "event:x", QualityOfService: tc.qos}
		if err := d.ProduceByQoS(context.Background(), m); err != nil {
			t.Fatalf("qos %d: %v", tc.qos, err)
		}
		o := <-d.Results()
		if o.Mode != tc.mode {
			t.Errorf("qos %d published with %s, want %s", tc.qos, o.Mode, tc.mode)
		}
	}
	if err := d.ProduceByQoS(context.Background(), nil); !errors.Is(err, ErrNilMessage) {
		t.Errorf("ProduceByQoS(nil) = %v", err)
	}
}
