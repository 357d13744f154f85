package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// phaseResult is the measurement of one publishing run.
type phaseResult struct {
	cluster     string
	elapsed     time.Duration // first call to last outcome
	accepted    int
	queueFull   int // TryProduce calls retried after ErrQueueFull
	succeeded   int
	byErrorType map[string]int
	perTopic    map[string]int
	latencies   []time.Duration
	check       *verification
}

func (r *phaseResult) rate() float64 {
	return float64(r.accepted) / r.elapsed.Seconds()
}

// failed reports whether the run lost messages or broke order.
func (r *phaseResult) failed() bool {
	if r.succeeded+sum(r.byErrorType) != r.accepted {
		return true
	}
	return r.check != nil && !r.check.ok()
}

func runLibrary(o options, cfg publisher.Config, topics []string, w *workload) (*phaseResult, error) {
	c, err := openCluster(o, topics)
	if err != nil {
		return nil, err
	}
	defer c.close()
	cfg.Brokers = c.brokers

	d, err := publisher.New(publisher.WithConfig(cfg), publisher.WithResults(65536))
	if err != nil {
		return nil, err
	}
	if err := d.Start(); err != nil {
		return nil, err
	}

	res := &phaseResult{
		cluster:     c.describe(),
		byErrorType: map[string]int{},
		perTopic:    map[string]int{},
		latencies:   make([]time.Duration, 0, w.total),
	}
	var outcomes atomic.Int64
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for o := range d.Results() {
			outcomes.Add(1)
			res.latencies = append(res.latencies, o.Latency)
			if o.Err != nil {
				res.byErrorType[o.ErrorType]++
				continue
			}
			res.succeeded++
			res.perTopic[o.Topic]++
		}
	}()

	fmt.Printf("publishing %d messages through wrpkafka (%s, %d producers) to the %s...\n",
		w.total, o.mode, o.producers, c.describe())
	stopProgress := startProgress(o.progress, w.total, &outcomes, d)

	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	accepted, queueFull, err := publish(o.mode, d, w)
	if err != nil {
		stopProgress()
		d.Stop()
		return nil, err
	}
	d.Stop()
	<-collected
	res.elapsed = time.Since(start)
	stopProfile()
	stopProgress()

	res.accepted = accepted
	res.queueFull = queueFull

	if o.verify {
		fmt.Println("consuming every record back to verify...")
		res.check, err = verify(c.brokers, topics, w.runID, res.succeeded)
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// publish runs one goroutine per message group and returns how many
// messages were accepted and how often TryProduce found the queue full.
func publish(mode string, d *publisher.Dispatcher, w *workload) (accepted, queueFull int, err error) {
	var (
		wg       sync.WaitGroup
		accCount atomic.Int64
		qfCount  atomic.Int64
		firstErr error
		errOnce  sync.Once
	)
	ctx := context.Background()

	for _, group := range w.perGroup {
		wg.Go(func() {
			for _, m := range group {
				if err := publishOne(ctx, mode, d, m, &qfCount); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				accCount.Add(1)
			}
		})
	}
	wg.Wait()
	return int(accCount.Load()), int(qfCount.Load()), firstErr
}

func publishOne(ctx context.Context, mode string, d *publisher.Dispatcher, m *wrp.Message, queueFull *atomic.Int64) error {
	switch mode {
	case "tryproduce":
		for {
			err := d.TryProduce(ctx, m)
			if !errors.Is(err, publisher.ErrQueueFull) {
				return err
			}
			queueFull.Add(1)
			time.Sleep(50 * time.Microsecond)
		}
	case "sync":
		// A broker error is an outcome like any other; only a rejected
		// call stops the run.
		err := d.ProduceSync(ctx, m)
		if errors.Is(err, publisher.ErrStopped) || errors.Is(err, publisher.ErrNotStarted) {
			return err
		}
		return nil
	default:
		return d.Produce(ctx, m)
	}
}

// startProgress prints a progress line every interval until the returned
// function is called.
func startProgress(interval time.Duration, total int, outcomes *atomic.Int64, d *publisher.Dispatcher) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		start, last := time.Now(), int64(0)
		for {
			select {
			case <-done:
				return
			case now := <-ticker.C:
				n := outcomes.Load()
				queued, queueCap := d.QueueDepth()
				buffered, bufferMax := d.BufferedRecords()
				fmt.Printf("  %8d/%d outcomes (%3.0f%%)  %7.0f msgs/s  inbox %d/%d  franz-go buffer %d/%d  %s\n",
					n, total, 100*float64(n)/float64(total), float64(n-last)/interval.Seconds(),
					queued, queueCap, buffered, bufferMax, now.Sub(start).Round(100*time.Millisecond))
				last = n
			}
		}
	}()
	return func() {
		select {
		case <-done:
		default:
			close(done)
		}
		<-finished
	}
}

// startCPUProfile writes a CPU profile to path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
