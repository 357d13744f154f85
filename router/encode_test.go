package router

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
)

// decodeWRP decodes b with wrp-go v3's msgpack decoder.
func decodeWRP(t testing.TB, b []byte) wrp.Message {
	t.Helper()
	var msg wrp.Message
	if err := wrp.NewDecoderBytes(b, wrp.Msgpack).Decode(&msg); err != nil {
		t.Fatalf("wrp-go cannot decode the encoding: %v", err)
	}
	return msg
}

// encodeWRP encodes msg with wrp-go v3's msgpack encoder.
func encodeWRP(t testing.TB, msg *wrp.Message) []byte {
	t.Helper()
	var b []byte
	if err := wrp.NewEncoderBytes(&b, wrp.Msgpack).Encode(msg); err != nil {
		t.Fatalf("wrp-go cannot encode the message: %v", err)
	}
	return b
}

// normalized returns a copy of msg with empty slices and maps set to nil,
// because the omitted fields decode as nil.
func normalized(msg *wrp.Message) wrp.Message {
	out := *msg
	if len(out.Headers) == 0 {
		out.Headers = nil
	}
	if len(out.Metadata) == 0 {
		out.Metadata = nil
	}
	if len(out.Spans) == 0 {
		out.Spans = nil
	}
	if len(out.Payload) == 0 {
		out.Payload = nil
	}
	if len(out.PartnerIDs) == 0 {
		out.PartnerIDs = nil
	}
	return out
}

// checkRoundTrip encodes msg, decodes it with wrp-go and compares, and
// compares with wrp-go's own encoding decoded the same way.
func checkRoundTrip(t *testing.T, msg *wrp.Message) []byte {
	t.Helper()

	prefix := []byte("prefix")
	encoded, err := Encode(prefix, msg)
	if err != nil {
		t.Fatalf("Encode error = %v", err)
	}
	if !bytes.HasPrefix(encoded, prefix) {
		t.Fatalf("Encode did not append to dst")
	}
	encoded = encoded[len(prefix):]

	got := decodeWRP(t, encoded)
	want := normalized(msg)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded message differs from the input:\ngot  %s\nwant %s", describe(&got), describe(&want))
	}

	fromWRP := decodeWRP(t, encodeWRP(t, msg))
	if !reflect.DeepEqual(got, fromWRP) {
		t.Fatalf("our encoding and wrp-go's decode differently:\nours   %s\nwrp-go %s", describe(&got), describe(&fromWRP))
	}
	return encoded
}

// describe prints a message for failures, with long values shortened.
func describe(msg *wrp.Message) string {
	s := fmt.Sprintf("%+v", *msg)
	if len(s) > 2000 {
		s = s[:2000] + "..."
	}
	return s
}

func TestEncodeFixture(t *testing.T) {
	encoded := checkRoundTrip(t, newDeviceEvent())

	if n := len(encoded); n < 600 || n > 700 {
		t.Errorf("fixture encodes to %d bytes, want about 650 for the benchmarks", n)
	}
}

func TestEncodeEmptyMessage(t *testing.T) {
	encoded := checkRoundTrip(t, &wrp.Message{})

	// A map of msg_type 0 and qos 0.
	want := []byte("\x82\xa8msg_type\x00\xa3qos\x00")
	if !bytes.Equal(encoded, want) {
		t.Errorf("encoding = %q, want %q", encoded, want)
	}
}

func TestEncodeEmptyValuesOmitted(t *testing.T) {
	msg := &wrp.Message{
		Headers:    []string{},
		Metadata:   map[string]string{},
		Spans:      [][]string{},
		Payload:    []byte{},
		PartnerIDs: []string{},
	}
	encoded := checkRoundTrip(t, msg)
	if len(encoded) != len("\x82\xa8msg_type\x00\xa3qos\x00") {
		t.Errorf("encoding = %q, want only msg_type and qos", encoded)
	}
}

func TestEncodeNilMessage(t *testing.T) {
	dst := []byte("x")
	got, err := Encode(dst, nil)
	if err == nil {
		t.Fatal("Encode(nil) returned no error")
	}
	if string(got) != "x" {
		t.Errorf("Encode(nil) changed dst to %q", got)
	}
}

// TestEncodeMatchesWRPBytes checks that, for messages whose map order cannot
// differ (at most one metadata entry), our bytes equal wrp-go's.
func TestEncodeMatchesWRPBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 500 {
		msg := randomMessage(rng)
		for key := range msg.Metadata {
			if len(msg.Metadata) > 1 {
				delete(msg.Metadata, key)
			}
		}

		ours, err := Encode(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		if theirs := encodeWRP(t, msg); !bytes.Equal(ours, theirs) {
			t.Fatalf("message %d: encoding differs from wrp-go's\nours   %x\nwrp-go %x", i, ours, theirs)
		}
	}
}

func TestEncodeRoundTripGenerated(t *testing.T) {
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, seed+100))
		for range 250 {
			checkRoundTrip(t, randomMessage(rng))
		}
	}
}

// randomMessage returns a message whose fields are each present, empty or
// nil at random, with unicode, invalid UTF-8 and every length form.
func randomMessage(rng *rand.Rand) *wrp.Message {
	msg := &wrp.Message{
		Type:             wrp.MessageType(randomInt(rng)),
		Source:           randomText(rng),
		Destination:      randomText(rng),
		TransactionUUID:  randomText(rng),
		ContentType:      randomText(rng),
		Accept:           randomText(rng),
		Headers:          randomList(rng),
		Path:             randomText(rng),
		ServiceName:      randomText(rng),
		URL:              randomText(rng),
		PartnerIDs:       randomList(rng),
		SessionID:        randomText(rng),
		QualityOfService: wrp.QOSValue(randomInt(rng)),
	}

	if rng.IntN(2) == 0 {
		msg.SetStatus(randomInt(rng))
	}
	if rng.IntN(2) == 0 {
		msg.SetRequestDeliveryResponse(randomInt(rng))
	}
	if rng.IntN(3) == 0 {
		msg.SetIncludeSpans(rng.IntN(2) == 0)
	}

	switch rng.IntN(4) {
	case 0:
	case 1:
		msg.Payload = []byte{}
	default:
		msg.Payload = []byte(randomText(rng))
	}

	switch rng.IntN(4) {
	case 0:
	case 1:
		msg.Metadata = map[string]string{}
	default:
		msg.Metadata = map[string]string{}
		for range rng.IntN(20) {
			msg.Metadata[randomText(rng)] = randomText(rng)
		}
	}

	switch rng.IntN(4) {
	case 0:
	case 1:
		msg.Spans = [][]string{}
	default:
		for range 1 + rng.IntN(4) {
			msg.Spans = append(msg.Spans, randomList(rng))
		}
	}

	return msg
}

// textLengths are string lengths at every msgpack length boundary.
var textLengths = []int{0, 1, 5, 31, 32, 255, 256, 65535, 65536}

func randomText(rng *rand.Rand) string {
	n := textLengths[rng.IntN(len(textLengths))]
	if n > 300 && rng.IntN(20) != 0 {
		n = rng.IntN(40) // keep most strings short so the test runs fast
	}

	pieces := []string{"a", "Z", "0", "-", "/", ":", "ü", "€", "😀", "\x00", "\xff", " "}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()[:n]
}

func randomList(rng *rand.Rand) []string {
	switch rng.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	default:
		list := make([]string, rng.IntN(20))
		for i := range list {
			list[i] = randomText(rng)
		}
		return list
	}
}

// intValues are integers at every msgpack integer boundary.
var intValues = []int64{
	0, 1, -1, 127, 128, -32, -33, -128, -129, 255, 256, 32767, 32768, -32768, -32769,
	65535, 65536, math.MaxInt32, math.MaxInt32 + 1, math.MinInt32, math.MinInt32 - 1,
	math.MaxInt64, math.MinInt64, 200, 99,
}

func randomInt(rng *rand.Rand) int64 {
	if rng.IntN(4) == 0 {
		return rng.Int64() - math.MaxInt64/2
	}
	return intValues[rng.IntN(len(intValues))]
}

func TestEncodeLargeValues(t *testing.T) {
	big := strings.Repeat("é", 35000) // 70,000 bytes: a str32
	metadata := make(map[string]string, 10000)
	for i := range 10000 {
		metadata[fmt.Sprintf("key-%05d", i)] = fmt.Sprintf("value-%d", i)
	}
	headers := make([]string, 70000) // an array32
	for i := range headers {
		headers[i] = "h"
	}

	msg := &wrp.Message{
		Type:        wrp.SimpleEventMessageType,
		Source:      big,
		Destination: "event:" + big,
		Payload:     bytes.Repeat([]byte{0, 1, 2, 0xff}, 20000), // 80,000 bytes: a bin32
		Metadata:    metadata,
		Headers:     headers,
		PartnerIDs:  []string{big},
		Spans:       [][]string{{big}, nil, {}},
	}
	checkRoundTrip(t, msg)

	manyEntries := make(map[string]string, 70000) // a map32
	for i := range 70000 {
		manyEntries[fmt.Sprint(i)] = ""
	}
	checkRoundTrip(t, &wrp.Message{Metadata: manyEntries})
}

func TestEncodeIntegerForms(t *testing.T) {
	for _, i := range intValues {
		msg := &wrp.Message{Type: wrp.MessageType(i), QualityOfService: wrp.QOSValue(-i)}
		msg.SetStatus(i).SetRequestDeliveryResponse(i)

		ours, err := Encode(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		if theirs := encodeWRP(t, msg); !bytes.Equal(ours, theirs) {
			t.Errorf("integer %d: encoding = %x, wrp-go = %x", i, ours, theirs)
		}
		checkRoundTrip(t, msg)
	}
}

func TestEncodeDeterministic(t *testing.T) {
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = fmt.Sprintf("/key-%d", i)
	}

	var first []byte
	rng := rand.New(rand.NewPCG(21, 22))
	for round := range 20 {
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })

		msg := newDeviceEvent()
		msg.Metadata = map[string]string{}
		for _, key := range keys[:4+round] {
			msg.Metadata[key] = "v" + key
		}

		encoded, err := Encode(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Encode(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(encoded, again) {
			t.Fatalf("round %d: two encodings of one message differ", round)
		}

		if round == 0 {
			first = encoded
		}
	}

	// Same keys inserted in two orders.
	a := map[string]string{}
	b := map[string]string{}
	for i := range keys {
		a[keys[i]] = keys[i]
		b[keys[len(keys)-1-i]] = keys[len(keys)-1-i]
	}
	encodedA, _ := Encode(nil, &wrp.Message{Metadata: a})
	encodedB, _ := Encode(nil, &wrp.Message{Metadata: b})
	if !bytes.Equal(encodedA, encodedB) {
		t.Error("equal metadata inserted in different orders encodes to different bytes")
	}
	if len(first) == 0 {
		t.Error("no encoding was made")
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	msg := newDeviceEvent()
	msg.SetStatus(200).SetIncludeSpans(true)
	msg.Headers = []string{"a", "b"}
	msg.PartnerIDs = []string{"comcast"}
	msg.Spans = [][]string{{"parent", "name"}}
	for i := len(msg.Metadata); i < metadataOnStack; i++ {
		msg.Metadata[fmt.Sprint("extra-", i)] = "x"
	}

	dst := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if dst, err = Encode(dst[:0], msg); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Encode allocated %v times per call with a reused buffer, want 0", allocs)
	}
}

func TestCheckLength(t *testing.T) {
	if math.MaxInt == math.MaxInt32 {
		t.Skip("lengths over 4 GiB cannot occur with a 32-bit int")
	}

	if err := checkLength("payload", math.MaxUint32); err != nil {
		t.Errorf("checkLength(MaxUint32) = %v, want nil", err)
	}

	err := checkLength("payload", math.MaxUint32+1)
	want := "payload has length 4294967296, more than msgpack's limit of 4294967295: shorten it"
	if err == nil || err.Error() != want {
		t.Errorf("checkLength(MaxUint32+1) = %v, want %q", err, want)
	}
}

func BenchmarkEncode(b *testing.B) {
	msg := newDeviceEvent()

	b.Run("router-reused-buffer", func(b *testing.B) {
		dst := make([]byte, 0, 1024)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if dst, err = Encode(dst[:0], msg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(dst)), "bytes/msg")
	})

	b.Run("wrp-go-new-encoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out []byte
			if err := wrp.NewEncoderBytes(&out, wrp.Msgpack).Encode(msg); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("wrp-go-reused-encoder", func(b *testing.B) {
		out := make([]byte, 0, 1024)
		encoder := wrp.NewEncoderBytes(&out, wrp.Msgpack)
		b.ReportAllocs()
		for b.Loop() {
			out = out[:0]
			encoder.ResetBytes(&out)
			if err := encoder.Encode(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
