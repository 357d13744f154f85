package router

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/xmidt-org/wrp-go/v3"
)

// ErrNoRoute is matched, through errors.Is, by the error Table.Route returns
// when no route's pattern matches the event type.
var ErrNoRoute = errors.New("no matching route")

// Spec is the configuration of one route, one entry of topicMap.
//
// A route has one of two shapes. A single-topic route sets Topic and leaves
// Topics, ShardBy and ShardMap empty. A sharded route leaves Topic empty,
// lists its topics in Topics and sets ShardBy to choose among them:
//
//   - "roundrobin" cycles through Topics in order.
//   - "deviceid" picks Topics[Hash(key) % len(Topics)], where key is the
//     device key. Messages without a device key go round-robin.
//   - "metadata:<field>" reads that metadata entry of the message. A value
//     listed in ShardMap goes to its mapped topic, any other value to
//     Topics[Hash(value) % len(Topics)], and a missing or empty value
//     round-robin.
//
// Hashing spreads values over the topics but does not map names onto them:
// with Topics [iot-east, iot-west, iot-central] and ShardBy metadata:region,
// the value "east" need not land on iot-east. List such values in ShardMap to
// pin them.
//
// Hash is 32-bit FNV-1a. Pair deviceid sharding with a partitioner that does
// not also hash keys with FNV, such as franz-go v1.22's default, which uses
// murmur2. With an FNV partitioner the topic and the partition come from the
// same hash, so each shard topic receives keys for only some of its
// partitions.
type Spec struct {
	// Pattern is a glob with the syntax of Go's path.Match, matched against
	// the event type: "device-status", "iot-*", "*".
	Pattern string `json:"pattern" yaml:"pattern"`

	// IgnoreCase matches Pattern without regard to case.
	IgnoreCase bool `json:"ignoreCase,omitempty" yaml:"ignoreCase,omitempty"`

	// Topic is the only topic of a single-topic route.
	Topic string `json:"topic,omitempty" yaml:"topic,omitempty"`

	// Topics are the shard topics of a sharded route, without duplicates.
	Topics []string `json:"topics,omitempty" yaml:"topics,omitempty"`

	// ShardBy chooses among Topics: "roundrobin", "deviceid" or
	// "metadata:<field>".
	ShardBy string `json:"shardBy,omitempty" yaml:"shardBy,omitempty"`

	// ShardMap maps metadata values to topics of Topics. It is allowed only
	// with ShardBy "metadata:<field>".
	ShardMap map[string]string `json:"shardMap,omitempty" yaml:"shardMap,omitempty"`
}

// Strategy is the rule by which a route chooses its topic: a single topic,
// or one of the ShardBy methods.
type Strategy uint8

const (
	// Single is a single-topic route.
	Single Strategy = iota
	// RoundRobin cycles through the route's topics.
	RoundRobin
	// DeviceID hashes the device key onto the route's topics.
	DeviceID
	// Metadata maps or hashes a metadata value onto the route's topics.
	Metadata
)

// String returns the strategy's name as written in ShardBy, or "single".
func (s Strategy) String() string {
	switch s {
	case Single:
		return "single"
	case RoundRobin:
		return "roundrobin"
	case DeviceID:
		return "deviceid"
	case Metadata:
		return "metadata"
	default:
		return "Strategy(" + strconv.Itoa(int(s)) + ")"
	}
}

// Decision is the outcome of routing one message.
type Decision struct {
	// Topic is the topic to produce to.
	Topic string

	// Strategy is the strategy of the matching route. With Fallback set the
	// topic was chosen round-robin instead.
	Strategy Strategy

	// Route is the index of the matching route in the specs given to Compile.
	Route int

	// Fallback is set when the route's strategy had no value to shard by (no
	// device key, or a missing or empty metadata value) and the topic was
	// chosen round-robin.
	Fallback bool
}

// Table is a compiled list of routes. Create it with Compile. It is safe for
// concurrent use.
type Table struct {
	routes []route
	topics []string // every topic of every route, sorted, without duplicates
}

// route is one compiled Spec.
type route struct {
	glob       glob
	ignoreCase bool
	strategy   Strategy
	topic      string            // for Single
	topics     []string          // for the other strategies
	field      string            // metadata key, for Metadata
	shardMap   map[string]string // metadata value to topic, for Metadata

	// next counts round-robin picks, including fallbacks.
	next atomic.Uint64
}

// Route returns the topic for a message with the given event type and device
// key. Routes are tried in configured order and the first whose pattern
// matches wins. msg is read only for metadata sharding and may be nil
// otherwise. key is the device key from KeySources.DeviceKey, or "".
//
// The error wraps ErrNoRoute when no pattern matches. Route does not
// allocate, except that an IgnoreCase route whose pattern needs path.Match,
// or an event type with non-ASCII bytes, makes one lower-case copy per call
// when the event type has upper-case letters.
func (t *Table) Route(eventType string, msg *wrp.Message, key string) (Decision, error) {
	lowered, haveLowered := "", false
	ascii := -1 // unknown; 0 or 1 once isASCII has run

	for i := range t.routes {
		r := &t.routes[i]

		if !r.ignoreCase {
			if r.glob.match(eventType) {
				return r.decide(i, msg, key), nil
			}
			continue
		}

		// Literal, prefix and suffix patterns compare ASCII without
		// building a lower-case copy. Other patterns, and event types with
		// non-ASCII bytes, whose lower case strings.ToLower may change in
		// length, match the lowered copy as path.Match would.
		if ascii < 0 {
			ascii = 0
			if isASCII(eventType) {
				ascii = 1
			}
		}
		var matched bool
		if ascii == 1 && r.glob.kind != globPath {
			matched = r.glob.matchFoldASCII(eventType)
		} else {
			if !haveLowered {
				lowered, haveLowered = strings.ToLower(eventType), true
			}
			matched = r.glob.match(lowered)
		}
		if matched {
			return r.decide(i, msg, key), nil
		}
	}

	return Decision{}, &sentinelError{
		sentinel: ErrNoRoute,
		message: "no route matches event type " + quote(eventType) +
			`: add a topicMap entry whose pattern matches it, or a last entry with pattern "*"`,
	}
}

// decide picks the topic of route r, which is routes[index].
func (r *route) decide(index int, msg *wrp.Message, key string) Decision {
	decision := Decision{Strategy: r.strategy, Route: index}

	switch r.strategy {
	case Single:
		decision.Topic = r.topic

	case RoundRobin:
		decision.Topic = r.roundRobin()

	case DeviceID:
		if key == "" {
			decision.Topic, decision.Fallback = r.roundRobin(), true
			break
		}
		decision.Topic = r.hashed(key)

	case Metadata:
		var value string
		if msg != nil {
			value = msg.Metadata[r.field]
		}

		if value == "" {
			decision.Topic, decision.Fallback = r.roundRobin(), true
		} else if topic, ok := r.shardMap[value]; ok {
			decision.Topic = topic
		} else {
			decision.Topic = r.hashed(value)
		}
	}

	return decision
}

func (r *route) roundRobin() string {
	n := r.next.Add(1) - 1
	return r.topics[n%uint64(len(r.topics))]
}

func (r *route) hashed(value string) string {
	return r.topics[Hash(value)%uint32(len(r.topics))]
}

// Topics returns every distinct topic that a route of the table can choose,
// sorted. The caller may modify the returned slice.
func (t *Table) Topics() []string {
	return append([]string(nil), t.topics...)
}
