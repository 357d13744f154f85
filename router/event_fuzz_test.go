package router

import (
	"errors"
	"strings"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
)

// maxEventTypeErrorLen bounds the length of an EventType error. strconv.Quote
// writes each of the maxQuotedBytes quoted bytes as at most 4 characters
// (\xff for an invalid byte), and the fixed text with the "... (N bytes)"
// length note is under 150 characters.
const maxEventTypeErrorLen = 4*maxQuotedBytes + 150

// eventTypeSeeds are the seed destinations of FuzzEventType: event locators
// in every case and spacing, empty event types, other schemes, Unicode
// spaces that strings.TrimSpace removes, invalid UTF-8 and values long
// enough for the error to truncate them.
var eventTypeSeeds = []string{
	onlineDest,
	"event:device-status",
	"EVENT:Device-Status/x",
	"eVeNt:x",
	"Event:  spaced  /x",
	"event:a b/c",
	"event:x//y",
	"event:",
	"event:/x",
	"event:   /x",
	"event:\t\n/x",
	"",
	"event",
	"mac:112233445566/config",
	"dns:talaria.example.com",
	"self:",
	"device-status",
	" event:x",
	"events:x",
	"event::x",
	"event:\xff/x",
	"event:\u00a0x\u00a0/y",
	"event:x\u0085",
	"event:\u0085/x",
	"event:a\nb/c",
	"éVENT:x",
	"event:" + strings.Repeat("é", 40) + "/mac:112233445566",
	"mac:" + strings.Repeat("a", 200),
	strings.Repeat("\xff", 100),
	strings.Repeat("\x01", 100),
}

func FuzzEventType(f *testing.F) {
	for _, destination := range eventTypeSeeds {
		f.Add(destination)
	}

	f.Fuzz(func(t *testing.T, destination string) {
		got, err := EventType(destination)

		locator, locatorErr := wrp.ParseLocator(destination)
		wrpAccepts := locatorErr == nil && locator.Scheme == wrp.SchemeEvent

		if err != nil {
			if !errors.Is(err, ErrInvalidDestination) {
				t.Errorf("EventType(%q) error = %v, want it to match ErrInvalidDestination", destination, err)
			}
			if got != "" {
				t.Errorf("EventType(%q) = %q with an error, want \"\"", destination, got)
			}
			if n := len(err.Error()); n > maxEventTypeErrorLen {
				t.Errorf("EventType(%q) error is %d bytes long, want at most %d", destination, n, maxEventTypeErrorLen)
			}
			if wrpAccepts {
				t.Errorf("EventType(%q) error = %v, but ParseLocator returns event type %q",
					destination, err, locator.Authority)
			}
			return
		}

		if got == "" {
			t.Errorf("EventType(%q) returned an empty event type without an error", destination)
		}
		if !strings.Contains(destination, got) {
			t.Errorf("EventType(%q) = %q, which is not a substring of the destination", destination, got)
		}
		if !wrpAccepts {
			t.Fatalf("EventType(%q) = %q, but ParseLocator = %+v, error %v", destination, got, locator, locatorErr)
		}
		if got != locator.Authority {
			t.Errorf("EventType(%q) = %q, ParseLocator authority = %q", destination, got, locator.Authority)
		}
	})
}
