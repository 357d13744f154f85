package main

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/xmidt-org/wrpkafka/internal/benchsetup"
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

// libraryConfig returns the publisher configuration of the comparison: the
// bench's Talaria-like routes and headers, with which every other system
// routes too, and the shared buffer size.
func libraryConfig(brokers []string) publisher.Config {
	cfg := benchsetup.TalariaConfig()
	cfg.Brokers = brokers
	cfg.MaxBufferedRecords = maxBufferedRecords
	return cfg
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
