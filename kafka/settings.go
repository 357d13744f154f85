// Package kafka owns the franz-go client: it turns producer settings into
// franz-go options, produces records with promises, flushes, closes, reports
// buffered counts and classifies franz-go's errors into outcome labels.
//
// Records are always produced under a context that never ends. franz-go keeps
// a record's context, and when it ends, franz-go fails that record and every
// record buffered behind it in the partition. A caller's context attached to
// a record would therefore let one caller's cancel fail other callers'
// messages.
package kafka

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

// CompressionCodec names a record-batch compression codec.
type CompressionCodec string

// The compression codecs franz-go supports.
const (
	CompressionSnappy CompressionCodec = "snappy"
	CompressionGzip   CompressionCodec = "gzip"
	CompressionLz4    CompressionCodec = "lz4"
	CompressionZstd   CompressionCodec = "zstd"
	CompressionNone   CompressionCodec = "none"
)

// Acks is how many replicas must store a record before the broker
// acknowledges it.
type Acks string

// The acknowledgement levels Kafka supports.
const (
	// AcksAll waits for every in-sync replica and allows the idempotent
	// producer, which keeps per-partition order and avoids duplicates
	// under retries.
	AcksAll Acks = "all"
	// AcksLeader waits for the partition leader only. Idempotence is off,
	// so retries can write a record twice.
	AcksLeader Acks = "leader"
	// AcksNone waits for nothing. Idempotence is off, and a failed write
	// goes unnoticed.
	AcksNone Acks = "none"
)

// Settings is the resolved producer configuration. Unlike the YAML
// configuration it holds no "0 means default" values: every field is what
// franz-go will use, and Validate checks it against franz-go's limits.
type Settings struct {
	// Brokers are the seed brokers, host:port.
	Brokers []string
	// ClientID is sent to the brokers with every request.
	ClientID string

	// SASL authenticates connections when non-nil. If it implements
	// SASLUserNamer, a failed authentication names its user.
	SASL sasl.Mechanism
	// TLS encrypts connections when non-nil. The handshake with each
	// broker must finish within 3 s.
	TLS *tls.Config

	// MaxBufferedRecords bounds the records franz-go holds, at least 1.
	MaxBufferedRecords int
	// MaxBufferedBytes bounds the bytes franz-go holds; 0 means no bound.
	MaxBufferedBytes int
	// MaxMessageBytes is the largest record batch franz-go builds, and so
	// the largest single record it accepts, in bytes.
	MaxMessageBytes int32

	Compression CompressionCodec
	Linger      time.Duration
	Acks        Acks

	// RecordRetries is how often a failed record is retried; negative
	// means without limit.
	RecordRetries int
	// RequestTimeout bounds one produce request, at least 100 ms.
	RequestTimeout time.Duration
	// DeliveryTimeout bounds a record's time in franz-go from buffering to
	// acknowledgement; 0 means no bound, otherwise at least 1 s.
	DeliveryTimeout time.Duration

	// MetadataMinAge is the shortest time between two metadata refreshes.
	// After a leader change, retries wait for the next refresh, so a short
	// age shortens recovery.
	MetadataMinAge time.Duration

	// Logger receives franz-go's logs. It must not be nil.
	Logger kgo.Logger

	// Extra are franz-go options applied after the ones built here.
	Extra []kgo.Opt
}

// Franz-go's limits, checked by Validate so a bad value fails with a clear
// message instead of a franz-go error at client construction.
const (
	minRequestTimeout  = 100 * time.Millisecond
	minDeliveryTimeout = time.Second
	maxLinger          = time.Minute
	minMaxMessageBytes = 512
	maxMaxMessageBytes = 1 << 30
)

// Validate checks the settings against what franz-go accepts.
func (s *Settings) Validate() error {
	switch {
	case len(s.Brokers) == 0:
		return fmt.Errorf("no brokers: give at least one host:port")
	case s.MaxBufferedRecords < 1:
		return fmt.Errorf("maxBufferedRecords %d is invalid: franz-go needs at least 1", s.MaxBufferedRecords)
	case s.MaxBufferedBytes < 0:
		return fmt.Errorf("maxBufferedBytes %d is invalid: use 0 for no limit or a positive number of bytes", s.MaxBufferedBytes)
	case s.MaxMessageBytes < minMaxMessageBytes || s.MaxMessageBytes > maxMaxMessageBytes:
		return fmt.Errorf("maxMessageBytes %d is out of range: franz-go accepts %d to %d", s.MaxMessageBytes, minMaxMessageBytes, maxMaxMessageBytes)
	case s.Linger < 0 || s.Linger > maxLinger:
		return fmt.Errorf("linger %s is out of range: franz-go accepts 0 to %s", s.Linger, maxLinger)
	case s.RequestTimeout < minRequestTimeout:
		return fmt.Errorf("requestTimeout %s is too short: franz-go needs at least %s", s.RequestTimeout, minRequestTimeout)
	case s.DeliveryTimeout < 0 || (s.DeliveryTimeout > 0 && s.DeliveryTimeout < minDeliveryTimeout):
		return fmt.Errorf("deliveryTimeout %s is too short: franz-go needs 0 (no limit) or at least %s", s.DeliveryTimeout, minDeliveryTimeout)
	case s.Logger == nil:
		return fmt.Errorf("no logger")
	}

	if _, err := s.Compression.codec(); err != nil {
		return err
	}
	if _, err := s.Acks.acks(); err != nil {
		return err
	}
	return nil
}

// options builds the franz-go options. Validate must have passed.
func (s *Settings) options() []kgo.Opt {
	codec, _ := s.Compression.codec()
	acks, _ := s.Acks.acks()

	opts := []kgo.Opt{
		kgo.SeedBrokers(s.Brokers...),
		kgo.ClientID(s.ClientID),
		kgo.WithLogger(s.Logger),
		kgo.MaxBufferedRecords(s.MaxBufferedRecords),
		kgo.MaxBufferedBytes(s.MaxBufferedBytes),
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerLinger(s.Linger),
		kgo.RequiredAcks(acks),
		kgo.ProduceRequestTimeout(s.RequestTimeout),
		kgo.RecordDeliveryTimeout(s.DeliveryTimeout),
		kgo.MetadataMinAge(s.MetadataMinAge),
		// Without this, Close waits about a second for a final push of
		// client metrics to the broker.
		kgo.DisableClientMetrics(),
		// franz-go treats an EOF on a connection's first request as a
		// configuration error (missing SASL or TLS) and fails buffered
		// records on it. A broker restarting mid-stream causes the same
		// EOF. The publisher's Start pings the cluster first, so a wrong
		// configuration fails there, and afterwards an EOF is retried.
		kgo.AlwaysRetryEOF(),
	}

	if s.Acks != AcksAll {
		// franz-go rejects acks below all with the idempotent producer.
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if s.RecordRetries >= 0 {
		opts = append(opts, kgo.RecordRetries(s.RecordRetries))
	}
	if s.SASL != nil {
		opts = append(opts, kgo.SASL(s.SASL))
	}
	if s.TLS != nil {
		opts = append(opts, kgo.Dialer(newTLSDialer(s.TLS).DialContext))
	}

	return append(opts, s.Extra...)
}

func (c CompressionCodec) codec() (kgo.CompressionCodec, error) {
	switch c {
	case CompressionSnappy:
		return kgo.SnappyCompression(), nil
	case CompressionGzip:
		return kgo.GzipCompression(), nil
	case CompressionLz4:
		return kgo.Lz4Compression(), nil
	case CompressionZstd:
		return kgo.ZstdCompression(), nil
	case CompressionNone:
		return kgo.NoCompression(), nil
	default:
		return kgo.CompressionCodec{}, fmt.Errorf("compressionCodec %q is invalid: use snappy, gzip, lz4, zstd or none", string(c))
	}
}

func (a Acks) acks() (kgo.Acks, error) {
	switch a {
	case AcksAll:
		return kgo.AllISRAcks(), nil
	case AcksLeader:
		return kgo.LeaderAck(), nil
	case AcksNone:
		return kgo.NoAck(), nil
	default:
		return kgo.Acks{}, fmt.Errorf("acks %q is invalid: use all, leader or none", string(a))
	}
}
