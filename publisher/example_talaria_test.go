package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// deviceEvent replaces Talaria's device.Event here: the listener receives
// one for every message a device sends and for each connect and disconnect.
type deviceEvent struct {
	Message *wrp.Message
}

// kafkaListener is the adapter Talaria needs: its OnDeviceEvent has the
// shape of a device.Listener, and it runs on the device's read goroutine, so
// it must never block there. TryProduce never waits; a full queue drops the
// event, and the drop is counted and logged instead.
type kafkaListener struct {
	dispatcher *publisher.Dispatcher
	logger     *zap.Logger
	dropped    atomic.Int64
}

func (l *kafkaListener) OnDeviceEvent(e *deviceEvent) {
	if e == nil || e.Message == nil {
		return
	}
	err := l.dispatcher.TryProduce(context.Background(), e.Message)
	switch {
	case err == nil:
	case errors.Is(err, publisher.ErrQueueFull):
		// Talaria's HTTP path drops on a full outbound queue too; the
		// device connection must not stall behind Kafka.
		l.dropped.Add(1)
		l.logger.Warn("kafka queue full, event dropped", zap.String("destination", e.Message.Destination))
	default:
		l.logger.Error("kafka publish rejected", zap.Error(err))
	}
}

// A Talaria-style listener publishes device events without blocking the
// device's read goroutine, a goroutine ranges over Results() for metrics and
// logging, and Stop runs at shutdown after the listener is removed.
func Example_talariaListener() {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "device-lifecycle", "device-events"))
	if err != nil {
		panic(err)
	}
	defer cluster.Close()

	logger := zap.NewNop()
	d, err := publisher.New(
		publisher.WithConfig(publisher.Config{
			Brokers: cluster.ListenAddrs(),
			TopicMap: []publisher.TopicRoute{
				{Pattern: "device-status", Topic: "device-lifecycle"},
				{Pattern: "*", Topic: "device-events"},
			},
			Workers:   4,
			QueueSize: 1000,
		}),
		publisher.WithLogger(logger),
		publisher.WithResults(1000),
	)
	if err != nil {
		panic(err)
	}
	if err := d.Start(); err != nil {
		panic(err)
	}

	// Outcomes feed metrics and logs; this goroutine ends when Stop has
	// reported the last one.
	written, failed := map[string]int{}, 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for o := range d.Results() {
			if o.Err != nil {
				failed++
				logger.Warn("kafka publish failed", zap.String("type", o.ErrorType), zap.Error(o.Err))
				continue
			}
			written[o.Topic]++
		}
	}()

	listener := &kafkaListener{dispatcher: d, logger: logger}
	device := "mac:112233445566"
	listener.OnDeviceEvent(&deviceEvent{Message: &wrp.Message{
		Type:        wrp.SimpleEventMessageType,
		Source:      "dns:talaria.example.com",
		Destination: "event:device-status/" + device + "/online",
		Metadata:    map[string]string{"/hw-deviceid": device},
	}})
	for i := range 3 {
		listener.OnDeviceEvent(&deviceEvent{Message: &wrp.Message{
			Type:        wrp.SimpleEventMessageType,
			Source:      device,
			Destination: "event:iot-temperature/" + device,
			Payload:     fmt.Appendf(nil, `{"reading":%d}`, i),
		}})
	}

	// Shutdown: stop feeding the listener, then stop the publisher, which
	// flushes within its shutdownTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d.StopContext(ctx)
	<-done

	fmt.Println("lifecycle:", written["device-lifecycle"], "events:", written["device-events"], "failed:", failed, "dropped:", listener.dropped.Load())
	// Output:
	// lifecycle: 1 events: 3 failed: 0 dropped: 0
}
