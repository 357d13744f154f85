// Command upstream runs one comparison run of the upstream wrpkafka v0.1.0
// (github.com/xmidt-org/wrpkafka from the Go module proxy, with wrp-go v5
// and franz-go v1.20.6). It is the upstream counterpart of the compare
// command's child process: the compare command builds it, passes the
// traffic and route files, and reads the JSON line it prints.
//
// It lives in its own module because the upstream library has the same
// module path as this project, so the two cannot be built together.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xmidt-org/wrp-go/v5"
	"github.com/xmidt-org/wrpkafka"
)

// Producer goroutines and buffer size, the same as the compare command's
// asynchronous systems.
const (
	producers          = 8
	maxBufferedRecords = 10000
)

// Call paths of upstream's Produce, chosen by the message's QoS value.
const (
	qosAsync = 50 // 25-74: franz-go Produce, waits while the buffer is full
	qosSync  = 99 // 75-99: franz-go ProduceSync
)

// runResult is the JSON line the compare command reads. It carries the
// same keys as runResult in ../child.go.
type runResult struct {
	System           string         `json:"system"`
	Messages         int            `json:"messages"`
	Delivered        int            `json:"delivered"`
	Failed           int            `json:"failed"`
	Errors           map[string]int `json:"errors,omitempty"`
	Producers        int            `json:"producers"`
	ElapsedSeconds   float64        `json:"elapsed_s"`
	CPUSeconds       float64        `json:"cpu_s"`
	RSSBeforeMiB     float64        `json:"rss_before_mib"`
	LoadPeakRSSMiB   float64        `json:"load_peak_rss_mib"`
	TimedPeakRSSMiB  float64        `json:"timed_peak_rss_mib"`
	PeakIncludesLoad bool           `json:"peak_includes_load,omitempty"`
	Note             string         `json:"note,omitempty"`
}

// routeFile is the routing the compare command writes: the keys of its
// publisher.Config's topicMap and headers.
type routeFile struct {
	TopicMap []routeSpec       `json:"topicMap"`
	Headers  map[string]string `json:"headers"`
}

type routeSpec struct {
	Pattern    string            `json:"pattern"`
	IgnoreCase bool              `json:"ignoreCase"`
	Topic      string            `json:"topic"`
	Topics     []string          `json:"topics"`
	ShardBy    string            `json:"shardBy"`
	ShardMap   map[string]string `json:"shardMap"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "upstream runner:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var system, trafficPath, brokers, routesPath string
	fs := flag.NewFlagSet("upstream", flag.ContinueOnError)
	fs.StringVar(&system, "system", "upstream", "upstream (every message at QoS 50), upstream-qos (the generated QoS values) or upstream-fanout (QoS 50, the route table as written)")
	fs.StringVar(&trafficPath, "traffic", "", "traffic file written by the compare command")
	fs.StringVar(&brokers, "brokers", "", "comma-separated Kafka brokers")
	fs.StringVar(&routesPath, "routes", "", "route file written by the compare command")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if trafficPath == "" || brokers == "" || routesPath == "" {
		return errors.New("-traffic, -brokers and -routes are required")
	}
	switch system {
	case "upstream", "upstream-qos", "upstream-fanout":
	default:
		return fmt.Errorf("-system %q is invalid: use upstream, upstream-qos or upstream-fanout", system)
	}

	file, err := readRouteFile(routesPath)
	if err != nil {
		return err
	}
	warmUp, measured, err := loadTraffic(trafficPath)
	if err != nil {
		return err
	}
	var notes []string
	if system != "upstream-fanout" {
		eventTypes := trafficEventTypes(warmUp, measured)
		var rewritten []string
		file.TopicMap, rewritten = firstMatchRoutes(file.TopicMap, eventTypes)
		for _, pattern := range rewritten {
			notes = append(notes, fmt.Sprintf("route %q overlaps earlier routes, so it became exact routes for the traffic's event types that no earlier route matches", pattern))
		}
	}
	config, configNotes, err := convertRoutes(file)
	if err != nil {
		return fmt.Errorf("%s: %w", routesPath, err)
	}
	notes = append(notes, configNotes...)
	// The warm-up waits for every acknowledgement, which only upstream's
	// synchronous path reports.
	for _, m := range warmUp.messages {
		m.QualityOfService = qosSync
	}
	if system != "upstream-qos" {
		for _, m := range measured.messages {
			m.QualityOfService = qosAsync
		}
	}

	failures := &failureCounter{errors: map[string]int{}}
	p := &wrpkafka.Publisher{
		Brokers:            strings.Split(brokers, ","),
		MaxBufferedRecords: maxBufferedRecords,
		CleanupTimeout:     2 * time.Minute,
		InitialDynamicConfig: wrpkafka.DynamicConfig{
			TopicMap:         config.routes,
			Headers:          config.headers,
			CompressionCodec: wrpkafka.CompressionSnappy,
			Acks:             wrpkafka.AcksAll,
			// NOTE: upstream passes Linger to franz-go only when it is
			// above 0, so 0 leaves franz-go v1.20.6's default of 10ms.
			Linger: 0,
		},
		InitialPublishEventListeners: []func(*wrpkafka.PublishEvent){failures.observe},
	}
	if err := p.Start(); err != nil {
		return fmt.Errorf("starting the upstream publisher: %w", err)
	}

	if err := publish(p, warmUp); err != nil {
		p.Stop(context.Background())
		return fmt.Errorf("warm-up: %w", err)
	}
	failures.reset()

	c := startClock()
	err = publish(p, measured)
	// Stop flushes franz-go's buffer: upstream reports no acknowledgement of
	// an asynchronous message, so the run ends when the flush does.
	p.Stop(context.Background())
	res := c.stop()
	if err != nil {
		return err
	}

	res.System = system
	res.Messages = len(measured.messages)
	res.Producers = producers
	res.Failed, res.Errors = failures.result()
	res.Delivered = res.Messages - res.Failed
	notes = append(notes, "delivered counts messages without a failure event, because upstream reports success before the acknowledgement; no latency for the same reason")
	res.Note = strings.Join(notes, "; ")
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

// upstreamConfig is the route file converted to upstream's types.
type upstreamConfig struct {
	routes  []wrpkafka.TopicRoute
	headers map[string][]string
}

func readRouteFile(path string) (routeFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return routeFile{}, err
	}
	var file routeFile
	if err := json.Unmarshal(data, &file); err != nil {
		return routeFile{}, fmt.Errorf("%s: %w", path, err)
	}
	for i, r := range file.TopicMap {
		// upstream patterns allow one '*' and nothing else of glob syntax.
		if strings.ContainsAny(r.Pattern, "?[") {
			return routeFile{}, fmt.Errorf("%s: topicMap[%d] pattern %q uses glob syntax upstream does not support: use at most one '*' and no '?' or '['", path, i, r.Pattern)
		}
	}
	return file, nil
}

// convertRoutes converts the compare command's routes to upstream's. It
// returns notes on the settings upstream cannot express.
func convertRoutes(file routeFile) (upstreamConfig, []string, error) {
	var (
		cfg   upstreamConfig
		notes []string
	)
	for _, r := range file.TopicMap {
		if len(r.ShardMap) > 0 {
			notes = append(notes, fmt.Sprintf("upstream has no shardMap, so route %q hashes %s over its topics", r.Pattern, r.ShardBy))
		}
		cfg.routes = append(cfg.routes, wrpkafka.TopicRoute{
			Pattern:            wrpkafka.Pattern(r.Pattern),
			CaseInsensitive:    r.IgnoreCase,
			Topic:              r.Topic,
			Topics:             r.Topics,
			TopicShardStrategy: wrpkafka.TopicShardStrategy(r.ShardBy),
		})
	}
	cfg.headers = map[string][]string{}
	for name, value := range file.Headers {
		cfg.headers[name] = []string{value}
	}
	return cfg, notes, nil
}

// trafficEventTypes returns the distinct event types of the messages, as
// upstream derives them: the authority of the Destination's locator.
func trafficEventTypes(sets ...messageSet) []string {
	seen := map[string]bool{}
	for _, set := range sets {
		for _, m := range set.messages {
			if loc, err := wrp.ParseLocator(m.Destination); err == nil {
				seen[loc.Authority] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// firstMatchRoutes makes upstream route like the compare command's other
// systems, where the first matching route wins. upstream publishes a
// message to every route that matches it, so a catch-all after specific
// routes would copy every message those routes take. Each route that
// matches an event type an earlier route also matches is replaced by exact
// routes for the event types of eventTypes whose first match it is. It
// returns the new routes and the patterns it replaced.
//
// NOTE: event types absent from eventTypes match no replaced route, so the
// result fits only the traffic it was computed from.
func firstMatchRoutes(routes []routeSpec, eventTypes []string) ([]routeSpec, []string) {
	first := map[string]int{}
	for _, et := range eventTypes {
		for i, r := range routes {
			if r.matches(et) {
				first[et] = i
				break
			}
		}
	}

	var (
		out      []routeSpec
		replaced []string
	)
	for i, r := range routes {
		overlaps := false
		for _, et := range eventTypes {
			if j, ok := first[et]; ok && j < i && r.matches(et) {
				overlaps = true
			}
		}
		if !overlaps {
			out = append(out, r)
			continue
		}
		replaced = append(replaced, r.Pattern)
		for _, et := range eventTypes {
			if j, ok := first[et]; ok && j == i {
				exact := r
				exact.Pattern = escapePattern(et)
				exact.IgnoreCase = false
				out = append(out, exact)
			}
		}
	}
	return out, replaced
}

// matches applies the compare command's rule: Go's path.Match, on
// lower-cased pattern and event type when IgnoreCase is set. For patterns
// with at most one '*' and no other glob syntax, which are all upstream
// accepts, it agrees with upstream's matcher.
func (r routeSpec) matches(eventType string) bool {
	pattern := r.Pattern
	if r.IgnoreCase {
		pattern, eventType = strings.ToLower(pattern), strings.ToLower(eventType)
	}
	ok, err := path.Match(pattern, eventType)
	return err == nil && ok
}

// escapePattern returns an upstream pattern that matches s exactly.
func escapePattern(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.ReplaceAll(s, "*", `\*`)
}

// messageSet is part of the traffic as wrp-go v5 messages, split over the
// producer goroutines by device.
type messageSet struct {
	messages []*wrp.Message
	groups   [][]int
}

// loadTraffic reads the compare command's traffic file (see trafficMagic in
// ../trafficfile.go for the layout) and decodes every message with wrp-go
// v5's msgpack decoder.
func loadTraffic(path string) (warmUp, measured messageSet, err error) {
	f, err := os.Open(path)
	if err != nil {
		return warmUp, measured, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)

	const magic = "WRPCMP1\n"
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != magic {
		return warmUp, measured, fmt.Errorf("%s is not a traffic file: the magic bytes are missing", path)
	}
	warmCount, err := binary.ReadUvarint(r)
	if err != nil {
		return warmUp, measured, fmt.Errorf("%s: reading the warm-up count: %w", path, err)
	}
	count, err := binary.ReadUvarint(r)
	if err != nil {
		return warmUp, measured, fmt.Errorf("%s: reading the message count: %w", path, err)
	}

	warmUp.groups = make([][]int, producers)
	measured.groups = make([][]int, producers)
	var buf []byte
	for i := range warmCount + count {
		device, err := binary.ReadUvarint(r)
		if err != nil {
			return warmUp, measured, fmt.Errorf("%s: message %d: reading the device index: %w", path, i, err)
		}
		size, err := binary.ReadUvarint(r)
		if err != nil || size > 16<<20 {
			return warmUp, measured, fmt.Errorf("%s: message %d: the length is missing or invalid", path, i)
		}
		buf = append(buf[:0], make([]byte, size)...)
		if _, err := io.ReadFull(r, buf); err != nil {
			return warmUp, measured, fmt.Errorf("%s: message %d: %w", path, i, err)
		}
		m := new(wrp.Message)
		if _, err := m.DecodeMsgpack(buf); err != nil {
			return warmUp, measured, fmt.Errorf("%s: message %d: decoding: %w", path, i, err)
		}

		set := &measured
		if i < warmCount {
			set = &warmUp
		}
		g := int(device % producers)
		set.groups[g] = append(set.groups[g], len(set.messages))
		set.messages = append(set.messages, m)
	}
	return warmUp, measured, nil
}

// publish calls Produce for every message, one goroutine per group. It
// returns the first error that is not a failure already reported to the
// event listener.
func publish(p *wrpkafka.Publisher, set messageSet) error {
	var (
		wg       sync.WaitGroup
		firstErr error
		errOnce  sync.Once
	)
	for _, group := range set.groups {
		wg.Go(func() {
			for _, i := range group {
				_, err := p.Produce(context.Background(), set.messages[i])
				if errors.Is(err, wrpkafka.ErrNotStarted) {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// failureCounter counts the failure events upstream sends its listeners.
// Every failed message gets exactly one, whatever its QoS path.
type failureCounter struct {
	mu     sync.Mutex
	failed int
	errors map[string]int
}

func (f *failureCounter) observe(e *wrpkafka.PublishEvent) {
	if e.Error == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed++
	f.errors[e.ErrorType+": "+e.Error.Error()]++
}

func (f *failureCounter) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = 0
	f.errors = map[string]int{}
}

func (f *failureCounter) result() (int, map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errors) == 0 {
		return f.failed, nil
	}
	return f.failed, f.errors
}

// clock measures the timed window like the compare command's clock.
type clock struct {
	started   time.Time
	cpuStart  time.Duration
	rssBefore float64
	loadPeak  float64
	peakReset bool
}

func startClock() *clock {
	runtime.GC()
	debug.FreeOSMemory()
	c := &clock{rssBefore: readStatusMiB("VmRSS"), loadPeak: readStatusMiB("VmHWM")}
	// Writing 5 to clear_refs resets the peak resident set (Linux 4.0+).
	c.peakReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	c.cpuStart = processCPU()
	c.started = time.Now()
	return c
}

func (c *clock) stop() runResult {
	res := runResult{
		ElapsedSeconds:   time.Since(c.started).Seconds(),
		CPUSeconds:       (processCPU() - c.cpuStart).Seconds(),
		RSSBeforeMiB:     c.rssBefore,
		LoadPeakRSSMiB:   c.loadPeak,
		TimedPeakRSSMiB:  readStatusMiB("VmHWM"),
		PeakIncludesLoad: !c.peakReset,
	}
	return res
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readStatusMiB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
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
