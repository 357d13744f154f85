//go:build integration

package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// Every compression codec and acks level must produce records the broker
// stores and a consumer reads back intact.
func TestCompressionAndAcks(t *testing.T) {
	servers := brokers(t)
	codecs := []publisher.CompressionCodec{
		publisher.CompressionSnappy, publisher.CompressionGzip, publisher.CompressionLz4,
		publisher.CompressionZstd, publisher.CompressionNone,
	}
	acks := []publisher.Acks{publisher.AcksAll, publisher.AcksLeader, publisher.AcksNone}

	topics := map[string]string{}
	var names []string
	for _, codec := range codecs {
		for _, a := range acks {
			name := uniqueName(t, fmt.Sprintf("%s-%s", codec, a))
			topics[string(codec)+"/"+string(a)] = name
			names = append(names, name)
		}
	}
	createTopics(t, servers, 2, nil, names...)

	const perCombination = 200
	for _, codec := range codecs {
		for _, a := range acks {
			t.Run(string(codec)+"/"+string(a), func(t *testing.T) {
				topic := topics[string(codec)+"/"+string(a)]
				d := start(t, publisher.Config{
					Brokers:          servers,
					CompressionCodec: codec,
					Acks:             a,
					TopicMap:         []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
				}, publisher.WithResults(1024))
				wait := drain(d)

				g := traffic.New(traffic.Options{Devices: 20, Seed: 5})
				for range perCombination {
					if err := d.Produce(context.Background(), g.Next()); err != nil {
						t.Fatal(err)
					}
				}
				d.Stop()
				for _, o := range wait() {
					if o.Err != nil {
						t.Fatalf("outcome failed: %v", o.Err)
					}
				}

				records := consume(t, servers, []string{topic}, perCombination)
				if len(records) != perCombination {
					t.Fatalf("consumed %d records, want %d", len(records), perCombination)
				}
			})
		}
	}
}
