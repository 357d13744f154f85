package publisher

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/xmidt-org/wrpkafka/inbox"
	"github.com/xmidt-org/wrpkafka/kafka"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/workers"
)

// Outcome is the final report on one accepted message; see metrics.Outcome.
type Outcome = metrics.Outcome

// Lifecycle states of a Dispatcher.
const (
	stateNew int32 = iota
	stateStarting
	stateRunning
	stateStopping
	stateStopped
)

// Dispatcher publishes WRP messages to Kafka. Create it with New, call Start,
// publish with Produce, TryProduce or ProduceSync from any number of
// goroutines, and call Stop when done.
type Dispatcher struct {
	// Set by New and read-only afterwards.
	config          *Config
	logger          *zap.Logger
	failureLogger   *zap.Logger // rate-limited, for failed outcomes
	callbacks       metrics.Callbacks
	resultsCapacity int
	kafkaOptions    []kgo.Opt // from WithKafkaOptions
	resolved        *resolved
	routing         atomic.Pointer[workers.Routing]
	routesUpdate    sync.Mutex // serializes UpdateRoutes
	results         *results   // nil without WithResults
	closedResults   chan metrics.Outcome

	// state is one of the state constants. Transitions happen under
	// lifecycle; reads on the publishing path are lock-free.
	state     atomic.Int32
	lifecycle sync.Mutex
	stopDone  chan struct{} // closed when Stop has finished

	// run holds what Start creates; nil before Start has succeeded.
	run atomic.Pointer[running]

	// outstanding counts admitted messages whose outcome has not been
	// delivered, plus callers briefly between counting and admission.
	outstanding atomic.Int64
	// stopping is closed when Stop begins. It releases callers waiting for
	// a results slot, and from then on finishOne closes drained at zero.
	stopping     chan struct{}
	drained      chan struct{}
	drainedOnce  sync.Once
	keylessLanes atomic.Uint64 // spreads messages without a key over lanes
}

// running is the state Start creates.
type running struct {
	client *kafka.Client
	inbox  *inbox.Inbox[workers.Job]
	pool   *workers.Pool
}

// New validates the configuration and returns a Dispatcher that is not yet
// connected. WithConfig is required.
func New(opts ...Option) (*Dispatcher, error) {
	d := &Dispatcher{
		logger:   zap.NewNop(),
		stopDone: make(chan struct{}),
		stopping: make(chan struct{}),
		drained:  make(chan struct{}),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.apply(d); err != nil {
			return nil, fmt.Errorf("wrpkafka: %w", err)
		}
	}
	if d.config == nil {
		return nil, errors.New("wrpkafka: no configuration: pass WithConfig")
	}

	r, err := d.config.resolve()
	if err != nil {
		return nil, fmt.Errorf("wrpkafka: invalid configuration: %w", err)
	}
	for _, warning := range r.headerWarnings {
		d.logger.Warn("header omitted", zap.String("reason", warning))
	}
	for _, warning := range d.config.TLS.warnings() {
		d.logger.Warn("insecure TLS setting", zap.String("reason", warning))
	}

	r.settings.Logger = kzap.New(rateLimited(d.logger.Named("franz-go")))
	r.settings.Extra = d.kafkaOptions
	if err := r.settings.Validate(); err != nil {
		return nil, fmt.Errorf("wrpkafka: invalid configuration: %w", err)
	}

	d.resolved = r
	d.failureLogger = rateLimited(d.logger)
	d.callbacks.Logger = d.logger
	d.routing.Store(&workers.Routing{Table: r.table, Headers: r.headers})

	if d.resultsCapacity > 0 {
		d.results = newResults(d.resultsCapacity)
	} else {
		d.closedResults = make(chan metrics.Outcome)
		close(d.closedResults)
	}
	return d, nil
}

// rateLimited wraps a logger so that each distinct message is logged at most
// 10 times a second, then once per 1,000, which keeps a broker outage from
// flooding the log.
func rateLimited(l *zap.Logger) *zap.Logger {
	return l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, time.Second, 10, 1000)
	}))
}

// errNotCreated is returned by Start on a Dispatcher that New did not
// create.
var errNotCreated = errors.New("wrpkafka: Dispatcher was not created with New")

// Start connects to Kafka, waiting up to the configured startTimeout for a
// broker to respond, and then accepts messages. See StartContext.
func (d *Dispatcher) Start() error {
	if d.resolved == nil {
		return errNotCreated
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.resolved.startTimeout)
	defer cancel()
	return d.StartContext(ctx)
}

// StartContext connects to Kafka, waiting until a broker responds or ctx
// ends, and then accepts messages. When it fails, nothing keeps running and
// Start may be called again. Calling it on a started or stopped Dispatcher,
// or while another Start runs, is an error. A Stop during Start ends the wait
// and makes Start return ErrStopped.
func (d *Dispatcher) StartContext(ctx context.Context) error {
	if d.resolved == nil {
		return errNotCreated
	}
	if err := d.beginStart(); err != nil {
		return err
	}

	client, err := d.connect(ctx)
	if err != nil {
		d.abortStart()
		return fmt.Errorf("wrpkafka: Start: %w", err)
	}

	d.lifecycle.Lock()
	defer d.lifecycle.Unlock()
	if d.state.Load() != stateStarting {
		// Stop began while this Start waited for the broker.
		client.Close()
		return ErrStopped
	}

	r := d.resolved
	q := inbox.New[workers.Job](r.workers, r.queueSize)
	pool := workers.Start(workers.Config{
		Inbox:    q,
		Routing:  &d.routing,
		Producer: client,
		Deliver:  d.deliver,
		Logger:   d.logger,
	})
	d.run.Store(&running{client: client, inbox: q, pool: pool})
	d.state.Store(stateRunning)

	d.logger.Info("wrpkafka publisher started",
		zap.Strings("brokers", r.settings.Brokers),
		zap.Int("workers", r.workers),
		zap.Int("queueCapacity", q.Cap()),
		zap.Int("maxBufferedRecords", r.settings.MaxBufferedRecords),
		zap.Int("resultsCapacity", d.resultsCapacity),
	)
	return nil
}

// beginStart moves the state from new to starting.
func (d *Dispatcher) beginStart() error {
	d.lifecycle.Lock()
	defer d.lifecycle.Unlock()

	switch d.state.Load() {
	case stateStarting:
		return errors.New("wrpkafka: Start: another Start is in progress")
	case stateRunning:
		return errors.New("wrpkafka: Start: already started")
	case stateStopping, stateStopped:
		return ErrStopped
	}
	d.state.Store(stateStarting)
	return nil
}

// abortStart returns a failed Start to the new state, unless Stop began.
func (d *Dispatcher) abortStart() {
	d.lifecycle.Lock()
	defer d.lifecycle.Unlock()
	if d.state.Load() == stateStarting {
		d.state.Store(stateNew)
	}
}

// connect builds the client and waits for a broker, without holding the
// lifecycle lock, so Stop can end the wait.
func (d *Dispatcher) connect(ctx context.Context) (*kafka.Client, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-d.stopping:
			// Stop began: give up waiting for the broker.
			cancel()
		case <-ctx.Done():
			// Start finished or its context ended.
		}
	}()

	client, err := kafka.NewClient(d.resolved.settings)
	if err != nil {
		return nil, err
	}
	if err := client.Ping(ctx); err != nil {
		client.Close()
		if d.state.Load() != stateStarting {
			return nil, ErrStopped
		}
		return nil, err
	}
	d.checkTopics(ctx, client)
	return client, nil
}

// Stop stops the Dispatcher within the configured shutdownTimeout. See
// StopContext.
func (d *Dispatcher) Stop() {
	if d.resolved == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.resolved.shutdownTimeout)
	defer cancel()
	d.StopContext(ctx)
}

// StopContext stops admission, hands every queued message to franz-go,
// waits until ctx ends for the broker to acknowledge what is buffered, then
// closes the client, which fails the rest with a stopped outcome. It returns
// once every accepted message has its outcome and the results channel is
// closed.
//
// ctx bounds the wait for acknowledgements; the steps after it are quick
// unless a metric callback blocks. Publishing calls made during or after
// Stop return ErrStopped. StopContext is safe to call more than once and
// concurrently with publishing calls; later calls wait for the first.
func (d *Dispatcher) StopContext(ctx context.Context) {
	if d.resolved == nil {
		return
	}
	d.lifecycle.Lock()
	state := d.state.Load()
	if state == stateStopping || state == stateStopped {
		d.lifecycle.Unlock()
		<-d.stopDone
		return
	}
	d.state.Store(stateStopping)
	close(d.stopping)
	d.lifecycle.Unlock()

	defer close(d.stopDone)
	defer d.state.Store(stateStopped)

	if run := d.run.Load(); run != nil {
		d.shutdown(ctx, run)
	}
	d.closeResults()
}

// shutdown runs the stop sequence in the order that gives every message one
// outcome even with a stalled broker. It stops admission and lets the
// workers hand the queued messages to franz-go. It flushes until the
// deadline, then closes the client, which fails what is left, and waits for
// those outcomes. Only then does it join the workers, because a worker
// blocked on franz-go's full buffer is released only by Close.
func (d *Dispatcher) shutdown(ctx context.Context, run *running) {
	started := time.Now()
	run.inbox.Close()

	workersDone := make(chan struct{})
	go func() {
		run.pool.Wait()
		close(workersDone)
	}()

	select {
	case <-workersDone:
		// Every queued message reached franz-go.
	case <-ctx.Done():
		// Deadline with messages still queued; Close fails them.
		d.logger.Warn("stop deadline reached before the inbox drained",
			zap.Int("queued", run.inbox.Len()))
	}

	if err := run.client.Flush(ctx); err != nil {
		buffered, _ := run.client.Buffered()
		d.logger.Warn("stop deadline reached before every record was acknowledged; failing the rest",
			zap.Int("buffered", buffered), zap.Error(err))
	}
	run.client.Close()

	d.waitDrained()
	<-workersDone

	d.logger.Info("wrpkafka publisher stopped", zap.Duration("took", time.Since(started)))
}

// waitDrained blocks until every admitted message has its outcome.
func (d *Dispatcher) waitDrained() {
	if d.outstanding.Load() == 0 {
		d.drainedOnce.Do(func() { close(d.drained) })
	}
	<-d.drained
}

func (d *Dispatcher) closeResults() {
	if d.results != nil {
		close(d.results.ch)
	}
}

// Results returns the results channel: one Outcome for every accepted
// message, in the order outcomes become known (per partition in write
// order, across partitions in no set order). The channel is closed after
// Stop has delivered the last outcome, so ranging over it ends.
//
// Without WithResults it returns a closed channel. With it, the caller must
// keep reading: unread outcomes fill the channel, and then Produce and
// ProduceSync wait and TryProduce returns ErrQueueFull.
func (d *Dispatcher) Results() <-chan Outcome {
	if d.results == nil {
		return d.closedResults
	}
	return d.results.ch
}

// BufferedRecords returns the records franz-go holds and its configured
// maximum. current counts Produce calls waiting for buffer room too, so it
// can exceed maximum. Both are 0 before Start.
func (d *Dispatcher) BufferedRecords() (current, maximum int) {
	run := d.run.Load()
	if run == nil {
		return 0, 0
	}
	return run.client.Buffered()
}

// QueueDepth returns the messages waiting in the inbox and its capacity.
// Both are 0 before Start.
func (d *Dispatcher) QueueDepth() (current, capacity int) {
	run := d.run.Load()
	if run == nil {
		return 0, 0
	}
	return run.inbox.Len(), run.inbox.Cap()
}

// Topics returns every topic the routes can pick, sorted.
func (d *Dispatcher) Topics() []string {
	return d.routing.Load().Table.Topics()
}
