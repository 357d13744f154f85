package faults

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/publisher"
)

const (
	topic      = "events"
	missing    = "not-created"
	devices    = 30
	perDevice  = 30
	partitions = 6
)

// cell is one run of the matrix: a fault, a mode, and whether Stop runs
// while the fault is active.
type cell struct {
	fault    fault
	mode     metrics.Mode
	stopMid  bool
	ports    []int  // fixed ports, for faults that restart the cluster
	dataDir  string // persisted cluster state, for the same faults
	cluster  *kfake.Cluster
	clusterM sync.Mutex
}

// counts is what a cell measured.
type counts struct {
	messages, accepted, outcomes, succeeded, failed int
	lost, duplicated, reordered, failedButWritten   int
	errorTypes                                      map[string]int
	// firstErrors keeps one error text per error type, for failure reports.
	firstErrors map[string]string
}

func (c counts) String() string {
	return fmt.Sprintf("messages %d, accepted %d, outcomes %d, ok %d, failed %d %v, lost %d, duplicated %d, reordered %d, failed-but-written %d",
		c.messages, c.accepted, c.outcomes, c.succeeded, c.failed, c.errorTypes, c.lost, c.duplicated, c.reordered, c.failedButWritten)
}

func (c *cell) startCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(3), kfake.SeedTopics(partitions, topic)}
	if c.ports != nil {
		// SyncWrites makes every acknowledged batch durable before the
		// response, as a broker with flush-per-message would. Without it,
		// kfake may drop the newest batches when it stops.
		opts = append(opts, kfake.Ports(c.ports...), kfake.DataDir(c.dataDir), kfake.SyncWrites())
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("starting kfake: %v", err)
	}
	c.clusterM.Lock()
	c.cluster = cluster
	c.clusterM.Unlock()
	return cluster
}

func (c *cell) currentCluster() *kfake.Cluster {
	c.clusterM.Lock()
	defer c.clusterM.Unlock()
	return c.cluster
}

// run publishes a numbered stream for many devices under the cell's fault
// and returns the counts.
func (c *cell) run(t *testing.T) counts {
	if c.fault.restarts {
		c.ports = freePorts(t, 3)
		c.dataDir = t.TempDir()
	}
	cluster := c.startCluster(t)
	defer func() { c.currentCluster().Close() }()

	// Stop meets an active fault in stopMid cells; a short deadline keeps
	// those cells from waiting on records that cannot be delivered.
	shutdown := 5 * time.Second
	if c.stopMid {
		shutdown = time.Second
	}
	d, err := publisher.New(
		publisher.WithConfig(publisher.Config{
			Brokers:         cluster.ListenAddrs(),
			Workers:         4,
			QueueSize:       256,
			RequestTimeout:  time.Second,
			DeliveryTimeout: 20 * time.Second,
			ShutdownTimeout: shutdown,
			TopicMap: []publisher.TopicRoute{
				{Pattern: "lost-*", Topic: missing},
				{Pattern: "*", Topic: topic},
			},
		}),
		publisher.WithResults(devices*perDevice),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}

	var outcomes []publisher.Outcome
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for o := range d.Results() {
			outcomes = append(outcomes, o)
		}
	}()

	if c.fault.install != nil {
		c.fault.install(c, cluster)
	}
	accepted := c.publish(t, d)
	d.Stop()
	<-collected

	if c.fault.clear != nil {
		c.fault.clear(c)
	}
	return c.count(t, accepted, outcomes)
}

// publish sends perDevice messages for each device, one goroutine per group
// of devices so each device's messages keep their order. Midway, it runs the
// fault's mid-stream action, and also Stop in stopMid cells.
func (c *cell) publish(t *testing.T, d *publisher.Dispatcher) map[string]bool {
	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		halfway  = make(chan struct{})
		once     sync.Once
		sent     int
		wg       sync.WaitGroup
	)
	groups := 4
	if c.mode == metrics.ModeProduceSync {
		groups = devices // a waiting caller per device keeps the stream moving
	}

	for g := range groups {
		wg.Go(func() {
			gen := traffic.New(traffic.Options{Devices: devices, Seed: 9})
			for range perDevice {
				for device := g; device < devices; device += groups {
					m := gen.NextFor(device)
					if c.fault.reroute != nil {
						c.fault.reroute(m)
					}
					ok, stopped := c.publishOne(t, d, m)
					if stopped {
						return
					}
					mu.Lock()
					if ok {
						accepted[m.TransactionUUID] = true
					}
					sent++
					if sent == devices*perDevice/2 {
						once.Do(func() { close(halfway) })
					}
					mu.Unlock()
				}
			}
		})
	}

	// Halfway through, or after a second when a fault holds every call
	// (ProduceSync under a persistent fault never gets halfway).
	select {
	case <-halfway:
	case <-waitGroupDone(&wg):
	case <-time.After(time.Second):
	}
	if c.fault.midStream != nil {
		c.fault.midStream(t, c)
	}
	if c.stopMid {
		d.Stop()
	}
	wg.Wait()
	return accepted
}

// publishOne sends m in the cell's mode, retrying TryProduce on a full
// queue. It reports whether m was accepted and whether the publisher
// stopped.
func (c *cell) publishOne(t *testing.T, d *publisher.Dispatcher, m *wrp.Message) (accepted, stopped bool) {
	ctx := context.Background()
	for {
		var err error
		switch c.mode {
		case metrics.ModeProduce:
			err = d.Produce(ctx, m)
		case metrics.ModeTryProduce:
			err = d.TryProduce(ctx, m)
		case metrics.ModeProduceSync:
			err = d.ProduceSync(ctx, m)
			if err != nil && !errors.Is(err, publisher.ErrStopped) && !errors.Is(err, publisher.ErrQueueFull) {
				err = nil // accepted; the outcome carries the failure
			}
		}
		switch {
		case err == nil:
			return true, false
		case errors.Is(err, publisher.ErrStopped):
			return false, true
		case errors.Is(err, publisher.ErrQueueFull):
			time.Sleep(200 * time.Microsecond)
		default:
			t.Errorf("unexpected rejection: %v", err)
			return false, true
		}
	}
}

// count consumes the records back and compares them with the outcomes.
func (c *cell) count(t *testing.T, accepted map[string]bool, outcomes []publisher.Outcome) counts {
	got := counts{
		messages:    devices * perDevice,
		accepted:    len(accepted),
		outcomes:    len(outcomes),
		errorTypes:  map[string]int{},
		firstErrors: map[string]string{},
	}

	perMessage := map[string]int{}
	succeeded := map[string]bool{}
	failed := map[string]bool{}
	for _, o := range outcomes {
		id := o.Message.TransactionUUID
		perMessage[id]++
		if !accepted[id] {
			t.Errorf("outcome for message %s, which was not accepted", id)
		}
		if o.Err == nil {
			got.succeeded++
			succeeded[id] = true
			continue
		}
		got.failed++
		failed[id] = true
		got.errorTypes[o.ErrorType]++
		if _, ok := got.firstErrors[o.ErrorType]; !ok {
			got.firstErrors[o.ErrorType] = o.Err.Error()
		}
		if o.ErrorType == "" {
			t.Errorf("failed outcome without an error type: %v", o.Err)
		}
	}
	for id := range accepted {
		if perMessage[id] != 1 {
			t.Errorf("accepted message %s got %d outcomes, want 1", id, perMessage[id])
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	records, err := kafkatest.ConsumeAll(ctx, c.currentCluster().ListenAddrs(), []string{topic}, got.succeeded, 3*time.Second)
	if err != nil {
		t.Fatalf("consuming back: %v", err)
	}

	written := map[string]int{}
	type place struct {
		device    int
		partition int32
	}
	last := map[place]uint64{}
	for _, r := range records {
		id := r.Message.TransactionUUID
		written[id]++
		_, device, seq, _ := traffic.ParseTransactionUUID(id)
		k := place{device, r.Partition}
		if prev, ok := last[k]; ok && seq <= prev {
			got.reordered++
		}
		last[k] = seq
	}
	for id, n := range written {
		if n > 1 {
			got.duplicated += n - 1
		}
		if failed[id] {
			got.failedButWritten++
		}
	}
	for id := range succeeded {
		if written[id] == 0 {
			got.lost++
		}
	}
	return got
}

func waitGroupDone(wg *sync.WaitGroup) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}
