package router

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/xmidt-org/wrp-go/v3"
)

// Limits on the routes and event types that FuzzCompile reads from one
// input, which keep each run fast. Lines after them are ignored.
const (
	fuzzMaxRoutes     = 16
	fuzzMaxEventTypes = 16
)

// compileSeed holds the arguments of one FuzzCompile seed.
type compileSeed struct {
	routes, eventTypes, key, value string
	nilMessage                     bool
}

// exampleRoutesText is exampleSpecs in the text form of FuzzCompile.
const exampleRoutesText = "device-status\t\tdevice-lifecycle\n" +
	"qos-*\t\t\tqos-0,qos-1\tdeviceid\n" +
	"iot-*\t\t\tiot-east,iot-west,iot-central\tmetadata:region\teast=iot-east,west=iot-west\n" +
	"telemetry*\ti\t\ttelemetry-0,telemetry-1\troundrobin\n" +
	"*\t\tdevice-events"

// compileSeeds cover every strategy and glob kind, ignoreCase with Unicode
// whose lower case differs in length, '/' in event types, each compile error,
// and tables that match nothing.
var compileSeeds = []compileSeed{
	{
		routes:     exampleRoutesText,
		eventTypes: "device-status\nqos-1\niot-x\nTELEMETRY-a\ntelemetry\nother\na/b\n",
		key:        deviceID,
		value:      "east",
	},
	{routes: exampleRoutesText, eventTypes: "iot-x\nqos-2\niot-y", value: "north"},
	{routes: exampleRoutesText, eventTypes: "iot-x\nqos-2", nilMessage: true},
	{
		routes: "device-status\t\tlifecycle\ndevice-*\t\tdevice\n*-status\t\tstatus\nFw-*\ti\tfirmware\n" +
			"[qr]os-?\t\tqos\n*\t\trest",
		eventTypes: "device-status\ndevice-reboot\nnode-status\nFW-Upgrade\nqos-1\nros-2\nqos-12\nDevice-Status\n",
	},
	{routes: "a*\t\tprefix\n*b\t\tsuffix\n*\t\tall\na/b\t\tliteral", eventTypes: "a/b\nx/y\nab\n/b\na/"},
	{routes: "device-*\t\tdevice", eventTypes: "iot-x\n" + strings.Repeat("x", 200)},
	{routes: "İ*\ti\tdotted\nK?\ti\tkelvin\n[\\]]\t\tbracket\n\\*\t\tstar\n[^a-c]x\t\tclass", eventTypes: "i̇x\nİx\nk1\nK1\n]\n*\ndx\nax\n\xffx"},
	{routes: "x\xff*\ti\tinvalid\n*\xff\t\tsuffix", eventTypes: "x\xffy\nX\xff\nz\xff"},
	{routes: ""},
	{routes: "\t\tevents"},
	{routes: "*\t\tevents\n*\t\tevents\n*\t\tevents\n[a-\t\tevents"},
	{routes: "A[]\ti\tevents"},
	{routes: "*\t\ta\tb\troundrobin"},
	{routes: "*\t\ta\t\troundrobin"},
	{routes: "*\t\ta\t\t\tx=a"},
	{routes: "*"},
	{routes: "*\t\t\t\tdeviceid"},
	{routes: "*\t\t\ta,b"},
	{routes: "*\t\tevents\nx\t\tbad topic"},
	{routes: "x\t\ttü"},
	{routes: "x\t\t.\ny\t\t.."},
	{routes: "x\t\t" + strings.Repeat("t", 250)},
	{routes: "x\t\t" + strings.Repeat("t", 249), eventTypes: "x"},
	{routes: "x\t\t\ta,\troundrobin"},
	{routes: "x\t\t\ta/b\troundrobin"},
	{routes: "x\t\t\ta,b,a\troundrobin"},
	{routes: "x\t\t\ta\tRoundRobin"},
	{routes: "x\t\t\ta\tmetadata:"},
	{routes: "x\t\t\ta\tdeviceid\tv=a"},
	{routes: "x\t\t\ta\tmetadata:region\t=a"},
	{routes: "x\t\t\tiot-east,iot-west\tmetadata:region\teast=iot-east,north=iot-north"},
	{routes: "x\t\t\tone\tmetadata:/x\t", eventTypes: "x", value: "v"},
}

// FuzzCompile reads its route specs from text: one route per line, with the
// tab-separated fields
//
//	pattern, options, topic, topics, shardBy, shardMap
//
// where options sets IgnoreCase when it contains 'i', topics is a
// comma-separated list, and shardMap is a comma-separated list of value=topic
// pairs. A missing or empty topics or shardMap field is nil. Event types are
// one per line. Every metadata field that a route shards by gets the value
// argument, unless nilMessage passes a nil message to Route.
func FuzzCompile(f *testing.F) {
	for _, seed := range compileSeeds {
		f.Add(seed.routes, seed.eventTypes, seed.key, seed.value, seed.nilMessage)
	}

	f.Fuzz(func(t *testing.T, routes, eventTypes, key, value string, nilMessage bool) {
		specs := parseRoutesText(routes)

		table, err := Compile(specs)
		if err != nil {
			checkCompileError(t, specs, err)
			return
		}

		checkTableTopics(t, specs, table)

		var msg *wrp.Message
		if !nilMessage {
			msg = &wrp.Message{Metadata: map[string]string{}}
			for _, spec := range specs {
				if field, ok := strings.CutPrefix(spec.ShardBy, metadataPrefix); ok {
					msg.Metadata[field] = value
				}
			}
		}

		for i, eventType := range strings.Split(eventTypes, "\n") {
			if i == fuzzMaxEventTypes {
				break
			}
			checkRoute(t, specs, table, eventType, msg, key)
		}
	})
}

// parseRoutesText reads route specs in the text form described at FuzzCompile.
func parseRoutesText(text string) []Spec {
	if text == "" {
		return nil
	}

	var specs []Spec
	for i, line := range strings.Split(text, "\n") {
		if i == fuzzMaxRoutes {
			break
		}

		fields := strings.SplitN(line, "\t", 6)
		fields = append(fields, make([]string, 6-len(fields))...)

		spec := Spec{
			Pattern:    fields[0],
			IgnoreCase: strings.Contains(fields[1], "i"),
			Topic:      fields[2],
			ShardBy:    fields[4],
		}
		if fields[3] != "" {
			spec.Topics = strings.Split(fields[3], ",")
		}
		if fields[5] != "" {
			spec.ShardMap = make(map[string]string)
			for _, pair := range strings.Split(fields[5], ",") {
				value, topic, _ := strings.Cut(pair, "=")
				spec.ShardMap[value] = topic
			}
		}
		specs = append(specs, spec)
	}
	return specs
}

// checkCompileError checks that err, which Compile returned for specs, is a
// lower-case message that names the first route that fails to compile on
// its own, with that route's own error.
func checkCompileError(t *testing.T, specs []Spec, err error) {
	t.Helper()

	message := err.Error()
	if first, _ := utf8.DecodeRuneInString(message); unicode.IsUpper(first) {
		t.Errorf("Compile error %q starts with an upper-case letter", message)
	}

	if len(specs) == 0 {
		if !strings.HasPrefix(message, "topicMap is empty: ") {
			t.Errorf("Compile(no routes) error = %q, want it to start with \"topicMap is empty: \"", message)
		}
		return
	}

	for i, spec := range specs {
		_, alone := Compile([]Spec{spec})
		if alone == nil {
			continue
		}

		prefix := fmt.Sprintf("topicMap[%d]: ", i)
		if !strings.HasPrefix(message, prefix) {
			t.Errorf("Compile error = %q, want it to start with %q: route %d is the first that fails alone", message, prefix, i)
			return
		}
		if got, want := message[len(prefix):], strings.TrimPrefix(alone.Error(), "topicMap[0]: "); got != want {
			t.Errorf("Compile error for route %d = %q, but compiled alone it is %q", i, got, want)
		}
		return
	}

	t.Errorf("Compile error = %q, but every route compiles alone", message)
}

// checkTableTopics checks that Topics returns every topic of specs once,
// sorted.
func checkTableTopics(t *testing.T, specs []Spec, table *Table) {
	t.Helper()

	seen := make(map[string]bool)
	for _, spec := range specs {
		for _, topic := range routeTopics(spec) {
			seen[topic] = true
		}
	}

	if got, want := table.Topics(), slices.Sorted(maps.Keys(seen)); !slices.Equal(got, want) {
		t.Errorf("Topics() = %q, want %q", got, want)
	}
}

// routeTopics returns the topics that a compiled spec can choose.
func routeTopics(spec Spec) []string {
	if spec.Topic != "" {
		return []string{spec.Topic}
	}
	return spec.Topics
}

// firstMatchingRoute returns the index of the first spec whose pattern
// path.Match matches eventType, lower-casing both for IgnoreCase, or -1.
func firstMatchingRoute(t *testing.T, specs []Spec, eventType string) int {
	t.Helper()

	for i, spec := range specs {
		pattern, name := spec.Pattern, eventType
		if spec.IgnoreCase {
			pattern, name = strings.ToLower(pattern), strings.ToLower(name)
		}

		matched, err := path.Match(pattern, name)
		if err != nil {
			t.Errorf("path.Match(%q, %q) error = %v, but Compile accepted the pattern", pattern, name, err)
		}
		if matched {
			return i
		}
	}
	return -1
}

// checkRoute checks one Table.Route call against the specs.
func checkRoute(t *testing.T, specs []Spec, table *Table, eventType string, msg *wrp.Message, key string) {
	t.Helper()

	decision, err := table.Route(eventType, msg, key)
	want := firstMatchingRoute(t, specs, eventType)

	if want < 0 {
		if !errors.Is(err, ErrNoRoute) {
			t.Errorf("Route(%q) = %+v, %v; no pattern matches, so want ErrNoRoute", eventType, decision, err)
		}
		return
	}
	if err != nil {
		t.Errorf("Route(%q) error = %v, want route %d", eventType, err, want)
		return
	}
	if decision.Route != want {
		t.Errorf("Route(%q) chose route %d, but path.Match first matches route %d", eventType, decision.Route, want)
		return
	}

	spec := specs[want]
	topics := routeTopics(spec)
	if !slices.Contains(topics, decision.Topic) {
		t.Errorf("Route(%q) topic = %q, which is not one of route %d's topics %q", eventType, decision.Topic, want, topics)
		return
	}

	checkStrategy(t, spec, table, decision, eventType, msg, key)
}

// checkStrategy checks how decision, which Route returned for route spec,
// chose its topic.
func checkStrategy(t *testing.T, spec Spec, table *Table, decision Decision, eventType string, msg *wrp.Message, key string) {
	t.Helper()

	wantStrategy := Single
	switch {
	case spec.Topic != "":
	case spec.ShardBy == "roundrobin":
		wantStrategy = RoundRobin
	case spec.ShardBy == "deviceid":
		wantStrategy = DeviceID
	default:
		wantStrategy = Metadata
	}
	if decision.Strategy != wantStrategy {
		t.Errorf("Route(%q) strategy = %v, want %v", eventType, decision.Strategy, wantStrategy)
	}

	var value string
	if msg != nil {
		value = msg.Metadata[strings.TrimPrefix(spec.ShardBy, metadataPrefix)]
	}

	wantFallback := false
	wantTopic := ""
	switch wantStrategy {
	case Single:
		wantTopic = spec.Topic
	case DeviceID:
		if key == "" {
			wantFallback = true
		} else {
			wantTopic = spec.Topics[Hash(key)%uint32(len(spec.Topics))]
		}
	case Metadata:
		if value == "" {
			wantFallback = true
		} else if mapped, ok := spec.ShardMap[value]; ok {
			wantTopic = mapped
		} else {
			wantTopic = spec.Topics[Hash(value)%uint32(len(spec.Topics))]
		}
	}

	if decision.Fallback != wantFallback {
		t.Errorf("Route(%q) fallback = %v, want %v", eventType, decision.Fallback, wantFallback)
	}
	if wantTopic != "" {
		if decision.Topic != wantTopic {
			t.Errorf("Route(%q) topic = %q, want %q", eventType, decision.Topic, wantTopic)
		}
		return
	}
	if wantStrategy != RoundRobin && !wantFallback {
		return
	}

	// A round-robin pick, so the next call for the same event type takes the
	// next topic in order.
	next, err := table.Route(eventType, msg, key)
	if err != nil {
		t.Fatalf("second Route(%q) error = %v", eventType, err)
	}
	current := slices.Index(spec.Topics, decision.Topic)
	if want := spec.Topics[(current+1)%len(spec.Topics)]; next.Topic != want {
		t.Errorf("Route(%q) round-robin took %q after %q, want %q", eventType, next.Topic, decision.Topic, want)
	}
}
