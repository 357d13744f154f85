package workers

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc/panics"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/kafka"
	"github.com/xmidt-org/wrpkafka/metrics"
	"github.com/xmidt-org/wrpkafka/router"
)

type worker struct {
	lane     int
	jobs     <-chan Job
	routing  *atomic.Pointer[Routing]
	producer Producer
	deliver  Deliver
	logger   *zap.Logger

	// handed is set once the current job's record has been given to
	// franz-go, whose promise then owns the outcome. Only the worker's own
	// goroutine touches it.
	handed bool
}

func (w *worker) run() {
	for job := range w.jobs {
		w.handed = false
		recovered := panics.Try(func() { w.handle(&job) })
		if recovered != nil {
			w.recover(&job, recovered)
		}
	}
}

// recover turns a panic into an outcome unless franz-go already owns it.
func (w *worker) recover(job *Job, r *panics.Recovered) {
	w.logger.Error("worker panicked while handling a message",
		zap.String("destination", destinationOf(job)),
		zap.String("panic", r.String()),
		zap.Bool("handedToKafka", w.handed),
	)
	if w.handed {
		return
	}

	// The envelope of the failed attempt, if any, is left to the garbage
	// collector: the panic may have left it half filled.
	env := getEnvelope(w, job)
	w.fail(env, fmt.Errorf("internal error while handling the message: %w", r.AsError()), metrics.ErrorTypeInternal)
}

func (w *worker) handle(job *Job) {
	env := getEnvelope(w, job)
	o := &env.outcome
	routing := w.routing.Load()

	eventType, err := router.EventType(job.Msg.Destination)
	if err != nil {
		w.fail(env, err, metrics.ErrorTypeInvalidDestination)
		return
	}
	o.EventType = eventType

	decision, err := routing.Table.Route(eventType, job.Msg, job.Key)
	if err != nil {
		w.fail(env, err, metrics.ErrorTypeNoTopicMatch)
		return
	}
	o.Topic = decision.Topic
	o.Strategy = decision.Strategy.String()
	o.Fallback = decision.Fallback

	env.value, err = router.Encode(env.value[:0], job.Msg)
	if err != nil {
		w.fail(env, fmt.Errorf("encoding the message as msgpack: %w", err), metrics.ErrorTypeEncoding)
		return
	}

	record := &env.record
	record.Topic = decision.Topic
	record.Key = bytesOf(job.Key)
	record.Value = env.value
	record.Headers, env.headerValues = routing.Headers.AppendBuffer(env.headers[:0], env.headerValues[:0], job.Msg)

	size := batchSize(record)
	if limit, setting := w.producer.RecordLimit(decision.Topic); size > limit {
		err := fmt.Errorf("record for topic %q is %d bytes in its batch, over the limit of %d bytes set by %s: shrink the payload or raise the limit", decision.Topic, size, limit, setting)
		w.fail(env, err, metrics.ErrorTypeMessageTooLarge)
		return
	}

	w.handed = true
	if job.Mode == metrics.ModeTryProduce {
		w.producer.TryProduce(record, complete)
	} else {
		w.producer.Produce(record, complete)
	}
}

// complete builds the outcome from franz-go's promise, delivers it and
// recycles the envelope.
func (w *worker) complete(env *envelope, r *kgo.Record, err error) {
	o := &env.outcome
	o.Latency = time.Since(env.job.Start)
	if err == nil {
		o.Partition = r.Partition
		if !w.producer.AcksNone() {
			o.Offset = r.Offset
		}
	} else {
		o.ErrorType = kafka.Classify(err)
		o.Err = describeBrokerError(r, err)
	}

	w.deliver(o, env.job.Reply)
	env.release()
}

// fail delivers a failed outcome for a message that never reached franz-go.
func (w *worker) fail(env *envelope, err error, errorType string) {
	o := &env.outcome
	o.Latency = time.Since(env.job.Start)
	o.Err = err
	o.ErrorType = errorType
	w.deliver(o, env.job.Reply)
	env.release()
}

// describeBrokerError names the record's topic and size next to franz-go's
// error, which by itself names only the failure. It leaves the partition out
// because a record that failed before partitioning carries none.
func describeBrokerError(r *kgo.Record, err error) error {
	if errors.Is(err, kgo.ErrClientClosed) {
		return fmt.Errorf("topic %q: the publisher stopped before the broker acknowledged the record: %w", r.Topic, err)
	}
	return fmt.Errorf("topic %q, record of %d bytes in its batch: %w", r.Topic, batchSize(r), err)
}

// Framing of a record batch (Kafka's v2 format) that a lone record pays for,
// as upper bounds. The batch has its header. Each record has its length,
// attributes, timestamp and offset deltas, and varint length prefixes for
// the key, the value, the header count and each header's key and value.
const (
	batchHeaderBytes   = 61
	recordFramingBytes = 5 + 1 + 10 + 5 + 5 + 5 + 5
	headerFramingBytes = 5 + 5
)

// batchSize returns an upper bound of the bytes a batch holding only r takes,
// which is what franz-go compares with the batch limit.
func batchSize(r *kgo.Record) int {
	n := batchHeaderBytes + recordFramingBytes + len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += headerFramingBytes + len(h.Key) + len(h.Value)
	}
	return n
}

func destinationOf(job *Job) string {
	if job.Msg == nil {
		return ""
	}
	return job.Msg.Destination
}
