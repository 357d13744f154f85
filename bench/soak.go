package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// sample is one reading of the soak run.
type sample struct {
	at        time.Duration
	rssBytes  int64
	heapBytes uint64
	queued    int
	buffered  int
	outcomes  int64
	rejected  int64
	stalled   bool
}

// runSoak publishes generated traffic for o.duration and prints memory,
// queue depth and franz-go's buffer every o.progress. With o.stall the
// embedded broker holds every produce request for that long, starting
// o.stallAfter into the run, which shows whether memory stays bounded while
// the broker is stuck and returns once it recovers.
func runSoak(o options, cfg publisher.Config, topics []string) error {
	c, err := openCluster(o, topics)
	if err != nil {
		return err
	}
	defer c.close()
	cfg.Brokers = c.brokers

	d, err := publisher.New(publisher.WithConfig(cfg), publisher.WithResults(65536))
	if err != nil {
		return err
	}
	if err := d.Start(); err != nil {
		return err
	}

	var outcomes, failed, rejected atomic.Int64
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for o := range d.Results() {
			outcomes.Add(1)
			if o.Err != nil {
				failed.Add(1)
			}
		}
	}()

	var stalled atomic.Bool
	if o.stall > 0 {
		scheduleStall(c.fake, o.stallAfter, o.stall, &stalled)
	}

	fmt.Printf("soak: publishing for %s (%s, %d producers, %d workers, queue %d) to the %s",
		o.duration, o.mode, o.producers, cfg.Workers, cfg.QueueSize, c.describe())
	if o.stall > 0 {
		fmt.Printf("; broker stalled from %s to %s", o.stallAfter, o.stallAfter+o.stall)
	}
	fmt.Println()

	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	var wg sync.WaitGroup
	for p := range o.producers {
		wg.Go(func() { soakProducer(ctx, o, d, p, &rejected) })
	}

	samples := sampleUntil(ctx, o.progress, d, &outcomes, &rejected, &stalled)
	wg.Wait()
	d.Stop()
	<-collected

	reportSoak(samples, outcomes.Load(), failed.Load(), rejected.Load())
	return nil
}

// soakProducer publishes messages of its own devices until ctx ends.
func soakProducer(ctx context.Context, o options, d *publisher.Dispatcher, p int, rejected *atomic.Int64) {
	g := traffic.New(traffic.Options{Devices: o.devices, Seed: uint64(p + 1)})
	for device := p; ctx.Err() == nil; device += o.producers {
		if device >= o.devices {
			device = p
		}
		m := g.NextFor(device)

		var err error
		switch o.mode {
		case "tryproduce":
			err = d.TryProduce(ctx, m)
			if errors.Is(err, publisher.ErrQueueFull) {
				rejected.Add(1)
				time.Sleep(100 * time.Microsecond)
				continue
			}
		case "sync":
			err = d.ProduceSync(ctx, m)
		default:
			err = d.Produce(ctx, m)
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, publisher.ErrAckPending) {
			fmt.Fprintln(os.Stderr, "soak: publishing failed:", err)
			return
		}
	}
}

// scheduleStall makes the embedded cluster hold every produce request
// between after and after+length.
func scheduleStall(fake *kfake.Cluster, after, length time.Duration, stalled *atomic.Bool) {
	begin := time.Now().Add(after)
	end := begin.Add(length)
	fake.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		fake.KeepControl()
		now := time.Now()
		if now.Before(begin) || !now.Before(end) {
			return nil, nil, false
		}
		stalled.Store(true)
		fake.SleepControl(func() { time.Sleep(time.Until(end)) })
		stalled.Store(false)
		return nil, nil, false
	})
}

func sampleUntil(ctx context.Context, interval time.Duration, d *publisher.Dispatcher, outcomes, rejected *atomic.Int64, stalled *atomic.Bool) []sample {
	var samples []sample
	start := time.Now()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	var lastOutcomes, lastRejected int64
	for {
		select {
		case <-ctx.Done():
			return samples
		case now := <-ticker.C:
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			queued, _ := d.QueueDepth()
			buffered, _ := d.BufferedRecords()
			s := sample{
				at:        now.Sub(start).Round(100 * time.Millisecond),
				rssBytes:  residentBytes(),
				heapBytes: ms.HeapInuse,
				queued:    queued,
				buffered:  buffered,
				outcomes:  outcomes.Load() - lastOutcomes,
				rejected:  rejected.Load() - lastRejected,
				stalled:   stalled.Load(),
			}
			lastOutcomes, lastRejected = outcomes.Load(), rejected.Load()
			samples = append(samples, s)

			state := ""
			if s.stalled {
				state = "  broker stalled"
			}
			fmt.Printf("  %6s  rss %4d MiB  heap %4d MiB  inbox %6d  franz-go buffer %6d  outcomes %7d  queue-full %7d%s\n",
				s.at, s.rssBytes>>20, s.heapBytes>>20, s.queued, s.buffered, s.outcomes, s.rejected, state)
		}
	}
}

func reportSoak(samples []sample, outcomes, failed, rejected int64) {
	var before, during, after []sample
	for i, s := range samples {
		switch {
		case s.stalled:
			during = append(during, s)
		case len(during) == 0:
			before = append(before, s)
		default:
			after = append(after, samples[i])
		}
	}

	fmt.Println()
	fmt.Printf("soak: %d outcomes (%d failed), %d queue-full rejections\n", outcomes, failed, rejected)
	for _, phase := range []struct {
		name    string
		samples []sample
	}{{"before the stall", before}, {"during the stall", during}, {"after the stall", after}} {
		if len(phase.samples) == 0 {
			continue
		}
		lo, hi := phase.samples[0].rssBytes, phase.samples[0].rssBytes
		for _, s := range phase.samples {
			lo, hi = min(lo, s.rssBytes), max(hi, s.rssBytes)
		}
		fmt.Printf("  RSS %-17s %4d to %4d MiB over %d samples\n", phase.name, lo>>20, hi>>20, len(phase.samples))
	}
}

// residentBytes reads the process's resident set size from /proc, or
// returns 0 where that file does not exist.
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib << 10
		}
	}
	return 0
}
