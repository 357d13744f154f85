package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runRecord is one child run as the parent saw it: the child's own
// measurements and what the parent derived or observed.
type runRecord struct {
	runResult

	MsgsPerSec    float64 `json:"msgs_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
	CPUPerMillion float64 `json:"cpu_s_per_million"`
	// PeakRSSMiB is the child's maximum resident set in the timed window,
	// its converted traffic included (see runResult.TimedPeakRSSMiB).
	// The child's rusage maxrss is no use here: Go starts a child with
	// vfork, so the kernel folds the parent's peak, and with it the embedded
	// broker's memory, into the child's maxrss.
	PeakRSSMiB      float64       `json:"peak_rss_mib"`
	ChildCPUSeconds float64       `json:"child_cpu_s"` // rusage of the whole child process
	Verify          *verification `json:"verify,omitempty"`
	Error           string        `json:"error,omitempty"`
}

// parent runs the comparison: it owns the traffic file, the broker, the
// HTTP sink and the upstream runner binary, and collects the runs.
type parent struct {
	opts        options
	tmp         string
	self        string // this binary, re-executed for each run
	upstreamBin string
	trafficPath string
	routesPath  string
	spec        trafficSpec
	meanSize    float64 // mean encoded size of a measured message, bytes
	topics      []string
	broker      *broker
	sink        *httpSink

	runs  []runRecord
	curve []runRecord
}

func newParent(o options, tmp string) (*parent, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this binary to re-execute it: %w", err)
	}
	return &parent{opts: o, tmp: tmp, self: self}, nil
}

func (p *parent) needs(pred func(systemSpec) bool) bool {
	for _, s := range p.opts.systems {
		if pred(s) {
			return true
		}
	}
	return false
}

// prepare builds the upstream runner, writes the traffic and route files,
// and starts the broker and the HTTP sink.
func (p *parent) prepare(spec trafficSpec) error {
	p.spec = spec
	if p.needs(func(s systemSpec) bool { return s.upstream }) {
		if err := p.buildUpstream(); err != nil {
			return err
		}
	}

	logf("generating %d messages (and %d for warm-up) from %d devices...", spec.messages, spec.warmUp, spec.devices)
	p.trafficPath = filepath.Join(p.tmp, "traffic.bin")
	var err error
	if p.meanSize, err = writeTrafficFile(p.trafficPath, spec); err != nil {
		return fmt.Errorf("writing the traffic file: %w", err)
	}
	logf("mean encoded message: %.0f bytes", p.meanSize)

	cfg := libraryConfig(nil)
	routes, err := json.Marshal(routeFile{TopicMap: cfg.TopicMap, Headers: cfg.Headers})
	if err != nil {
		return err
	}
	p.routesPath = filepath.Join(p.tmp, "routes.json")
	if err := os.WriteFile(p.routesPath, routes, 0o644); err != nil {
		return err
	}

	if p.topics, err = comparisonTopics(); err != nil {
		return err
	}
	if p.broker, err = openBroker(p.opts.brokers, p.topics, p.opts.verify); err != nil {
		return err
	}
	logf("broker: %s", p.broker.describe())

	if p.needs(func(s systemSpec) bool { return s.http }) {
		if p.sink, err = startHTTPSink(); err != nil {
			return err
		}
		logf("HTTP sink: %s", p.sink.url)
	}
	return nil
}

// buildUpstream compiles the upstream runner module into the temporary
// directory.
func (p *parent) buildUpstream() error {
	dir, err := filepath.Abs(p.opts.upstreamDir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return fmt.Errorf("the upstream runner module is not in %s (run from bench/compare or set -upstream-dir): %w", dir, err)
	}
	p.upstreamBin = filepath.Join(p.tmp, "upstream-runner")
	logf("building the upstream runner in %s...", dir)
	cmd := exec.Command("go", "build", "-o", p.upstreamBin, ".")
	cmd.Dir = dir
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the upstream runner in %s: %w", dir, err)
	}
	return nil
}

func (p *parent) close() {
	if p.sink != nil {
		p.sink.close()
	}
	if p.broker != nil {
		p.broker.close()
	}
}

// runAndRecord runs sys once and stores the record. With workers 0 the run
// keeps the system's default and belongs to the comparison. Any other value
// makes it a run of the workers curve.
func (p *parent) runAndRecord(sys systemSpec, workers int, label string) {
	rec := p.runOnce(sys, workers)
	if rec.Error != "" {
		logf("%-20s %s: FAILED: %s", sys.name, label, rec.Error)
	} else {
		logf("%-20s %s: %8.0f msgs/s  %5.2f CPU s/M  peak RSS %4.0f MiB  p50 %s  p99 %s  delivered %d/%d",
			sys.name+workerSuffix(workers), label, rec.MsgsPerSec, rec.CPUPerMillion, rec.PeakRSSMiB,
			formatMicros(rec.LatencyP50Micros), formatMicros(rec.LatencyP99Micros), rec.Delivered, rec.Messages)
	}
	if rec.Verify != nil {
		logf("%-20s %s", "", rec.Verify)
	}
	if workers == 0 {
		p.runs = append(p.runs, rec)
	} else {
		p.curve = append(p.curve, rec)
	}
}

func workerSuffix(workers int) string {
	if workers == 0 {
		return ""
	}
	return fmt.Sprintf(" w=%d", workers)
}

// runOnce runs one child process for sys and returns its record. A failed
// run has Error set.
func (p *parent) runOnce(sys systemSpec, workers int) runRecord {
	rec := runRecord{runResult: runResult{System: sys.name, Workers: workers}}
	fail := func(err error) runRecord {
		rec.Error = err.Error()
		return rec
	}

	var before offsets
	kafka := !sys.http
	if p.opts.verify {
		if kafka {
			if err := p.renewEmbeddedBroker(); err != nil {
				return fail(err)
			}
			var err error
			if before, err = endOffsets(p.broker.addrs, p.topics); err != nil {
				return fail(err)
			}
		} else {
			p.sink.beginVerify(p.spec)
		}
	}

	cmd, cancel := p.command(sys, workers)
	defer cancel()
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	runErr := cmd.Run()
	if p.opts.verify && !kafka {
		v := p.sink.endVerify()
		rec.Verify = &v
	}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rec.ChildCPUSeconds = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		}
	}
	if runErr != nil {
		return fail(fmt.Errorf("child process: %w", runErr))
	}

	res, err := parseChildOutput(stdout.Bytes())
	if err != nil {
		return fail(err)
	}
	rec.runResult = res
	if workers > 0 {
		rec.Workers = workers
	}
	if res.ElapsedSeconds > 0 {
		// Only acknowledged messages count, so a system that drops
		// messages gains nothing by it.
		rec.MsgsPerSec = float64(res.Delivered) / res.ElapsedSeconds
		rec.MBPerSec = rec.MsgsPerSec * p.meanSize / 1e6
	}
	rec.PeakRSSMiB = res.TimedPeakRSSMiB
	if res.Messages > 0 {
		rec.CPUPerMillion = res.CPUSeconds / float64(res.Messages) * 1e6
	}

	if p.opts.verify && kafka {
		after, err := endOffsets(p.broker.addrs, p.topics)
		if err != nil {
			return fail(err)
		}
		v, err := verifyRange(p.broker.addrs, before, after, p.spec)
		rec.Verify = &v
		if err != nil {
			return fail(err)
		}
	}
	if rec.Verify != nil {
		rec.Verify.Acknowledged = res.Delivered
		rec.Verify.CopiesExpected = sys.fanOut
	}
	if rec.Verify != nil && !rec.Verify.ok() {
		rec.Error = "verification failed: " + rec.Verify.String()
	}
	return rec
}

// renewEmbeddedBroker replaces the embedded cluster by an empty one, so that
// in verify mode, where the cluster keeps every record in this process, its
// memory does not grow with every run. It does nothing with -brokers.
func (p *parent) renewEmbeddedBroker() error {
	if p.broker.fake == nil {
		return nil
	}
	p.broker.close()
	fresh, err := openBroker(nil, p.topics, true)
	if err != nil {
		return err
	}
	p.broker = fresh
	return nil
}

// command returns the child process for one run of sys.
func (p *parent) command(sys systemSpec, workers int) (*exec.Cmd, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.runTimeout)
	args := []string{
		"-system", sys.name,
		"-traffic", p.trafficPath,
		"-brokers", strings.Join(p.broker.addrs, ","),
	}
	if sys.upstream {
		args = append(args, "-routes", p.routesPath)
		return exec.CommandContext(ctx, p.upstreamBin, args...), cancel
	}
	if sys.http {
		args = append(args, "-http-url", p.sink.url)
	}
	if workers > 0 {
		args = append(args, "-workers", strconv.Itoa(workers))
	}
	return exec.CommandContext(ctx, p.self, append([]string{childCommand}, args...)...), cancel
}

// parseChildOutput decodes the last JSON line a child printed.
func parseChildOutput(out []byte) (runResult, error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var res runResult
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			return res, fmt.Errorf("decoding the child's result %q: %w", line, err)
		}
		return res, nil
	}
	return runResult{}, errors.New("the child printed no JSON result line")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func formatMicros(us float64) string {
	switch {
	case us == 0:
		return "n/a"
	case us < 1000:
		return fmt.Sprintf("%.0fµs", us)
	default:
		return fmt.Sprintf("%.1fms", us/1000)
	}
}
