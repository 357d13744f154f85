package inbox

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkPutTake measures a put and its take, with the benchmark's
// goroutines putting into 8 lanes and one consumer per lane taking, as the
// publisher's callers and workers do.
func BenchmarkPutTake(b *testing.B) {
	for _, mode := range []string{"Put", "TryPut"} {
		b.Run(mode, func(b *testing.B) {
			const lanes = 8
			q := New[int](lanes, 4096)
			var consumers sync.WaitGroup
			for i := range lanes {
				consumers.Go(func() {
					for range q.Lane(i) {
					}
				})
			}

			var next atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					lane := int(next.Add(1) % lanes)
					if mode == "Put" {
						_ = q.Put(ctx, lane, 1)
						continue
					}
					for q.TryPut(lane, 1) != nil {
						runtime.Gosched() // let the lane's consumer make room
					}
				}
			})
			b.StopTimer()
			q.Close()
			consumers.Wait()
		})
	}
}
