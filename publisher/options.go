package publisher

import (
	"errors"
	"fmt"
	"time"

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
