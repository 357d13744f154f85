package metrics

import (
	"time"

	"go.uber.org/zap"
)

// Callbacks is the set of optional metric callbacks. Any of them may be nil.
//
// The callbacks run on the goroutine that produced the outcome: usually
// franz-go's promise goroutine, which handles one record at a time for the
// whole client, and otherwise a publisher worker. They must be safe for
// concurrent use and must return quickly, because a slow callback delays
// every other record's outcome.
type Callbacks struct {
	// Published runs once for each message the broker acknowledged.
	Published func(eventType, topic, shardStrategy string)

	// Errored runs once for each message that failed, with its error type.
	// It also runs, in addition to the final Published or Errored call, with
	// ErrorTypeMissingMetadataField for a message whose metadata-sharded
	// route fell back to round-robin.
	Errored func(eventType, topic, shardStrategy, errorType string)

	// Latency runs once for every outcome, success or failure, with the
	// time from the publishing call to the outcome.
	Latency func(eventType, topic, shardStrategy string, d time.Duration)

	// Logger receives a panic raised by a callback. A nil Logger drops it.
	Logger *zap.Logger
}

// Report passes one outcome to the callbacks. A panicking callback is
// recovered and logged, so it cannot take down franz-go's promise goroutine
// or cost the message its results-channel delivery.
func (c *Callbacks) Report(o *Outcome) {
	if c == nil {
		return
	}
	defer c.recoverPanic(o)

	if o.Fallback && o.Strategy == StrategyMetadata && c.Errored != nil {
		c.Errored(o.EventType, o.Topic, o.Strategy, ErrorTypeMissingMetadataField)
	}

	if o.Err == nil {
		if c.Published != nil {
			c.Published(o.EventType, o.Topic, o.Strategy)
		}
	} else if c.Errored != nil {
		c.Errored(o.EventType, o.Topic, o.Strategy, o.ErrorType)
	}

	if c.Latency != nil {
		c.Latency(o.EventType, o.Topic, o.Strategy, o.Latency)
	}
}

func (c *Callbacks) recoverPanic(o *Outcome) {
	r := recover()
	if r == nil || c.Logger == nil {
		return
	}
	c.Logger.Error("metric callback panicked",
		zap.Any("panic", r),
		zap.String("eventType", o.EventType),
		zap.String("topic", o.Topic),
		zap.Stack("stack"),
	)
}
