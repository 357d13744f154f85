package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// naiveRouter does per message what a team would write first with wrp-go
// v3 and the standard library: regular-expression parsing of the
// Destination and the device id, filepath.Match over the routes in order,
// FNV-1a sharding, and wrp-go v3's msgpack encoder. It routes with the same
// table as the library and derives the same keys for this traffic.
type naiveRouter struct {
	routes  []*naiveRoute
	headers map[string]string
}

type naiveRoute struct {
	pattern    string
	ignoreCase bool
	topics     []string
	shardBy    string // "", "roundrobin", "deviceid" or "metadata:<key>"
	shardMap   map[string]string
	next       atomic.Uint64
}

// naiveRecord is the result of routing and encoding one message.
type naiveRecord struct {
	topic   string
	key     []byte // nil when the message has no device id
	value   []byte
	headers [][2]string // name, value
}

func newNaiveRouter(specs []publisher.TopicRoute, headers map[string]string) *naiveRouter {
	r := &naiveRouter{headers: headers}
	for _, s := range specs {
		topics := s.Topics
		if s.Topic != "" {
			topics = []string{s.Topic}
		}
		r.routes = append(r.routes, &naiveRoute{
			pattern:    s.Pattern,
			ignoreCase: s.IgnoreCase,
			topics:     topics,
			shardBy:    s.ShardBy,
			shardMap:   s.ShardMap,
		})
	}
	return r
}

var errNoRoute = errors.New("no route matches the event type")

// build routes and encodes msg.
func (r *naiveRouter) build(msg *wrp.Message) (naiveRecord, error) {
	loc, err := wrp.ParseLocator(msg.Destination)
	if err != nil {
		return naiveRecord{}, err
	}
	if loc.Scheme != wrp.SchemeEvent {
		return naiveRecord{}, fmt.Errorf("destination %q is not an event locator", msg.Destination)
	}
	eventType := loc.Authority

	// Talaria's own connect and disconnect events carry its dns: Source, so
	// the device comes from /hw-deviceid when that is set.
	var key []byte
	device := msg.Metadata["/hw-deviceid"]
	if device == "" {
		device = msg.Source
	}
	if id, err := wrp.ParseDeviceID(device); err == nil {
		key = id.Bytes()
	}

	route, err := r.match(eventType)
	if err != nil {
		return naiveRecord{}, err
	}
	topic := route.pick(msg, key)

	var value []byte
	if err := wrp.NewEncoderBytes(&value, wrp.Msgpack).Encode(msg); err != nil {
		return naiveRecord{}, err
	}

	rec := naiveRecord{topic: topic, key: key, value: value}
	for name, source := range r.headers {
		v := source
		switch source {
		case "wrp.Source":
			v = msg.Source
		case "wrp.Destination":
			v = msg.Destination
		}
		if v != "" {
			rec.headers = append(rec.headers, [2]string{name, v})
		}
	}
	return rec, nil
}

func (r *naiveRouter) match(eventType string) (*naiveRoute, error) {
	for _, route := range r.routes {
		pattern, name := route.pattern, eventType
		if route.ignoreCase {
			pattern, name = strings.ToLower(pattern), strings.ToLower(name)
		}
		ok, err := filepath.Match(pattern, name)
		if err != nil {
			return nil, err
		}
		if ok {
			return route, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", errNoRoute, eventType)
}

// pick chooses the route's topic. Without a value to shard by, it falls back
// to round-robin, as the library does.
func (route *naiveRoute) pick(msg *wrp.Message, key []byte) string {
	if len(route.topics) == 1 {
		return route.topics[0]
	}

	var value string
	switch {
	case route.shardBy == "deviceid":
		value = string(key)
	case strings.HasPrefix(route.shardBy, "metadata:"):
		value = msg.Metadata[strings.TrimPrefix(route.shardBy, "metadata:")]
		if topic, ok := route.shardMap[value]; ok {
			return topic
		}
	}
	if value == "" {
		n := route.next.Add(1) - 1
		return route.topics[n%uint64(len(route.topics))]
	}

	h := fnv.New32a()
	h.Write([]byte(value))
	return route.topics[h.Sum32()%uint32(len(route.topics))]
}
