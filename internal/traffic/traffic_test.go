package traffic

import (
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestTransactionUUIDRoundTrip(t *testing.T) {
	cases := []struct {
		run    uint16
		device int
		seq    uint64
	}{{0, 0, 0}, {7, 1, 1}, {65535, 4999, 123456}, {1, 0xffffffff, 1<<60 - 1}}
	for _, c := range cases {
		id := TransactionUUID(c.run, c.device, c.seq)
		run, device, seq, ok := ParseTransactionUUID(id)
		if !ok || run != c.run || device != c.device || seq != c.seq {
			t.Errorf("ParseTransactionUUID(%q) = (%d, %d, %d, %v), want (%d, %d, %d, true)", id, run, device, seq, ok, c.run, c.device, c.seq)
		}
	}
	if _, _, _, ok := ParseTransactionUUID("546514d4-9cb6-41c9-88ca-ccd4c13"); ok {
		t.Error("short UUID parsed")
	}
}

func TestGeneratorMessagesAreValid(t *testing.T) {
	g := New(Options{Devices: 100})
	lifecycle := 0
	for range 2000 {
		m := g.Next()
		if _, err := wrp.ParseLocator(m.Destination); err != nil {
			t.Fatalf("destination %q: %v", m.Destination, err)
		}
		if m.Source == TalariaSource {
			lifecycle++
			if m.Metadata["/hw-deviceid"] == "" {
				t.Fatalf("lifecycle event without /hw-deviceid: %+v", m)
			}
		}
		if _, _, _, ok := ParseTransactionUUID(m.TransactionUUID); !ok {
			t.Fatalf("transaction UUID %q does not parse", m.TransactionUUID)
		}
	}
	if lifecycle < 100 || lifecycle > 300 {
		t.Errorf("lifecycle events = %d of 2000, want about 200", lifecycle)
	}
}

func TestGeneratorSequencePerDevice(t *testing.T) {
	g := New(Options{Devices: 3})
	for want := range uint64(10) {
		m := g.NextFor(2)
		_, device, seq, _ := ParseTransactionUUID(m.TransactionUUID)
		if device != 2 || seq != want {
			t.Fatalf("message %d of device 2 has (%d, %d)", want, device, seq)
		}
	}
}
