package publisher

import (
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// Option configures a Dispatcher in New.
type Option interface {
	apply(*Dispatcher) error
}

type optionFunc func(*Dispatcher) error

func (f optionFunc) apply(d *Dispatcher) error { return f(d) }

// WithConfig sets the configuration. It is required; a later WithConfig
// replaces an earlier one.
func WithConfig(c Config) Option {
	return optionFunc(func(d *Dispatcher) error {
		d.config = &c
		return nil
	})
}

// WithLogger sets the logger for starts, stops, failed outcomes and
// franz-go's own logs. Default: a no-op logger. A nil logger is an error.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(d *Dispatcher) error {
		if l == nil {
			return errors.New("WithLogger: logger is nil; omit the option for no logging")
		}
		d.logger = l
		return nil
	})
}

// WithMessagesPublished sets the callback run once for each message the
// broker acknowledged. See metrics.Callbacks for where callbacks run.
func WithMessagesPublished(fn func(eventType, topic, shardStrategy string)) Option {
	return optionFunc(func(d *Dispatcher) error {
		d.callbacks.Published = fn
		return nil
	})
}

// WithMessageErrored sets the callback run once for each message that
// failed, with an error-type label from the metrics package. It also runs
// with missing_metadata_field, as information, for a message whose metadata
// shard fell back to round-robin.
func WithMessageErrored(fn func(eventType, topic, shardStrategy, errorType string)) Option {
	return optionFunc(func(d *Dispatcher) error {
		d.callbacks.Errored = fn
		return nil
	})
}

// WithPublishLatency sets the callback run once for every outcome with the
// time from the publishing call to the outcome.
func WithPublishLatency(fn func(eventType, topic, shardStrategy string, d time.Duration)) Option {
	return optionFunc(func(d *Dispatcher) error {
		d.callbacks.Latency = fn
		return nil
	})
}

// WithResults enables the results channel with room for capacity outcomes.
// Every accepted message then sends one Outcome to Results(), and the
// caller must read them: while capacity outcomes are unread or on their way,
// Produce and ProduceSync wait and TryProduce fails with ErrQueueFull.
func WithResults(capacity int) Option {
	return optionFunc(func(d *Dispatcher) error {
		if capacity < 1 {
			return fmt.Errorf("WithResults: capacity %d is invalid: use at least 1", capacity)
		}
		if err := checkCapacity("WithResults: capacity", capacity); err != nil {
			return err
		}
		d.resultsCapacity = capacity
		return nil
	})
}

// WithKafkaOptions adds franz-go client options, such as kgo.WithHooks with
// kprom's metrics or custom hooks. They are applied after the options the
// publisher builds from Config, so on a conflict they win. Several
// WithKafkaOptions accumulate in order. A nil option is an error.
//
// Set what Config covers (brokers, client id, SASL, TLS, buffer limits,
// compression, linger, acks, retries, timeouts) in Config. An option here
// would replace the Config value without a trace, and BufferedRecords would
// still report Config's maxBufferedRecords as the maximum.
//
// Do not pass options that change what the publisher relies on, because its
// documented guarantees then no longer hold:
//
//   - kgo.SeedBrokers: New checks and Start logs the brokers in Config, but
//     the client would dial the others.
//   - kgo.RequiredAcks, kgo.DisableIdempotentWrite,
//     kgo.AllowIdempotentProduceCancellation and kgo.RecordPartitioner:
//     per-device order and no duplicates under retries need acks all, the
//     idempotent producer, and a partitioner that hashes the key.
//   - kgo.TransactionalID: records would then need a transaction, and the
//     publisher never begins one.
//   - kgo.WithContext: ending that context stops the client's goroutines
//     and fails in-flight requests while the publisher still runs.
//   - kgo.WithLogger: it replaces the rate-limited logger from WithLogger.
//   - kgo.MetadataMinAge: the publisher lowers it to 500ms, so retries after
//     a leader change wait less for fresh metadata.
//
// Options cannot undo kgo.DisableClientMetrics, which spares Close about a
// second of waiting for a final metrics push, or kgo.AlwaysRetryEOF, which
// retries a broker's EOF because Start's ping has already checked SASL and
// TLS. They cannot change the record limits either: the publisher sets
// kgo.ProducerBatchMaxBytesFn after these options, so kgo.ProducerBatchMaxBytes
// and kgo.ProducerBatchMaxBytesFn here have no effect.
//
// Hooks run on franz-go's goroutines and must return quickly. A produce hook
// must not keep the *kgo.Record or its slices after it returns, because the
// publisher reuses records once their outcome is delivered. A hook may wrap
// the record's Context, as kotel's Tracer does, but the new context must not
// end: franz-go fails a record whose context ends together with every record
// buffered behind it.
func WithKafkaOptions(opts ...kgo.Opt) Option {
	return optionFunc(func(d *Dispatcher) error {
		for i, opt := range opts {
			if opt == nil {
				return fmt.Errorf("WithKafkaOptions: option %d is nil", i)
			}
		}
		d.kafkaOptions = append(d.kafkaOptions, opts...)
		return nil
	})
}
