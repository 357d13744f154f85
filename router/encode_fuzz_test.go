package router

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
)

// Separators of the lists that FuzzEncodeRoundTrip reads from its string
// arguments. They are control characters that a seed rarely needs inside an
// entry.
const (
	fuzzItemSeparator = "\x1f" // between list entries, and between metadata keys and values
	fuzzSpanSeparator = "\x1e" // between spans
	fuzzNilSpan       = "\x1d" // a span that is exactly this is a nil []string
	fuzzEmptySpan     = "\x1c" // a span that is exactly this is an empty []string
)

// Bits of the flags argument of FuzzEncodeRoundTrip.
const (
	encodeHasStatus         = 1 << iota // set Status
	encodeHasRDR                        // set RequestDeliveryResponse
	encodeHasIncludeSpans               // set IncludeSpans
	encodeIncludeSpansValue             // the value of IncludeSpans
	encodeEmptyNotNil                   // empty lists, maps and payload are empty, not nil
	encodePadShift          = 5         // the top 3 bits pick a padded length from encodePadLengths
)

// encodePadLengths are the lengths to which FuzzEncodeRoundTrip pads Source,
// Destination and Payload: mostly none, so that most runs stay fast, then
// past str8 and bin8 (255 bytes) and past str16 and bin16 (65535 bytes). The
// fuzzer itself seldom produces values that long.
var encodePadLengths = [8]int{6: 300, 7: 70000}

// encodeSeed holds the arguments of one FuzzEncodeRoundTrip seed.
type encodeSeed struct {
	msgType                                                   int64
	source, destination, transactionUUID, contentType, accept string
	path, serviceName, url, sessionID                         string
	payload                                                   []byte
	metadata, headers, partnerIDs, spans                      string
	status, rdr, qos                                          int64
	flags                                                     uint8
}

// manyMetadataEntries is metadata text with more entries than Encode sorts
// on the stack, in reverse key order.
func manyMetadataEntries(n int) string {
	parts := make([]string, 0, 2*n)
	for i := n; i > 0; i-- {
		parts = append(parts, "/key-"+strings.Repeat("z", i), "v")
	}
	return strings.Join(parts, fuzzItemSeparator)
}

// encodeSeeds cover the fixture message, empty and nil fields, every msgpack
// integer form, invalid UTF-8, nil and empty spans, more metadata entries
// than Encode sorts on the stack, and the padded lengths.
var encodeSeeds = []encodeSeed{
	{},
	{flags: encodeEmptyNotNil},
	{
		msgType:         int64(wrp.SimpleEventMessageType),
		source:          deviceID,
		destination:     onlineDest,
		transactionUUID: fixtureUUID,
		contentType:     "application/json",
		payload:         fixturePayload(),
		metadata:        "/hw-deviceid\x1fmac:112233445566\x1f/hw-model\x1fTG3482G\x1fregion\x1feast",
		qos:             int64(wrp.QOSMediumValue),
	},
	{
		msgType:     int64(wrp.SimpleRequestResponseMessageType),
		source:      "dns:scytale.example.com",
		destination: "mac:112233445566/config",
		accept:      "application/msgpack",
		path:        "/config",
		serviceName: "config",
		url:         "tcp://127.0.0.1:6666",
		sessionID:   "session-1",
		headers:     "X-A: 1\x1fX-B: 2",
		partnerIDs:  "comcast\x1fsky",
		spans:       "parent\x1fname\x1fstart\x1e\x1d\x1e\x1c",
		status:      200,
		rdr:         1,
		flags:       encodeHasStatus | encodeHasRDR | encodeHasIncludeSpans | encodeIncludeSpansValue,
	},
	{msgType: -1, status: -33, rdr: -129, qos: 128, flags: encodeHasStatus | encodeHasRDR | encodeHasIncludeSpans},
	{msgType: math.MaxInt64, status: math.MinInt64, rdr: math.MaxInt32 + 1, qos: math.MinInt32 - 1, flags: encodeHasStatus | encodeHasRDR},
	{msgType: 255, status: 32768, rdr: -32769, qos: 65536, flags: encodeHasStatus | encodeHasRDR},
	{source: "\xff\x00ü€😀", metadata: "\xff\x1f\x00", headers: "\x1f", partnerIDs: "\x1f\x1f", payload: []byte{0, 0xff}},
	{metadata: "\x1f", spans: "\x1e"},
	{metadata: manyMetadataEntries(17)},
	{metadata: manyMetadataEntries(40), flags: encodeEmptyNotNil},
	{source: "s", destination: "d", payload: []byte("p"), flags: 6 << encodePadShift},
	{source: "é", destination: "event:x", payload: []byte{1, 2, 3}, flags: 7 << encodePadShift},
}

func FuzzEncodeRoundTrip(f *testing.F) {
	for _, s := range encodeSeeds {
		f.Add(s.msgType, s.source, s.destination, s.transactionUUID, s.contentType, s.accept,
			s.path, s.serviceName, s.url, s.sessionID, s.payload,
			s.metadata, s.headers, s.partnerIDs, s.spans,
			s.status, s.rdr, s.qos, s.flags)
	}

	f.Fuzz(func(t *testing.T, msgType int64,
		source, destination, transactionUUID, contentType, accept string,
		pathField, serviceName, url, sessionID string, payload []byte,
		metadata, headers, partnerIDs, spans string,
		status, rdr, qos int64, flags uint8,
	) {
		emptyNotNil := flags&encodeEmptyNotNil != 0
		padLength := encodePadLengths[flags>>encodePadShift]

		msg := &wrp.Message{
			Type:             wrp.MessageType(msgType),
			Source:           padString(source, padLength),
			Destination:      padString(destination, padLength),
			TransactionUUID:  transactionUUID,
			ContentType:      contentType,
			Accept:           accept,
			Headers:          fuzzList(headers, emptyNotNil),
			Metadata:         fuzzMetadata(metadata, emptyNotNil),
			Spans:            fuzzSpans(spans, emptyNotNil),
			Path:             pathField,
			Payload:          padBytes(payload, padLength, emptyNotNil),
			ServiceName:      serviceName,
			URL:              url,
			PartnerIDs:       fuzzList(partnerIDs, emptyNotNil),
			SessionID:        sessionID,
			QualityOfService: wrp.QOSValue(qos),
		}
		if flags&encodeHasStatus != 0 {
			msg.SetStatus(status)
		}
		if flags&encodeHasRDR != 0 {
			msg.SetRequestDeliveryResponse(rdr)
		}
		if flags&encodeHasIncludeSpans != 0 {
			msg.SetIncludeSpans(flags&encodeIncludeSpansValue != 0)
		}

		encoded := checkRoundTrip(t, msg)

		again, err := Encode(nil, msg)
		if err != nil {
			t.Fatalf("second Encode error = %v", err)
		}
		if !bytes.Equal(encoded, again) {
			t.Errorf("two encodings of one message differ:\nfirst  %x\nsecond %x", encoded, again)
		}

		// With at most one metadata entry the map order cannot differ, so the
		// bytes must equal wrp-go's own encoding.
		if len(msg.Metadata) <= 1 {
			if theirs := encodeWRP(t, msg); !bytes.Equal(encoded, theirs) {
				t.Errorf("encoding differs from wrp-go's:\nours   %x\nwrp-go %x", encoded, theirs)
			}
		}
	})
}

// fuzzList splits s at fuzzItemSeparator. An empty s is an empty list when
// emptyNotNil is set, and nil otherwise.
func fuzzList(s string, emptyNotNil bool) []string {
	if s == "" {
		if emptyNotNil {
			return []string{}
		}
		return nil
	}
	return strings.Split(s, fuzzItemSeparator)
}

// fuzzMetadata reads s as keys and values alternating, separated by
// fuzzItemSeparator. A key without a value gets "", and a repeated key keeps
// its last value.
func fuzzMetadata(s string, emptyNotNil bool) map[string]string {
	items := fuzzList(s, emptyNotNil)
	if items == nil {
		return nil
	}

	metadata := make(map[string]string, len(items)/2+1)
	for i := 0; i < len(items); i += 2 {
		value := ""
		if i+1 < len(items) {
			value = items[i+1]
		}
		metadata[items[i]] = value
	}
	return metadata
}

// fuzzSpans splits s at fuzzSpanSeparator into spans, each read with
// fuzzList, except that fuzzNilSpan and fuzzEmptySpan stand for a nil and an
// empty span.
func fuzzSpans(s string, emptyNotNil bool) [][]string {
	if s == "" {
		if emptyNotNil {
			return [][]string{}
		}
		return nil
	}

	parts := strings.Split(s, fuzzSpanSeparator)
	spans := make([][]string, len(parts))
	for i, part := range parts {
		switch part {
		case fuzzNilSpan:
		case fuzzEmptySpan:
			spans[i] = []string{}
		default:
			spans[i] = strings.Split(part, fuzzItemSeparator)
		}
	}
	return spans
}

// padString repeats s, or "x" when s is empty, until it is n bytes long. It
// returns s unchanged when s is already at least n bytes long.
func padString(s string, n int) string {
	if len(s) >= n {
		return s
	}

	unit := s
	if unit == "" {
		unit = "x"
	}
	return strings.Repeat(unit, n/len(unit)+1)[:n]
}

// padBytes is padString for the payload. An empty, unpadded payload is empty
// when emptyNotNil is set, and nil otherwise.
func padBytes(b []byte, n int, emptyNotNil bool) []byte {
	if len(b) == 0 && n == 0 {
		if emptyNotNil {
			return []byte{}
		}
		return nil
	}
	return []byte(padString(string(b), n))
}
