// Command compare publishes the same Talaria-like WRP traffic through
// several systems, one child process per run, and prints their throughput,
// CPU time, memory and latency side by side:
//
//	cd bench/compare && go run .
//
// The systems are franz-go with records built beforehand (the limit), a
// naive franz-go publisher, the upstream wrpkafka v0.1.0, IBM/sarama, a
// Talaria-style HTTP dispatcher, and this library's Produce, TryProduce and
// ProduceSync. README.md lists each system's settings.
package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

type options struct {
	messages     int
	devices      int
	warmUp       int
	repeat       int
	brokers      []string
	jsonOutput   bool
	outPath      string
	systems      []systemSpec
	workersCurve bool
	curveRepeat  int
	verify       bool
	upstreamDir  string
	runTimeout   time.Duration
}

// curveWorkers are the worker counts of -workers-curve. Talaria runs 100.
var curveWorkers = []int{1, 2, 4, 8, 16, 32, 64, 100}

func parseFlags(args []string) (options, error) {
	var (
		o       options
		brokers string
		list    string
	)
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.IntVar(&o.messages, "n", 200000, "messages each run publishes and times")
	fs.IntVar(&o.devices, "devices", 5000, "distinct devices in the generated traffic")
	fs.IntVar(&o.warmUp, "warmup", 5000, "messages each run publishes before the clock starts")
	fs.IntVar(&o.repeat, "repeat", 3, "runs of each system; the report shows medians")
	fs.StringVar(&brokers, "brokers", "", "comma-separated Kafka brokers (host:port); empty starts an embedded kfake cluster")
	fs.BoolVar(&o.jsonOutput, "json", false, "print the results as JSON instead of a table")
	fs.StringVar(&o.outPath, "out", "", "also write the JSON results to this file")
	fs.StringVar(&list, "systems", "default", "systems to run: default (all but the opt-in upstream-qos and upstream-fanout), all, or a comma-separated list of "+systemNames())
	fs.BoolVar(&o.workersCurve, "workers-curve", true, "also run wrpkafka Produce with 1 to 100 workers")
	fs.IntVar(&o.curveRepeat, "curve-repeat", 3, "runs of each worker count of -workers-curve")
	fs.BoolVar(&o.verify, "verify", false, "keep the records and count each run's back; an embedded cluster is started empty for each Kafka run")
	fs.StringVar(&o.upstreamDir, "upstream-dir", "upstream", "directory of the upstream runner module")
	fs.DurationVar(&o.runTimeout, "run-timeout", 5*time.Minute, "time after which a run's child process is killed")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q: every setting is a flag", fs.Args())
	}

	if o.messages < 1 || o.devices < 1 || o.warmUp < 0 || o.repeat < 1 || o.curveRepeat < 1 {
		return o, errors.New("-n, -devices, -repeat and -curve-repeat must be at least 1, and -warmup at least 0")
	}
	if brokers != "" {
		o.brokers = strings.Split(brokers, ",")
	}
	var err error
	if o.systems, err = parseSystems(list); err != nil {
		return o, err
	}
	return o, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		if err := runChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "compare child:", err)
			os.Exit(1)
		}
		return
	}

	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	machineBefore := readMachine()
	tmp, err := os.MkdirTemp("", "wrpkafka-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	p, err := newParent(o, tmp)
	if err != nil {
		return err
	}
	defer p.close()

	spec := trafficSpec{
		messages: o.messages,
		warmUp:   o.warmUp,
		devices:  o.devices,
		seed:     uint64(time.Now().UnixNano()),
		runID:    uint16(rand.N(1<<15-1) + 1),
	}
	if err := p.prepare(spec); err != nil {
		return err
	}

	for r := range o.repeat {
		for i := range o.systems {
			sys := o.systems[(i+r)%len(o.systems)]
			p.runAndRecord(sys, 0, fmt.Sprintf("repeat %d/%d", r+1, o.repeat))
		}
	}

	if o.workersCurve {
		produce, _ := findSystem("wrpkafka-produce")
		for r := range o.curveRepeat {
			for i := range curveWorkers {
				workers := curveWorkers[(i+r)%len(curveWorkers)]
				p.runAndRecord(produce, workers, fmt.Sprintf("workers curve %d/%d", r+1, o.curveRepeat))
			}
		}
	}

	rep := p.report(machineBefore, readMachine())
	if o.outPath != "" {
		if err := writeJSON(o.outPath, rep); err != nil {
			return err
		}
	}
	if o.jsonOutput {
		return printJSON(os.Stdout, rep)
	}
	printTable(os.Stdout, rep)
	if rep.failedRuns > 0 {
		return fmt.Errorf("%d runs failed; their errors are above", rep.failedRuns)
	}
	return nil
}
