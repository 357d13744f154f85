package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// childCommand is the first argument that makes the binary run one system
// and print its measurements, instead of running the comparison.
const childCommand = "__run-system"

// runResult is the JSON line a child prints: the measurements of one
// system run. upstream/main.go prints the same keys.
type runResult struct {
	System    string         `json:"system"`
	Messages  int            `json:"messages"`
	Delivered int            `json:"delivered"`
	Failed    int            `json:"failed"`
	Errors    map[string]int `json:"errors,omitempty"`
	Producers int            `json:"producers"`
	Workers   int            `json:"workers,omitempty"`

	// ElapsedSeconds runs from the first publishing call to the last
	// acknowledgement. CPUSeconds is the child's user+system CPU time in
	// that window.
	ElapsedSeconds float64 `json:"elapsed_s"`
	CPUSeconds     float64 `json:"cpu_s"`

	// RSSBeforeMiB is the resident set after loading and converting the
	// traffic and the warm-up, when the clock starts. LoadPeakRSSMiB is the
	// peak resident set before that, and TimedPeakRSSMiB the peak from the
	// clock's start to its stop. Where the kernel cannot reset the peak (see
	// clock.start), PeakIncludesLoad is set and TimedPeakRSSMiB is the peak
	// of the whole process. All come from /proc/self/status.
	RSSBeforeMiB     float64 `json:"rss_before_mib"`
	LoadPeakRSSMiB   float64 `json:"load_peak_rss_mib"`
	TimedPeakRSSMiB  float64 `json:"timed_peak_rss_mib"`
	PeakIncludesLoad bool    `json:"peak_includes_load,omitempty"`

	// Latencies run from the publishing call to the acknowledgement, in
	// microseconds. They are absent for systems that report none.
	LatencyP50Micros float64 `json:"latency_p50_us,omitempty"`
	LatencyP99Micros float64 `json:"latency_p99_us,omitempty"`

	QueueFullRetries int64  `json:"queue_full_retries,omitempty"`
	Note             string `json:"note,omitempty"`
}

// childOptions are the flags of a child run.
type childOptions struct {
	system      string
	trafficPath string
	brokers     []string
	httpURL     string
	workers     int
}

func parseChildFlags(args []string) (childOptions, error) {
	var (
		o       childOptions
		brokers string
	)
	fs := flag.NewFlagSet(childCommand, flag.ContinueOnError)
	fs.StringVar(&o.system, "system", "", "system to run")
	fs.StringVar(&o.trafficPath, "traffic", "", "traffic file")
	fs.StringVar(&brokers, "brokers", "", "comma-separated Kafka brokers")
	fs.StringVar(&o.httpURL, "http-url", "", "URL the HTTP dispatcher posts to")
	fs.IntVar(&o.workers, "workers", 0, "wrpkafka workers; 0 keeps the configuration's value")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.system == "" || o.trafficPath == "" {
		return o, errors.New("-system and -traffic are required")
	}
	if brokers != "" {
		o.brokers = strings.Split(brokers, ",")
	}
	return o, nil
}

// runChild runs one system and prints its runResult as a JSON line on
// standard output.
func runChild(args []string) error {
	o, err := parseChildFlags(args)
	if err != nil {
		return err
	}
	sys, ok := findSystem(o.system)
	if !ok || sys.run == nil {
		return fmt.Errorf("system %q cannot run in this binary", o.system)
	}

	set, err := readTrafficFile(o.trafficPath)
	if err != nil {
		return err
	}
	messages := len(set.measured)
	env := &childEnv{options: o, traffic: set}

	res, err := sys.run(env)
	if err != nil {
		return fmt.Errorf("%s: %w", o.system, err)
	}
	res.System = o.system
	res.Messages = messages
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

// childEnv is the input and the clock of a system's run function.
type childEnv struct {
	options childOptions
	traffic *trafficSet
	clock   clock
}

// releaseTraffic drops the child's reference to the traffic file's bytes
// once a system has converted the messages, so the garbage collector can
// free them before the clock starts.
func (e *childEnv) releaseTraffic() {
	e.traffic = nil
}

// clock measures the timed window: wall time, the process's CPU time, and
// its resident set.
type clock struct {
	started   time.Time
	cpuStart  time.Duration
	rssBefore float64
	loadPeak  float64
	peakReset bool

	elapsed time.Duration
	cpu     time.Duration
	peakRSS float64
}

// start collects garbage and returns freed memory to the OS, so every system
// starts from its converted input alone, then starts the clock.
func (c *clock) start() {
	runtime.GC()
	debug.FreeOSMemory()
	c.rssBefore = readStatusMiB("VmRSS")
	c.loadPeak = readStatusMiB("VmHWM")
	// Writing 5 to clear_refs resets the peak resident set (Linux 4.0+).
	c.peakReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	c.cpuStart = processCPU()
	c.started = time.Now()
}

func (c *clock) stop() {
	c.elapsed = time.Since(c.started)
	c.cpu = processCPU() - c.cpuStart
	c.peakRSS = readStatusMiB("VmHWM")
}

// fill copies the clock's measurements into res.
func (c *clock) fill(res *runResult) {
	res.ElapsedSeconds = c.elapsed.Seconds()
	res.CPUSeconds = c.cpu.Seconds()
	res.RSSBeforeMiB = c.rssBefore
	res.LoadPeakRSSMiB = c.loadPeak
	res.TimedPeakRSSMiB = c.peakRSS
	res.PeakIncludesLoad = !c.peakReset
}

// processCPU returns the user and system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readStatusMiB returns a kB field of /proc/self/status in MiB, or 0 when
// it cannot be read.
func readStatusMiB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}

// latencyRecorder stores one latency per acknowledged message. It is safe
// for concurrent use and does not allocate after newLatencyRecorder.
type latencyRecorder struct {
	next   atomic.Int64
	values []time.Duration
}

func newLatencyRecorder(n int) *latencyRecorder {
	return &latencyRecorder{values: make([]time.Duration, n)}
}

// record stores d. Values beyond the capacity are dropped.
func (l *latencyRecorder) record(d time.Duration) {
	if l == nil {
		return
	}
	i := l.next.Add(1) - 1
	if int(i) < len(l.values) {
		l.values[i] = d
	}
}

// fill writes the 50th and 99th percentiles into res.
func (l *latencyRecorder) fill(res *runResult) {
	if l == nil {
		return
	}
	n := min(int(l.next.Load()), len(l.values))
	if n == 0 {
		return
	}
	sorted := slices.Clone(l.values[:n])
	slices.Sort(sorted)
	res.LatencyP50Micros = microseconds(sorted[(n-1)*50/100])
	res.LatencyP99Micros = microseconds(sorted[(n-1)*99/100])
}

func microseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond)
}

// ackCounter counts the outcomes of an expected number of messages and
// closes done when the last one arrives. It is safe for concurrent use.
type ackCounter struct {
	expected  int64
	delivered atomic.Int64
	failed    atomic.Int64
	total     atomic.Int64
	done      chan struct{}

	mu     sync.Mutex
	errors map[string]int
}

func newAckCounter(expected int) *ackCounter {
	a := &ackCounter{expected: int64(expected), done: make(chan struct{}), errors: map[string]int{}}
	if expected == 0 {
		close(a.done)
	}
	return a
}

// ack records one outcome. err nil means the broker acknowledged it.
func (a *ackCounter) ack(err error) {
	if err == nil {
		a.delivered.Add(1)
	} else {
		a.mu.Lock()
		a.errors[err.Error()]++
		a.mu.Unlock()
		a.failed.Add(1)
	}
	if a.total.Add(1) == a.expected {
		close(a.done)
	}
}

// wait waits for every outcome or the timeout, whichever comes first.
func (a *ackCounter) wait(timeout time.Duration) error {
	select {
	case <-a.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("timed out after %s with %d of %d outcomes",
			timeout, a.total.Load(), a.expected)
	}
}

// fill writes the counts into res.
func (a *ackCounter) fill(res *runResult) {
	res.Delivered = int(a.delivered.Load())
	res.Failed = int(a.failed.Load())
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.errors) > 0 {
		res.Errors = map[string]int{}
		for k, v := range a.errors {
			res.Errors[k] = v
		}
	}
}

// ackTimeout bounds how long a child waits for acknowledgements after the
// last publishing call.
const ackTimeout = 2 * time.Minute
