package router

import (
	"strconv"
	"unicode/utf8"
)

// maxQuotedBytes is the number of bytes of an input value that error messages
// quote, so that a 1 MB Destination does not make a 1 MB error.
const maxQuotedBytes = 64

// quote returns s quoted as by strconv.Quote. Values longer than
// maxQuotedBytes are cut at a rune boundary and followed by their length.
func quote(s string) string {
	if len(s) <= maxQuotedBytes {
		return strconv.Quote(s)
	}

	cut := maxQuotedBytes
	for i := 0; i < utf8.UTFMax-1 && !utf8.RuneStart(s[cut]); i++ {
		cut--
	}

	return strconv.Quote(s[:cut]) + "... (" + strconv.Itoa(len(s)) + " bytes)"
}

// sentinelError is an error with its own message that still matches a
// sentinel through errors.Is, without the sentinel's text as a prefix.
type sentinelError struct {
	sentinel error
	message  string
}

func (e *sentinelError) Error() string { return e.message }

func (e *sentinelError) Unwrap() error { return e.sentinel }
