package metrics

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestReportNilSafe(t *testing.T) {
	var nilCallbacks *Callbacks
	nilCallbacks.Report(&Outcome{})

	var empty Callbacks
	empty.Report(&Outcome{Err: errors.New("x"), Fallback: true, Strategy: StrategyMetadata})
}

type recorder struct {
	calls []string
}

func (r *recorder) callbacks() *Callbacks {
	return &Callbacks{
		Published: func(e, topic, s string) { r.calls = append(r.calls, "published "+e+" "+topic+" "+s) },
		Errored:   func(e, topic, s, et string) { r.calls = append(r.calls, "errored "+e+" "+topic+" "+s+" "+et) },
		Latency:   func(e, topic, s string, d time.Duration) { r.calls = append(r.calls, "latency "+d.String()) },
	}
}

func TestReportSuccess(t *testing.T) {
	var r recorder
	r.callbacks().Report(&Outcome{EventType: "iot", Topic: "t", Strategy: "single", Latency: time.Millisecond})
	want := []string{"published iot t single", "latency 1ms"}
	if !slices.Equal(r.calls, want) {
		t.Errorf("calls %q, want %q", r.calls, want)
	}
}

func TestReportFailure(t *testing.T) {
	var r recorder
	r.callbacks().Report(&Outcome{EventType: "iot", Topic: "t", Strategy: "single", Err: errors.New("x"), ErrorType: ErrorTypeTimeout, Latency: time.Second})
	want := []string{"errored iot t single timeout", "latency 1s"}
	if !slices.Equal(r.calls, want) {
		t.Errorf("calls %q, want %q", r.calls, want)
	}
}

func TestReportMetadataFallback(t *testing.T) {
	var r recorder
	r.callbacks().Report(&Outcome{EventType: "iot", Topic: "t", Strategy: StrategyMetadata, Fallback: true})
	want := []string{"errored iot t metadata missing_metadata_field", "published iot t metadata", "latency 0s"}
	if !slices.Equal(r.calls, want) {
		t.Errorf("calls %q, want %q", r.calls, want)
	}
}

func TestReportDeviceIDFallbackIsNotMetadata(t *testing.T) {
	var r recorder
	r.callbacks().Report(&Outcome{EventType: "qos", Topic: "t", Strategy: "deviceid", Fallback: true})
	want := []string{"published qos t deviceid", "latency 0s"}
	if !slices.Equal(r.calls, want) {
		t.Errorf("calls %q, want %q", r.calls, want)
	}
}

func TestReportRecoversPanic(t *testing.T) {
	core, logs := observer.New(zap.ErrorLevel)
	c := &Callbacks{
		Published: func(string, string, string) { panic("boom") },
		Logger:    zap.New(core),
	}
	c.Report(&Outcome{EventType: "iot"})
	if logs.FilterMessage("metric callback panicked").Len() != 1 {
		t.Error("the panic was not logged")
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{ModeProduce: "Produce", ModeTryProduce: "TryProduce", ModeProduceSync: "ProduceSync", Mode(9): "unknown"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", m, got, want)
		}
	}
}
