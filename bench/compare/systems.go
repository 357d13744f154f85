package main

import (
	"fmt"
	"strings"
)

// systemSpec is one system of the comparison.
type systemSpec struct {
	name      string
	summary   string // one line for the table's legend
	producers int    // goroutines calling the system
	upstream  bool   // runs in the upstream runner binary, not in this one
	http      bool   // posts to the parent's HTTP sink instead of Kafka
	optIn     bool   // runs only when -systems is all or names it
	fanOut    bool   // writes one record per matching route, so copies are expected
	run       func(*childEnv) (*runResult, error)
}

// rawSystem is the reference the ratios are computed against.
const rawSystem = "raw"

// systems lists every system in the table's order.
var systems = []systemSpec{
	{
		name:      rawSystem,
		summary:   "franz-go Produce, records (topic, key, headers, value) built before the clock starts",
		producers: asyncProducers,
		run:       runRawAsync,
	},
	{
		name:      "naive",
		summary:   "franz-go Produce after wrp-go v3 ParseLocator, ParseDeviceID, filepath.Match routing and wrp-go v3 msgpack encoding per message",
		producers: asyncProducers,
		run:       runNaive,
	},
	{
		name:      "upstream",
		summary:   "upstream wrpkafka v0.1.0 Produce, every message at QoS 50 (its async franz-go Produce path), routes made first-match",
		producers: asyncProducers,
		upstream:  true,
	},
	{
		name:      "upstream-qos",
		summary:   "upstream wrpkafka v0.1.0 Produce with the generated QoS values (0-24 TryProduce, 25-74 Produce, 75-99 ProduceSync), routes made first-match",
		producers: asyncProducers,
		upstream:  true,
		// Its ProduceSync calls each wait out franz-go's 10ms default
		// linger, which upstream cannot turn off, so a run takes minutes.
		optIn: true,
	},
	{
		name:      "upstream-fanout",
		summary:   "upstream wrpkafka v0.1.0 as upstream, with the route table as written: every matching route gets a copy",
		producers: asyncProducers,
		upstream:  true,
		fanOut:    true,
		optIn:     true,
	},
	{
		name:      "sarama",
		summary:   "IBM/sarama AsyncProducer, idempotent, with the naive system's routing and encoding",
		producers: asyncProducers,
		run:       runSarama,
	},
	{
		name:      "http",
		summary:   "Talaria-style HTTP dispatcher: wrp-go v3 msgpack bodies POSTed by 100 workers from one channel of 1000",
		producers: asyncProducers,
		http:      true,
		run:       runHTTP,
	},
	{
		name:      "wrpkafka-produce",
		summary:   "this library, Produce",
		producers: asyncProducers,
		run:       func(e *childEnv) (*runResult, error) { return runLibrary(e, modeProduce) },
	},
	{
		name:      "wrpkafka-tryproduce",
		summary:   "this library, TryProduce, retried after 50µs on ErrQueueFull",
		producers: asyncProducers,
		run:       func(e *childEnv) (*runResult, error) { return runLibrary(e, modeTryProduce) },
	},
	{
		name:      "wrpkafka-sync",
		summary:   "this library, ProduceSync",
		producers: syncProducers,
		run:       func(e *childEnv) (*runResult, error) { return runLibrary(e, modeSync) },
	},
	{
		name:      "raw-sync",
		summary:   "franz-go ProduceSync, records built before the clock starts",
		producers: syncProducers,
		run:       runRawSync,
	},
}

func findSystem(name string) (systemSpec, bool) {
	for _, s := range systems {
		if s.name == name {
			return s, true
		}
	}
	return systemSpec{}, false
}

// parseSystems resolves a comma-separated list of system names. "default"
// or an empty list selects every system that is not opt-in, and "all"
// selects every system.
func parseSystems(list string) ([]systemSpec, error) {
	switch list {
	case "", "default":
		var out []systemSpec
		for _, s := range systems {
			if !s.optIn {
				out = append(out, s)
			}
		}
		return out, nil
	case "all":
		return systems, nil
	}

	var out []systemSpec
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		s, ok := findSystem(name)
		if !ok {
			return nil, fmt.Errorf("system %q is unknown: use default, all or a list of %s", name, systemNames())
		}
		out = append(out, s)
	}
	return out, nil
}

func systemNames() string {
	names := make([]string, len(systems))
	for i, s := range systems {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}
