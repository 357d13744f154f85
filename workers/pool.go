// Package workers is the fixed pool that turns queued messages into Kafka
// records.
//
// Each worker owns one inbox lane and handles its messages one at a time, in
// lane order: it routes the message, builds the key, headers and msgpack
// value, and hands the record to franz-go before it takes the next message.
// Because the publisher puts all messages of one device into one lane, and
// franz-go keeps the order of records it is handed per partition, one
// device's records reach their partition in the order the messages were
// queued.
//
// Every message a worker takes gets exactly one outcome: a routing or
// encoding failure is delivered by the worker at once, everything else by
// franz-go's promise. A panic while handling a message is recovered. If the
// record had not yet been handed to franz-go, the panic becomes an
// internal-error outcome. Either way the worker goes on with the next
// message.
package workers

import (
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/inbox"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/router"
)

// Job is one accepted message on its way through a lane.
type Job struct {
	Msg  *wrp.Message
	Mode metrics.Mode

	// Key is the canonical device id used as the partition key, or empty
	// for a nil key. KeySource names the source that supplied it.
	Key       string
	KeySource string

	// Start is when the publishing call began; outcomes measure latency
	// from it.
	Start time.Time

	// Reply receives the outcome as well when non-nil. It must have room
	// for one value, because delivery never waits on it.
	Reply chan<- metrics.Outcome
}

// Routing is the compiled routing state. The pool reads it through an atomic
// pointer, so it can be swapped while workers run. A message uses the state
// its worker loaded when it took the message.
type Routing struct {
	Table   *router.Table
	Headers router.Headers
}

// Producer is the part of the kafka client the workers use.
type Producer interface {
	Produce(r *kgo.Record, promise func(*kgo.Record, error))
	TryProduce(r *kgo.Record, promise func(*kgo.Record, error))
	// RecordLimit returns the largest record the producer sends to topic,
	// in bytes, and the setting that sets it.
	RecordLimit(topic string) (bytes int, setting string)
	// AcksNone reports that the broker does not acknowledge, so offsets
	// are unknown.
	AcksNone() bool
}

// Deliver receives each outcome exactly once, with the job's Reply channel.
// It runs on a worker or on franz-go's promise goroutine and must not block.
type Deliver func(o *metrics.Outcome, reply chan<- metrics.Outcome)

// Config is the set of dependencies of a pool. Every field is required.
type Config struct {
	Inbox    *inbox.Inbox[Job]
	Routing  *atomic.Pointer[Routing]
	Producer Producer
	Deliver  Deliver
	Logger   *zap.Logger
}

// Pool is a running set of workers, one per inbox lane.
type Pool struct {
	wg conc.WaitGroup
}

// Start starts one worker per lane of cfg.Inbox. The workers run until their
// lanes are closed and drained.
func Start(cfg Config) *Pool {
	p := &Pool{}
	for lane := range cfg.Inbox.Lanes() {
		w := &worker{
			lane:     lane,
			jobs:     cfg.Inbox.Lane(lane),
			routing:  cfg.Routing,
			producer: cfg.Producer,
			deliver:  cfg.Deliver,
			logger:   cfg.Logger.With(zap.Int("worker", lane)),
		}
		p.wg.Go(w.run)
	}
	return p
}

// Wait blocks until every worker has drained its lane and returned. A
// worker blocked in franz-go's Produce on a full buffer returns only once
// room appears or the client closes.
func (p *Pool) Wait() {
	p.wg.Wait()
}
