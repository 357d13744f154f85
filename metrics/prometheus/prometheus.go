// Package prometheus exports the publisher's outcomes and backlog as
// Prometheus metrics, registered on a registry the caller passes:
//
//	kafka_messages_published_total{event_type,topic,shard_strategy}
//	kafka_messages_errored_total{event_type,topic,shard_strategy,error_type}
//	kafka_publish_duration_seconds{event_type,topic,shard_strategy}
//	kafka_buffer_records
//	kafka_buffer_utilization
//	kafka_queue_depth
//	kafka_queue_capacity
//
// The counters and the histogram come from the publisher's metric callbacks
// (see Metrics.Options). The gauges are read from the Dispatcher on every
// scrape (see Metrics.RegisterGauges).
//
// kafka_messages_errored_total also counts missing_metadata_field, which is
// informational: that message also has its own published or errored count.
// Leave that error type out when computing a failure rate.
//
// The event_type label comes from each message's Destination, so devices
// choose its values. Bound them with WithEventTypeLabel when devices may
// send arbitrary event types.
package prometheus

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// Label names of the counters and the histogram.
const (
	LabelEventType     = "event_type"
	LabelTopic         = "topic"
	LabelShardStrategy = "shard_strategy"
	LabelErrorType     = "error_type"
)

// defaultBuckets are the publish-latency buckets in seconds. They start at
// 1ms, below the 5ms where Prometheus's default buckets start, so
// acknowledgements faster than 5ms still spread over several buckets.
// Prometheus's default buckets end at 10s. These end at 120s, the
// publisher's default deliveryTimeout, so records that wait out retries or
// time out land in a bucket instead of +Inf.
var defaultBuckets = []float64{
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60, 120,
}

// Option configures New.
type Option func(*settings) error

type settings struct {
	namespace      string
	subsystem      string
	buckets        []float64
	eventTypeLabel func(string) string
}

// WithNamespace prefixes every metric name with namespace and an
// underscore, such as talaria_kafka_messages_published_total.
func WithNamespace(namespace string) Option {
	return func(s *settings) error {
		s.namespace = namespace
		return nil
	}
}

// WithSubsystem puts subsystem and an underscore between the namespace and
// every metric name.
func WithSubsystem(subsystem string) Option {
	return func(s *settings) error {
		s.subsystem = subsystem
		return nil
	}
}

// WithBuckets sets the upper bounds of kafka_publish_duration_seconds's
// buckets, in seconds, in increasing order. The default runs from 1ms to
// 120s.
func WithBuckets(buckets ...float64) Option {
	return func(s *settings) error {
		if len(buckets) == 0 {
			return errors.New("WithBuckets: no buckets: give at least one upper bound in seconds")
		}
		for i := 1; i < len(buckets); i++ {
			if buckets[i] <= buckets[i-1] {
				return fmt.Errorf("WithBuckets: bucket %d (%g) is not above bucket %d (%g): give the bounds in increasing order",
					i, buckets[i], i-1, buckets[i-1])
			}
		}
		s.buckets = slices.Clone(buckets)
		return nil
	}
}

// WithEventTypeLabel sets the function that turns a message's event type
// into the event_type label value, for example to map every type outside a
// known list to "other". It runs on the publisher's callback goroutines, so
// it must be safe for concurrent use and quick. By default the label is the
// event type itself.
func WithEventTypeLabel(label func(eventType string) string) Option {
	return func(s *settings) error {
		if label == nil {
			return errors.New("WithEventTypeLabel: function is nil; omit the option to use event types as they are")
		}
		s.eventTypeLabel = label
		return nil
	}
}

// Metrics holds the publisher's Prometheus collectors. Its methods are safe
// for concurrent use.
type Metrics struct {
	reg            prometheus.Registerer
	namespace      string
	subsystem      string
	eventTypeLabel func(string) string

	published *prometheus.CounterVec
	errored   *prometheus.CounterVec
	latency   *prometheus.HistogramVec

	gaugesMu sync.Mutex
	gauges   *gaugeCollector // nil until RegisterGauges
}

// New creates the counters and the histogram and registers them on reg. It
// fails when reg is nil, when an option is invalid, or when reg already
// contains a metric of the same name, and then it registers nothing.
//
// To publish the metrics of several Dispatchers on one registry, give each
// its own namespace or subsystem, or register each on
// prometheus.WrapRegistererWith(prometheus.Labels{"publisher": name}, reg)
// with its own name. Prometheus rejects a wrapped and an unwrapped Metrics
// on one registry, because their label names differ.
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("wrpkafka/metrics/prometheus: registerer is nil: pass prometheus.DefaultRegisterer or a registry of your own")
	}

	s := settings{buckets: defaultBuckets}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, fmt.Errorf("wrpkafka/metrics/prometheus: %w", err)
		}
	}

	m := &Metrics{
		reg:            reg,
		namespace:      s.namespace,
		subsystem:      s.subsystem,
		eventTypeLabel: s.eventTypeLabel,
	}
	routeLabels := []string{LabelEventType, LabelTopic, LabelShardStrategy}

	m.published = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: s.namespace,
		Subsystem: s.subsystem,
		Name:      "kafka_messages_published_total",
		Help:      "Messages the Kafka broker acknowledged.",
	}, routeLabels)

	m.errored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: s.namespace,
		Subsystem: s.subsystem,
		Name:      "kafka_messages_errored_total",
		Help:      "Messages that failed, by error type. missing_metadata_field is informational: those messages also have their own outcome.",
	}, append(routeLabels, LabelErrorType))

	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: s.namespace,
		Subsystem: s.subsystem,
		Name:      "kafka_publish_duration_seconds",
		Help:      "Time from the publishing call to the message's outcome, success or failure, in seconds.",
		Buckets:   s.buckets,
	}, routeLabels)

	err := m.registerAll([]namedCollector{
		{m.fullName("kafka_messages_published_total"), m.published},
		{m.fullName("kafka_messages_errored_total"), m.errored},
		{m.fullName("kafka_publish_duration_seconds"), m.latency},
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

type namedCollector struct {
	name      string
	collector prometheus.Collector
}

// registerAll registers every collector, or none of them.
func (m *Metrics) registerAll(collectors []namedCollector) error {
	for i, c := range collectors {
		if err := m.register(c); err != nil {
			for _, done := range collectors[:i] {
				m.reg.Unregister(done.collector)
			}
			return err
		}
	}
	return nil
}

func (m *Metrics) register(c namedCollector) error {
	err := m.reg.Register(c.collector)
	if err == nil {
		return nil
	}

	var duplicate prometheus.AlreadyRegisteredError
	if errors.As(err, &duplicate) {
		return fmt.Errorf("wrpkafka/metrics/prometheus: registering %s failed: the registry already contains these metrics: "+
			"create one Metrics per registry, set WithNamespace or WithSubsystem, or give each Metrics "+
			"prometheus.WrapRegistererWith(labels, registry) with its own label value: %w",
			c.name, err)
	}
	return fmt.Errorf("wrpkafka/metrics/prometheus: registering %s: %w", c.name, err)
}

func (m *Metrics) fullName(name string) string {
	return prometheus.BuildFQName(m.namespace, m.subsystem, name)
}

// Options returns the publisher options that connect the counters and the
// histogram: WithMessagesPublished, WithMessageErrored and
// WithPublishLatency. Pass them to publisher.New. They replace callbacks set
// by earlier options, and later options replace them. To run a callback of
// your own as well, call these methods from it.
func (m *Metrics) Options() []publisher.Option {
	return []publisher.Option{
		publisher.WithMessagesPublished(m.MessagePublished),
		publisher.WithMessageErrored(m.MessageErrored),
		publisher.WithPublishLatency(m.PublishLatency),
	}
}

// MessagePublished counts one acknowledged message. It has the signature of
// publisher.WithMessagesPublished's callback.
func (m *Metrics) MessagePublished(eventType, topic, shardStrategy string) {
	m.published.WithLabelValues(m.routeLabelValues(eventType, topic, shardStrategy)...).Inc()
}

// MessageErrored counts one failed message, or one informational
// missing_metadata_field report. It has the signature of
// publisher.WithMessageErrored's callback.
func (m *Metrics) MessageErrored(eventType, topic, shardStrategy, errorType string) {
	values := append(m.routeLabelValues(eventType, topic, shardStrategy), validUTF8(errorType))
	m.errored.WithLabelValues(values...).Inc()
}

// PublishLatency observes one outcome's latency in seconds. It has the
// signature of publisher.WithPublishLatency's callback.
func (m *Metrics) PublishLatency(eventType, topic, shardStrategy string, d time.Duration) {
	m.latency.WithLabelValues(m.routeLabelValues(eventType, topic, shardStrategy)...).Observe(d.Seconds())
}

// routeLabelValues returns the values of the event_type, topic and
// shard_strategy labels, with room for one more.
func (m *Metrics) routeLabelValues(eventType, topic, shardStrategy string) []string {
	if m.eventTypeLabel != nil {
		eventType = m.eventTypeLabel(eventType)
	}
	values := make([]string, 3, 4)
	values[0] = validUTF8(eventType)
	values[1] = validUTF8(topic)
	values[2] = validUTF8(shardStrategy)
	return values
}

// validUTF8 replaces invalid UTF-8 with U+FFFD. Event types come from the
// messages, and WithLabelValues panics on a label value that is not valid
// UTF-8.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
