package router

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
)

// exampleSpecs is a route table in the shape of Talaria's configuration.
func exampleSpecs() []Spec {
	return []Spec{
		{Pattern: "device-status", Topic: "device-lifecycle"},
		{Pattern: "qos-*", Topics: []string{"qos-0", "qos-1"}, ShardBy: "deviceid"},
		{
			Pattern:  "iot-*",
			Topics:   []string{"iot-east", "iot-west", "iot-central"},
			ShardBy:  "metadata:region",
			ShardMap: map[string]string{"east": "iot-east", "west": "iot-west"},
		},
		{Pattern: "telemetry*", IgnoreCase: true, Topics: []string{"telemetry-0", "telemetry-1"}, ShardBy: "roundrobin"},
		{Pattern: "*", Topic: "device-events"},
	}
}

func mustCompile(t testing.TB, specs []Spec) *Table {
	t.Helper()
	table, err := Compile(specs)
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func TestCompileRejects(t *testing.T) {
	valid := Spec{Pattern: "*", Topic: "events"}
	longTopic := strings.Repeat("t", 250)

	tests := []struct {
		name  string
		specs []Spec
		want  string
	}{
		{
			name:  "no routes",
			specs: nil,
			want:  `topicMap is empty: add at least one route`,
		},
		{
			name:  "empty pattern",
			specs: []Spec{{Topic: "events"}},
			want:  `topicMap[0]: pattern is empty: set a glob`,
		},
		{
			name:  "malformed pattern",
			specs: []Spec{valid, valid, valid, {Pattern: "[a-", Topic: "events"}},
			want:  `topicMap[3]: pattern "[a-" is not a valid glob: missing closing bracket`,
		},
		{
			name:  "malformed pattern with ignoreCase",
			specs: []Spec{{Pattern: "A[]", IgnoreCase: true, Topic: "events"}},
			want:  `topicMap[0]: pattern "A[]" is not a valid glob: empty character class`,
		},
		{
			name:  "topic and topics",
			specs: []Spec{{Pattern: "*", Topic: "a", Topics: []string{"b"}, ShardBy: "roundrobin"}},
			want:  `topicMap[0]: topic and topics are both set: use topic alone for one topic, or topics with shardBy to shard`,
		},
		{
			name:  "topic and shardBy",
			specs: []Spec{{Pattern: "*", Topic: "a", ShardBy: "roundrobin"}},
			want:  `topicMap[0]: shardBy "roundrobin" is set with topic, which is a single topic`,
		},
		{
			name:  "topic and shardMap",
			specs: []Spec{{Pattern: "*", Topic: "a", ShardMap: map[string]string{"x": "a"}}},
			want:  `topicMap[0]: shardMap is set with topic, which is a single topic`,
		},
		{
			name:  "no topic at all",
			specs: []Spec{{Pattern: "*"}},
			want:  `topicMap[0]: topic and topics are both missing`,
		},
		{
			name:  "shardBy without topics",
			specs: []Spec{{Pattern: "*", ShardBy: "deviceid"}},
			want:  `topicMap[0]: topic and topics are both missing`,
		},
		{
			name:  "topics without shardBy",
			specs: []Spec{{Pattern: "*", Topics: []string{"a", "b"}}},
			want:  `topicMap[0]: topics is set without shardBy: set shardBy to roundrobin, deviceid or metadata:<field>`,
		},
		{
			name:  "topic with space",
			specs: []Spec{valid, {Pattern: "x", Topic: "bad topic"}},
			want:  `topicMap[1]: topic "bad topic" is not a valid Kafka topic name, because of ' ' at byte 3: use 1 to 249 characters`,
		},
		{
			name:  "topic with non-ASCII",
			specs: []Spec{{Pattern: "x", Topic: "tü"}},
			want:  `topic "tü" is not a valid Kafka topic name, because of 'ü' at byte 1`,
		},
		{
			name:  "topic dot",
			specs: []Spec{{Pattern: "x", Topic: "."}},
			want:  `topicMap[0]: topic "." is not a valid Kafka topic name`,
		},
		{
			name:  "topic dot dot",
			specs: []Spec{{Pattern: "x", Topic: ".."}},
			want:  `topicMap[0]: topic ".." is not a valid Kafka topic name`,
		},
		{
			name:  "topic too long",
			specs: []Spec{{Pattern: "x", Topic: longTopic}},
			want:  `is 250 characters long, the maximum is 249`,
		},
		{
			name:  "empty shard topic",
			specs: []Spec{{Pattern: "x", Topics: []string{"a", ""}, ShardBy: "roundrobin"}},
			want:  `topicMap[0]: topics[1] is empty: use 1 to 249 characters`,
		},
		{
			name:  "invalid shard topic",
			specs: []Spec{{Pattern: "x", Topics: []string{"a/b"}, ShardBy: "roundrobin"}},
			want:  `topicMap[0]: topics[0] "a/b" is not a valid Kafka topic name`,
		},
		{
			name:  "duplicate shard topic",
			specs: []Spec{{Pattern: "x", Topics: []string{"a", "b", "a"}, ShardBy: "roundrobin"}},
			want:  `topicMap[0]: topics[2] "a" is listed twice: list each shard topic once`,
		},
		{
			name:  "shardBy misspelled",
			specs: []Spec{{Pattern: "x", Topics: []string{"a"}, ShardBy: "RoundRobin"}},
			want:  `topicMap[0]: shardBy "RoundRobin" is not valid: use roundrobin, deviceid or metadata:<field>`,
		},
		{
			name:  "shardBy metadata without field",
			specs: []Spec{{Pattern: "x", Topics: []string{"a"}, ShardBy: "metadata:"}},
			want:  `topicMap[0]: shardBy "metadata:" names no metadata field: use metadata:<field>`,
		},
		{
			name: "shardMap with deviceid",
			specs: []Spec{{
				Pattern: "x", Topics: []string{"a"}, ShardBy: "deviceid",
				ShardMap: map[string]string{"v": "a"},
			}},
			want: `topicMap[0]: shardMap is set with shardBy "deviceid": shardMap works only with shardBy metadata:<field>`,
		},
		{
			name: "shardMap empty key",
			specs: []Spec{{
				Pattern: "x", Topics: []string{"a"}, ShardBy: "metadata:region",
				ShardMap: map[string]string{"": "a"},
			}},
			want: `topicMap[0]: shardMap has an empty key (mapped to "a"): map non-empty metadata values only`,
		},
		{
			name: "shardMap topic not in topics",
			specs: []Spec{{
				Pattern: "x", Topics: []string{"iot-east", "iot-west"}, ShardBy: "metadata:region",
				ShardMap: map[string]string{"east": "iot-east", "north": "iot-north"},
			}},
			want: `topicMap[0]: shardMap["north"] is "iot-north", which is not in topics ["iot-east", "iot-west"]: map each value to one of the route's topics`,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := Compile(tt.specs)
			if err == nil {
				t.Fatalf("Compile returned a table with %d routes, want an error", len(table.routes))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestCompileAcceptsBothShapes(t *testing.T) {
	specs := exampleSpecs()
	specs = append(specs,
		Spec{Pattern: "x", Topic: strings.Repeat("t", 249)},
		Spec{Pattern: "y", Topics: []string{"device-events", "A_b.c-9"}, ShardBy: "roundrobin"},
		Spec{Pattern: "z", Topics: []string{"one"}, ShardBy: "metadata:/x", ShardMap: map[string]string{}},
	)

	table := mustCompile(t, specs)

	want := []string{
		"A_b.c-9", "device-events", "device-lifecycle", "iot-central", "iot-east", "iot-west",
		"one", "qos-0", "qos-1", "telemetry-0", "telemetry-1", strings.Repeat("t", 249),
	}
	if got := table.Topics(); !slices.Equal(got, want) {
		t.Errorf("Topics() = %q\nwant %q", got, want)
	}
}

func TestCompileCopiesSpecs(t *testing.T) {
	specs := exampleSpecs()
	table := mustCompile(t, specs)

	specs[2].Topics[0] = "changed"
	specs[2].ShardMap["east"] = "changed"
	table.Topics()[0] = "changed"

	msg := &wrp.Message{Metadata: map[string]string{"region": "east"}}
	decision, err := table.Route("iot-x", msg, "")
	if err != nil {
		t.Fatal(err)
	}
	if decision.Topic != "iot-east" {
		t.Errorf("topic = %q after the specs changed, want iot-east", decision.Topic)
	}
	if got := table.Topics()[0]; got != "device-events" {
		t.Errorf("Topics()[0] = %q after a caller changed a returned slice, want device-events", got)
	}
}

func TestRouteMatching(t *testing.T) {
	table := mustCompile(t, []Spec{
		{Pattern: "device-status", Topic: "lifecycle"},
		{Pattern: "device-*", Topic: "device"},
		{Pattern: "*-status", Topic: "status"},
		{Pattern: "Fw-*", IgnoreCase: true, Topic: "firmware"},
		{Pattern: "[qr]os-?", Topic: "qos"},
		{Pattern: "*", Topic: "rest"},
	})

	tests := []struct {
		eventType string
		wantTopic string
		wantRoute int
	}{
		{eventType: "device-status", wantTopic: "lifecycle", wantRoute: 0},
		{eventType: "device-reboot", wantTopic: "device", wantRoute: 1},
		{eventType: "node-status", wantTopic: "status", wantRoute: 2},
		{eventType: "FW-Upgrade", wantTopic: "firmware", wantRoute: 3},
		{eventType: "fw-upgrade", wantTopic: "firmware", wantRoute: 3},
		{eventType: "qos-1", wantTopic: "qos", wantRoute: 4},
		{eventType: "ros-2", wantTopic: "qos", wantRoute: 4},
		{eventType: "qos-12", wantTopic: "rest", wantRoute: 5},
		{eventType: "Device-Status", wantTopic: "rest", wantRoute: 5},
		{eventType: "", wantTopic: "rest", wantRoute: 5},
	}

	for _, tt := range tests {
		decision, err := table.Route(tt.eventType, nil, "")
		if err != nil {
			t.Errorf("Route(%q) error = %v", tt.eventType, err)
			continue
		}
		if decision.Topic != tt.wantTopic || decision.Route != tt.wantRoute {
			t.Errorf("Route(%q) = topic %q, route %d; want %q, %d",
				tt.eventType, decision.Topic, decision.Route, tt.wantTopic, tt.wantRoute)
		}
		if decision.Strategy != Single || decision.Fallback {
			t.Errorf("Route(%q) strategy = %v, fallback = %v; want single, false",
				tt.eventType, decision.Strategy, decision.Fallback)
		}
	}
}

func TestRouteNoMatch(t *testing.T) {
	table := mustCompile(t, []Spec{{Pattern: "device-*", Topic: "device"}})

	_, err := table.Route("iot-x", nil, "")
	if !errors.Is(err, ErrNoRoute) {
		t.Fatalf("error = %v, want it to match ErrNoRoute", err)
	}
	want := `no route matches event type "iot-x": add a topicMap entry whose pattern matches it, or a last entry with pattern "*"`
	if err.Error() != want {
		t.Errorf("error = %q\nwant %q", err, want)
	}

	_, err = table.Route(strings.Repeat("x", 100000), nil, "")
	if len(err.Error()) > 250 {
		t.Errorf("error for a long event type is %d bytes, want at most 250", len(err.Error()))
	}
}

func TestRouteSlashInEventType(t *testing.T) {
	// path.Match's '*' does not match '/', and the fast matchers keep that.
	table := mustCompile(t, []Spec{
		{Pattern: "a*", Topic: "prefix"},
		{Pattern: "*b", Topic: "suffix"},
		{Pattern: "*", Topic: "all"},
		{Pattern: "a/b", Topic: "literal"},
	})

	decision, err := table.Route("a/b", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if decision.Topic != "literal" {
		t.Errorf("topic = %q, want literal", decision.Topic)
	}

	if _, err := table.Route("x/y", nil, ""); !errors.Is(err, ErrNoRoute) {
		t.Errorf("Route(\"x/y\") error = %v, want ErrNoRoute", err)
	}
}

func TestRouteDeviceID(t *testing.T) {
	topics := []string{"qos-0", "qos-1", "qos-2"}
	table := mustCompile(t, []Spec{{Pattern: "*", Topics: topics, ShardBy: "deviceid"}})

	for _, key := range []string{deviceID, "mac:aabbccddeeff", "uuid:1", "serial:2"} {
		decision, err := table.Route("qos-high", nil, key)
		if err != nil {
			t.Fatal(err)
		}
		want := topics[Hash(key)%3]
		if decision.Topic != want || decision.Strategy != DeviceID || decision.Fallback {
			t.Errorf("key %q: decision = %+v, want topic %q by deviceid without fallback", key, decision, want)
		}
	}

	seen := map[string]bool{}
	for range 3 {
		decision, err := table.Route("qos-high", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if !decision.Fallback || decision.Strategy != DeviceID {
			t.Errorf("empty key: decision = %+v, want deviceid with fallback", decision)
		}
		seen[decision.Topic] = true
	}
	if len(seen) != 3 {
		t.Errorf("empty keys went to %d topics in 3 calls, want 3 by round-robin", len(seen))
	}
}

func TestRouteMetadata(t *testing.T) {
	table := mustCompile(t, exampleSpecs())
	topics := []string{"iot-east", "iot-west", "iot-central"}

	tests := []struct {
		name         string
		msg          *wrp.Message
		wantTopic    string // empty when chosen round-robin
		wantFallback bool
	}{
		{name: "mapped east", msg: withRegion("east"), wantTopic: "iot-east"},
		{name: "mapped west", msg: withRegion("west"), wantTopic: "iot-west"},
		{name: "hashed", msg: withRegion("central"), wantTopic: topics[Hash("central")%3]},
		{name: "hashed unknown", msg: withRegion("north"), wantTopic: topics[Hash("north")%3]},
		{name: "empty value", msg: withRegion(""), wantFallback: true},
		{name: "missing value", msg: &wrp.Message{}, wantFallback: true},
		{name: "nil message", msg: nil, wantFallback: true},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decision, err := table.Route("iot-temp", tt.msg, deviceID)
			if err != nil {
				t.Fatal(err)
			}
			if decision.Strategy != Metadata || decision.Route != 2 {
				t.Errorf("strategy = %v, route = %d; want metadata, 2", decision.Strategy, decision.Route)
			}
			if decision.Fallback != tt.wantFallback {
				t.Errorf("fallback = %v, want %v", decision.Fallback, tt.wantFallback)
			}
			if tt.wantTopic != "" && decision.Topic != tt.wantTopic {
				t.Errorf("topic = %q, want %q", decision.Topic, tt.wantTopic)
			}
			if !slices.Contains(topics, decision.Topic) {
				t.Errorf("topic = %q, not one of the route's topics", decision.Topic)
			}
		})
	}
}

func withRegion(region string) *wrp.Message {
	return &wrp.Message{Metadata: map[string]string{"region": region}}
}

func TestRouteRoundRobinConcurrent(t *testing.T) {
	topics := []string{"t0", "t1", "t2"}
	table := mustCompile(t, []Spec{{Pattern: "*", Topics: topics, ShardBy: "roundrobin"}})

	const (
		goroutines = 32
		calls      = 3000
	)
	counts := make([]map[string]int, goroutines)

	var wg sync.WaitGroup
	for g := range goroutines {
		counts[g] = map[string]int{}
		wg.Go(func() {
			for range calls {
				decision, err := table.Route("e", nil, "")
				if err != nil {
					t.Error(err)
					return
				}
				counts[g][decision.Topic]++
			}
		})
	}
	wg.Wait()

	total := map[string]int{}
	for _, c := range counts {
		for topic, n := range c {
			total[topic] += n
		}
	}

	// One shared atomic counter hands out positions 0..n-1 exactly once, so
	// each topic gets exactly a third.
	want := goroutines * calls / len(topics)
	for _, topic := range topics {
		if total[topic] != want {
			t.Errorf("topic %s got %d messages, want %d", topic, total[topic], want)
		}
	}
}

func TestRouteDoesNotAllocate(t *testing.T) {
	table := mustCompile(t, exampleSpecs())
	msg := newDeviceEvent()

	for _, eventType := range []string{"device-status", "qos-high", "iot-temp", "telemetry", "other"} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := table.Route(eventType, msg, deviceID); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Route(%q) allocated %v times per call, want 0", eventType, allocs)
		}
	}
}

func TestStrategyString(t *testing.T) {
	want := map[Strategy]string{
		Single: "single", RoundRobin: "roundrobin", DeviceID: "deviceid", Metadata: "metadata", 9: "Strategy(9)",
	}
	for strategy, name := range want {
		if got := strategy.String(); got != name {
			t.Errorf("Strategy(%d).String() = %q, want %q", uint8(strategy), got, name)
		}
	}
}

func BenchmarkRoute(b *testing.B) {
	many := make([]Spec, 0, 50)
	for i := range 49 {
		many = append(many, Spec{Pattern: fmt.Sprintf("event-%02d-*", i), Topic: fmt.Sprintf("topic-%02d", i)})
	}
	many = append(many, Spec{Pattern: "device-status", Topic: "device-lifecycle"})

	cases := []struct {
		name      string
		specs     []Spec
		eventType string
	}{
		{name: "literal", specs: []Spec{{Pattern: "device-status", Topic: "t"}}, eventType: "device-status"},
		{name: "prefix-glob", specs: []Spec{{Pattern: "device-*", Topic: "t"}}, eventType: "device-status"},
		{name: "complex-glob", specs: []Spec{{Pattern: "d[a-z]vice-*-st?tus", Topic: "t"}}, eventType: "device-online-status"},
		{name: "ignore-case-lower", specs: []Spec{{Pattern: "Device-*", IgnoreCase: true, Topic: "t"}}, eventType: "device-status"},
		{name: "ignore-case-mixed", specs: []Spec{{Pattern: "Device-*", IgnoreCase: true, Topic: "t"}}, eventType: "Device-Status"},
		{name: "50-routes-last", specs: many, eventType: "device-status"},
	}

	msg := newDeviceEvent()
	for _, c := range cases {
		table := mustCompile(b, c.specs)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := table.Route(c.eventType, msg, deviceID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRouteStrategy(b *testing.B) {
	topics := []string{"t0", "t1", "t2"}
	cases := []struct {
		name string
		spec Spec
		key  string
	}{
		{name: "single", spec: Spec{Pattern: "*", Topic: "t"}, key: deviceID},
		{name: "roundrobin", spec: Spec{Pattern: "*", Topics: topics, ShardBy: "roundrobin"}, key: deviceID},
		{name: "deviceid", spec: Spec{Pattern: "*", Topics: topics, ShardBy: "deviceid"}, key: deviceID},
		{name: "deviceid-fallback", spec: Spec{Pattern: "*", Topics: topics, ShardBy: "deviceid"}, key: ""},
		{name: "metadata-hashed", spec: Spec{Pattern: "*", Topics: topics, ShardBy: "metadata:region"}, key: deviceID},
		{
			name: "metadata-mapped",
			spec: Spec{Pattern: "*", Topics: topics, ShardBy: "metadata:region", ShardMap: map[string]string{"east": "t0"}},
			key:  deviceID,
		},
	}

	msg := newDeviceEvent()
	for _, c := range cases {
		table := mustCompile(b, []Spec{c.spec})
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := table.Route("device-status", msg, c.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// IgnoreCase routes compare ASCII event types without lowering a copy; the
// result must equal path.Match on the lowered pattern and event type.
func TestRouteIgnoreCaseMatchesLoweredPathMatch(t *testing.T) {
	patterns := []string{"Telemetry*", "*-WiFi", "device-STATUS", "*", "tel?metry*", "[a-z]*-x"}
	names := []string{"telemetry-wifi", "TELEMETRY-WIFI", "Telemetry-WiFi", "device-status", "DEVICE-Status",
		"x-wifi", "X-WIFI", "telemetr", "", "tel/emetry", "Telemetry/WiFi", "KELVIN-\u212a", "\u0130nfo-wifi", "ÄÖ-wifi"}
	for _, pattern := range patterns {
		table, err := Compile([]Spec{{Pattern: pattern, IgnoreCase: true, Topic: "t"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			want, _ := path.Match(strings.ToLower(pattern), strings.ToLower(name))
			_, err := table.Route(name, nil, "")
			if got := err == nil; got != want {
				t.Errorf("pattern %q, event type %q: matched %v, path.Match on lowered strings says %v", pattern, name, got, want)
			}
		}
	}
}
