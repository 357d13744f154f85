package main

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// Settings shared by every system that can take them.
const (
	// partitions is the partition count of every topic the embedded
	// cluster seeds or the comparison creates.
	partitions = 12

	// asyncProducers is the number of goroutines that publish in the
	// asynchronous systems, and syncProducers the number in the systems
	// that wait for every acknowledgement.
	asyncProducers = 8
	syncProducers  = 64

	// maxBufferedRecords bounds franz-go's buffer in every franz-go based
	// system, as the bench's default configuration does.
	maxBufferedRecords = 10000

	// httpWorkers and httpQueue shape the Talaria-style HTTP dispatcher:
	// workers taking requests from one shared channel of this capacity.
	httpWorkers = 100
	httpQueue   = 1000
)

// libraryConfig returns the publisher configuration of the comparison. Its
// routes and headers are those of the bench's default configuration (see
// bench/config.go): every other system routes with the same table.
func libraryConfig(brokers []string) publisher.Config {
	return publisher.Config{
		Brokers:         brokers,
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
		MaxBufferedRecords: maxBufferedRecords,
		CompressionCodec:   publisher.CompressionSnappy,
		Acks:               publisher.AcksAll,
	}
}

// routeFile is the routing the parent writes for the upstream runner, which
// cannot import this module. upstream/main.go reads the same JSON keys.
type routeFile struct {
	TopicMap []publisher.TopicRoute `json:"topicMap"`
	Headers  map[string]string      `json:"headers"`
}

// franzOptions returns the franz-go client options of the raw and naive
// systems: the library's producer settings for libraryConfig. acks all
// keeps franz-go's idempotent producer on, its default.
func franzOptions(brokers []string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.MaxBufferedRecords(maxBufferedRecords),
		kgo.ProducerBatchCompression(kgo.SnappyCompression()),
		kgo.ProducerLinger(0),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.DisableClientMetrics(),
		// The publisher's metadata refresh interval: with franz-go's 5 s
		// default, the first records to a new topic wait seconds for it.
		kgo.MetadataMinAge(500 * time.Millisecond),
	}
}
