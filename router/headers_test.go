package router

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"
)

// fullMessage returns a message with every field that a header can reference.
func fullMessage() *wrp.Message {
	msg := &wrp.Message{
		Type:            wrp.SimpleRequestResponseMessageType,
		Source:          deviceID,
		Destination:     "dns:scytale.example.com/api",
		TransactionUUID: fixtureUUID,
		ContentType:     "application/json",
		Accept:          "application/msgpack",
		Path:            "/config",
		ServiceName:     "config",
		URL:             "tcp://127.0.0.1:6666",
		SessionID:       "session-1",
		PartnerIDs:      []string{"comcast", "sky"},
		Metadata:        map[string]string{"/hw-model": "TG3482G", "region": "east"},

		QualityOfService: 75,
	}
	msg.SetStatus(-200).SetRequestDeliveryResponse(3)
	return msg
}

func headerMap(headers []kgo.RecordHeader) map[string]string {
	m := make(map[string]string, len(headers))
	for _, h := range headers {
		m[h.Key] = string(h.Value)
	}
	return m
}

func TestHeadersReferences(t *testing.T) {
	cfg := map[string]string{
		"type":     "wrp.Type",
		"src":      "wrp.Source",
		"dst":      "wrp.Destination",
		"tid":      "wrp.TransactionUUID",
		"ct":       "wrp.ContentType",
		"accept":   "wrp.Accept",
		"status":   "wrp.Status",
		"rdr":      "wrp.RequestDeliveryResponse",
		"path":     "wrp.Path",
		"service":  "wrp.ServiceName",
		"url":      "wrp.URL",
		"session":  "wrp.SessionID",
		"qos":      "wrp.QualityOfService",
		"partners": "wrp.PartnerIDs",
		"model":    "wrp.Metadata./hw-model",
		"lower":    "wrp.source",
		"upper":    "wrp.SOURCE",
		"meta":     "wrp.METADATA.region",
		"instance": "talaria-1",
		"notref":   "WRP.Source",
		"empty":    "",
	}
	want := map[string]string{
		"type":     "SimpleRequestResponse",
		"src":      deviceID,
		"dst":      "dns:scytale.example.com/api",
		"tid":      fixtureUUID,
		"ct":       "application/json",
		"accept":   "application/msgpack",
		"status":   "-200",
		"rdr":      "3",
		"path":     "/config",
		"service":  "config",
		"url":      "tcp://127.0.0.1:6666",
		"session":  "session-1",
		"qos":      "75",
		"partners": "comcast,sky",
		"model":    "TG3482G",
		"lower":    deviceID,
		"upper":    deviceID,
		"meta":     "east",
		"instance": "talaria-1",
		"notref":   "WRP.Source",
		"empty":    "",
	}

	headers, warnings, err := CompileHeaders(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q, want none", warnings)
	}
	if headers.Len() != len(cfg) {
		t.Errorf("Len() = %d, want %d", headers.Len(), len(cfg))
	}

	got := headerMap(headers.Append(nil, fullMessage()))
	for name, value := range want {
		if got[name] != value {
			t.Errorf("header %q = %q, want %q", name, got[name], value)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d headers, want %d", len(got), len(want))
	}
}

func TestHeadersSortedByName(t *testing.T) {
	headers, _, err := CompileHeaders(map[string]string{"c": "3", "a": "1", "B": "2", "b": "wrp.Source"})
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, h := range headers.Append(nil, fullMessage()) {
		names = append(names, h.Key)
	}
	if got := strings.Join(names, ","); got != "B,a,b,c" {
		t.Errorf("order = %s, want B,a,b,c", got)
	}
}

func TestHeadersOmitEmptyValues(t *testing.T) {
	headers, _, err := CompileHeaders(map[string]string{
		"src":      "wrp.Source",
		"status":   "wrp.Status",
		"rdr":      "wrp.RequestDeliveryResponse",
		"partners": "wrp.PartnerIDs",
		"missing":  "wrp.Metadata.region",
		"case":     "wrp.Metadata.Region",
		"qos":      "wrp.QualityOfService",
		"type":     "wrp.Type",
		"literal":  "x",
	})
	if err != nil {
		t.Fatal(err)
	}

	msg := &wrp.Message{
		Type:       wrp.AuthorizationMessageType,
		PartnerIDs: []string{""},
		Metadata:   map[string]string{"region": ""},
	}
	got := headerMap(headers.Append(nil, msg))
	want := map[string]string{"qos": "0", "type": "Authorization", "literal": "x"}
	if len(got) != len(want) {
		t.Errorf("headers = %q, want %q", got, want)
	}
	for name, value := range want {
		if got[name] != value {
			t.Errorf("header %q = %q, want %q", name, got[name], value)
		}
	}

	if got := headerMap(headers.Append(nil, nil)); len(got) != 3 {
		t.Errorf("headers for a nil message = %q, want qos, type and literal", got)
	}
}

func TestHeadersTypeNames(t *testing.T) {
	headers, _, err := CompileHeaders(map[string]string{"type": "wrp.Type"})
	if err != nil {
		t.Fatal(err)
	}

	tests := map[wrp.MessageType]string{
		wrp.SimpleEventMessageType:           "SimpleEvent",
		wrp.CreateMessageType:                "Create",
		wrp.ServiceAliveMessageType:          "ServiceAlive",
		wrp.UnknownMessageType:               "Unknown",
		wrp.AuthorizationMessageType:         "Authorization",
		wrp.Invalid0MessageType:              "Invalid0",
		wrp.LastMessageType:                  "12",
		wrp.MessageType(-1):                  "-1",
		wrp.MessageType(1<<62 + 1):           "4611686018427387905",
		wrp.SimpleRequestResponseMessageType: "SimpleRequestResponse",
	}
	for messageType, want := range tests {
		got := headerMap(headers.Append(nil, &wrp.Message{Type: messageType}))
		if got["type"] != want {
			t.Errorf("type header for %d = %q, want %q", int64(messageType), got["type"], want)
		}
	}
}

func TestHeadersUnknownReferences(t *testing.T) {
	headers, warnings, err := CompileHeaders(map[string]string{
		"z-foo":     "wrp.Foo",
		"a-nokey":   "wrp.Metadata.",
		"m-bare":    "wrp.",
		"h-headers": "wrp.Headers",
		"s-dotted":  "wrp.SessİonID", // U+0130 lower-cases to 'i', but only ASCII case is ignored
		"ok":        "wrp.Source",
	})
	if err != nil {
		t.Fatal(err)
	}
	if headers.Len() != 1 {
		t.Errorf("Len() = %d, want 1: unknown references must be dropped", headers.Len())
	}

	wantPrefixes := []string{
		`headers: header "a-nokey" references unknown field "wrp.Metadata." and is dropped: use wrp.Type, `,
		`headers: header "h-headers" references unknown field "wrp.Headers"`,
		`headers: header "m-bare" references unknown field "wrp."`,
		`headers: header "s-dotted" references unknown field "wrp.SessİonID"`,
		`headers: header "z-foo" references unknown field "wrp.Foo"`,
	}
	if len(warnings) != len(wantPrefixes) {
		t.Fatalf("warnings = %q, want %d", warnings, len(wantPrefixes))
	}
	for i, prefix := range wantPrefixes {
		if !strings.HasPrefix(warnings[i], prefix) {
			t.Errorf("warnings[%d] = %q, want prefix %q", i, warnings[i], prefix)
		}
		if !strings.HasSuffix(warnings[i], "wrp.PartnerIDs or wrp.Metadata.<key>") {
			t.Errorf("warnings[%d] = %q, want it to list the valid fields", i, warnings[i])
		}
	}
}

func TestHeadersEmptyName(t *testing.T) {
	_, _, err := CompileHeaders(map[string]string{"": "wrp.Source", "ok": "x"})
	want := `headers: a header name is empty (value "wrp.Source"): give every header a name`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestHeadersValuesDoNotOverlap(t *testing.T) {
	headers, _, err := CompileHeaders(map[string]string{"a": "wrp.Source", "b": "wrp.Destination"})
	if err != nil {
		t.Fatal(err)
	}

	out := headers.Append(nil, fullMessage())
	_ = append(out[0].Value, "XXXXXXXX"...)
	if got := string(out[1].Value); got != "dns:scytale.example.com/api" {
		t.Errorf("appending to one value changed the next to %q", got)
	}
}

func TestHeadersZeroValue(t *testing.T) {
	var headers Headers
	if got := headers.Append(nil, fullMessage()); len(got) != 0 {
		t.Errorf("zero Headers appended %d headers, want 0", len(got))
	}
}

func TestHeadersAllocations(t *testing.T) {
	literals, _, err := CompileHeaders(map[string]string{"a": "1", "b": "2"})
	if err != nil {
		t.Fatal(err)
	}
	references, _, err := CompileHeaders(benchmarkHeaderConfig)
	if err != nil {
		t.Fatal(err)
	}

	typeOnly, _, err := CompileHeaders(map[string]string{"type": "wrp.Type"})
	if err != nil {
		t.Fatal(err)
	}

	// SimpleRequestResponse is the longest type name, longer than any int64
	// in decimal.
	requestResponse := &wrp.Message{Type: wrp.SimpleRequestResponseMessageType}

	dst := make([]kgo.RecordHeader, 0, 16)
	tests := []struct {
		name    string
		headers Headers
		msg     *wrp.Message
		want    float64
	}{
		{name: "literals", headers: literals, msg: newDeviceEvent(), want: 0},
		{name: "references", headers: references, msg: newDeviceEvent(), want: 1},
		{name: "longest type name", headers: typeOnly, msg: requestResponse, want: 1},
	}
	for _, tt := range tests {
		allocs := testing.AllocsPerRun(100, func() { tt.headers.Append(dst[:0], tt.msg) })
		if allocs != tt.want {
			t.Errorf("%s: Append allocated %v times, want %v", tt.name, allocs, tt.want)
		}
	}
}

var benchmarkHeaderConfig = map[string]string{
	"wrp-type":          "wrp.Type",
	"wrp-source":        "wrp.Source",
	"wrp-destination":   "wrp.Destination",
	"wrp-transaction":   "wrp.TransactionUUID",
	"wrp-partner":       "wrp.Metadata.partner-id",
	"X-Source-Instance": "talaria-1",
}

func BenchmarkHeadersAppend(b *testing.B) {
	headers, _, err := CompileHeaders(benchmarkHeaderConfig)
	if err != nil {
		b.Fatal(err)
	}
	msg := newDeviceEvent()
	dst := make([]kgo.RecordHeader, 0, headers.Len())

	b.ReportAllocs()
	for b.Loop() {
		dst = headers.Append(dst[:0], msg)
	}
}
