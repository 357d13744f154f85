// Package benchsetup holds what the bench program and the side-by-side
// comparison share: the Talaria-like publisher configuration they publish
// with, and the routing and encoding of a message into a finished record for
// the systems that take records built in advance.
package benchsetup

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/publisher"
	"github.com/xmidt-org/wrpkafka/router"
)

// TalariaConfig returns the configuration of a Talaria-like deployment,
// without brokers: lifecycle events to one topic, and device events sharded
// by device, by region and round-robin, with four headers. Its routes cover
// every event type of internal/traffic.
func TalariaConfig() publisher.Config {
	return publisher.Config{
		Workers:         8,
		QueueSize:       4096,
		ShutdownTimeout: 30 * time.Second,
		TopicMap: []publisher.TopicRoute{
			{Pattern: "device-status", Topic: "device-lifecycle"},
			{Pattern: "qos-*", Topics: []string{"qos-shard-0", "qos-shard-1", "qos-shard-2"}, ShardBy: "deviceid"},
			{
				Pattern:  "iot-*",
				Topics:   []string{"iot-east", "iot-west", "iot-central"},
				ShardBy:  "metadata:region",
				ShardMap: map[string]string{"east": "iot-east", "west": "iot-west", "central": "iot-central"},
			},
			{Pattern: "telemetry*", IgnoreCase: true, Topics: []string{"telemetry-0", "telemetry-1"}, ShardBy: "roundrobin"},
			{Pattern: "*", Topic: "device-events"},
		},
		Headers: map[string]string{
			"src":               "wrp.Source",
			"dst":               "wrp.Destination",
			"X-Source-Instance": "talaria-1",
			"region":            "us-east-1",
		},
		MaxBufferedRecords: 10000,
		CompressionCodec:   publisher.CompressionSnappy,
		Acks:               publisher.AcksAll,
	}
}

// Recorder turns messages into finished records the way the publisher's
// workers do: the same event type, route, partition key, headers and
// msgpack value.
type Recorder struct {
	table   *router.Table
	headers router.Headers
	keys    router.KeySources
}

// NewRecorder compiles the routing of cfg.
func NewRecorder(cfg publisher.Config) (*Recorder, error) {
	table, err := router.Compile(cfg.TopicMap)
	if err != nil {
		return nil, err
	}
	headers, _, err := router.CompileHeaders(cfg.Headers)
	if err != nil {
		return nil, err
	}
	keys, err := router.ParseKeySources(cfg.PartitionKey)
	if err != nil {
		return nil, err
	}
	return &Recorder{table: table, headers: headers, keys: keys}, nil
}

// Record routes and encodes m into a new record.
func (r *Recorder) Record(m *wrp.Message) (*kgo.Record, error) {
	eventType, err := router.EventType(m.Destination)
	if err != nil {
		return nil, err
	}
	key, _ := r.keys.DeviceKey(m)
	decision, err := r.table.Route(eventType, m, key)
	if err != nil {
		return nil, err
	}
	value, err := router.Encode(nil, m)
	if err != nil {
		return nil, err
	}

	record := &kgo.Record{Topic: decision.Topic, Value: value, Headers: r.headers.Append(nil, m)}
	if key != "" {
		record.Key = []byte(key)
	}
	return record, nil
}
