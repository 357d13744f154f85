package main

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/xmidt-org/wrpkafka/publisher"
)

func report(o options, cfg publisher.Config, lib, raw *phaseResult) {
	fmt.Println()
	fmt.Printf("wrpkafka bench: %d messages, %d devices, mode %s, %d producers, %d workers, queue %d\n",
		lib.accepted, o.devices, o.mode, o.producers, cfg.Workers, cfg.QueueSize)
	fmt.Printf("  cluster:     %s\n", lib.cluster)
	fmt.Printf("  throughput:  %.0f msgs/s over %s\n", lib.rate(), lib.elapsed.Round(time.Millisecond))
	if raw != nil {
		where := "the same brokers"
		if len(o.brokers) == 0 {
			where = "a fresh embedded cluster"
		}
		fmt.Printf("  raw franz-go: %.0f msgs/s over %s on %s; wrpkafka/raw = %.2f\n",
			raw.rate(), raw.elapsed.Round(time.Millisecond), where, lib.rate()/raw.rate())
	}
	if len(lib.latencies) > 0 {
		slices.Sort(lib.latencies)
		fmt.Printf("  latency (call to outcome): p50 %s  p90 %s  p99 %s  max %s\n",
			percentile(lib.latencies, 0.50), percentile(lib.latencies, 0.90),
			percentile(lib.latencies, 0.99), lib.latencies[len(lib.latencies)-1])
	}
	if lib.queueFull > 0 {
		fmt.Printf("  TryProduce found the queue full %d times and retried\n", lib.queueFull)
	}

	fmt.Printf("  outcomes:    %d written", lib.succeeded)
	for _, t := range slices.Sorted(maps.Keys(lib.byErrorType)) {
		fmt.Printf(", %d %s", lib.byErrorType[t], t)
	}
	missing := lib.accepted - lib.succeeded - sum(lib.byErrorType)
	fmt.Printf("; %d accepted without an outcome\n", missing)

	fmt.Println("  records per topic:")
	for _, t := range slices.Sorted(maps.Keys(lib.perTopic)) {
		fmt.Printf("    %-20s %8d\n", t, lib.perTopic[t])
	}

	if lib.check != nil {
		fmt.Printf("  %s\n", lib.check)
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p * float64(len(sorted)-1))
	return sorted[i].Round(time.Microsecond)
}
