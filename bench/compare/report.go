package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// report is the comparison's result, printed as a table or as JSON.
type report struct {
	GeneratedAt  string          `json:"generated_at"`
	Machine      machine         `json:"machine"`
	Settings     reportSettings  `json:"settings"`
	Systems      []systemSummary `json:"systems"`
	WorkersCurve []curvePoint    `json:"workers_curve,omitempty"`

	failedRuns int
}

type machine struct {
	CPUModel   string `json:"cpu_model"`
	CPUs       int    `json:"cpus"`
	GoVersion  string `json:"go_version"`
	LoadBefore string `json:"load_before"` // /proc/loadavg when the comparison started
	LoadAfter  string `json:"load_after"`  // /proc/loadavg when it ended

	// OtherCPUSeconds is the CPU time the machine spent on processes other
	// than the comparison and its children while it ran, and WallSeconds
	// the comparison's duration. Near 0 means the machine was quiet.
	OtherCPUSeconds float64 `json:"other_cpu_s"`
	WallSeconds     float64 `json:"wall_s"`

	busy    time.Duration // all CPUs' busy time from /proc/stat
	ownCPU  time.Duration // this process's and its waited-for children's CPU time
	takenAt time.Time
}

type reportSettings struct {
	Messages       int     `json:"messages"`
	WarmUp         int     `json:"warm_up"`
	Devices        int     `json:"devices"`
	Repeat         int     `json:"repeat"`
	MeanValueBytes float64 `json:"mean_value_bytes"`
	Broker         string  `json:"broker"`
	Verify         bool    `json:"verify"`
	// LibraryRevision is `git describe --always --dirty` of the work tree
	// the library was built from, or empty outside a git checkout.
	LibraryRevision string `json:"library_revision,omitempty"`
	// MBDefinition states what mb_per_sec counts.
	MBDefinition string `json:"mb_definition"`
}

// systemSummary holds a system's medians over its successful runs. Each
// figure is the median of its own values, so the figures of one row may
// come from different runs.
type systemSummary struct {
	System           string      `json:"system"`
	Summary          string      `json:"summary"`
	Producers        int         `json:"producers"`
	Runs             int         `json:"runs"`
	FailedRuns       int         `json:"failed_runs"`
	MsgsPerSec       float64     `json:"msgs_per_sec"`
	RatioToRaw       *float64    `json:"ratio_to_raw"`
	MBPerSec         float64     `json:"mb_per_sec"`
	CPUPerMillion    float64     `json:"cpu_s_per_million"`
	PeakRSSMiB       float64     `json:"peak_rss_mib"`
	RSSBeforeMiB     float64     `json:"rss_before_mib"`
	LoadPeakRSSMiB   float64     `json:"load_peak_rss_mib"`
	LatencyP50Micros float64     `json:"latency_p50_us,omitempty"`
	LatencyP99Micros float64     `json:"latency_p99_us,omitempty"`
	MinDelivered     int         `json:"min_delivered"`
	MaxFailed        int         `json:"max_failed"`
	QueueFullRetries float64     `json:"queue_full_retries,omitempty"`
	Samples          []runRecord `json:"samples"`
}

// curvePoint is the median of wrpkafka Produce runs with one worker count.
type curvePoint struct {
	Workers          int         `json:"workers"`
	MsgsPerSec       float64     `json:"msgs_per_sec"`
	RatioToRaw       *float64    `json:"ratio_to_raw"`
	CPUPerMillion    float64     `json:"cpu_s_per_million"`
	LatencyP50Micros float64     `json:"latency_p50_us,omitempty"`
	LatencyP99Micros float64     `json:"latency_p99_us,omitempty"`
	Samples          []runRecord `json:"samples"`
}

func (p *parent) report(before, after machine) *report {
	before.LoadAfter = after.LoadAfter
	before.WallSeconds = after.takenAt.Sub(before.takenAt).Seconds()
	if before.busy > 0 && after.busy > 0 {
		other := (after.busy - before.busy) - (after.ownCPU - before.ownCPU)
		before.OtherCPUSeconds = max(other, 0).Seconds()
	}
	rep := &report{
		GeneratedAt: time.Now().UTC().Format(time.RFC3339),
		Machine:     before,
		Settings: reportSettings{
			Messages:        p.opts.messages,
			WarmUp:          p.opts.warmUp,
			Devices:         p.opts.devices,
			Repeat:          p.opts.repeat,
			MeanValueBytes:  p.meanSize,
			Broker:          p.broker.describeKind(),
			Verify:          p.opts.verify,
			LibraryRevision: libraryRevision(),
			MBDefinition:    "messages/s times the mean wrp-go v3 msgpack size of a message, in 10^6 bytes; keys, headers and protocol framing not counted",
		},
	}

	var rawRate float64
	for _, sys := range p.opts.systems {
		var ok, failed []runRecord
		for _, r := range p.runs {
			switch {
			case r.System != sys.name:
			case r.Error != "":
				failed = append(failed, r)
			default:
				ok = append(ok, r)
			}
		}
		rep.failedRuns += len(failed)
		s := summarize(sys, ok)
		s.FailedRuns = len(failed)
		s.Samples = append(ok, failed...)
		if sys.name == rawSystem && len(ok) > 0 {
			rawRate = s.MsgsPerSec
		}
		rep.Systems = append(rep.Systems, s)
	}

	ratio := func(rate float64) *float64 {
		if rawRate == 0 || rate == 0 {
			return nil
		}
		r := rate / rawRate
		return &r
	}
	for i := range rep.Systems {
		rep.Systems[i].RatioToRaw = ratio(rep.Systems[i].MsgsPerSec)
	}

	for _, workers := range curveWorkers {
		var ok []runRecord
		for _, r := range p.curve {
			if r.Workers != workers {
				continue
			}
			if r.Error != "" {
				rep.failedRuns++
				continue
			}
			ok = append(ok, r)
		}
		if len(ok) == 0 {
			continue
		}
		rep.WorkersCurve = append(rep.WorkersCurve, curvePoint{
			Workers:          workers,
			MsgsPerSec:       median(ok, func(r runRecord) float64 { return r.MsgsPerSec }),
			RatioToRaw:       ratio(median(ok, func(r runRecord) float64 { return r.MsgsPerSec })),
			CPUPerMillion:    median(ok, func(r runRecord) float64 { return r.CPUPerMillion }),
			LatencyP50Micros: median(ok, func(r runRecord) float64 { return r.LatencyP50Micros }),
			LatencyP99Micros: median(ok, func(r runRecord) float64 { return r.LatencyP99Micros }),
			Samples:          ok,
		})
	}
	return rep
}

func summarize(sys systemSpec, ok []runRecord) systemSummary {
	s := systemSummary{System: sys.name, Summary: sys.summary, Producers: sys.producers, Runs: len(ok)}
	if len(ok) == 0 {
		return s
	}
	s.MsgsPerSec = median(ok, func(r runRecord) float64 { return r.MsgsPerSec })
	s.MBPerSec = median(ok, func(r runRecord) float64 { return r.MBPerSec })
	s.CPUPerMillion = median(ok, func(r runRecord) float64 { return r.CPUPerMillion })
	s.PeakRSSMiB = median(ok, func(r runRecord) float64 { return r.PeakRSSMiB })
	s.RSSBeforeMiB = median(ok, func(r runRecord) float64 { return r.RSSBeforeMiB })
	s.LoadPeakRSSMiB = median(ok, func(r runRecord) float64 { return r.LoadPeakRSSMiB })
	s.LatencyP50Micros = median(ok, func(r runRecord) float64 { return r.LatencyP50Micros })
	s.LatencyP99Micros = median(ok, func(r runRecord) float64 { return r.LatencyP99Micros })
	s.QueueFullRetries = median(ok, func(r runRecord) float64 { return float64(r.QueueFullRetries) })
	s.MinDelivered = ok[0].Delivered
	for _, r := range ok {
		s.MinDelivered = min(s.MinDelivered, r.Delivered)
		s.MaxFailed = max(s.MaxFailed, r.Failed)
	}
	return s
}

// median returns the median of field over runs. For an even count it
// averages the two middle values.
func median(runs []runRecord, field func(runRecord) float64) float64 {
	if len(runs) == 0 {
		return 0
	}
	values := make([]float64, len(runs))
	for i, r := range runs {
		values[i] = field(r)
	}
	slices.Sort(values)
	mid := len(values) / 2
	if len(values)%2 == 1 {
		return values[mid]
	}
	return (values[mid-1] + values[mid]) / 2
}

func printTable(w io.Writer, rep *report) {
	fmt.Fprintf(w, "\n%d messages (mean %.0f bytes encoded), %d devices, median of %d runs each; %s; wrpkafka %s\n",
		rep.Settings.Messages, rep.Settings.MeanValueBytes, rep.Settings.Devices, rep.Settings.Repeat, rep.Settings.Broker,
		rep.Settings.LibraryRevision)
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s; load average before %s, after %s\n",
		rep.Machine.CPUs, rep.Machine.CPUModel, rep.Machine.GoVersion, rep.Machine.LoadBefore, rep.Machine.LoadAfter)
	fmt.Fprintf(w, "other processes used %.1f CPU seconds during the %.0f s of the comparison\n\n",
		rep.Machine.OtherCPUSeconds, rep.Machine.WallSeconds)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "system\tmsgs/s\tMB/s\tx raw\tCPU s/M msgs\tRSS before MiB\tpeak RSS MiB\tp50\tp99\tdelivered\t")
	for _, s := range rep.Systems {
		if s.Runs == 0 {
			fmt.Fprintf(tw, "%s\tfailed\t\t\t\t\t\t\t\t0/%d runs\t\n", s.System, s.FailedRuns)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%s\t%.2f\t%.0f\t%.0f\t%s\t%s\t%s\t\n",
			s.System, s.MsgsPerSec, s.MBPerSec, formatRatio(s.RatioToRaw), s.CPUPerMillion,
			s.RSSBeforeMiB, s.PeakRSSMiB, formatMicros(s.LatencyP50Micros), formatMicros(s.LatencyP99Micros),
			formatDelivered(s, rep.Settings.Messages))
	}
	tw.Flush()

	if len(rep.WorkersCurve) > 0 {
		fmt.Fprintf(w, "\nwrpkafka Produce by worker count (%d producers):\n\n", asyncProducers)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "workers\tmsgs/s\tx raw\tCPU s/M msgs\tp50\tp99\t")
		for _, c := range rep.WorkersCurve {
			fmt.Fprintf(tw, "%d\t%.0f\t%s\t%.2f\t%s\t%s\t\n", c.Workers, c.MsgsPerSec, formatRatio(c.RatioToRaw),
				c.CPUPerMillion, formatMicros(c.LatencyP50Micros), formatMicros(c.LatencyP99Micros))
		}
		tw.Flush()
	}

	fmt.Fprintln(w, "\nsystems:")
	for _, s := range rep.Systems {
		fmt.Fprintf(w, "  %-20s %d goroutines: %s\n", s.System, s.Producers, s.Summary)
	}
	fmt.Fprintln(w, "\nMB/s is "+rep.Settings.MBDefinition+".")
	fmt.Fprintln(w, "CPU s/M msgs is the publishing process's user+system CPU time in the timed window per million messages; the broker and the HTTP sink run in the parent and are not counted.")
	fmt.Fprintln(w, "RSS before is the child's resident set when the clock started, its converted traffic included; peak RSS is its maximum resident set while the clock ran.")
	fmt.Fprintln(w, "p50 and p99 run from the publishing call to the acknowledgement.")
}

func formatRatio(r *float64) string {
	if r == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", *r)
}

func formatDelivered(s systemSummary, messages int) string {
	if s.MaxFailed == 0 && s.MinDelivered == messages {
		return "all"
	}
	return fmt.Sprintf("%d (%d failed)", s.MinDelivered, s.MaxFailed)
}

func printJSON(w io.Writer, rep *report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func writeJSON(path string, rep *report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := printJSON(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readMachine describes the machine and takes a snapshot of its CPU time.
func readMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), takenAt: time.Now()}
	m.busy = machineBusy()
	var self, children syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil && syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children) == nil {
		m.ownCPU = time.Duration(self.Utime.Nano() + self.Stime.Nano() + children.Utime.Nano() + children.Stime.Nano())
	}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		fields := strings.Fields(string(load))
		if len(fields) >= 3 {
			m.LoadBefore = strings.Join(fields[:3], " ")
			m.LoadAfter = m.LoadBefore
		}
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if name, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
				m.CPUModel = strings.TrimSpace(value)
				break
			}
		}
		f.Close()
	}
	return m
}

// machineBusy returns the busy time of all CPUs since boot from the first
// line of /proc/stat: user, nice, system, irq, softirq and steal, in clock
// ticks of 1/100 s (Linux's USER_HZ on the usual architectures). It returns
// 0 when the file cannot be read.
func machineBusy() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			return 0
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// libraryRevision returns `git describe --always --dirty` of ../.., the
// module the replace directive points at when the program runs from
// bench/compare, or "" when git cannot tell.
func libraryRevision() string {
	out, err := exec.Command("git", "-C", "../..", "describe", "--always", "--dirty").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
