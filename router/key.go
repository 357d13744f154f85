package router

import (
	"fmt"
	"strings"

	"github.com/xmidt-org/wrp-go/v3"
)

// DefaultKeySources are the key sources used when none are configured. The
// metadata entry comes first because Talaria's connect and disconnect messages
// carry Talaria's own dns: locator as their Source, while the device id is in
// the "/hw-deviceid" metadata entry and in the Destination.
var DefaultKeySources = []string{"metadata:/hw-deviceid", "source", "destination"}

// KeySources is a compiled, ordered list of the message fields that may supply
// the device key. Its zero value behaves like ParseKeySources(nil), which is
// DefaultKeySources. It is safe for concurrent use.
type KeySources struct {
	sources []keySource
}

type keySourceKind uint8

const (
	keyFromSource keySourceKind = iota
	keyFromDestination
	keyFromMetadata
)

// keySource is one parsed key source spec.
type keySource struct {
	spec  string
	kind  keySourceKind
	field string // metadata key, for keyFromMetadata
}

const metadataPrefix = "metadata:"

// defaultKeySources is DefaultKeySources compiled once, for the zero value.
var defaultKeySources = mustParseKeySources(DefaultKeySources)

// ParseKeySources compiles key source specs, tried in the order given. A spec
// is "source", "destination" or "metadata:<key>" with a non-empty, case-sensitive
// metadata key. An empty or nil list means DefaultKeySources. Errors name the
// spec as partitionKey[i], after the configuration key that lists them.
func ParseKeySources(specs []string) (KeySources, error) {
	if len(specs) == 0 {
		specs = DefaultKeySources
	}

	sources := make([]keySource, len(specs))
	for i, spec := range specs {
		source, ok := parseKeySource(spec)
		if !ok {
			return KeySources{}, fmt.Errorf(
				"partitionKey[%d]: %s is not a key source: use source, destination or metadata:<key>",
				i, quote(spec))
		}
		sources[i] = source
	}

	return KeySources{sources: sources}, nil
}

func parseKeySource(spec string) (keySource, bool) {
	switch {
	case spec == "source":
		return keySource{spec: spec, kind: keyFromSource}, true
	case spec == "destination":
		return keySource{spec: spec, kind: keyFromDestination}, true
	case strings.HasPrefix(spec, metadataPrefix) && len(spec) > len(metadataPrefix):
		return keySource{spec: spec, kind: keyFromMetadata, field: spec[len(metadataPrefix):]}, true
	default:
		return keySource{}, false
	}
}

func mustParseKeySources(specs []string) KeySources {
	sources, err := ParseKeySources(specs)
	if err != nil {
		panic(err)
	}
	return sources
}

// DeviceKey returns the first canonical device id that the sources supply, and
// the spec of the source that supplied it, such as "metadata:/hw-deviceid".
// It returns ("", "") when no source has one, or when msg is nil.
//
// A value counts only when CanonicalDeviceID accepts it, so dns: and self:
// locators are skipped. For "destination", an event locator supplies the
// first path segment after its event type
// ("event:device-status/mac:112233445566/online" gives "mac:112233445566"),
// and any other Destination is read as a device locator itself.
//
// DeviceKey does not allocate when the id is already canonical.
func (k KeySources) DeviceKey(msg *wrp.Message) (key string, from string) {
	if msg == nil {
		return "", ""
	}

	sources := k.sources
	if sources == nil {
		sources = defaultKeySources.sources
	}

	for i := range sources {
		source := &sources[i]
		if id, ok := source.deviceID(msg); ok {
			return id, source.spec
		}
	}

	return "", ""
}

func (s *keySource) deviceID(msg *wrp.Message) (string, bool) {
	switch s.kind {
	case keyFromSource:
		return CanonicalDeviceID(msg.Source)
	case keyFromMetadata:
		return CanonicalDeviceID(msg.Metadata[s.field])
	default:
		return destinationDeviceID(msg.Destination)
	}
}

func destinationDeviceID(destination string) (string, bool) {
	eventType, path, isEvent := splitEventLocator(destination)
	if !isEvent {
		return CanonicalDeviceID(destination)
	}
	if eventType == "" {
		return "", false
	}

	return CanonicalDeviceID(path)
}

// Device id schemes, in their canonical lower case.
const (
	schemeMAC    = "mac"
	schemeUUID   = "uuid"
	schemeSerial = "serial"
)

// CanonicalDeviceID parses a device id or device locator of the mac, uuid or
// serial scheme and returns its canonical form, as wrp-go v3.7.0's
// ParseDeviceID does for those schemes:
//
//   - the scheme is matched ignoring ASCII case and written in lower case;
//   - the id runs from the colon to the first '/', and anything from that
//     '/' on (a service and more) is dropped;
//   - a mac id loses the delimiters ':', '-', '.' and ',', is written in lower
//     case and must then be 12, 16 or 40 hex digits;
//   - a uuid or serial id must be non-empty and is kept as written, spaces
//     included.
//
// Other schemes, dns and self among them, return ("", false). When s is
// already canonical the result is a substring of s and nothing is allocated.
func CanonicalDeviceID(s string) (string, bool) {
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return "", false
	}

	written := s[:colon]
	id := s[colon+1:]
	if slash := strings.IndexByte(id, '/'); slash >= 0 {
		id = id[:slash]
	}
	if id == "" {
		return "", false
	}

	switch {
	case equalFoldASCII(written, schemeMAC):
		return canonicalMAC(s, written, id)
	case equalFoldASCII(written, schemeUUID):
		return keepID(s, schemeUUID, written, id), true
	case equalFoldASCII(written, schemeSerial):
		return keepID(s, schemeSerial, written, id), true
	default:
		return "", false
	}
}

// keepID returns scheme:id, as a substring of s when its scheme is already
// written in lower case.
func keepID(s, scheme, written, id string) string {
	if written == scheme {
		return s[:len(scheme)+1+len(id)]
	}
	return scheme + ":" + id
}

// maxMACDigits is the longest mac id that wrp-go accepts, in hex digits.
const maxMACDigits = 40

// canonicalMAC returns the canonical form of a mac id, as a substring of s
// when the id and its scheme are already canonical.
func canonicalMAC(s, written, id string) (string, bool) {
	var buf [len(schemeMAC) + 1 + maxMACDigits]byte
	n := copy(buf[:], schemeMAC+":")

	canonical := written == schemeMAC
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			c += 'a' - 'A'
			canonical = false
		case c == ':', c == '-', c == '.', c == ',':
			canonical = false
			continue
		default:
			return "", false
		}

		if n == len(buf) {
			return "", false
		}
		buf[n] = c
		n++
	}

	switch n - len(schemeMAC) - 1 {
	case 12, 16, 40:
	default:
		return "", false
	}

	if canonical {
		return s[:len(written)+1+len(id)], true
	}
	return string(buf[:n]), true
}

// equalFoldASCII reports whether s equals lower, ignoring ASCII case. lower
// must be lower case.
func equalFoldASCII(s, lower string) bool {
	return len(s) == len(lower) && hasPrefixFoldASCII(s, lower)
}

// Hash returns the 32-bit FNV-1a hash of the bytes of s, the same value as
// hash/fnv's New32a, without allocating.
func Hash(s string) uint32 {
	const (
		offset32 = 2166136261
		prime32  = 16777619
	)

	hash := uint32(offset32)
	for i := 0; i < len(s); i++ {
		hash ^= uint32(s[i])
		hash *= prime32
	}

	return hash
}
