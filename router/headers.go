package router

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/xmidt-org/wrp-go/v3"
)

// Headers is a compiled set of Kafka record headers. Create it with
// CompileHeaders. Its zero value adds no headers. It is safe for concurrent
// use.
type Headers struct {
	headers []header // sorted by name
}

// headerSource is the message field, or the literal, that supplies a
// header's value.
type headerSource uint8

const (
	fromLiteral headerSource = iota
	fromType
	fromSource
	fromDestination
	fromTransactionUUID
	fromContentType
	fromAccept
	fromStatus
	fromRequestDeliveryResponse
	fromPath
	fromServiceName
	fromURL
	fromSessionID
	fromQualityOfService
	fromPartnerIDs
	fromMetadata
)

// header is one compiled header.
type header struct {
	name    string
	source  headerSource
	literal []byte // for fromLiteral
	key     string // metadata key, for fromMetadata
}

// fieldPrefix starts a header value that references a message field.
const fieldPrefix = "wrp."

// metadataField is the field part of a metadata reference, before its key.
const metadataField = "metadata."

// headerFields maps the field part of a reference, in lower case, to its
// source.
var headerFields = map[string]headerSource{
	"type":                    fromType,
	"source":                  fromSource,
	"destination":             fromDestination,
	"transactionuuid":         fromTransactionUUID,
	"contenttype":             fromContentType,
	"accept":                  fromAccept,
	"status":                  fromStatus,
	"requestdeliveryresponse": fromRequestDeliveryResponse,
	"path":                    fromPath,
	"servicename":             fromServiceName,
	"url":                     fromURL,
	"sessionid":               fromSessionID,
	"qualityofservice":        fromQualityOfService,
	"partnerids":              fromPartnerIDs,
}

// validReferences lists the references for warnings.
const validReferences = "wrp.Type, wrp.Source, wrp.Destination, wrp.TransactionUUID, wrp.ContentType, " +
	"wrp.Accept, wrp.Status, wrp.RequestDeliveryResponse, wrp.Path, wrp.ServiceName, wrp.URL, " +
	"wrp.SessionID, wrp.QualityOfService, wrp.PartnerIDs or wrp.Metadata.<key>"

// CompileHeaders compiles a map of header name to value. A value that starts
// with "wrp." references a message field, and any other value is a literal
// sent as is. References are:
//
//   - wrp.Type: the message type's friendly name, such as SimpleEvent;
//   - wrp.Source, wrp.Destination, wrp.TransactionUUID, wrp.ContentType,
//     wrp.Accept, wrp.Path, wrp.ServiceName, wrp.URL, wrp.SessionID: the
//     string field;
//   - wrp.Status, wrp.RequestDeliveryResponse, wrp.QualityOfService: the
//     number in decimal;
//   - wrp.PartnerIDs: the partner ids joined with commas;
//   - wrp.Metadata.<key>: the metadata value of key.
//
// The field part is matched ignoring ASCII case, while a metadata key is
// matched exactly and must not be empty. An unknown reference does not fail:
// its header is dropped and a warning for the caller to log is returned. An
// empty header name is an error.
func CompileHeaders(cfg map[string]string) (Headers, []string, error) {
	var (
		headers  []header
		warnings []string
	)

	for _, name := range slices.Sorted(maps.Keys(cfg)) {
		value := cfg[name]
		if name == "" {
			return Headers{}, nil, errors.New("headers: a header name is empty (value " + quote(value) +
				"): give every header a name")
		}

		h, ok := compileHeader(name, value)
		if !ok {
			warnings = append(warnings, "headers: header "+quote(name)+" references unknown field "+quote(value)+
				" and is dropped: use "+validReferences)
			continue
		}
		headers = append(headers, h)
	}

	return Headers{headers: headers}, warnings, nil
}

// compileHeader compiles one header. It returns false for an unknown reference.
func compileHeader(name, value string) (header, bool) {
	if !strings.HasPrefix(value, fieldPrefix) {
		return header{name: name, source: fromLiteral, literal: []byte(value)}, true
	}

	field := value[len(fieldPrefix):]
	if hasPrefixFoldASCII(field, metadataField) {
		key := field[len(metadataField):]
		return header{name: name, source: fromMetadata, key: key}, key != ""
	}

	// Only ASCII case is ignored, as for the metadata prefix above.
	// strings.ToLower would also accept non-ASCII letters whose lower case
	// is ASCII, such as 'İ' (U+0130) for 'i'.
	for reference, source := range headerFields {
		if equalFoldASCII(field, reference) {
			return header{name: name, source: source}, true
		}
	}
	return header{}, false
}

// Len returns the number of headers that Append adds at most.
func (h Headers) Len() int {
	return len(h.headers)
}

// Append appends the headers for msg to dst, sorted by name, and returns the
// extended slice. A referenced field that is empty or nil adds no header.
//
// Literal values are shared by every call, and the values of one call share
// one backing array, so the caller must not modify the returned values.
// Append allocates that array once per call when a header references a field,
// and grows dst when it has no room.
func (h Headers) Append(dst []kgo.RecordHeader, msg *wrp.Message) []kgo.RecordHeader {
	dst, _ = h.AppendBuffer(dst, nil, msg)
	return dst
}

// AppendBuffer is Append with the values of referenced fields written into
// buf, which it returns extended or replaced. It allocates only when buf has
// less room than the headers may need, so a caller that keeps buf for the
// next message, after the previous headers are no longer in use, appends
// headers without allocating.
func (h Headers) AppendBuffer(dst []kgo.RecordHeader, buf []byte, msg *wrp.Message) ([]kgo.RecordHeader, []byte) {
	if msg == nil {
		msg = &emptyMessage
	}

	size := 0
	for i := range h.headers {
		size += h.headers[i].maxValueLen(msg)
	}
	if cap(buf)-len(buf) < size {
		buf = make([]byte, 0, size)
	}

	for i := range h.headers {
		hdr := &h.headers[i]
		if hdr.source == fromLiteral {
			dst = append(dst, kgo.RecordHeader{Key: hdr.name, Value: hdr.literal})
			continue
		}

		start := len(buf)
		buf = hdr.appendValue(buf, msg)
		if len(buf) == start {
			continue
		}
		dst = append(dst, kgo.RecordHeader{Key: hdr.name, Value: buf[start:len(buf):len(buf)]})
	}

	return dst, buf
}

// emptyMessage replaces a nil message in Append. Nothing modifies it.
var emptyMessage wrp.Message

// maxDecimalLen is the length of the longest int64 in decimal, with its sign.
const maxDecimalLen = len("-9223372036854775808")

// maxValueLen returns the maximum number of bytes that appendValue adds for
// msg.
func (h *header) maxValueLen(msg *wrp.Message) int {
	switch h.source {
	case fromLiteral:
		return 0
	case fromType:
		// Unknown types are written in decimal.
		return max(maxTypeNameLen, maxDecimalLen)
	case fromStatus, fromRequestDeliveryResponse, fromQualityOfService:
		return maxDecimalLen
	case fromPartnerIDs:
		n := 0
		for _, id := range msg.PartnerIDs {
			n += len(id) + 1
		}
		return n
	default:
		return len(h.stringValue(msg))
	}
}

// appendValue appends the header's value for msg to dst. It appends nothing
// when the value is empty or nil.
func (h *header) appendValue(dst []byte, msg *wrp.Message) []byte {
	switch h.source {
	case fromType:
		if name := messageTypeName(msg.Type); name != "" {
			return append(dst, name...)
		}
		return strconv.AppendInt(dst, int64(msg.Type), 10)
	case fromStatus:
		if msg.Status == nil {
			return dst
		}
		return strconv.AppendInt(dst, *msg.Status, 10)
	case fromRequestDeliveryResponse:
		if msg.RequestDeliveryResponse == nil {
			return dst
		}
		return strconv.AppendInt(dst, *msg.RequestDeliveryResponse, 10)
	case fromQualityOfService:
		return strconv.AppendInt(dst, int64(msg.QualityOfService), 10)
	case fromPartnerIDs:
		for i, id := range msg.PartnerIDs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, id...)
		}
		return dst
	default:
		return append(dst, h.stringValue(msg)...)
	}
}

// stringValue returns the string field that the header references, or "".
func (h *header) stringValue(msg *wrp.Message) string {
	switch h.source {
	case fromSource:
		return msg.Source
	case fromDestination:
		return msg.Destination
	case fromTransactionUUID:
		return msg.TransactionUUID
	case fromContentType:
		return msg.ContentType
	case fromAccept:
		return msg.Accept
	case fromPath:
		return msg.Path
	case fromServiceName:
		return msg.ServiceName
	case fromURL:
		return msg.URL
	case fromSessionID:
		return msg.SessionID
	case fromMetadata:
		return msg.Metadata[h.key]
	default:
		return ""
	}
}

// messageTypeNames holds the name of each known message type: wrp-go's
// FriendlyName, or for types without one (Invalid0, Invalid1, Authorization)
// the String form without its "MessageType" suffix.
var messageTypeNames = func() []string {
	names := make([]string, wrp.LastMessageType)
	for t := range wrp.LastMessageType {
		names[t] = t.FriendlyName()
		if names[t] == "" {
			names[t] = strings.TrimSuffix(t.String(), "MessageType")
		}
	}
	return names
}()

// maxTypeNameLen is the length of the longest name in messageTypeNames,
// "SimpleRequestResponse" in wrp-go v3.7.0.
var maxTypeNameLen = len(slices.MaxFunc(messageTypeNames, func(a, b string) int {
	return len(a) - len(b)
}))

// messageTypeName returns the name of t, or "" when t is not a known type.
func messageTypeName(t wrp.MessageType) string {
	if t < 0 || int64(t) >= int64(len(messageTypeNames)) {
		return ""
	}
	return messageTypeNames[t]
}
