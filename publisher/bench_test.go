package publisher

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
)

// BenchmarkProduceHandOff measures a Produce call through the inbox and a
// worker into franz-go, with the benchmark's goroutines calling at once and
// a kfake broker that discards records. It covers the hand-off between
// callers and workers under contention; the broker shares the CPUs.
func BenchmarkProduceHandOff(b *testing.B) {
	cluster := newCluster(b, kfake.BlackholeProduce())
	cfg := testConfig(cluster)
	cfg.QueueSize = 4096
	d := startDispatcher(b, cfg)

	g := traffic.New(traffic.Options{Devices: 1000, Seed: 4})
	msgs := make([]*wrp.Message, 4096)
	for i := range msgs {
		msgs[i] = g.Next()
	}

	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := d.Produce(context.Background(), msgs[i%len(msgs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	d.Stop()
}
