package inbox

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestNewSplitsCapacity(t *testing.T) {
	q := New[int](4, 10)
	if got := q.Lanes(); got != 4 {
		t.Fatalf("Lanes() = %d, want 4", got)
	}
	// 10 over 4 lanes: two lanes of 3, two of 2.
	if got := q.Cap(); got != 10 {
		t.Fatalf("Cap() = %d, want 10", got)
	}
	for i, want := range []int{3, 3, 2, 2} {
		if got := cap(q.lanes[i]); got != want {
			t.Errorf("lane %d holds %d, want %d", i, got, want)
		}
	}

	tiny := New[int](8, 0)
	if got := tiny.Cap(); got != 8 {
		t.Fatalf("Cap() with zero capacity = %d, want 8 (one per lane)", got)
	}
}

func TestNewPanicsWithoutLanes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(0, 10) did not panic")
		}
	}()
	New[int](0, 10)
}

func TestLaneKeepsPutOrder(t *testing.T) {
	q := New[int](2, 100)
	for i := range 50 {
		if err := q.Put(context.Background(), 1, i); err != nil {
			t.Fatalf("Put(%d): %v", i, err)
		}
	}
	if got := q.Len(); got != 50 {
		t.Fatalf("Len() = %d, want 50", got)
	}
	q.Close()

	want := 0
	for v := range q.Lane(1) {
		if v != want {
			t.Fatalf("lane yielded %d, want %d", v, want)
		}
		want++
	}
	if want != 50 {
		t.Fatalf("lane yielded %d items, want 50", want)
	}
	if _, ok := <-q.Lane(0); ok {
		t.Fatal("empty lane 0 yielded an item after Close")
	}
}

func TestTryPutFullLane(t *testing.T) {
	q := New[int](2, 2) // one slot per lane
	if err := q.TryPut(0, 1); err != nil {
		t.Fatalf("first TryPut: %v", err)
	}
	if err := q.TryPut(0, 2); !errors.Is(err, ErrFull) {
		t.Fatalf("TryPut on full lane = %v, want ErrFull", err)
	}
	// The other lane still has room.
	if err := q.TryPut(1, 3); err != nil {
		t.Fatalf("TryPut on lane 1: %v", err)
	}
	q.Close()
}

func TestPutWaitsForRoom(t *testing.T) {
	q := New[int](1, 1)
	if err := q.Put(context.Background(), 0, 1); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- q.Put(context.Background(), 0, 2) }()

	select {
	case err := <-done:
		t.Fatalf("Put returned %v while the lane was full", err)
	case <-time.After(20 * time.Millisecond):
	}

	if v := <-q.Lane(0); v != 1 {
		t.Fatalf("took %d, want 1", v)
	}
	if err := <-done; err != nil {
		t.Fatalf("Put after room appeared: %v", err)
	}
	q.Close()
}

func TestPutContextEnds(t *testing.T) {
	q := New[int](1, 1)
	if err := q.Put(context.Background(), 0, 1); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := q.Put(ctx, 0, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put on full lane with deadline = %v, want DeadlineExceeded", err)
	}
	if got := q.Len(); got != 1 {
		t.Fatalf("Len() = %d after failed Put, want 1", got)
	}
	q.Close()
}

func TestPutCancelledContextWithRoom(t *testing.T) {
	q := New[int](1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Put(ctx, 0, 1); err != nil {
		t.Fatalf("Put with room and a cancelled context = %v, want nil", err)
	}
	q.Close()
}

func TestCloseReleasesWaitingPut(t *testing.T) {
	q := New[int](1, 1)
	if err := q.Put(context.Background(), 0, 1); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- q.Put(context.Background(), 0, 2) }()
	time.Sleep(10 * time.Millisecond)

	q.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiting Put after Close = %v, want ErrClosed", err)
	}

	// The item queued before Close is still delivered.
	if v, ok := <-q.Lane(0); !ok || v != 1 {
		t.Fatalf("lane after Close yielded (%d, %v), want (1, true)", v, ok)
	}
	if _, ok := <-q.Lane(0); ok {
		t.Fatal("lane yielded the rejected item")
	}
}

func TestPutAfterClose(t *testing.T) {
	q := New[int](1, 4)
	q.Close()
	q.Close() // idempotent

	if err := q.Put(context.Background(), 0, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}
	if err := q.TryPut(0, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("TryPut after Close = %v, want ErrClosed", err)
	}
}

// Every Put that returned nil must be received exactly once, also when Close
// races with many putters.
func TestCloseRacesWithPutters(t *testing.T) {
	for range 50 {
		q := New[int](4, 16)

		var received sync.WaitGroup
		counts := make([]int, 4)
		for i := range 4 {
			received.Add(1)
			go func() {
				defer received.Done()
				for range q.Lane(i) {
					counts[i]++
				}
			}()
		}

		var accepted sync.WaitGroup
		acceptedCount := make([]int, 8)
		for p := range 8 {
			accepted.Add(1)
			go func() {
				defer accepted.Done()
				for n := 0; ; n++ {
					var err error
					if n%2 == 0 {
						err = q.Put(context.Background(), n%4, n)
					} else {
						err = q.TryPut(n%4, n)
					}
					switch {
					case err == nil:
						acceptedCount[p]++
					case errors.Is(err, ErrClosed):
						return
					}
				}
			}()
		}

		time.Sleep(time.Millisecond)
		q.Close()
		accepted.Wait()
		received.Wait()

		total, got := 0, 0
		for _, c := range acceptedCount {
			total += c
		}
		for _, c := range counts {
			got += c
		}
		if got != total {
			t.Fatalf("received %d items, accepted %d", got, total)
		}
	}
}
