package faults

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/goleak"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/metrics"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fault is one row of the matrix.
type fault struct {
	name string
	// retriable faults must end in success when they clear.
	retriable bool
	// restarts marks faults that stop and restart the cluster; they need
	// fixed ports and persisted state.
	restarts bool
	// allowed are the error types a failed outcome may carry, besides
	// stopped and timeout when Stop runs mid-stream.
	allowed []string

	install   func(c *cell, cluster *kfake.Cluster)
	midStream func(t *testing.T, c *cell)
	clear     func(c *cell)
	reroute   func(m *wrp.Message)
}

// produceFault fails produce requests with err: a few times, or until it is
// cleared when Stop runs mid-stream, so that Stop meets the fault.
func produceFault(name string, err *kerr.Error, retriable bool, allowed ...string) fault {
	var handle *kfake.FaultHandle
	return fault{
		name:      name,
		retriable: retriable,
		allowed:   allowed,
		install: func(c *cell, cluster *kfake.Cluster) {
			count := 5
			if c.stopMid {
				count = -1
			}
			handle = cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: err, Count: count})
		},
		clear: func(*cell) { handle.Remove() },
	}
}

// stallFault holds the first produce request longer than the 1 s request
// timeout; with Stop mid-stream it holds every request until cleared.
func stallFault() fault {
	var release chan struct{}
	return fault{
		name:      "broker stall over request timeout",
		retriable: true,
		install: func(c *cell, cluster *kfake.Cluster) {
			release = make(chan struct{})
			held := false
			cluster.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
				if !c.stopMid {
					if held {
						cluster.DropControl()
						return nil, nil, false
					}
					held = true
					cluster.SleepControl(func() { time.Sleep(2500 * time.Millisecond) })
					return nil, nil, false
				}
				cluster.SleepControl(func() { <-release })
				return nil, nil, false
			})
		},
		clear: func(*cell) { close(release) },
	}
}

func leaderMoveFault() fault {
	return fault{
		name:      "leader moved between brokers",
		retriable: true,
		midStream: func(t *testing.T, c *cell) {
			cluster := c.currentCluster()
			for p := range int32(partitions) {
				leader := cluster.LeaderFor(topic, p)
				if err := cluster.MoveTopicPartition(topic, p, (leader+1)%3); err != nil {
					t.Errorf("moving partition %d: %v", p, err)
				}
			}
		},
	}
}

func clusterRestartFault() fault {
	return fault{
		name:      "cluster stopped and restarted",
		retriable: true,
		restarts:  true,
		midStream: func(t *testing.T, c *cell) {
			c.currentCluster().Close()
			time.Sleep(500 * time.Millisecond)
			c.startCluster(t)
		},
	}
}

func missingTopicFault() fault {
	return fault{
		name:    "topic does not exist",
		allowed: []string{metrics.ErrorTypeUnknownTopic},
		reroute: func(m *wrp.Message) {
			// The first three messages of device 0 go to a topic that was
			// never created. Each takes about a second of metadata retries to
			// fail, which a ProduceSync caller waits out.
			_, device, seq, _ := traffic.ParseTransactionUUID(m.TransactionUUID)
			if device == 0 && seq < 3 {
				m.Destination = "event:lost-" + strings.TrimPrefix(m.Destination, "event:")
			}
		},
	}
}

func matrix() []fault {
	return []fault{
		produceFault("NOT_LEADER_FOR_PARTITION", kerr.NotLeaderForPartition, true),
		produceFault("REQUEST_TIMED_OUT", kerr.RequestTimedOut, true),
		produceFault("NOT_ENOUGH_REPLICAS", kerr.NotEnoughReplicas, true),
		leaderMoveFault(),
		stallFault(),
		produceFault("MESSAGE_TOO_LARGE", kerr.MessageTooLarge, false, metrics.ErrorTypeMessageTooLarge),
		produceFault("TOPIC_AUTHORIZATION_FAILED", kerr.TopicAuthorizationFailed, false, metrics.ErrorTypeAuthorization),
		produceFault("INVALID_RECORD", kerr.InvalidRecord, false, metrics.ErrorTypeBroker),
		produceFault("UNKNOWN_SERVER_ERROR", kerr.UnknownServerError, false, metrics.ErrorTypeBroker),
		missingTopicFault(),
		clusterRestartFault(),
	}
}

// TestFaultMatrix runs every fault in every mode, with and without Stop while
// the fault is active. It checks the invariants: every accepted message gets
// exactly one outcome, and no acknowledged record is lost, duplicated or out
// of order for its device. Every failure carries an error type, and retriable
// faults end in success once they clear.
func TestFaultMatrix(t *testing.T) {
	modes := []metrics.Mode{metrics.ModeProduce, metrics.ModeTryProduce, metrics.ModeProduceSync}
	var (
		mu    sync.Mutex
		table []string
		wg    sync.WaitGroup
		// Cells spend most of their time waiting on retries, backoffs and
		// shutdown deadlines, not on the CPU, so several run at once.
		slots = make(chan struct{}, 12)
	)

	for _, f := range matrix() {
		for _, mode := range modes {
			for _, stopMid := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/stop=%v", f.name, mode, stopMid)
				wg.Go(func() {
					slots <- struct{}{}
					defer func() { <-slots }()

					t.Run(name, func(t *testing.T) {
						// Each cell needs its own fault state.
						c := &cell{fault: findFault(f.name), mode: mode, stopMid: stopMid}
						got := c.run(t)
						mu.Lock()
						table = append(table, fmt.Sprintf("%-58s %s", name, got))
						mu.Unlock()
						check(t, c, got)
					})
				})
			}
		}
	}
	wg.Wait()

	slices.Sort(table)
	t.Logf("fault matrix:\n%s", strings.Join(table, "\n"))
}

func findFault(name string) fault {
	for _, f := range matrix() {
		if f.name == name {
			return f
		}
	}
	panic("no fault named " + name)
}

func check(t *testing.T, c *cell, got counts) {
	t.Helper()
	if got.outcomes != got.accepted {
		t.Errorf("%d outcomes for %d accepted messages", got.outcomes, got.accepted)
	}
	if got.lost != 0 {
		t.Errorf("%d acknowledged records were not written", got.lost)
	}
	if got.duplicated != 0 {
		t.Errorf("%d records were written twice", got.duplicated)
	}
	if got.reordered != 0 {
		t.Errorf("%d records are out of order for their device", got.reordered)
	}

	allowed := slices.Clone(c.fault.allowed)
	if c.stopMid {
		allowed = append(allowed, metrics.ErrorTypeStopped, metrics.ErrorTypeTimeout)
	}
	for errorType := range got.errorTypes {
		if !slices.Contains(allowed, errorType) {
			t.Errorf("failed outcomes of type %s (%s); allowed here: %v", errorType, got.firstErrors[errorType], allowed)
		}
	}
	if c.fault.retriable && !c.stopMid && got.failed != 0 {
		t.Errorf("%d messages failed although the fault was retriable and cleared", got.failed)
	}
	if !c.stopMid && got.accepted != got.messages {
		t.Errorf("accepted %d of %d messages without a Stop", got.accepted, got.messages)
	}
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var listeners []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range listeners {
		ln.Close()
	}
	return ports
}
