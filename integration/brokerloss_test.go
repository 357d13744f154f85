//go:build integration && brokerloss

package integration

// The broker-loss test needs a cluster of at least 3 nodes and a way to kill
// and restart one of them, so it has its own build tag and environment.
// scripts/broker-loss-test.sh starts such a cluster, runs the tests of this
// file and stops the cluster:
//
//	scripts/broker-loss-test.sh
//
// or, against a cluster started by hand:
//
//	scripts/testbroker/kafka.sh cluster-start
//	WRPKAFKA_CLUSTER_BROKERS=$(scripts/testbroker/kafka.sh cluster-bootstrap) \
//	  go test -race -count=1 -v -tags 'integration brokerloss' -run TestBrokerLoss ./integration/
//	scripts/testbroker/kafka.sh cluster-stop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/xmidt-org/wrpkafka/internal/kafkatest"
	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/publisher"
)

const (
	// clusterBrokersVariable names the environment variable with the
	// bootstrap servers of the cluster, comma-separated.
	clusterBrokersVariable = "WRPKAFKA_CLUSTER_BROKERS"

	// clusterScriptVariable names the environment variable with the
	// program that the test runs as "PROGRAM node-kill ID" and "PROGRAM
	// node-start ID", where ID is a broker's node.id. Default: the
	// repository's scripts/testbroker/kafka.sh, whose node numbers are the
	// node ids.
	clusterScriptVariable = "WRPKAFKA_CLUSTER_SCRIPT"
)

// Shape of the published traffic: 4 producers of 250 messages a second each,
// 1,000 in all. That keeps records in flight throughout the failover and
// leaves CPU for 3 brokers beside the race-enabled test on 2 cores.
const (
	lossPartitions  = 6
	lossDevices     = 1000
	lossProducers   = 4
	lossTick        = 20 * time.Millisecond
	lossPerTick     = 5
	lossRunID       = 7
	lossWarmUp      = 3 * time.Second
	lossDownTime    = 3 * time.Second
	lossSettleAfter = 2 * time.Second

	// Failover took 5 to 10 s in runs of scripts/broker-loss-test.sh on 2
	// cores (broker.session.timeout.ms=4000, plus a controller election
	// when the active controller is killed). 60 s leaves room for a slower
	// machine, so retries succeed instead of timing out.
	lossDeliveryTimeout = 60 * time.Second
)

// Phases of the test, to count the messages accepted in each.
const (
	phaseHealthy = iota
	phaseNodeDown
	phaseNodeBack
	phaseCount
)

var phaseNames = [phaseCount]string{"before the kill", "while the node was down", "after the restart"}

// TestBrokerLoss kills the broker that leads the most partitions of a topic,
// preferring the active controller on a tie, while a publisher streams
// numbered per-device messages to it. Then it restarts the broker and checks
// that with acks=all no acknowledged message is lost, duplicated or
// reordered, and that every accepted message gets exactly one outcome.
func TestBrokerLoss(t *testing.T) {
	servers, script := lossCluster(t)

	admin, err := kgo.NewClient(kgo.SeedBrokers(servers...))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	topic := uniqueName(t, "brokerloss")
	createCtx, cancelCreate := context.WithTimeout(context.Background(), time.Minute)
	defer cancelCreate()
	err = kafkatest.CreateTopics(createCtx, servers, kafkatest.Topic{
		Name:        topic,
		Partitions:  lossPartitions,
		Replication: 3,
		Configs:     map[string]string{"min.insync.replicas": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := waitForTopic(t, admin, topic, 30*time.Second, func(s topicState) bool {
		return s.allLed() && s.minISR() == 3
	}); !ok {
		t.Fatalf("the partitions of %s did not all get 3 in-sync replicas within 30 s", topic)
	}

	d := start(t, publisher.Config{
		Brokers:         servers,
		Workers:         4,
		QueueSize:       4096,
		DeliveryTimeout: lossDeliveryTimeout,
		ShutdownTimeout: 60 * time.Second,
		TopicMap:        []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
	},
		publisher.WithResults(16384),
		publisher.WithLogger(lossLogger(t)),
	)
	wait := drain(d)

	var (
		phase    atomic.Int32
		inPhase  [phaseCount]atomic.Int64
		accepted [lossProducers][]string
		wg       sync.WaitGroup
	)
	publishCtx, stopPublishing := context.WithCancel(context.Background())
	stopProducers := func() {
		stopPublishing()
		wg.Wait()
	}
	// Runs before start's d.Stop, so no producer calls Produce after Stop.
	t.Cleanup(stopProducers)

	began := time.Now()
	for p := range lossProducers {
		wg.Go(func() {
			// Producer p owns the devices p, p+4, ... and has its own
			// generator, so each device's sequence numbers follow its
			// Produce calls.
			g := traffic.New(traffic.Options{Devices: lossDevices, Seed: 21, RunID: lossRunID})
			ticker := time.NewTicker(lossTick)
			defer ticker.Stop()
			device := p
			for {
				select {
				case <-publishCtx.Done():
					return
				case <-ticker.C:
				}
				for range lossPerTick {
					m := g.NextFor(device)
					device += lossProducers
					if device >= lossDevices {
						device = p
					}
					err := d.Produce(publishCtx, m)
					switch {
					case err == nil:
						accepted[p] = append(accepted[p], m.TransactionUUID)
						inPhase[phase.Load()].Add(1)
					case publishCtx.Err() != nil:
						return // publishing ended while Produce waited for room
					default:
						t.Errorf("Produce: %v", err)
						return
					}
				}
			}
		})
	}
	elapsed := func() string { return time.Since(began).Round(100 * time.Millisecond).String() }

	time.Sleep(lossWarmUp)
	before, ok := waitForTopic(t, admin, topic, 10*time.Second, topicState.allLed)
	if !ok {
		t.Fatalf("the partitions of %s lost their leaders before any broker was killed", topic)
	}
	controller, err := activeController(admin)
	if err != nil {
		t.Logf("finding the active controller failed, so it gets no preference: %v", err)
	}
	victim, led := before.busiestLeader(controller)
	t.Logf("%s: leaders %v, active controller %d; killing node %d, which leads %d of %d partitions",
		elapsed(), before.leaders(), controller, victim, led, lossPartitions)

	phase.Store(phaseNodeDown)
	runClusterScript(t, script, "node-kill", victim)
	killed := time.Now() // node-kill returns once the JVM has exited
	after, ok := waitForTopic(t, admin, topic, time.Minute, func(s topicState) bool {
		return s.allLed() && !s.anyLedBy(victim) && !s.inAnyISR(victim)
	})
	if !ok {
		t.Fatalf("node %d still led a partition of %s or was in an ISR 60 s after it was killed", victim, topic)
	}
	controller, err = activeController(admin)
	if err != nil {
		t.Logf("finding the active controller failed: %v", err)
	}
	t.Logf("%s: failover took %s; leaders %v, active controller %d", elapsed(), time.Since(killed).Round(100*time.Millisecond), after.leaders(), controller)

	time.Sleep(lossDownTime)
	restarted := time.Now()
	runClusterScript(t, script, "node-start", victim)
	phase.Store(phaseNodeBack)
	if _, ok := waitForTopic(t, admin, topic, 90*time.Second, func(s topicState) bool {
		return s.allLed() && s.minISR() == 3
	}); !ok {
		t.Fatalf("node %d did not rejoin the ISR of every partition of %s within 90 s of its restart", victim, topic)
	}
	t.Logf("%s: node %d restarted and back in every ISR after %s", elapsed(), victim, time.Since(restarted).Round(100*time.Millisecond))

	// kafka.sh checks preferred leaders every 5 s, so the restarted node
	// usually leads its partitions again while messages still flow. Other
	// clusters may take longer, so this only logs.
	if back, ok := waitForTopic(t, admin, topic, 15*time.Second, func(s topicState) bool {
		return s.anyLedBy(victim)
	}); ok {
		t.Logf("%s: node %d leads partitions again; leaders %v", elapsed(), victim, back.leaders())
	} else {
		t.Logf("%s: node %d led no partition 15 s after it rejoined; the leadership change back was not exercised", elapsed(), victim)
	}
	time.Sleep(lossSettleAfter)

	stopProducers()
	t.Logf("%s: publishing stopped", elapsed())
	d.Stop()
	outcomes := wait()

	var acceptedIDs []string
	for _, ids := range accepted {
		acceptedIDs = append(acceptedIDs, ids...)
	}
	for i, name := range phaseNames {
		t.Logf("accepted %s: %d", name, inPhase[i].Load())
		if inPhase[i].Load() == 0 {
			t.Errorf("no message was accepted %s", name)
		}
	}

	marks := highWatermarks(t, admin, topic)
	var stored int64
	for _, mark := range marks {
		stored += mark
	}
	records := consume(t, servers, []string{topic}, int(stored))

	c := checkDelivery(t, acceptedIDs, outcomes, records)
	t.Logf("accepted %d, acked %d, failed %d, consumed %d (high watermarks sum to %d), lost %d, duplicates %d, reordered %d; slowest ack %s",
		c.accepted, c.acked, c.failed, c.consumed, stored, c.lost, c.duplicates, c.reordered, c.slowestAck.Round(time.Millisecond))

	if int64(c.consumed) != stored {
		t.Errorf("consumed %d records, but the high watermarks of %s sum to %d", c.consumed, topic, stored)
	}
	if c.lost != 0 {
		t.Errorf("%d acknowledged messages were not consumed back", c.lost)
	}
	if c.duplicates != 0 {
		t.Errorf("%d records were written more than once", c.duplicates)
	}
	if c.reordered != 0 {
		t.Errorf("%d records broke their device's sequence order", c.reordered)
	}
	if c.failed != 0 {
		t.Errorf("%d messages failed (%v); with a %s delivery timeout, failover retries should have succeeded", c.failed, c.failedTypes, lossDeliveryTimeout)
	}
}

// lossLogger returns a logger that writes warnings and errors to the test
// log. franz-go warns about every failed connection to the killed broker,
// several times a second, so the logger passes the first entry with a given
// message in each 5 s and drops the rest.
func lossLogger(t *testing.T) *zap.Logger {
	sample := zap.WrapCore(func(core zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(core, 5*time.Second, 1, 0)
	})
	return zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel), zaptest.WrapOptions(sample))
}

// deliveryCounts are the results of checkDelivery.
type deliveryCounts struct {
	accepted, acked, failed int
	failedTypes             map[string]int
	consumed                int
	// lost counts acknowledged messages that were not consumed.
	lost int
	// duplicates counts records beyond the first of each message.
	duplicates int
	// reordered counts records whose sequence number is not above the
	// previous one of the same device.
	reordered  int
	slowestAck time.Duration
}

// errorReporter is the part of testing.T that checkDelivery uses, so that a
// test can check which mismatches it reports.
type errorReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkDelivery compares the accepted messages, their outcomes and the
// consumed records, and returns the counts. It reports each mismatch with
// t.Errorf, also those without a count. These are a message with no outcome
// or several, an outcome or record for a message that was never accepted, an
// acknowledged offset that contains another record, and a device whose
// records span partitions.
func checkDelivery(t errorReporter, acceptedIDs []string, outcomes []publisher.Outcome, records []kafkatest.Record) deliveryCounts {
	t.Helper()
	const maxReports = 10 // per kind of mismatch, to keep a failure readable

	c := deliveryCounts{accepted: len(acceptedIDs), consumed: len(records), failedTypes: map[string]int{}}
	isAccepted := make(map[string]bool, len(acceptedIDs))
	for _, id := range acceptedIDs {
		isAccepted[id] = true
	}

	type location struct {
		partition int32
		offset    int64
	}
	outcomeCount := map[string]int{}
	acked := map[string]location{}
	strays := 0
	for _, o := range outcomes {
		id := o.Message.TransactionUUID
		outcomeCount[id]++
		if !isAccepted[id] {
			if strays++; strays <= maxReports {
				t.Errorf("outcome for message %s, which was not accepted", id)
			}
		}
		if o.Err != nil {
			c.failed++
			c.failedTypes[o.ErrorType]++
			continue
		}
		c.acked++
		acked[id] = location{o.Partition, o.Offset}
		c.slowestAck = max(c.slowestAck, o.Latency)
	}
	missing := 0
	for _, id := range acceptedIDs {
		if n := outcomeCount[id]; n != 1 {
			if missing++; missing <= maxReports {
				t.Errorf("accepted message %s got %d outcomes, want 1", id, n)
			}
		}
	}
	if missing > 0 || strays > 0 {
		t.Errorf("%d accepted messages did not get exactly one outcome, and %d outcomes were for messages never accepted", missing, strays)
	}

	written := map[string]location{}
	writes := map[string]int{}
	partitionOf := map[int]int32{}
	lastSeq := map[int]uint64{}
	unexpected, misplaced, moved := 0, 0, 0
	for _, r := range records {
		id := r.Message.TransactionUUID
		runID, device, seq, ok := traffic.ParseTransactionUUID(id)
		if !ok || runID != lossRunID || !isAccepted[id] {
			if unexpected++; unexpected <= maxReports {
				t.Errorf("record %s/%d@%d contains message %q, which was not accepted", r.Topic, r.Partition, r.Offset, id)
			}
			continue
		}
		writes[id]++
		if writes[id] > 1 {
			c.duplicates++
			if c.duplicates <= maxReports {
				t.Errorf("message %s is at offsets %d and %d of partition %d", id, written[id].offset, r.Offset, r.Partition)
			}
			continue
		}
		written[id] = location{r.Partition, r.Offset}

		// ConsumeAll returns a partition's records in offset order, so a
		// device's sequence numbers must rise from record to record.
		if p, seen := partitionOf[device]; seen && p != r.Partition {
			if moved++; moved <= maxReports {
				t.Errorf("device %d has records on partitions %d and %d", device, p, r.Partition)
			}
		}
		partitionOf[device] = r.Partition
		if prev, seen := lastSeq[device]; seen && seq <= prev {
			c.reordered++
			if c.reordered <= maxReports {
				t.Errorf("device %d: sequence %d at %d@%d follows sequence %d", device, seq, r.Partition, r.Offset, prev)
			}
		}
		lastSeq[device] = max(lastSeq[device], seq)
	}

	var lostIDs []string
	for id, at := range acked {
		got, ok := written[id]
		switch {
		case !ok:
			lostIDs = append(lostIDs, id)
		case got != at:
			if misplaced++; misplaced <= maxReports {
				t.Errorf("message %s was acknowledged at %d@%d but consumed at %d@%d", id, at.partition, at.offset, got.partition, got.offset)
			}
		}
	}
	c.lost = len(lostIDs)
	sort.Strings(lostIDs)
	if len(lostIDs) > 0 {
		t.Errorf("lost acknowledged messages, first ones: %v", lostIDs[:min(len(lostIDs), maxReports)])
	}
	if unexpected > 0 || misplaced > 0 || moved > 0 {
		t.Errorf("%d records of messages never accepted, %d acknowledged at another offset, %d devices on several partitions", unexpected, misplaced, moved)
	}
	return c
}

// lossCluster returns the cluster's bootstrap servers and the kill and
// restart program, or skips the test (fails it under CI=true) when no
// cluster of at least 3 brokers is configured and reachable.
func lossCluster(t *testing.T) (servers []string, script string) {
	t.Helper()
	servers, script, err := lossClusterFromEnv()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the broker-loss test must run in CI: %v", err)
		}
		t.Skipf("no Kafka cluster for the broker-loss test: %v", err)
	}
	return servers, script
}

func lossClusterFromEnv() (servers []string, script string, err error) {
	value := os.Getenv(clusterBrokersVariable)
	if value == "" {
		return nil, "", fmt.Errorf("%s is not set; run scripts/broker-loss-test.sh, or start a cluster with scripts/testbroker/kafka.sh cluster-start and set %s to the output of kafka.sh cluster-bootstrap", clusterBrokersVariable, clusterBrokersVariable)
	}
	servers = strings.Split(value, ",")

	script = os.Getenv(clusterScriptVariable)
	if script == "" {
		script = filepath.Join("..", "scripts", "testbroker", "kafka.sh")
	}
	if script, err = filepath.Abs(script); err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(script); err != nil {
		return nil, "", fmt.Errorf("the kill and restart program of %s: %w", clusterScriptVariable, err)
	}

	if err := ping(servers); err != nil {
		return nil, "", err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(servers...))
	if err != nil {
		return nil, "", err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return nil, "", fmt.Errorf("reading the metadata of %v: %w", servers, err)
	}
	if len(resp.Brokers) < 3 {
		return nil, "", fmt.Errorf("the cluster of %v has %d live brokers, but the test needs 3 for replication factor 3 with one broker down", servers, len(resp.Brokers))
	}
	return servers, script, nil
}

// runClusterScript runs "script command node" and fails the test when it
// fails. kafka.sh node-start returns once the node is an unfenced broker.
func runClusterScript(t *testing.T, script, command string, node int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, script, command, fmt.Sprint(node))
	// A JVM that the script starts writes to its own log files, so the
	// pipes close when the script exits. WaitDelay bounds the wait for a
	// program that keeps them open.
	cmd.WaitDelay = 10 * time.Second
	began := time.Now()
	output, err := cmd.CombinedOutput()
	t.Logf("%s %s %d (%s): %s", filepath.Base(script), command, node, time.Since(began).Round(100*time.Millisecond), strings.TrimSpace(string(output)))
	if err != nil {
		t.Fatalf("%s %s %d failed: %v", script, command, node, err)
	}
}

// partitionState is one partition's leader and in-sync replicas, as the
// cluster metadata reports them. leader is -1 while the partition has none.
type partitionState struct {
	leader int32
	isr    []int32
}

// topicState maps partition numbers to their state.
type topicState map[int32]partitionState

func (s topicState) allLed() bool {
	if len(s) != lossPartitions {
		return false
	}
	for _, p := range s {
		if p.leader < 0 {
			return false
		}
	}
	return true
}

func (s topicState) anyLedBy(node int32) bool {
	for _, p := range s {
		if p.leader == node {
			return true
		}
	}
	return false
}

func (s topicState) inAnyISR(node int32) bool {
	for _, p := range s {
		if slices.Contains(p.isr, node) {
			return true
		}
	}
	return false
}

// minISR returns the smallest ISR size of the partitions.
func (s topicState) minISR() int {
	smallest := -1
	for _, p := range s {
		if smallest < 0 || len(p.isr) < smallest {
			smallest = len(p.isr)
		}
	}
	return smallest
}

// busiestLeader returns the node that leads the most partitions and how many
// it leads. On a tie it returns preferred if that node is among the busiest,
// otherwise the lowest node id.
func (s topicState) busiestLeader(preferred int32) (node int32, led int) {
	counts := map[int32]int{}
	for _, p := range s {
		if p.leader >= 0 {
			counts[p.leader]++
		}
	}
	node = -1
	for n, c := range counts {
		switch {
		case c > led:
			node, led = n, c
		case c < led || node == preferred:
		case n == preferred || n < node:
			node = n
		}
	}
	return node, led
}

// leaders lists the leader of each partition in partition order.
func (s topicState) leaders() []int32 {
	out := make([]int32, len(s))
	for p, state := range s {
		if int(p) < len(out) {
			out[p] = state.leader
		}
	}
	return out
}

// describeTopic reads the topic's partition states from the cluster metadata.
func describeTopic(ctx context.Context, cl *kgo.Client, topic string) (topicState, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if len(resp.Topics) != 1 {
		return nil, fmt.Errorf("metadata lists %d topics, want %s only", len(resp.Topics), topic)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}

	state := topicState{}
	for _, p := range resp.Topics[0].Partitions {
		// A partition without a leader comes with LEADER_NOT_AVAILABLE
		// and leader -1. The state records only the -1.
		state[p.Partition] = partitionState{leader: p.Leader, isr: p.ISR}
	}
	return state, nil
}

// activeController returns the node id of the KRaft quorum leader, the
// active controller, or -1 and an error.
func activeController(cl *kgo.Client) (int32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	req := kmsg.NewPtrDescribeQuorumRequest()
	rt := kmsg.NewDescribeQuorumRequestTopic()
	rt.Topic = "__cluster_metadata"
	rp := kmsg.NewDescribeQuorumRequestTopicPartition()
	rp.Partition = 0
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)

	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return -1, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return -1, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return -1, fmt.Errorf("DescribeQuorum returned %d topics, want the metadata partition only", len(resp.Topics))
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		return -1, err
	}
	return p.LeaderID, nil
}

// waitForTopic polls the topic's state every 200 ms until done returns true,
// and returns that state. It returns the last state read and false when
// timeout passes first. Failed metadata reads are retried, because a killed
// broker can fail a few.
func waitForTopic(t *testing.T, cl *kgo.Client, topic string, timeout time.Duration, done func(topicState) bool) (topicState, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var (
		last    topicState
		lastErr error
	)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		state, err := describeTopic(ctx, cl, topic)
		cancel()
		if err == nil {
			if done(state) {
				return state, true
			}
			last = state
		}
		lastErr = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("waiting for the partitions of %s timed out after %s; last state %+v, last metadata error %v", topic, timeout, last, lastErr)
	return last, false
}

// highWatermarks returns each partition's high watermark: the offset after
// the last record a consumer can read.
func highWatermarks(t *testing.T, cl *kgo.Client, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range int32(lossPartitions) {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = -1 // the latest offset, which is the high watermark
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)

	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("listing the offsets of %s: %v", topic, err)
	}
	marks := map[int32]int64{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				t.Fatalf("listing the offset of %s/%d: %v", topic, p.Partition, err)
			}
			marks[p.Partition] = p.Offset
		}
	}
	if len(marks) != lossPartitions {
		t.Fatalf("got the offsets of %d partitions of %s, want %d", len(marks), topic, lossPartitions)
	}
	return marks
}

// errorRecorder collects the errors that checkDelivery reports.
type errorRecorder struct{ errors []string }

func (r *errorRecorder) Helper() {}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// checkDelivery must count a lost, a duplicated and a reordered record, and
// report nothing for a clean delivery. It needs no cluster.
func TestBrokerLossCheckDelivery(t *testing.T) {
	id := func(device int, seq uint64) string { return traffic.TransactionUUID(lossRunID, device, seq) }
	accepted := []string{id(0, 0), id(0, 1), id(0, 2), id(1, 0)}
	ackedAt := map[string]int64{id(0, 0): 0, id(0, 1): 1, id(0, 2): 2, id(1, 0): 0}

	var outcomes []publisher.Outcome
	for _, uuid := range accepted {
		partition := int32(0)
		if uuid == id(1, 0) {
			partition = 1
		}
		outcomes = append(outcomes, publisher.Outcome{
			Message:   &wrp.Message{TransactionUUID: uuid},
			Partition: partition,
			Offset:    ackedAt[uuid],
		})
	}
	record := func(partition int32, offset int64, uuid string) kafkatest.Record {
		return kafkatest.Record{
			Record:  &kgo.Record{Topic: "t", Partition: partition, Offset: offset},
			Message: wrp.Message{TransactionUUID: uuid},
		}
	}

	clean := []kafkatest.Record{record(0, 0, id(0, 0)), record(0, 1, id(0, 1)), record(0, 2, id(0, 2)), record(1, 0, id(1, 0))}
	var cleanErrors errorRecorder
	c := checkDelivery(&cleanErrors, accepted, outcomes, clean)
	if len(cleanErrors.errors) != 0 {
		t.Errorf("clean delivery reported errors: %q", cleanErrors.errors)
	}
	if c.acked != 4 || c.lost != 0 || c.duplicates != 0 || c.reordered != 0 {
		t.Errorf("clean delivery counts %+v, want 4 acked and no loss, duplicate or reordering", c)
	}

	// Partition 0 contains sequence 1 before 0 and sequence 1 twice, so the
	// acknowledged sequence 2 and device 1's only record are missing.
	broken := []kafkatest.Record{record(0, 0, id(0, 1)), record(0, 1, id(0, 0)), record(0, 2, id(0, 1))}
	var brokenErrors errorRecorder
	c = checkDelivery(&brokenErrors, accepted, outcomes, broken)
	if c.lost != 2 {
		t.Errorf("lost = %d, want 2", c.lost)
	}
	if c.duplicates != 1 {
		t.Errorf("duplicates = %d, want 1", c.duplicates)
	}
	if c.reordered != 1 {
		t.Errorf("reordered = %d, want 1", c.reordered)
	}
	if len(brokenErrors.errors) == 0 {
		t.Error("broken delivery reported no errors")
	}
}
