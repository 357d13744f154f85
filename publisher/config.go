package publisher

import (
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xmidt-org/wrpkafka/kafka"
	"github.com/xmidt-org/wrpkafka/router"
)

// CompressionCodec names the record-batch compression: snappy, gzip, lz4,
// zstd or none.
type CompressionCodec = kafka.CompressionCodec

// The valid CompressionCodec values.
const (
	CompressionSnappy = kafka.CompressionSnappy
	CompressionGzip   = kafka.CompressionGzip
	CompressionLz4    = kafka.CompressionLz4
	CompressionZstd   = kafka.CompressionZstd
	CompressionNone   = kafka.CompressionNone
)

// Acks is how many replicas must store a record before the broker
// acknowledges it: all, leader or none.
type Acks = kafka.Acks

// The valid Acks values.
const (
	AcksAll    = kafka.AcksAll
	AcksLeader = kafka.AcksLeader
	AcksNone   = kafka.AcksNone
)

// Defaults applied by New to fields left at zero.
const (
	DefaultQueueSize          = 10000
	DefaultMaxBufferedRecords = 50000
	DefaultMaxMessageBytes    = 1000012
	DefaultCompression        = CompressionSnappy
	DefaultAcks               = AcksAll
	DefaultRequestTimeout     = 10 * time.Second
	DefaultDeliveryTimeout    = 2 * time.Minute
	DefaultShutdownTimeout    = 10 * time.Second
	DefaultStartTimeout       = 10 * time.Second
	DefaultClientID           = "wrpkafka"

	// defaultMetadataMinAge is shorter than franz-go's 5 s because retries
	// after a leader change wait for the next metadata refresh. With 5 s, a
	// leader move stalled a partition for seconds.
	defaultMetadataMinAge = 500 * time.Millisecond
)

// Config is the publisher configuration, loadable from YAML with camelCase
// keys; durations are written like 250ms or 5s. The json tags use the same
// keys, but encoding/json reads a time.Duration only as integer nanoseconds.
// Config holds data only; the logger and metric callbacks are options of New.
//
// Numeric fields treat zero as "use the default". Negative values have the
// meaning documented on each field; none of them is an error.
type Config struct {
	// Brokers are the seed brokers, host:port. Required.
	Brokers []string `json:"brokers" yaml:"brokers"`

	// ClientID is sent to the brokers with every request. Default wrpkafka.
	ClientID string `json:"clientId,omitempty" yaml:"clientId,omitempty"`

	// SASL authenticates broker connections; nil means no SASL.
	SASL *SASLConfig `json:"sasl,omitempty" yaml:"sasl,omitempty"`

	// TLS encrypts broker connections; nil or enabled: false means
	// plaintext.
	TLS *TLSConfig `json:"tls,omitempty" yaml:"tls,omitempty"`

	// TopicMap routes event types to topics, first match wins. Required.
	TopicMap []TopicRoute `json:"topicMap" yaml:"topicMap"`

	// Headers adds Kafka record headers: name to value. A value such as
	// wrp.Source or wrp.Metadata.<key> copies that message field and is
	// omitted when the field is empty; any other value is a literal.
	// Unknown wrp. references are logged at New and dropped.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`

	// PartitionKey lists where the partition key comes from, tried in
	// order: source, destination or metadata:<key>. Only device ids with
	// the mac, uuid or serial scheme count, in canonical form such as
	// mac:112233445566. Default: metadata:/hw-deviceid, source,
	// destination. A message with no device id gets a nil key.
	PartitionKey []string `json:"partitionKey,omitempty" yaml:"partitionKey,omitempty"`

	// Workers is the number of workers, and so of inbox lanes. Default: the
	// number of usable CPUs (GOMAXPROCS).
	Workers int `json:"workers,omitempty" yaml:"workers,omitempty"`

	// QueueSize is the inbox capacity in messages, split evenly over the
	// lanes. Every lane holds at least one message, so with fewer messages
	// than workers the capacity is the number of workers. Default 10000, at
	// most 16777216.
	QueueSize int `json:"queueSize,omitempty" yaml:"queueSize,omitempty"`

	// MaxBufferedRecords bounds the records franz-go holds before Produce
	// waits and TryProduce fails. Default (0 or negative) 50000; franz-go
	// cannot turn buffering off.
	MaxBufferedRecords int `json:"maxBufferedRecords,omitempty" yaml:"maxBufferedRecords,omitempty"`

	// MaxBufferedBytes bounds the bytes franz-go holds. Default (0 or
	// negative): no bound.
	MaxBufferedBytes int `json:"maxBufferedBytes,omitempty" yaml:"maxBufferedBytes,omitempty"`

	// MaxMessageBytes is the largest record batch, and so the largest
	// record, the producer sends, in bytes. Larger records fail at once.
	// Keep it at or below the topic's max.message.bytes. Default (0 or
	// negative) 1000012, franz-go's default; range 512 to 1 GiB.
	MaxMessageBytes int `json:"maxMessageBytes,omitempty" yaml:"maxMessageBytes,omitempty"`

	// CompressionCodec compresses record batches: snappy, gzip, lz4, zstd
	// or none. Default snappy.
	CompressionCodec CompressionCodec `json:"compressionCodec,omitempty" yaml:"compressionCodec,omitempty"`

	// Linger is how long a partition's batch waits for more records before
	// it is sent. Default (0 or negative): no linger, so ProduceSync does
	// not wait out a linger either. At most 1m.
	Linger time.Duration `json:"linger,omitempty" yaml:"linger,omitempty"`

	// Acks is how many replicas must store a record: all, leader or none.
	// Default all, which also enables the idempotent producer. leader and
	// none turn idempotence off, so retries may write duplicates.
	Acks Acks `json:"acks,omitempty" yaml:"acks,omitempty"`

	// MaxRetries is how often a failed record is retried: 0 without limit
	// (default, bounded by DeliveryTimeout), a positive count, or -1 (any
	// negative) for no retries.
	MaxRetries int `json:"maxRetries,omitempty" yaml:"maxRetries,omitempty"`

	// RequestTimeout is how long the broker may take to process a produce
	// request; it is sent in the request. The client drops the connection
	// when no response arrives within this plus franz-go's 10s overhead.
	// Default (0 or negative) 10s; at least 100ms.
	RequestTimeout time.Duration `json:"requestTimeout,omitempty" yaml:"requestTimeout,omitempty"`

	// DeliveryTimeout bounds a record's time in franz-go, retries included,
	// after which it fails with a timeout outcome. Default 2m; negative
	// means no bound (records retry until Stop); otherwise at least 1s.
	//
	// With acks all (the idempotent producer), franz-go enforces it only
	// while no request carrying the record awaits a response, because
	// failing a record the broker may have stored would break the
	// producer's sequence numbers. A broker that accepts a request and
	// never responds therefore holds its records until it responds or Stop
	// closes the client. ProduceSync callers bound their own wait with ctx.
	DeliveryTimeout time.Duration `json:"deliveryTimeout,omitempty" yaml:"deliveryTimeout,omitempty"`

	// ShutdownTimeout bounds how long Stop waits for buffered records to
	// be acknowledged before it fails the rest. Default (0 or negative)
	// 10s.
	ShutdownTimeout time.Duration `json:"shutdownTimeout,omitempty" yaml:"shutdownTimeout,omitempty"`

	// StartTimeout bounds how long Start waits for a broker to respond.
	// Default (0 or negative) 10s.
	StartTimeout time.Duration `json:"startTimeout,omitempty" yaml:"startTimeout,omitempty"`
}

// TopicRoute is one entry of topicMap: a glob over the event type and the
// topic, or the topics and shard strategy, it routes to. See router.Spec for
// the fields and the rules they must follow.
type TopicRoute = router.Spec

// resolved is the configuration with defaults applied and parts compiled.
type resolved struct {
	workers         int
	queueSize       int
	shutdownTimeout time.Duration
	startTimeout    time.Duration
	keys            router.KeySources
	table           *router.Table
	headers         router.Headers
	headerWarnings  []string
	settings        kafka.Settings
}

func (c *Config) resolve() (*resolved, error) {
	if len(c.Brokers) == 0 {
		return nil, fmt.Errorf("brokers is empty: list at least one host:port")
	}
	for i, b := range c.Brokers {
		if err := checkBroker(b); err != nil {
			return nil, fmt.Errorf("brokers[%d]: %w", i, err)
		}
	}
	if err := checkCapacity("queueSize", c.QueueSize); err != nil {
		return nil, err
	}
	if c.MaxMessageBytes > maxMaxMessageBytes {
		return nil, fmt.Errorf("maxMessageBytes %d is too large: franz-go accepts at most %d", c.MaxMessageBytes, maxMaxMessageBytes)
	}
	if len(c.TopicMap) == 0 {
		return nil, fmt.Errorf("topicMap is empty: add at least one route, such as pattern \"*\" with a topic")
	}

	table, err := router.Compile(c.TopicMap)
	if err != nil {
		return nil, err
	}
	headers, warnings, err := router.CompileHeaders(c.Headers)
	if err != nil {
		return nil, err
	}
	keys, err := router.ParseKeySources(c.PartitionKey)
	if err != nil {
		return nil, err
	}

	r := &resolved{
		workers:         positiveOr(c.Workers, runtime.GOMAXPROCS(0)),
		queueSize:       positiveOr(c.QueueSize, DefaultQueueSize),
		shutdownTimeout: durationOr(c.ShutdownTimeout, DefaultShutdownTimeout),
		startTimeout:    durationOr(c.StartTimeout, DefaultStartTimeout),
		keys:            keys,
		table:           table,
		headers:         headers,
		headerWarnings:  warnings,
	}

	r.settings, err = c.kafkaSettings()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// kafkaSettings maps the configuration's "0 means default" values onto what
// franz-go accepts. The logger is filled in by New.
func (c *Config) kafkaSettings() (kafka.Settings, error) {
	s := kafka.Settings{
		Brokers:            c.Brokers,
		ClientID:           c.ClientID,
		MaxBufferedRecords: positiveOr(c.MaxBufferedRecords, DefaultMaxBufferedRecords),
		MaxBufferedBytes:   max(c.MaxBufferedBytes, 0),
		MaxMessageBytes:    int32(positiveOr(c.MaxMessageBytes, DefaultMaxMessageBytes)),
		Compression:        c.CompressionCodec,
		Linger:             max(c.Linger, 0),
		Acks:               c.Acks,
		RequestTimeout:     durationOr(c.RequestTimeout, DefaultRequestTimeout),
		DeliveryTimeout:    c.DeliveryTimeout,
		MetadataMinAge:     defaultMetadataMinAge,
	}

	if s.ClientID == "" {
		s.ClientID = DefaultClientID
	}
	if s.Compression == "" {
		s.Compression = DefaultCompression
	}
	if s.Acks == "" {
		s.Acks = DefaultAcks
	}

	switch {
	case c.MaxRetries == 0:
		s.RecordRetries = -1 // without limit
	case c.MaxRetries < 0:
		s.RecordRetries = 0
	default:
		s.RecordRetries = c.MaxRetries
	}

	switch {
	case c.DeliveryTimeout == 0:
		s.DeliveryTimeout = DefaultDeliveryTimeout
	case c.DeliveryTimeout < 0:
		s.DeliveryTimeout = 0 // no bound
	}

	var err error
	if s.SASL, err = c.SASL.mechanism(); err != nil {
		return s, err
	}
	if s.TLS, err = c.TLS.config(); err != nil {
		return s, err
	}
	return s, nil
}

// maxMaxMessageBytes is franz-go's upper limit for a record batch.
const maxMaxMessageBytes = 1 << 30

// maxCapacity bounds queueSize and the results capacity. Both buffers are
// allocated up front, about 100 bytes per slot, so a typing slip such as an
// extra few zeros would otherwise exhaust memory at Start.
const maxCapacity = 1 << 24

func checkCapacity(field string, n int) error {
	if n > maxCapacity {
		return fmt.Errorf("%s %d is too large: the buffer is allocated up front; use at most %d", field, n, maxCapacity)
	}
	return nil
}

// checkBroker rejects seed addresses franz-go would only fail on at Start.
func checkBroker(b string) error {
	host, port, err := net.SplitHostPort(b)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", b, err)
	}
	if host == "" || strings.ContainsAny(host, " /\t") {
		return fmt.Errorf("%q has an invalid host: give a name or IP address without scheme or spaces, such as kafka-1:9092", b)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q has an invalid port %q: use 1 to 65535", b, port)
	}
	return nil
}

func positiveOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func durationOr(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
