package router

import (
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
)

func TestParseKeySources(t *testing.T) {
	tests := []struct {
		name    string
		specs   []string
		want    []string
		wantErr string
	}{
		{name: "nil means defaults", specs: nil, want: DefaultKeySources},
		{name: "empty means defaults", specs: []string{}, want: DefaultKeySources},
		{name: "all forms", specs: []string{"destination", "metadata:region", "source"}, want: []string{"destination", "metadata:region", "source"}},
		{name: "misspelled", specs: []string{"source", "sauce"}, wantErr: `partitionKey[1]: "sauce" is not a key source: use source, destination or metadata:<key>`},
		{name: "empty metadata key", specs: []string{"metadata:"}, wantErr: `partitionKey[0]: "metadata:" is not a key source`},
		{name: "upper case", specs: []string{"Source"}, wantErr: `partitionKey[0]: "Source" is not a key source`},
		{name: "empty spec", specs: []string{""}, wantErr: `partitionKey[0]: "" is not a key source`},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeySources(tt.specs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}

			var specs []string
			for _, source := range got.sources {
				specs = append(specs, source.spec)
			}
			if strings.Join(specs, ",") != strings.Join(tt.want, ",") {
				t.Errorf("specs = %q, want %q", specs, tt.want)
			}
		})
	}
}

func TestDeviceKey(t *testing.T) {
	defaults, err := ParseKeySources(nil)
	if err != nil {
		t.Fatal(err)
	}
	destinationFirst, err := ParseKeySources([]string{"destination", "source"})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		sources  KeySources
		msg      *wrp.Message
		wantKey  string
		wantFrom string
	}{
		{
			name:     "lifecycle event keyed by metadata",
			sources:  defaults,
			msg:      newLifecycleEvent(),
			wantKey:  deviceID,
			wantFrom: "metadata:/hw-deviceid",
		},
		{
			name:    "device event keyed by source",
			sources: defaults,
			msg: &wrp.Message{
				Source:      "MAC:11-22-33-44-55-66/iot",
				Destination: "event:iot/mac:aabbccddeeff",
			},
			wantKey:  deviceID,
			wantFrom: "source",
		},
		{
			name:    "dns source skipped for event destination",
			sources: defaults,
			msg: &wrp.Message{
				Source:      talariaSource,
				Destination: "event:device-status/mac:112233445566/offline",
			},
			wantKey:  deviceID,
			wantFrom: "destination",
		},
		{
			name:    "self source skipped for device destination",
			sources: defaults,
			msg: &wrp.Message{
				Source:      "self:",
				Destination: "serial:ABC123/config",
			},
			wantKey:  "serial:ABC123",
			wantFrom: "destination",
		},
		{
			name:    "invalid metadata value skipped",
			sources: defaults,
			msg: &wrp.Message{
				Source:   "uuid:1234",
				Metadata: map[string]string{"/hw-deviceid": "112233445566"},
			},
			wantKey:  "uuid:1234",
			wantFrom: "source",
		},
		{
			name:    "configured order wins",
			sources: destinationFirst,
			msg: &wrp.Message{
				Source:      "mac:aabbccddeeff",
				Destination: onlineDest,
			},
			wantKey:  deviceID,
			wantFrom: "destination",
		},
		{
			name:     "zero value uses defaults",
			sources:  KeySources{},
			msg:      newLifecycleEvent(),
			wantKey:  deviceID,
			wantFrom: "metadata:/hw-deviceid",
		},
		{
			name:    "event without device segment",
			sources: defaults,
			msg: &wrp.Message{
				Source:      talariaSource,
				Destination: "event:device-status",
			},
		},
		{
			name:    "event without event type",
			sources: defaults,
			msg: &wrp.Message{
				Source:      talariaSource,
				Destination: "event:/mac:112233445566",
			},
		},
		{
			name:    "no device anywhere",
			sources: defaults,
			msg: &wrp.Message{
				Source:      talariaSource,
				Destination: "dns:caduceus.example.com/hook",
			},
		},
		{
			name:    "nil message",
			sources: defaults,
			msg:     nil,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, from := tt.sources.DeviceKey(tt.msg)
			if key != tt.wantKey {
				t.Errorf("key = %q, want %q", key, tt.wantKey)
			}
			if from != tt.wantFrom {
				t.Errorf("from = %q, want %q", from, tt.wantFrom)
			}
		})
	}
}

func TestDeviceKeyDoesNotAllocate(t *testing.T) {
	var sources KeySources
	lifecycle := newLifecycleEvent()
	device := newDeviceEvent()
	delete(device.Metadata, "/hw-deviceid")

	for _, msg := range []*wrp.Message{lifecycle, device} {
		allocs := testing.AllocsPerRun(100, func() {
			if key, _ := sources.DeviceKey(msg); key != deviceID {
				t.Fatalf("key = %q, want %q", key, deviceID)
			}
		})
		if allocs != 0 {
			t.Errorf("DeviceKey allocated %v times per call, want 0", allocs)
		}
	}
}

func TestCanonicalDeviceID(t *testing.T) {
	tests := []struct {
		in   string
		want string // empty when the input is rejected
	}{
		{in: "mac:112233445566", want: "mac:112233445566"},
		{in: "mac:112233445566/service/ignored", want: "mac:112233445566"},
		{in: "MAC:11:22:33:44:55:66", want: "mac:112233445566"},
		{in: "Mac:AA-BB-CC-DD-EE-FF", want: "mac:aabbccddeeff"},
		{in: "mac:aa.bb,cc:dd-ee.ff", want: "mac:aabbccddeeff"},
		{in: "mac:0011223344556677", want: "mac:0011223344556677"},
		{in: "mac:" + strings.Repeat("ab", 20), want: "mac:" + strings.Repeat("ab", 20)},
		{in: "mac:" + strings.Repeat("ab", 21)},
		{in: "mac:11223344556"},
		{in: "mac:1122334455667"},
		{in: "mac:11223344556g"},
		{in: "mac: 112233445566"},
		{in: "mac:"},
		{in: "mac:/112233445566"},
		{in: "mac:::::::"},
		{in: "uuid:5f2b3c4d-1111-2222-3333-444455556666", want: "uuid:5f2b3c4d-1111-2222-3333-444455556666"},
		{in: "UUID:ABC/svc", want: "uuid:ABC"},
		{in: "uuid: spaced id ", want: "uuid: spaced id "},
		{in: "uuid:"},
		{in: "serial:XYZ-1", want: "serial:XYZ-1"},
		{in: "SERIAL:xyz", want: "serial:xyz"},
		{in: "serial:a:b", want: "serial:a:b"},
		{in: "dns:talaria.example.com"},
		{in: "self:"},
		{in: "event:device-status/mac:112233445566"},
		{in: "112233445566"},
		{in: ""},
		{in: " mac:112233445566"},
		{in: "macs:112233445566"},
	}

	for _, tt := range tests {
		got, ok := CanonicalDeviceID(tt.in)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("CanonicalDeviceID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.want != "")
		}
		compareWithParseDeviceID(t, tt.in)
	}
}

func TestCanonicalDeviceIDAgreesWithParseDeviceID(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	schemes := []string{
		"mac", "MAC", "Mac", "mAc", "uuid", "UUID", "Uuid", "serial", "SERIAL", "SeRiAl",
		"dns", "self", "event", "x", "", "ma", "macc",
	}
	const idBytes = "0123456789abcdefABCDEF:-.,/ gxZ\t"

	accepted := 0
	for range 20000 {
		var b strings.Builder
		b.WriteString(schemes[rng.IntN(len(schemes))])
		if rng.IntN(20) != 0 {
			b.WriteByte(':')
		}

		if rng.IntN(2) == 0 {
			writeMACLike(&b, rng)
		} else {
			for range rng.IntN(45) {
				b.WriteByte(idBytes[rng.IntN(len(idBytes))])
			}
		}

		if compareWithParseDeviceID(t, b.String()) {
			accepted++
		}
	}

	if accepted < 2000 {
		t.Errorf("only %d of 20000 generated inputs were valid device ids, want at least 2000", accepted)
	}
}

// writeMACLike writes hex digits in a count near the valid ones, in mixed
// case, with delimiters between some of them.
func writeMACLike(b *strings.Builder, rng *rand.Rand) {
	counts := []int{0, 1, 11, 12, 13, 15, 16, 17, 39, 40, 41}
	const hexDigits = "0123456789abcdefABCDEF"
	const delimiters = ":-.,"

	for range counts[rng.IntN(len(counts))] {
		if rng.IntN(4) == 0 {
			b.WriteByte(delimiters[rng.IntN(len(delimiters))])
		}
		b.WriteByte(hexDigits[rng.IntN(len(hexDigits))])
	}
	if rng.IntN(3) == 0 {
		b.WriteString("/service/more")
	}
}

// compareWithParseDeviceID checks that CanonicalDeviceID accepts exactly the
// mac, uuid and serial ids that wrp.ParseDeviceID accepts, with the same
// result. wrp-go matches the scheme with a Unicode case-insensitive regular
// expression, which also takes "ſ" (U+017F) for "s". The inputs here are
// ASCII, so both compare case the same way.
// It returns whether CanonicalDeviceID accepted the input.
func compareWithParseDeviceID(t *testing.T, in string) bool {
	t.Helper()

	got, ok := CanonicalDeviceID(in)
	want, err := wrp.ParseDeviceID(in)

	deviceScheme := false
	if err == nil {
		switch want.Prefix() {
		case wrp.SchemeMAC, wrp.SchemeUUID, wrp.SchemeSerial:
			deviceScheme = true
		}
	}

	if ok != deviceScheme {
		t.Errorf("CanonicalDeviceID(%q) = %q, %v; ParseDeviceID = %q, %v", in, got, ok, want, err)
		return ok
	}
	if ok && got != string(want) {
		t.Errorf("CanonicalDeviceID(%q) = %q, ParseDeviceID = %q", in, got, want)
	}
	return ok
}

func TestCanonicalDeviceIDAllocations(t *testing.T) {
	tests := []struct {
		in         string
		wantAllocs float64
	}{
		{in: "mac:112233445566/service", wantAllocs: 0},
		{in: "uuid:abc/service", wantAllocs: 0},
		{in: "serial:abc", wantAllocs: 0},
		{in: "MAC:11:22:33:44:55:66", wantAllocs: 1},
		{in: "UUID:abc", wantAllocs: 1},
	}

	for _, tt := range tests {
		allocs := testing.AllocsPerRun(100, func() {
			if _, ok := CanonicalDeviceID(tt.in); !ok {
				t.Fatalf("CanonicalDeviceID(%q) rejected the input", tt.in)
			}
		})
		if allocs != tt.wantAllocs {
			t.Errorf("CanonicalDeviceID(%q) allocated %v times, want %v", tt.in, allocs, tt.wantAllocs)
		}
	}
}

func TestHashMatchesFNV1a(t *testing.T) {
	inputs := []string{"", "a", deviceID, onlineDest, strings.Repeat("\xff\x00", 1000), "ü€"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		b := make([]byte, rng.IntN(100))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		inputs = append(inputs, string(b))
	}

	for _, in := range inputs {
		h := fnv.New32a()
		h.Write([]byte(in))
		if got, want := Hash(in), h.Sum32(); got != want {
			t.Errorf("Hash(%q) = %#x, want %#x", in, got, want)
		}
	}

	if allocs := testing.AllocsPerRun(100, func() { Hash(onlineDest) }); allocs != 0 {
		t.Errorf("Hash allocated %v times, want 0", allocs)
	}
}

func BenchmarkDeviceKey(b *testing.B) {
	var sources KeySources
	device := newDeviceEvent()
	delete(device.Metadata, "/hw-deviceid")

	cases := []struct {
		name string
		msg  *wrp.Message
	}{
		{name: "lifecycle-metadata", msg: newLifecycleEvent()},
		{name: "device-source", msg: device},
	}

	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if key, _ := sources.DeviceKey(c.msg); key == "" {
					b.Fatal("no device key")
				}
			}
		})
	}
}

func BenchmarkCanonicalDeviceID(b *testing.B) {
	for _, in := range []string{deviceID, "MAC:11:22:33:44:55:66"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := CanonicalDeviceID(in); !ok {
					b.Fatal("rejected")
				}
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Hash(deviceID)
	}
}
