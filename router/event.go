package router

import (
	"errors"
	"strings"
)

// ErrInvalidDestination is matched, through errors.Is, by the errors of
// EventType: the Destination is not an event locator or names no event type.
var ErrInvalidDestination = errors.New("invalid destination")

// EventType returns the event type of a Destination, which is the authority of
// its event locator: "event:device-status/mac:112233445566/online" has the
// event type "device-status".
//
// The scheme is matched case-insensitively, and spaces around the event type
// are trimmed, as wrp-go v3.7.0's ParseLocator does. The result is a substring
// of destination, so a call that succeeds does not allocate. The error wraps
// ErrInvalidDestination when destination is not an event locator or its
// event type is empty.
func EventType(destination string) (string, error) {
	eventType, _, isEvent := splitEventLocator(destination)
	if !isEvent {
		return "", &sentinelError{
			sentinel: ErrInvalidDestination,
			message: "destination " + quote(destination) +
				" is not an event locator: expected event:<type>[/...]",
		}
	}

	if eventType == "" {
		return "", &sentinelError{
			sentinel: ErrInvalidDestination,
			message: "destination " + quote(destination) +
				" has no event type: expected event:<type>[/...]",
		}
	}

	return eventType, nil
}

// eventScheme is the scheme of an event locator with its colon, in lower case.
const eventScheme = "event:"

// splitEventLocator splits an event locator into its trimmed event type and
// the path after the first '/' following it. isEvent reports whether the
// locator has the event scheme at all. eventType is empty when the locator
// names none, and path is empty when nothing follows the event type.
func splitEventLocator(destination string) (eventType, path string, isEvent bool) {
	if !hasPrefixFoldASCII(destination, eventScheme) {
		return "", "", false
	}

	authority := destination[len(eventScheme):]
	if slash := strings.IndexByte(authority, '/'); slash >= 0 {
		path = authority[slash+1:]
		authority = authority[:slash]
	}

	return strings.TrimSpace(authority), path, true
}

// hasPrefixFoldASCII reports whether s starts with prefix, ignoring ASCII case.
// prefix must be lower case.
func hasPrefixFoldASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}

	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}

	return true
}
