package prometheus

import (
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// GaugeSource is the backlog report the gauges read on every scrape.
// *publisher.Dispatcher implements it.
type GaugeSource interface {
	// BufferedRecords returns the records franz-go holds and its maximum.
	BufferedRecords() (current, maximum int)
	// QueueDepth returns the messages waiting in the inbox and its capacity.
	QueueDepth() (current, capacity int)
}

var _ GaugeSource = (*publisher.Dispatcher)(nil)

// RegisterGauges registers the gauges on New's registry, reading source on
// every scrape:
//
//   - kafka_buffer_records: the records franz-go holds, including Produce
//     calls waiting for room, so it can exceed the maximum.
//   - kafka_buffer_utilization: kafka_buffer_records divided by the maximum,
//     at most 1, and 0 while the maximum is 0 (before Start).
//   - kafka_queue_depth: the messages waiting in the inbox.
//   - kafka_queue_capacity: the inbox capacity, 0 before Start.
//
// The first call registers the gauges; a later call makes them read the new
// source, for a service that replaces its Dispatcher. It fails when source
// is nil or when the registry already holds a gauge of the same name.
func (m *Metrics) RegisterGauges(source GaugeSource) error {
	if source == nil {
		return errors.New("wrpkafka/metrics/prometheus: RegisterGauges: source is nil: pass the *publisher.Dispatcher")
	}

	m.gaugesMu.Lock()
	defer m.gaugesMu.Unlock()

	if m.gauges != nil {
		m.gauges.source.Store(&source)
		return nil
	}

	g := m.newGaugeCollector()
	g.source.Store(&source)
	if err := m.register(namedCollector{"the gauges", g}); err != nil {
		return err
	}
	m.gauges = g
	return nil
}

// gaugeCollector reports the backlog gauges. It reads the source once per
// scrape, so the buffer count and its utilization agree.
type gaugeCollector struct {
	source atomic.Pointer[GaugeSource]

	bufferRecords     *prometheus.Desc
	bufferUtilization *prometheus.Desc
	queueDepth        *prometheus.Desc
	queueCapacity     *prometheus.Desc
}

func (m *Metrics) newGaugeCollector() *gaugeCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(m.fullName(name), help, nil, nil)
	}
	return &gaugeCollector{
		bufferRecords: desc("kafka_buffer_records",
			"Records franz-go holds, including Produce calls waiting for room, so it can exceed the maximum."),
		bufferUtilization: desc("kafka_buffer_utilization",
			"Records franz-go holds divided by its maximum, from 0 to 1; 0 before Start."),
		queueDepth: desc("kafka_queue_depth",
			"Messages waiting in the publisher's inbox."),
		queueCapacity: desc("kafka_queue_capacity",
			"Capacity of the publisher's inbox in messages; 0 before Start."),
	}
}

// Describe implements prometheus.Collector.
func (g *gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.bufferRecords
	ch <- g.bufferUtilization
	ch <- g.queueDepth
	ch <- g.queueCapacity
}

// Collect implements prometheus.Collector.
func (g *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	source := *g.source.Load()
	buffered, maximum := source.BufferedRecords()
	depth, capacity := source.QueueDepth()

	ch <- prometheus.MustNewConstMetric(g.bufferRecords, prometheus.GaugeValue, float64(buffered))
	ch <- prometheus.MustNewConstMetric(g.bufferUtilization, prometheus.GaugeValue, utilization(buffered, maximum))
	ch <- prometheus.MustNewConstMetric(g.queueDepth, prometheus.GaugeValue, float64(depth))
	ch <- prometheus.MustNewConstMetric(g.queueCapacity, prometheus.GaugeValue, float64(capacity))
}

// utilization returns current/maximum within 0 to 1, and 0 when maximum is
// not positive.
func utilization(current, maximum int) float64 {
	if maximum <= 0 || current <= 0 {
		return 0
	}
	return min(float64(current)/float64(maximum), 1)
}
