package router

import (
	"errors"
	"strings"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
)

func TestEventType(t *testing.T) {
	tests := []struct {
		destination string
		want        string
		wantErr     string
	}{
		{destination: "event:device-status/mac:112233445566/online", want: "device-status"},
		{destination: "event:device-status", want: "device-status"},
		{destination: "EVENT:Device-Status/x", want: "Device-Status"},
		{destination: "Event:  spaced  /x", want: "spaced"},
		{destination: "event:a b/c", want: "a b"},
		{destination: "event:x//y", want: "x"},
		{destination: "event:", wantErr: `destination "event:" has no event type`},
		{destination: "event:/x", wantErr: "has no event type"},
		{destination: "event:   /x", wantErr: "has no event type"},
		{destination: "", wantErr: `destination "" is not an event locator: expected event:<type>[/...]`},
		{destination: "mac:112233445566/config", wantErr: `destination "mac:112233445566/config" is not an event locator`},
		{destination: "dns:talaria.example.com", wantErr: "is not an event locator"},
		{destination: "device-status", wantErr: "is not an event locator"},
		{destination: " event:x", wantErr: "is not an event locator"},
		{destination: "events:x", wantErr: "is not an event locator"},
	}

	for _, tt := range tests {
		got, err := EventType(tt.destination)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("EventType(%q) error = %v, want nil", tt.destination, err)
			}
			if got != tt.want {
				t.Errorf("EventType(%q) = %q, want %q", tt.destination, got, tt.want)
			}
			continue
		}

		if err == nil {
			t.Errorf("EventType(%q) = %q, want an error containing %q", tt.destination, got, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("EventType(%q) error = %q, want it to contain %q", tt.destination, err, tt.wantErr)
		}
		if !errors.Is(err, ErrInvalidDestination) {
			t.Errorf("EventType(%q) error = %v, want it to match ErrInvalidDestination", tt.destination, err)
		}
	}
}

func TestEventTypeTruncatesLongValue(t *testing.T) {
	destination := "mac:" + strings.Repeat("a", 1<<20)

	_, err := EventType(destination)
	if err == nil {
		t.Fatal("EventType returned no error for a 1 MB non-event destination")
	}
	if len(err.Error()) > 200 {
		t.Errorf("error is %d bytes long, want at most 200", len(err.Error()))
	}
	if !strings.Contains(err.Error(), "(1048580 bytes)") {
		t.Errorf("error = %q, want it to state the full length", err)
	}
}

func TestQuoteCutsAtRuneBoundary(t *testing.T) {
	s := strings.Repeat("a", maxQuotedBytes-1) + "ü" + strings.Repeat("b", 10)

	got := quote(s)
	want := `"` + strings.Repeat("a", maxQuotedBytes-1) + `"... (75 bytes)`
	if got != want {
		t.Errorf("quote() = %q, want %q", got, want)
	}
}

func TestEventTypeDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := EventType(onlineDest); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("EventType allocated %v times per call, want 0", allocs)
	}
}

// TestEventTypeAgreesWithParseLocator checks EventType against wrp-go's
// ParseLocator on every combination of the parts below: EventType must
// succeed exactly when ParseLocator returns the event scheme, with the same
// authority.
func TestEventTypeAgreesWithParseLocator(t *testing.T) {
	schemes := []string{
		"event", "EVENT", "Event", "eVeNt", "mac", "dns", "self", "uuid",
		"serial", "evnt", "", "event ", " event", "events", "ev", "éVENT",
	}
	separators := []string{":", "", "::", " :", ": "}
	authorities := []string{
		"device-status", "", " ", "  x  ", "\t", "a b", "ü", "\xff", "\n",
		"\u00a0x\u00a0", "x\u0085", "qos-high", "a:b", "*", "[a-",
	}
	tails := []string{
		"", "/", "/x", "//", "/mac:112233445566/online", "/ spaced /", "/\n", "x/y",
	}

	checked := 0
	for _, scheme := range schemes {
		for _, separator := range separators {
			for _, authority := range authorities {
				for _, tail := range tails {
					compareWithParseLocator(t, scheme+separator+authority+tail)
					checked++
				}
			}
		}
	}

	if checked < 1000 {
		t.Fatalf("checked only %d inputs", checked)
	}
}

func compareWithParseLocator(t *testing.T, destination string) {
	t.Helper()

	got, err := EventType(destination)
	locator, locatorErr := wrp.ParseLocator(destination)
	wrpAccepts := locatorErr == nil && locator.Scheme == wrp.SchemeEvent

	if (err == nil) != wrpAccepts {
		t.Errorf("EventType(%q) error = %v, but ParseLocator = %+v, error %v",
			destination, err, locator, locatorErr)
		return
	}
	if err == nil && got != locator.Authority {
		t.Errorf("EventType(%q) = %q, ParseLocator authority = %q", destination, got, locator.Authority)
	}
}

func BenchmarkEventType(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EventType(onlineDest); err != nil {
			b.Fatal(err)
		}
	}
}
