package router

import (
	"strings"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
)

// hwDeviceIDKey is the metadata key of the default metadata key source.
const hwDeviceIDKey = "/hw-deviceid"

// fuzzKeySourceOrders are the key source lists FuzzDeviceKey picks from with
// its order argument. nil is DefaultKeySources.
var fuzzKeySourceOrders = [][]string{
	nil,
	{"source"},
	{"destination"},
	{"metadata:" + hwDeviceIDKey},
	{"destination", "source", "metadata:" + hwDeviceIDKey},
	{"source", "metadata:" + hwDeviceIDKey},
}

// deviceKeySeed is one seed of FuzzDeviceKey. With noMetadata set the
// message has a nil Metadata map, and otherwise hwDeviceID is stored under
// "/hw-deviceid", even when it is empty.
type deviceKeySeed struct {
	source, destination, hwDeviceID string
	order                           uint8
	noMetadata                      bool
}

// flags packs the seed's order and noMetadata into the uint8 that
// FuzzDeviceKey takes: the low bit is noMetadata, the rest the order.
func (s deviceKeySeed) flags() uint8 {
	flags := s.order << 1
	if s.noMetadata {
		flags |= 1
	}
	return flags
}

// deviceKeySeeds cover each source supplying the key, every scheme in mixed
// case, mac delimiters and lengths, service suffixes, event locators with and
// without a device segment, and Unicode letters that fold to ASCII in
// wrp-go's case-insensitive scheme pattern.
var deviceKeySeeds = []deviceKeySeed{
	{source: talariaSource, destination: onlineDest, hwDeviceID: deviceID},
	{source: "MAC:11-22-33-44-55-66/iot", destination: "event:iot/mac:aabbccddeeff"},
	{source: talariaSource, destination: "event:device-status/mac:112233445566/offline", noMetadata: true},
	{source: "self:", destination: "serial:ABC123/config"},
	{source: "uuid:1234", hwDeviceID: "112233445566"},
	{source: "mac:aabbccddeeff", destination: onlineDest, order: 4},
	{source: talariaSource, destination: "event:device-status"},
	{source: talariaSource, destination: "event:/mac:112233445566"},
	{source: talariaSource, destination: "event:   /mac:112233445566"},
	{source: talariaSource, destination: "dns:caduceus.example.com/hook"},
	{source: "Mac:AA.BB,CC:DD-EE.FF", order: 1},
	{source: "mac:0011223344556677/svc/more", order: 1},
	{source: "mac:" + strings.Repeat("Ab", 20), order: 1},
	{source: "mac:" + strings.Repeat("ab", 21), order: 1},
	{source: "mac:11223344556g", order: 1},
	{source: "mac: 112233445566", order: 1},
	{source: "mac:\xff112233445566", order: 1},
	{source: "mac:::::::", order: 1},
	{source: "UUID: spaced id /svc", order: 1},
	{source: "uuid:\xff\n", order: 1},
	{source: "SeRiAl:a:b", order: 1},
	{source: "ſerial:abc", order: 1},
	{source: "serial:/abc", order: 1},
	{destination: "EVENT:x/UUID:abc/svc", order: 2},
	{destination: "event:x/ mac:112233445566", order: 2},
	{destination: "event:x//mac:112233445566", order: 2},
	{destination: "event:x", order: 2},
	{destination: "events:x/mac:112233445566", order: 2},
	{destination: "mac:112233445566", order: 2},
	{destination: "event:\u00a0/mac:112233445566", order: 2},
	{hwDeviceID: "serial:xyz/ignored", order: 3},
	{hwDeviceID: "dns:example.com", order: 3},
	{hwDeviceID: "", order: 3},
	{source: "serial:s", destination: "uuid:d", hwDeviceID: "mac:112233445566", order: 5},
	{source: "dns:s", destination: "uuid:d", hwDeviceID: "mac:1122", order: 5},
}

func FuzzDeviceKey(f *testing.F) {
	for _, seed := range deviceKeySeeds {
		f.Add(seed.source, seed.destination, seed.hwDeviceID, seed.flags())
	}

	compiled := make([]KeySources, len(fuzzKeySourceOrders))
	for i, specs := range fuzzKeySourceOrders {
		sources, err := ParseKeySources(specs)
		if err != nil {
			f.Fatal(err)
		}
		compiled[i] = sources
	}

	f.Fuzz(func(t *testing.T, source, destination, hwDeviceID string, flags uint8) {
		msg := &wrp.Message{Source: source, Destination: destination}
		if flags&1 == 0 {
			msg.Metadata = map[string]string{hwDeviceIDKey: hwDeviceID}
		}
		order := int(flags>>1) % len(fuzzKeySourceOrders)

		key, from := compiled[order].DeviceKey(msg)

		wantKey, wantFrom := expectedDeviceKey(fuzzKeySourceOrders[order], msg)
		if key != wantKey || from != wantFrom {
			t.Errorf("DeviceKey(source %q, destination %q, %s %q) with sources %q = %q from %q; want %q from %q",
				source, destination, hwDeviceIDKey, hwDeviceID, fuzzKeySourceOrders[order], key, from, wantKey, wantFrom)
		}

		if key != "" {
			if canonical, ok := CanonicalDeviceID(key); !ok || canonical != key {
				t.Errorf("CanonicalDeviceID(%q) = %q, %v; want the key unchanged", key, canonical, ok)
			}
		}

		compareWithParseDeviceID(t, source)
		compareWithParseDeviceID(t, destination)
		compareWithParseDeviceID(t, hwDeviceID)
		if candidate, ok := eventDeviceCandidate(destination); ok {
			compareWithParseDeviceID(t, candidate)
		}
	})
}

// expectedDeviceKey computes what DeviceKey should return from wrp-go alone:
// the first source, in the order of specs, whose value wrp.ParseDeviceID
// parses as a mac, uuid or serial id.
func expectedDeviceKey(specs []string, msg *wrp.Message) (key, from string) {
	if specs == nil {
		specs = DefaultKeySources
	}

	for _, spec := range specs {
		var candidate string
		switch spec {
		case "source":
			candidate = msg.Source
		case "destination":
			var ok bool
			if candidate, ok = eventDeviceCandidate(msg.Destination); !ok {
				candidate = msg.Destination
			}
		default:
			candidate = msg.Metadata[strings.TrimPrefix(spec, "metadata:")]
		}

		if id, ok := parseDeviceIDWithWRP(candidate); ok {
			return id, spec
		}
	}

	return "", ""
}

// eventDeviceCandidate returns the text that may name a device in an event
// locator: everything after the first '/' that follows the event type.
// isEvent is false when destination does not have the event scheme. An event
// locator that wrp.ParseLocator rejects, because it names no event type,
// returns "".
func eventDeviceCandidate(destination string) (candidate string, isEvent bool) {
	const scheme = "event:"
	if len(destination) < len(scheme) || !strings.EqualFold(destination[:len(scheme)], scheme) {
		return "", false
	}

	if locator, err := wrp.ParseLocator(destination); err != nil || locator.Scheme != wrp.SchemeEvent {
		return "", true
	}

	_, candidate, _ = strings.Cut(destination[len(scheme):], "/")
	return candidate, true
}

// parseDeviceIDWithWRP returns wrp.ParseDeviceID's canonical id for s when it
// has the mac, uuid or serial scheme.
func parseDeviceIDWithWRP(s string) (string, bool) {
	id, err := wrp.ParseDeviceID(s)
	if err != nil {
		return "", false
	}

	switch id.Prefix() {
	case wrp.SchemeMAC, wrp.SchemeUUID, wrp.SchemeSerial:
		return string(id), true
	default:
		return "", false
	}
}
