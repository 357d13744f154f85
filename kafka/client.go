package kafka

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Client produces records with franz-go. All methods are safe for concurrent
// use.
type Client struct {
	cl          *kgo.Client
	brokers     string
	maxBuffered int
	acksNone    bool

	// tls is whether connections use TLS, and sasl tracks authentications
	// (nil without SASL). Ping uses both to explain failed connections.
	tls  bool
	sasl *trackedMechanism

	// recordLimit is the largest record franz-go accepts, in bytes, and
	// limitSetting names the setting it comes from.
	recordLimit     int
	limitSetting    string
	maxMessageBytes int

	// topicLimits maps topics to their max.message.bytes where that is
	// below recordLimit. LoadTopicLimits stores it before the first record
	// is produced.
	topicLimits atomic.Pointer[map[string]int]
}

// NewClient builds a franz-go client from validated settings. It does not
// connect: franz-go dials lazily, and Ping checks that a broker responds.
func NewClient(s Settings) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}

	c := &Client{
		brokers:         strings.Join(s.Brokers, ","),
		maxBuffered:     s.MaxBufferedRecords,
		acksNone:        s.Acks == AcksNone,
		recordLimit:     int(s.MaxMessageBytes),
		limitSetting:    "maxMessageBytes",
		maxMessageBytes: int(s.MaxMessageBytes),
		tls:             s.TLS != nil,
	}
	if s.SASL != nil {
		c.sasl = newTrackedMechanism(s.SASL)
		s.SASL = c.sasl
	}
	// franz-go fails a record larger than the whole byte buffer at once.
	if s.MaxBufferedBytes > 0 && s.MaxBufferedBytes < c.recordLimit {
		c.recordLimit = s.MaxBufferedBytes
		c.limitSetting = "maxBufferedBytes"
	}

	opts := append(s.options(), kgo.ProducerBatchMaxBytesFn(c.batchLimit))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the franz-go client: %w", err)
	}
	c.cl = cl
	return c, nil
}

// Ping waits until a broker responds to a metadata request or ctx ends. The
// error names the brokers tried and keeps franz-go's cause. When the cause
// points at the TLS or SASL settings, such as a failed authentication or a
// plaintext client at a TLS listener, the error also names the setting to
// change.
func (c *Client) Ping(ctx context.Context) error {
	err := c.cl.Ping(ctx)
	if err == nil {
		return nil
	}
	if hint := c.securityHint(err); hint != "" {
		return fmt.Errorf("connecting to %s failed: %s: %w", c.brokers, hint, err)
	}
	return fmt.Errorf("no broker of %s responded: %w", c.brokers, err)
}

// Produce hands r to franz-go, waiting while franz-go's buffer is full. The
// promise runs once, on franz-go's promise goroutine, and must not block.
//
// r.Context is kept only when it can never end, that is when its Done
// returns nil. Any other context, and nil, is replaced by
// context.Background(), because franz-go fails a record whose context ends
// together with every record buffered behind it in its partition.
func (c *Client) Produce(r *kgo.Record, promise func(*kgo.Record, error)) {
	isolate(r)
	c.cl.Produce(r.Context, r, promise)
}

// TryProduce hands r to franz-go like Produce, but when franz-go's buffer is
// full it fails the record with kgo.ErrMaxBuffered instead of waiting. The
// failure reaches the promise shortly after the call, on franz-go's promise
// goroutine.
func (c *Client) TryProduce(r *kgo.Record, promise func(*kgo.Record, error)) {
	isolate(r)
	c.cl.TryProduce(r.Context, r, promise)
}

// isolate gives r a context that never ends.
func isolate(r *kgo.Record) {
	if r.Context == nil || r.Context.Done() != nil {
		r.Context = context.Background()
	}
}

// Flush waits until every buffered record has its outcome or ctx ends. At
// the deadline it returns ctx.Err() and leaves the rest buffered.
func (c *Client) Flush(ctx context.Context) error {
	return c.cl.Flush(ctx)
}

// Close fails every record still buffered with kgo.ErrClientClosed and
// closes the connections. It may return before the promises of those
// records have run.
func (c *Client) Close() {
	c.cl.Close()
}

// Buffered returns the records franz-go holds and its configured maximum.
// The count includes Produce calls blocked on a full buffer, so it can
// exceed the maximum.
func (c *Client) Buffered() (current, maximum int) {
	return int(c.cl.BufferedProduceRecords()), c.maxBuffered
}

// RecordLimit returns the largest record the producer sends to topic, in
// bytes, and the setting that sets it: maxMessageBytes, maxBufferedBytes, or
// the topic's max.message.bytes, whichever is smallest.
func (c *Client) RecordLimit(topic string) (bytes int, setting string) {
	if limits := c.topicLimits.Load(); limits != nil {
		if limit, ok := (*limits)[topic]; ok {
			return limit, "the topic's max.message.bytes"
		}
	}
	return c.recordLimit, c.limitSetting
}

// batchLimit returns the batch size limit of a topic for franz-go:
// maxMessageBytes, or the topic's max.message.bytes when smaller. franz-go
// calls it once per partition, when it first produces to it.
func (c *Client) batchLimit(topic string) int32 {
	if limits := c.topicLimits.Load(); limits != nil {
		if limit, ok := (*limits)[topic]; ok && limit < c.maxMessageBytes {
			return int32(limit)
		}
	}
	return int32(c.maxMessageBytes)
}

// AcksNone reports whether the broker sends no acknowledgement, in which
// case franz-go reports no real offsets.
func (c *Client) AcksNone() bool {
	return c.acksNone
}
