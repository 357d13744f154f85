package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/xmidt-org/wrpkafka/internal/benchsetup"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// rawPhaseHeader marks records of the raw phase, so verification skips them
// when both phases write to the same brokers.
const rawPhaseHeader = "wrpkafka-bench-phase"

// runRaw publishes the same traffic with franz-go alone: topic, key, headers
// and value of every record are computed before the clock starts, so the
// figure is the limit wrpkafka's own work is measured against. The client
// uses the configuration's buffer, compression, acks and linger, and in
// -mode sync each producer waits for every record as ProduceSync does.
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

	opts, err := rawOptions(cfg)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.brokers...))...)
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
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.byErrorType["error"]++
			return
		}
		res.succeeded++
	}
	promise := func(_ *kgo.Record, err error) { record(err) }

	start := time.Now()
	for _, records := range groups {
		wg.Go(func() {
			for _, r := range records {
				if o.mode == "sync" {
					record(cl.ProduceSync(context.Background(), r).FirstErr())
					continue
				}
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

// rawOptions maps the producer settings of cfg onto franz-go options, with
// the same defaults the publisher applies.
func rawOptions(cfg publisher.Config) ([]kgo.Opt, error) {
	maxBuffered := cfg.MaxBufferedRecords
	if maxBuffered <= 0 {
		maxBuffered = publisher.DefaultMaxBufferedRecords
	}
	opts := []kgo.Opt{
		kgo.MaxBufferedRecords(maxBuffered),
		kgo.ProducerLinger(max(cfg.Linger, 0)),
		kgo.DisableClientMetrics(),
		// The publisher's metadata refresh interval: with franz-go's 5 s
		// default, the first records to a new topic wait seconds for it.
		kgo.MetadataMinAge(500 * time.Millisecond),
	}
	if cfg.MaxBufferedBytes > 0 {
		opts = append(opts, kgo.MaxBufferedBytes(cfg.MaxBufferedBytes))
	}

	switch cfg.CompressionCodec {
	case "", publisher.CompressionSnappy:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case publisher.CompressionGzip:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	case publisher.CompressionLz4:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case publisher.CompressionZstd:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	case publisher.CompressionNone:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	default:
		return nil, fmt.Errorf("compressionCodec %q is invalid", cfg.CompressionCodec)
	}

	switch cfg.Acks {
	case "", publisher.AcksAll:
	case publisher.AcksLeader:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case publisher.AcksNone:
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	default:
		return nil, fmt.Errorf("acks %q is invalid", cfg.Acks)
	}
	return opts, nil
}

// prepareRecords routes and encodes every message as the library would.
func prepareRecords(cfg publisher.Config, w *workload) ([][]*kgo.Record, error) {
	recorder, err := benchsetup.NewRecorder(cfg)
	if err != nil {
		return nil, err
	}

	groups := make([][]*kgo.Record, len(w.perGroup))
	for g, msgs := range w.perGroup {
		groups[g] = make([]*kgo.Record, 0, len(msgs))
		for _, m := range msgs {
			r, err := recorder.Record(m)
			if err != nil {
				return nil, err
			}
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: rawPhaseHeader, Value: []byte("raw")})
			groups[g] = append(groups[g], r)
		}
	}
	return groups, nil
}
