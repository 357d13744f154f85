package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/xmidt-org/wrpkafka/publisher"
	"github.com/xmidt-org/wrpkafka/router"
)

// runRaw publishes the same traffic with franz-go alone: topic, key, headers
// and value of every record are computed before the clock starts, so the
// figure is the limit wrpkafka's own work is measured against. The client
// uses the same buffer, compression, acks and linger as the library.
func runRaw(o options, cfg publisher.Config, topics []string, w *workload) (*phaseResult, error) {
	groups, err := prepareRecords(cfg, w)
	if err != nil {
		return nil, err
	}

	c, err := openCluster(o, topics)
	if err != nil {
		return nil, err
	}
	defer c.close()

	maxBuffered := cfg.MaxBufferedRecords
	if maxBuffered <= 0 {
		maxBuffered = publisher.DefaultMaxBufferedRecords
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.brokers...),
		kgo.MaxBufferedRecords(maxBuffered),
		kgo.ProducerBatchCompression(kgo.SnappyCompression()),
		kgo.ProducerLinger(0),
		kgo.DisableClientMetrics(),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	fmt.Printf("publishing %d records through franz-go directly (%d producers) to the %s...\n",
		w.total, len(groups), c.describe())

	res := &phaseResult{cluster: c.describe(), byErrorType: map[string]int{}, perTopic: map[string]int{}}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	promise := func(r *kgo.Record, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.byErrorType["error"]++
			return
		}
		res.succeeded++
	}

	start := time.Now()
	for _, records := range groups {
		wg.Go(func() {
			for _, r := range records {
				cl.Produce(context.Background(), r, promise)
			}
		})
	}
	wg.Wait()
	if err := cl.Flush(context.Background()); err != nil {
		return nil, err
	}
	res.elapsed = time.Since(start)
	res.accepted = w.total
	return res, nil
}

// prepareRecords routes and encodes every message with wrpkafka's router,
// as the library would.
func prepareRecords(cfg publisher.Config, w *workload) ([][]*kgo.Record, error) {
	table, err := router.Compile(cfg.TopicMap)
	if err != nil {
		return nil, err
	}
	headers, _, err := router.CompileHeaders(cfg.Headers)
	if err != nil {
		return nil, err
	}
	keys, err := router.ParseKeySources(cfg.PartitionKey)
	if err != nil {
		return nil, err
	}

	groups := make([][]*kgo.Record, len(w.perGroup))
	for g, msgs := range w.perGroup {
		groups[g] = make([]*kgo.Record, 0, len(msgs))
		for _, m := range msgs {
			eventType, err := router.EventType(m.Destination)
			if err != nil {
				return nil, err
			}
			key, _ := keys.DeviceKey(m)
			decision, err := table.Route(eventType, m, key)
			if err != nil {
				return nil, err
			}
			value, err := router.Encode(nil, m)
			if err != nil {
				return nil, err
			}
			r := &kgo.Record{Topic: decision.Topic, Value: value, Headers: headers.Append(nil, m)}
			if key != "" {
				r.Key = []byte(key)
			}
			groups[g] = append(groups[g], r)
		}
	}
	return groups, nil
}
