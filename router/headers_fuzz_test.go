package router

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"
)

// headersSeed holds the arguments of one FuzzHeaders seed. config has one
// header per line, its name and value separated by the first tab. text is
// the value of every string field that is not a separate argument.
type headersSeed struct {
	config                     string
	msgType                    int64
	source, text, partnerIDs   string
	metadataKey, metadataValue string
	status, rdr, qos           int64
	flags                      uint8
}

// Bits of the flags argument of FuzzHeaders.
const (
	headersHasStatus  = 1 << iota // set Status
	headersHasRDR                 // set RequestDeliveryResponse
	headersNilMessage             // pass a nil message to Append
)

// allReferencesConfig references every field once, in mixed case.
const allReferencesConfig = "type\twrp.Type\nsrc\twrp.Source\ndst\twrp.destination\ntid\twrp.TRANSACTIONUUID\n" +
	"ct\twrp.ContentType\naccept\twrp.Accept\nstatus\twrp.Status\nrdr\twrp.RequestDeliveryResponse\n" +
	"path\twrp.Path\nservice\twrp.ServiceName\nurl\twrp.URL\nsession\twrp.SessionID\n" +
	"qos\twrp.QualityOfService\npartners\twrp.PartnerIDs\nmodel\twrp.Metadata./hw-model\n" +
	"meta\twrp.METADATA.region\nliteral\ttalaria-1"

// headersSeeds cover every reference, literals, empty and unknown
// references, an empty header name, the longest type name, integer
// extremes, empty fields and a nil message.
var headersSeeds = []headersSeed{
	{
		config:        allReferencesConfig,
		msgType:       int64(wrp.SimpleRequestResponseMessageType),
		source:        deviceID,
		text:          "value",
		partnerIDs:    "comcast,sky",
		metadataKey:   "/hw-model",
		metadataValue: "TG3482G",
		status:        -200,
		rdr:           3,
		qos:           75,
		flags:         headersHasStatus | headersHasRDR,
	},
	{config: allReferencesConfig, msgType: -1 << 63, status: -1 << 63, qos: 1<<63 - 1, flags: headersHasStatus},
	{config: allReferencesConfig, msgType: 1<<62 + 1, partnerIDs: ",", flags: headersNilMessage},
	{config: "type\twrp.Type", msgType: int64(wrp.SimpleRequestResponseMessageType)},
	{config: "a\t1\nb\t2\nc\t"},
	{config: "z-foo\twrp.Foo\na-nokey\twrp.Metadata.\nm-bare\twrp.\nh\twrp.Headers\nok\twrp.Source", source: "s"},
	{config: "\twrp.Source\nok\tx"},
	{config: "x\twrp.SessİonID\ny\twrp.ſource\nz\twrp.metadata.ſ", text: "t", source: "s", metadataKey: "ſ", metadataValue: "v"},
	{config: "b\twrp.Source\nB\twrp.Source\né\twrp.Source\n\xff\twrp.Source", source: "\xff"},
}

func FuzzHeaders(f *testing.F) {
	for _, s := range headersSeeds {
		f.Add(s.config, s.msgType, s.source, s.text, s.partnerIDs, s.metadataKey, s.metadataValue,
			s.status, s.rdr, s.qos, s.flags)
	}

	f.Fuzz(func(t *testing.T, config string, msgType int64, source, text, partnerIDs, metadataKey, metadataValue string,
		status, rdr, qos int64, flags uint8,
	) {
		cfg := make(map[string]string)
		for _, line := range strings.Split(config, "\n") {
			name, value, _ := strings.Cut(line, "\t")
			cfg[name] = value
		}

		headers, warnings, err := CompileHeaders(cfg)
		if _, hasEmptyName := cfg[""]; hasEmptyName {
			if err == nil {
				t.Errorf("CompileHeaders(%q) returned no error for an empty header name", cfg)
			}
			return
		}
		if err != nil {
			t.Fatalf("CompileHeaders(%q) error = %v", cfg, err)
		}

		known := 0
		for _, value := range cfg {
			if _, ok := expectedHeaderValue(value, &wrp.Message{}); ok {
				known++
			}
		}
		if headers.Len() != known || len(warnings) != len(cfg)-known {
			t.Errorf("CompileHeaders(%q) kept %d headers with %d warnings, want %d and %d",
				cfg, headers.Len(), len(warnings), known, len(cfg)-known)
		}

		msg := &wrp.Message{
			Type:             wrp.MessageType(msgType),
			Source:           source,
			Destination:      text,
			TransactionUUID:  text,
			ContentType:      text,
			Accept:           text,
			Path:             text,
			ServiceName:      text,
			URL:              text,
			SessionID:        text,
			Metadata:         map[string]string{metadataKey: metadataValue},
			QualityOfService: wrp.QOSValue(qos),
		}
		if partnerIDs != "" {
			msg.PartnerIDs = strings.Split(partnerIDs, ",")
		}
		if flags&headersHasStatus != 0 {
			msg.SetStatus(status)
		}
		if flags&headersHasRDR != 0 {
			msg.SetRequestDeliveryResponse(rdr)
		}
		if flags&headersNilMessage != 0 {
			msg = nil
		}

		checkAppend(t, headers, cfg, msg)
	})
}

// checkAppend checks the headers Append adds for msg against cfg: sorted by
// name, with the expected values, empty references left out, and values that
// do not share spare capacity.
func checkAppend(t *testing.T, headers Headers, cfg map[string]string, msg *wrp.Message) {
	t.Helper()

	reference := msg
	if reference == nil {
		reference = &wrp.Message{}
	}

	for i := range headers.headers {
		h := &headers.headers[i]
		if n, limit := len(h.appendValue(nil, reference)), h.maxValueLen(reference); n > limit {
			t.Errorf("header %q: appendValue added %d bytes, but maxValueLen is %d", h.name, n, limit)
		}
	}

	existing := kgo.RecordHeader{Key: "existing", Value: []byte("v")}
	out := headers.Append([]kgo.RecordHeader{existing}, msg)

	if len(out) == 0 || out[0].Key != existing.Key {
		t.Fatalf("Append did not keep the header already in dst: %v", out)
	}
	out = out[1:]

	// A literal is added even when it is empty, and a reference only when
	// its field is not.
	var wantNames []string
	for name, value := range cfg {
		want, ok := expectedHeaderValue(value, reference)
		if ok && (want != "" || !strings.HasPrefix(value, fieldPrefix)) {
			wantNames = append(wantNames, name)
		}
	}
	if len(out) != len(wantNames) {
		t.Errorf("Append added %d headers, want %d (%q)", len(out), len(wantNames), wantNames)
	}

	for i, h := range out {
		if i > 0 && out[i-1].Key >= h.Key {
			t.Errorf("Append added %q after %q, want strictly increasing names", h.Key, out[i-1].Key)
		}

		want, ok := expectedHeaderValue(cfg[h.Key], reference)
		if !ok || string(h.Value) != want {
			t.Errorf("header %q = %q, want %q (config %q)", h.Key, h.Value, want, cfg[h.Key])
		}
	}

	// Appending to one value must not change the others.
	before := make([][]byte, len(out))
	for i, h := range out {
		before[i] = bytes.Clone(h.Value)
	}
	for i := range out {
		if !strings.HasPrefix(cfg[out[i].Key], fieldPrefix) {
			continue // literals are shared by every call, as Append documents
		}
		_ = append(out[i].Value, "overwrite"...)
		for j := range out {
			if !bytes.Equal(out[j].Value, before[j]) {
				t.Fatalf("appending to header %q changed header %q to %q", out[i].Key, out[j].Key, out[j].Value)
			}
		}
	}
}

// expectedHeaderValue computes a header's value from its configured value
// and the documentation of CompileHeaders. ok is false for an unknown
// reference. Field names are matched ignoring ASCII case only.
func expectedHeaderValue(value string, msg *wrp.Message) (want string, ok bool) {
	field, isReference := strings.CutPrefix(value, "wrp.")
	if !isReference {
		return value, true
	}

	const metadata = "metadata."
	if len(field) >= len(metadata) && asciiLower(field[:len(metadata)]) == metadata {
		key := field[len(metadata):]
		return msg.Metadata[key], key != ""
	}

	switch asciiLower(field) {
	case "type":
		return expectedTypeName(msg.Type), true
	case "source":
		return msg.Source, true
	case "destination":
		return msg.Destination, true
	case "transactionuuid":
		return msg.TransactionUUID, true
	case "contenttype":
		return msg.ContentType, true
	case "accept":
		return msg.Accept, true
	case "status":
		return optionalInt(msg.Status), true
	case "requestdeliveryresponse":
		return optionalInt(msg.RequestDeliveryResponse), true
	case "path":
		return msg.Path, true
	case "servicename":
		return msg.ServiceName, true
	case "url":
		return msg.URL, true
	case "sessionid":
		return msg.SessionID, true
	case "qualityofservice":
		return strconv.FormatInt(int64(msg.QualityOfService), 10), true
	case "partnerids":
		return strings.Join(msg.PartnerIDs, ","), true
	default:
		return "", false
	}
}

// expectedTypeName returns wrp-go's friendly name of t, or its String form
// without the "MessageType" suffix when it has none, or t in decimal when t
// is not a known type.
func expectedTypeName(t wrp.MessageType) string {
	if t < 0 || t >= wrp.LastMessageType {
		return strconv.FormatInt(int64(t), 10)
	}
	if name := t.FriendlyName(); name != "" {
		return name
	}
	return strings.TrimSuffix(t.String(), "MessageType")
}

func optionalInt(i *int64) string {
	if i == nil {
		return ""
	}
	return strconv.FormatInt(*i, 10)
}

// asciiLower lower-cases the ASCII letters of s and keeps every other byte.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
