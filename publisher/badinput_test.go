package publisher

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/metrics"
)

// Malformed and hostile messages: each yields one clear result (a rejection,
// an error outcome, or a successful outcome when the input is odd but
// valid), never a panic, and never more than one outcome.
func TestBadInputMessages(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.TopicMap = []TopicRoute{
		{Pattern: "device-status", Topic: "device-lifecycle"},
		{Pattern: "iot-*", Topics: []string{"iot-east", "iot-west"}, ShardBy: "metadata:region"},
		// Everything but event types starting with z, so one case finds no route.
		// Go's path.Match negates a class with ^, not !.
		{Pattern: "[^z]*", Topic: "device-events"},
	}
	cfg.Headers = map[string]string{"src": "wrp.Source", "tx": "wrp.TransactionUUID", "literal": "\xff\xfe"}
	cfg.MaxMessageBytes = 1 << 20
	d := startDispatcher(t, cfg, WithResults(64))

	const device = "mac:112233445566"
	bigMetadata := map[string]string{}
	for i := range 10000 {
		bigMetadata[fmt.Sprintf("key-%05d", i)] = "v"
	}
	bad := string([]byte{0xff, 0xfe, 'x'})

	cases := []struct {
		name      string
		msg       *wrp.Message
		rejected  error  // a rejection the call returns
		errorType string // the outcome's error type; "" for success
		mention   string // a part of the error text naming the value
		wantKey   string // the partition key of a successful outcome
	}{
		{name: "nil message", msg: nil, rejected: ErrNilMessage},
		{name: "empty message", msg: &wrp.Message{}, errorType: metrics.ErrorTypeInvalidDestination},
		{name: "empty source", msg: &wrp.Message{Destination: "event:x/" + device}, wantKey: device},
		{name: "empty source and no device", msg: &wrp.Message{Destination: "event:x"}, wantKey: ""},
		{name: "unparsable source", msg: &wrp.Message{Source: "not a locator", Destination: "event:x"}, wantKey: ""},
		{name: "source is a service", msg: &wrp.Message{Source: "dns:talaria.example.com", Destination: "event:x"}, wantKey: ""},
		{name: "source with bad mac", msg: &wrp.Message{Source: "mac:1122", Destination: "event:x/" + device}, wantKey: device},
		{name: "source self", msg: &wrp.Message{Source: "self:", Destination: "event:x"}, wantKey: ""},
		{name: "source upper case mac", msg: &wrp.Message{Source: "MAC:11-22-33-44-55-66", Destination: "event:x"}, wantKey: device},
		{name: "metadata device invalid", msg: &wrp.Message{Source: device, Destination: "event:x", Metadata: map[string]string{"/hw-deviceid": "mac:zz"}}, wantKey: device},
		{name: "empty destination", msg: &wrp.Message{Source: device}, errorType: metrics.ErrorTypeInvalidDestination, mention: "destination"},
		{name: "device destination", msg: &wrp.Message{Source: device, Destination: device + "/config"}, errorType: metrics.ErrorTypeInvalidDestination, mention: device + "/config"},
		{name: "dns destination", msg: &wrp.Message{Source: device, Destination: "dns:caduceus.example.com"}, errorType: metrics.ErrorTypeInvalidDestination, mention: "caduceus"},
		{name: "event without type", msg: &wrp.Message{Source: device, Destination: "event:"}, errorType: metrics.ErrorTypeInvalidDestination, mention: "event:"},
		{name: "event with empty type", msg: &wrp.Message{Source: device, Destination: "event:/" + device}, errorType: metrics.ErrorTypeInvalidDestination},
		{name: "event with blank type", msg: &wrp.Message{Source: device, Destination: "event:   /x"}, errorType: metrics.ErrorTypeInvalidDestination},
		{name: "no scheme", msg: &wrp.Message{Source: device, Destination: "device-status"}, errorType: metrics.ErrorTypeInvalidDestination, mention: "device-status"},
		{name: "upper case scheme", msg: &wrp.Message{Source: device, Destination: "EVENT:device-status/" + device}, wantKey: device},
		{name: "spaces around type", msg: &wrp.Message{Source: device, Destination: "event: device-status /" + device}, wantKey: device},
		{name: "very long destination", msg: &wrp.Message{Source: device, Destination: "event:" + strings.Repeat("a", 100000)}, wantKey: device},
		{name: "long invalid destination", msg: &wrp.Message{Source: device, Destination: strings.Repeat("b", 100000)}, errorType: metrics.ErrorTypeInvalidDestination, mention: "bbbb"},
		{name: "nul in event type", msg: &wrp.Message{Source: device, Destination: "event:a\x00b"}, wantKey: device},
		{name: "metadata empty key", msg: &wrp.Message{Source: device, Destination: "event:x", Metadata: map[string]string{"": "v"}}, wantKey: device},
		{name: "metadata 10000 entries", msg: &wrp.Message{Source: device, Destination: "event:x", Metadata: bigMetadata}, wantKey: device},
		{name: "metadata shard value empty", msg: &wrp.Message{Source: device, Destination: "event:iot-x", Metadata: map[string]string{"region": ""}}, wantKey: device},
		{name: "payload over the limit", msg: &wrp.Message{Source: device, Destination: "event:x", Payload: make([]byte, 2<<20)}, errorType: metrics.ErrorTypeMessageTooLarge, mention: "1048576"},
		{name: "metadata over the limit", msg: &wrp.Message{Source: device, Destination: "event:x", Metadata: map[string]string{"k": strings.Repeat("v", 2<<20)}}, errorType: metrics.ErrorTypeMessageTooLarge},
		{name: "non-utf8 source header", msg: &wrp.Message{Source: device + "/" + bad, Destination: "event:x"}, wantKey: device},
		{name: "non-utf8 metadata", msg: &wrp.Message{Source: device, Destination: "event:x", Metadata: map[string]string{bad: bad}}, wantKey: device},
		{name: "unknown message type", msg: &wrp.Message{Type: 999, Source: device, Destination: "event:x"}, wantKey: device},
		{name: "negative qos", msg: &wrp.Message{Source: device, Destination: "event:x", QualityOfService: -5}, wantKey: device},
		{name: "spans with nil entry", msg: &wrp.Message{Source: device, Destination: "event:x", Spans: [][]string{nil, {"a"}}}, wantKey: device},
		{name: "no route", msg: &wrp.Message{Source: device, Destination: "event:zebra/" + device}, errorType: metrics.ErrorTypeNoTopicMatch, mention: "zebra"},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := d.ProduceSync(context.Background(), tc.msg)

			if tc.rejected != nil {
				if !errors.Is(err, tc.rejected) {
					t.Fatalf("ProduceSync = %v, want %v", err, tc.rejected)
				}
				return
			}

			o := <-d.Results()
			if o.Message != tc.msg {
				t.Fatal("the outcome belongs to another message")
			}
			if o.ErrorType != tc.errorType {
				t.Fatalf("outcome error type %q (%v), want %q", o.ErrorType, o.Err, tc.errorType)
			}
			if tc.errorType != "" {
				if err == nil || !errors.Is(err, o.Err) && err.Error() != o.Err.Error() {
					t.Errorf("ProduceSync returned %v, outcome says %v", err, o.Err)
				}
				if !strings.Contains(err.Error(), tc.mention) {
					t.Errorf("error %q does not mention %q", err, tc.mention)
				}
				if len(err.Error()) > 2000 {
					t.Errorf("error text is %d bytes long", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatalf("ProduceSync = %v, want success", err)
			}
			if o.Key != tc.wantKey {
				t.Errorf("key %q, want %q", o.Key, tc.wantKey)
			}
		})
	}

	select {
	case o := <-d.Results():
		t.Errorf("an extra outcome arrived: %+v", o)
	default:
	}
}

// Every message that succeeded above must also decode back to itself; this
// checks the stranger ones directly against the records.
func TestBadInputRoundTrip(t *testing.T) {
	c := newCluster(t)
	d := startDispatcher(t, testConfig(c))
	bad := string([]byte{0xff, 0xfe, 'x'})
	status := int64(-1)
	include := false
	msgs := []*wrp.Message{
		{Type: 999, Source: "mac:112233445566", Destination: "event:x", TransactionUUID: "a"},
		{Source: "mac:112233445566", Destination: "event:x", TransactionUUID: "b", Metadata: map[string]string{"": bad, bad: ""}},
		{Source: "mac:112233445566", Destination: "event:x", TransactionUUID: "c", QualityOfService: -5, Status: &status, IncludeSpans: &include},
		{Source: "mac:112233445566" + bad, Destination: "event:x" + bad, TransactionUUID: "d", Headers: []string{bad}, PartnerIDs: []string{""}},
	}
	for _, m := range msgs {
		if err := d.ProduceSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	records := consumeAll(t, c, []string{"device-events"}, len(msgs), 10*time.Second)
	for _, r := range records {
		for _, m := range msgs {
			if m.TransactionUUID == r.msg.TransactionUUID && !reflect.DeepEqual(&r.msg, m) {
				t.Errorf("message %s decodes to\n%+v\nwant\n%+v", m.TransactionUUID, r.msg, *m)
			}
		}
	}
	if len(records) != len(msgs) {
		t.Errorf("consumed %d records, want %d", len(records), len(msgs))
	}
}
