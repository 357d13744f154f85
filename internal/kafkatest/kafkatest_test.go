package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestCreateAndConsume(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	topic := Topic{Name: "t", Partitions: 3, Replication: 1}
	if err := CreateTopics(ctx, c.ListenAddrs(), topic); err != nil {
		t.Fatal(err)
	}
	// Creating it again leaves it alone.
	if err := CreateTopics(ctx, c.ListenAddrs(), topic); err != nil {
		t.Fatalf("creating an existing topic: %v", err)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("not msgpack")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	records, err := ConsumeAll(ctx, c.ListenAddrs(), []string{"t"}, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 {
		t.Fatalf("consumed %d records, want 1", len(records))
	}
	if records[0].DecodeErr == nil {
		t.Error("a value that is not msgpack decoded without error")
	}
}
