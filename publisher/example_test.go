package publisher_test

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// A Dispatcher routes Talaria's connect events, whose event type is
// device-status, to a lifecycle topic and reports each message's outcome on
// the results channel.
func Example() {
	// An in-process Kafka cluster replaces real brokers here.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "device-lifecycle", "device-events"))
	if err != nil {
		panic(err)
	}
	defer cluster.Close()

	d, err := publisher.New(
		publisher.WithConfig(publisher.Config{
			Brokers: cluster.ListenAddrs(),
			TopicMap: []publisher.TopicRoute{
				{Pattern: "device-status", Topic: "device-lifecycle"},
				{Pattern: "*", Topic: "device-events"},
			},
			Headers: map[string]string{"src": "wrp.Source"},
		}),
		publisher.WithResults(1024),
	)
	if err != nil {
		panic(err)
	}
	if err := d.Start(); err != nil {
		panic(err)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		for o := range d.Results() {
			if o.Err != nil {
				fmt.Println("failed:", o.ErrorType, o.Err)
				continue
			}
			fmt.Printf("%s -> topic %s, key %s (from %s)\n", o.EventType, o.Topic, o.Key, o.KeySource)
		}
	}()

	// Talaria's connect message: its own Source, the device in the
	// Destination and in the /hw-deviceid metadata.
	online := &wrp.Message{
		Type:        wrp.SimpleEventMessageType,
		Source:      "dns:talaria.example.com",
		Destination: "event:device-status/mac:112233445566/online",
		Metadata:    map[string]string{"/hw-deviceid": "mac:112233445566"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.ProduceSync(ctx, online); err != nil {
		fmt.Println("ProduceSync:", err)
	}

	d.Stop()
	<-done
	// Output:
	// device-status -> topic device-lifecycle, key mac:112233445566 (from metadata:/hw-deviceid)
}
