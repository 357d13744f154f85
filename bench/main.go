// Command bench publishes realistic Talaria-like WRP traffic through wrpkafka
// and reports throughput, latency, outcomes and whether per-device order
// held.
//
// Without -brokers it starts an embedded in-process Kafka cluster (franz-go's
// kfake), so it needs nothing installed:
//
//	go run ./bench
//	go run ./bench -n 1000000 -mode tryproduce -workers 16
//	go run ./bench -brokers 127.0.0.1:9092 -config talaria.yaml
//
// By default it also runs the same traffic through franz-go directly, with
// topics, keys and values computed beforehand, and prints wrpkafka's
// throughput as a ratio of that.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/xmidt-org/wrpkafka/publisher"
)

type options struct {
	brokers    []string
	configPath string
	messages   int
	devices    int
	workers    int
	queue      int
	mode       string
	producers  int
	partitions int
	raw        bool
	verify     bool
	discard    bool
	progress   time.Duration
	cpuProfile string

	// Soak mode: publish for a duration, optionally with the embedded
	// broker stalled for a while, and sample memory.
	duration   time.Duration
	stall      time.Duration
	stallAfter time.Duration
}

func parseFlags(args []string) (options, error) {
	var (
		o       options
		brokers string
	)
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&brokers, "brokers", "", "comma-separated Kafka brokers (host:port); empty starts an embedded kfake cluster")
	fs.StringVar(&o.configPath, "config", "", "YAML file with the publisher configuration (or a document with a kafka key); empty uses the built-in Talaria-like routes")
	fs.IntVar(&o.messages, "n", 200000, "number of messages to publish")
	fs.IntVar(&o.devices, "devices", 5000, "number of distinct devices")
	fs.IntVar(&o.workers, "workers", 0, "publisher workers; 0 keeps the configuration's value")
	fs.IntVar(&o.queue, "queue", 0, "publisher inbox capacity in messages; 0 keeps the configuration's value")
	fs.StringVar(&o.mode, "mode", "produce", "publishing call: produce, tryproduce or sync")
	fs.IntVar(&o.producers, "producers", 0, "goroutines calling the publisher; 0 means 8, or 64 for -mode sync")
	fs.IntVar(&o.partitions, "partitions", 12, "partitions of each topic the bench creates")
	fs.BoolVar(&o.raw, "raw", true, "also run the traffic through franz-go directly and report the ratio")
	fs.BoolVar(&o.verify, "verify", true, "consume every record back and check counts and per-device order")
	fs.BoolVar(&o.discard, "discard", false, "embedded cluster discards records (throughput only; turns -verify off)")
	fs.DurationVar(&o.progress, "progress", time.Second, "interval between progress lines; 0 turns them off")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the wrpkafka run to this file")
	fs.DurationVar(&o.duration, "duration", 0, "soak mode: publish for this long instead of -n messages, sampling memory and queue depth every -progress interval")
	fs.DurationVar(&o.stall, "stall", 0, "soak mode: the embedded broker holds every produce request for this long")
	fs.DurationVar(&o.stallAfter, "stall-after", 5*time.Second, "soak mode: when the stall begins, from the start of publishing")
	if err := fs.Parse(args); err != nil {
		return o, err
	}

	if brokers != "" {
		o.brokers = strings.Split(brokers, ",")
	}
	switch o.mode {
	case "produce", "tryproduce", "sync":
	default:
		return o, fmt.Errorf("-mode %q is invalid: use produce, tryproduce or sync", o.mode)
	}
	if o.messages < 1 || o.devices < 1 || o.partitions < 1 {
		return o, fmt.Errorf("-n, -devices and -partitions must be at least 1")
	}
	if o.producers == 0 {
		o.producers = 8
		if o.mode == "sync" {
			o.producers = 64
		}
	}
	if o.stall > 0 && (o.duration <= 0 || len(o.brokers) > 0) {
		return o, fmt.Errorf("-stall needs -duration and the embedded cluster")
	}
	if o.duration > 0 {
		// Soak runs measure memory: the embedded broker must not keep
		// what it receives in this process, and nothing is verified.
		o.discard = len(o.brokers) == 0
		o.verify = false
		o.raw = false
		if o.progress <= 0 {
			o.progress = time.Second
		}
	}
	if o.discard {
		if len(o.brokers) > 0 {
			return o, fmt.Errorf("-discard applies only to the embedded cluster; drop -brokers")
		}
		o.verify = false
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	cfg := defaultConfig()
	if o.configPath != "" {
		loaded, err := loadConfig(o.configPath)
		if err != nil {
			return err
		}
		cfg = loaded
	}
	if o.workers > 0 {
		cfg.Workers = o.workers
	}
	if o.queue > 0 {
		cfg.QueueSize = o.queue
	}

	// Validate the configuration before generating traffic.
	probe := cfg
	probe.Brokers = []string{"127.0.0.1:9092"}
	d, err := publisher.New(publisher.WithConfig(probe))
	if err != nil {
		return err
	}
	topics := d.Topics()

	if o.duration > 0 {
		return runSoak(o, cfg, topics)
	}

	fmt.Printf("generating %d messages for %d devices...\n", o.messages, o.devices)
	traffic := generate(o)

	var raw *phaseResult
	if o.raw {
		raw, err = runRaw(o, cfg, topics, traffic)
		if err != nil {
			return fmt.Errorf("raw franz-go run: %w", err)
		}
	}

	lib, err := runLibrary(o, cfg, topics, traffic)
	if err != nil {
		return err
	}

	report(o, cfg, lib, raw)
	if lib.failed() {
		return fmt.Errorf("the run did not account for every message or per-device order broke")
	}
	return nil
}
