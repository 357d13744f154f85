package router

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Compile validates route specs and compiles them into a Table, keeping their
// order. Errors name the offending route as topicMap[i], after the
// configuration key that lists the routes.
func Compile(specs []Spec) (*Table, error) {
	if len(specs) == 0 {
		return nil, errors.New(`topicMap is empty: add at least one route, for example pattern "*" with a topic`)
	}

	table := &Table{routes: make([]route, len(specs))}
	seen := make(map[string]bool)

	for i := range specs {
		if err := compileRoute(&table.routes[i], &specs[i]); err != nil {
			return nil, fmt.Errorf("topicMap[%d]: %w", i, err)
		}

		for _, topic := range specs[i].Topics {
			seen[topic] = true
		}
		if specs[i].Topic != "" {
			seen[specs[i].Topic] = true
		}
	}

	table.topics = slices.Sorted(maps.Keys(seen))
	return table, nil
}

// compileRoute validates spec and fills r, which must be a zero route.
func compileRoute(r *route, spec *Spec) error {
	pattern, err := compilePattern(spec.Pattern, spec.IgnoreCase)
	if err != nil {
		return err
	}
	r.glob = pattern
	r.ignoreCase = spec.IgnoreCase

	if err := checkShape(spec); err != nil {
		return err
	}

	if spec.Topic != "" {
		if err := checkTopicName(spec.Topic); err != nil {
			return fmt.Errorf("topic %w", err)
		}
		r.strategy = Single
		r.topic = spec.Topic
		return nil
	}

	return compileSharded(r, spec)
}

func compilePattern(pattern string, ignoreCase bool) (glob, error) {
	if pattern == "" {
		return glob{}, errors.New(`pattern is empty: set a glob such as "device-status", "iot-*" or "*"`)
	}

	if reason := validateGlob(pattern); reason != "" {
		return glob{}, fmt.Errorf("pattern %s is not a valid glob: %s", quote(pattern), reason)
	}
	if !ignoreCase {
		return compileGlob(pattern), nil
	}

	// strings.ToLower replaces invalid UTF-8, which can change a pattern's
	// syntax, so the lower-cased pattern is validated again.
	lowered := strings.ToLower(pattern)
	if reason := validateGlob(lowered); reason != "" {
		return glob{}, fmt.Errorf("pattern %s is not a valid glob once lower-cased for ignoreCase (%s): %s",
			quote(pattern), quote(lowered), reason)
	}
	return compileGlob(lowered), nil
}

// checkShape reports the conflicting fields when spec is neither a
// single-topic route nor a sharded route.
func checkShape(spec *Spec) error {
	const shapes = "use topic alone for one topic, or topics with shardBy to shard"

	hasTopic := spec.Topic != ""
	hasTopics := len(spec.Topics) > 0
	hasShardBy := spec.ShardBy != ""
	hasShardMap := len(spec.ShardMap) > 0

	switch {
	case hasTopic && hasTopics:
		return fmt.Errorf("topic and topics are both set: %s", shapes)
	case hasTopic && hasShardBy:
		return fmt.Errorf("shardBy %s is set with topic, which is a single topic: %s", quote(spec.ShardBy), shapes)
	case hasTopic && hasShardMap:
		return fmt.Errorf("shardMap is set with topic, which is a single topic: %s", shapes)
	case !hasTopic && !hasTopics:
		return fmt.Errorf("topic and topics are both missing: %s", shapes)
	case hasTopics && !hasShardBy:
		return errors.New("topics is set without shardBy: set shardBy to roundrobin, deviceid or metadata:<field>")
	default:
		return nil
	}
}

func compileSharded(r *route, spec *Spec) error {
	strategy, field, err := parseShardBy(spec.ShardBy)
	if err != nil {
		return err
	}
	r.strategy = strategy
	r.field = field

	seen := make(map[string]bool, len(spec.Topics))
	for j, topic := range spec.Topics {
		if err := checkTopicName(topic); err != nil {
			return fmt.Errorf("topics[%d] %w", j, err)
		}
		if seen[topic] {
			return fmt.Errorf("topics[%d] %s is listed twice: list each shard topic once", j, quote(topic))
		}
		seen[topic] = true
	}
	r.topics = slices.Clone(spec.Topics)

	if len(spec.ShardMap) == 0 {
		return nil
	}
	if strategy != Metadata {
		return fmt.Errorf("shardMap is set with shardBy %s: shardMap works only with shardBy metadata:<field>, so remove it or shard by metadata",
			quote(spec.ShardBy))
	}

	// Keys are checked in sorted order so that the error is the same on every run.
	for _, value := range slices.Sorted(maps.Keys(spec.ShardMap)) {
		topic := spec.ShardMap[value]
		if value == "" {
			return fmt.Errorf("shardMap has an empty key (mapped to %s): map non-empty metadata values only", quote(topic))
		}
		if !seen[topic] {
			return fmt.Errorf("shardMap[%s] is %s, which is not in topics %s: map each value to one of the route's topics",
				quote(value), quote(topic), quoteAll(spec.Topics))
		}
	}
	r.shardMap = maps.Clone(spec.ShardMap)

	return nil
}

func parseShardBy(shardBy string) (Strategy, string, error) {
	switch {
	case shardBy == "roundrobin":
		return RoundRobin, "", nil
	case shardBy == "deviceid":
		return DeviceID, "", nil
	case shardBy == metadataPrefix:
		return 0, "", fmt.Errorf("shardBy %s names no metadata field: use metadata:<field>, such as metadata:region", quote(shardBy))
	case strings.HasPrefix(shardBy, metadataPrefix):
		return Metadata, shardBy[len(metadataPrefix):], nil
	default:
		return 0, "", fmt.Errorf("shardBy %s is not valid: use roundrobin, deviceid or metadata:<field>", quote(shardBy))
	}
}

// maxTopicLength is Kafka's limit on the length of a topic name.
const maxTopicLength = 249

// checkTopicName returns an error, worded to follow the field name, unless
// topic is a legal Kafka topic name.
func checkTopicName(topic string) error {
	const rule = "use 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-', other than \".\" and \"..\""

	switch {
	case topic == "":
		return fmt.Errorf("is empty: %s", rule)
	case len(topic) > maxTopicLength:
		return fmt.Errorf("%s is %d characters long, the maximum is %d: %s", quote(topic), len(topic), maxTopicLength, rule)
	case topic == "." || topic == "..":
		return fmt.Errorf("%s is not a valid Kafka topic name: %s", quote(topic), rule)
	}

	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' {
			continue
		}
		r, _ := utf8.DecodeRuneInString(topic[i:])
		return fmt.Errorf("%s is not a valid Kafka topic name, because of %q at byte %d: %s", quote(topic), r, i, rule)
	}

	return nil
}

// quoteAll quotes each value like quote, in brackets.
func quoteAll(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = quote(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
