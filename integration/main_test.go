//go:build integration

// Package integration runs the publisher against a real Apache Kafka
// cluster. It is compiled only with the integration build tag:
//
//	WRPKAFKA_BROKERS=127.0.0.1:9092 go test -tags integration ./integration/
//
// Without WRPKAFKA_BROKERS every test skips, except when CI=true: there a
// missing or unreachable broker fails the suite, so CI cannot pass without
// running it.
package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// brokersVariable names the environment variable with the bootstrap
// servers, comma-separated.
const brokersVariable = "WRPKAFKA_BROKERS"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	brokerCheck     sync.Once
	brokerCheckErr  error
	bootstrapServer []string
)

// brokers returns the cluster's bootstrap servers, or skips the test (fails
// it under CI=true) when none is configured or reachable.
func brokers(t *testing.T) []string {
	t.Helper()
	brokerCheck.Do(func() {
		value := os.Getenv(brokersVariable)
		if value == "" {
			brokerCheckErr = fmt.Errorf("%s is not set; start a broker with scripts/testbroker/kafka.sh start and set it to 127.0.0.1:9092", brokersVariable)
			return
		}
		bootstrapServer = strings.Split(value, ",")
		brokerCheckErr = ping(bootstrapServer)
	})

	if brokerCheckErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the real-Kafka suite must run in CI: %v", brokerCheckErr)
		}
		t.Skipf("no Kafka broker: %v", brokerCheckErr)
	}
	return bootstrapServer
}

func ping(servers []string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(servers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		return fmt.Errorf("no broker of %v responded: %w", servers, err)
	}
	return nil
}

// uniqueName returns a topic name no earlier run used, so the suite can run
// against a long-lived cluster.
func uniqueName(t *testing.T, base string) string {
	return fmt.Sprintf("wrpkafka-it-%s-%d-%06d", base, time.Now().Unix(), rand.N(1000000))
}

// createTopics creates topics with the given partitions and configs, and
// returns their names in order.
func createTopics(t *testing.T, servers []string, partitions int32, configs map[string]string, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	topics := make([]kafkatest.Topic, len(names))
	for i, name := range names {
		topics[i] = kafkatest.Topic{Name: name, Partitions: partitions, Configs: configs}
	}
	if err := kafkatest.CreateTopics(ctx, servers, topics...); err != nil {
		t.Fatal(err)
	}
}

// consume reads want records of the topics, failing the test on errors or
// undecodable values.
func consume(t *testing.T, servers, topics []string, want int) []kafkatest.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	records, err := kafkatest.ConsumeAll(ctx, servers, topics, want, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		if r.DecodeErr != nil {
			t.Fatalf("record %s/%d@%d does not decode with wrp-go: %v", r.Topic, r.Partition, r.Offset, r.DecodeErr)
		}
	}
	return records
}

// start creates and starts a Dispatcher that stops when the test ends.
func start(t *testing.T, cfg publisher.Config, opts ...publisher.Option) *publisher.Dispatcher {
	t.Helper()
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	d, err := publisher.New(append([]publisher.Option{publisher.WithConfig(cfg)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}

// drain collects the results channel until it closes.
func drain(d *publisher.Dispatcher) (wait func() []publisher.Outcome) {
	var outcomes []publisher.Outcome
	done := make(chan struct{})
	go func() {
		defer close(done)
		for o := range d.Results() {
			outcomes = append(outcomes, o)
		}
	}()
	return func() []publisher.Outcome {
		<-done
		return outcomes
	}
}
