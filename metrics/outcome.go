// Package metrics defines what the publisher reports about each message: the
// Outcome value, the error-type labels and the set of metric callbacks.
//
// The package depends on no metrics library. Adapters for Prometheus or
// franz-go hooks belong in sub-packages so the core stays free of them.
package metrics

import (
	"time"

	"github.com/xmidt-org/wrp-go/v3"
)

// Mode is the publishing call that accepted a message.
type Mode uint8

const (
	// ModeProduce is Produce: the caller waited for room, then went on.
	ModeProduce Mode = iota
	// ModeTryProduce is TryProduce: the caller never waited for room.
	ModeTryProduce
	// ModeProduceSync is ProduceSync: the caller waited for the outcome.
	ModeProduceSync
)

// String returns the mode's name as the publisher's method spells it.
func (m Mode) String() string {
	switch m {
	case ModeProduce:
		return "Produce"
	case ModeTryProduce:
		return "TryProduce"
	case ModeProduceSync:
		return "ProduceSync"
	default:
		return "unknown"
	}
}

// Outcome is the final report on one accepted message. Each accepted message
// gets exactly one Outcome, whether it was written, rejected by the router or
// failed by the broker.
type Outcome struct {
	// Message is the message the caller passed in. The publisher does not
	// modify it.
	Message *wrp.Message

	// Mode is the call that accepted the message.
	Mode Mode

	// EventType is the authority of the Destination's event locator, or
	// empty when the Destination is not an event locator.
	EventType string

	// Topic is the Kafka topic the router chose, or empty when routing
	// failed.
	Topic string

	// Strategy is the shard strategy label of the matching route: single,
	// roundrobin, deviceid or metadata. It is empty when no route matched.
	Strategy string

	// Key is the partition key: the canonical device id, such as
	// mac:112233445566. It is empty when the message names no device, and
	// then the record was produced with a nil key.
	Key string

	// KeySource is the partition-key source that supplied Key, such as
	// metadata:/hw-deviceid or source; empty when Key is empty.
	KeySource string

	// Fallback reports that a metadata-sharded route found the metadata
	// field missing or empty (or a deviceid route found no device id) and
	// picked the topic round-robin instead.
	Fallback bool

	// Partition and Offset locate the written record. Both are -1 when the
	// record was not written.
	Partition int32
	Offset    int64

	// Err is nil when the broker acknowledged the record.
	Err error

	// ErrorType is the label for Err, one of the ErrorType constants; empty
	// when Err is nil.
	ErrorType string

	// Latency is the time from the publishing call to this outcome.
	Latency time.Duration
}

// Succeeded reports whether the broker acknowledged the record.
func (o *Outcome) Succeeded() bool { return o.Err == nil }
