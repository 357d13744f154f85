package router

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/xmidt-org/wrp-go/v3"
)

// Encode appends the msgpack encoding of msg to dst and returns the extended
// slice. The bytes decode with wrp-go v3's msgpack decoder to a message equal
// to msg, except that empty slices and maps decode as nil, as they do after
// wrp-go's own encoder.
//
// The encoding follows wrp-go v3.7.0's: a map keyed by the json tag names of
// wrp.Message, in field order, with msg_type and qos always written and every
// other field omitted when it is empty or nil. Strings are msgpack str and
// the payload is bin. Unlike wrp-go, Encode sorts metadata by key, so equal
// messages give equal bytes.
//
// Encode fails only when a string, payload, list or map is longer than the
// 4 GiB - 1 that msgpack can express, or when msg is nil. On error it returns
// dst unchanged. It grows dst at most once and does not allocate otherwise
// when dst has room and the metadata has at most 16 entries.
func Encode(dst []byte, msg *wrp.Message) ([]byte, error) {
	if msg == nil {
		return dst, errors.New("cannot encode a nil *wrp.Message: pass a message")
	}

	var stack [metadataOnStack]metadataEntry
	metadata := sortedMetadata(stack[:0], msg.Metadata)

	size := encodedSize(msg, metadata)
	if uint64(size) > maxLength {
		// Only a message this large can hold a value longer than msgpack
		// allows, so smaller ones skip the check of each length.
		if err := checkLengths(msg, metadata); err != nil {
			return dst, err
		}
	}

	dst = slices.Grow(dst, size)
	return appendMessage(dst, msg, metadata), nil
}

// metadataOnStack is the number of metadata entries that Encode sorts
// without allocating.
const metadataOnStack = 16

type metadataEntry struct {
	key, value string
	// prefix is the first 8 bytes of key, big-endian and padded with
	// zeros, so that unequal prefixes order the keys as strings do.
	prefix uint64
}

// keyPrefix returns the first 8 bytes of s as a big-endian number, padded
// with zero bytes when s is shorter.
func keyPrefix(s string) uint64 {
	if len(s) >= 8 {
		// One load instead of eight: the bytes are read, never kept.
		return binary.BigEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8))
	}
	var p uint64
	for i := range len(s) {
		p |= uint64(s[i]) << (56 - 8*i)
	}
	return p
}

// sortedMetadata appends the entries of metadata to dst, sorted by key.
func sortedMetadata(dst []metadataEntry, metadata map[string]string) []metadataEntry {
	for key, value := range metadata {
		dst = append(dst, metadataEntry{key: key, value: value, prefix: keyPrefix(key)})
	}

	if len(dst) > metadataOnStack {
		slices.SortFunc(dst, func(a, b metadataEntry) int {
			return strings.Compare(a.key, b.key)
		})
		return dst
	}

	// An insertion sort without a function value, which suits the few
	// entries a WRP message carries. Most keys differ in their first 8
	// bytes, so one integer comparison usually orders two of them.
	for i := 1; i < len(dst); i++ {
		entry := dst[i]
		j := i
		for ; j > 0; j-- {
			prev := &dst[j-1]
			if prev.prefix < entry.prefix || prev.prefix == entry.prefix && prev.key <= entry.key {
				break
			}
			dst[j] = *prev
		}
		dst[j] = entry
	}
	return dst
}

// Keys of the encoded map, already in msgpack form: a fixstr header byte
// (0xa0 | length), then the json tag of the wrp.Message field. Writing them
// whole skips choosing a string header for every key.
const (
	tagType            = "\xa8msg_type"
	tagSource          = "\xa6source"
	tagDestination     = "\xa4dest"
	tagTransactionUUID = "\xb0transaction_uuid"
	tagContentType     = "\xaccontent_type"
	tagAccept          = "\xa6accept"
	tagStatus          = "\xa6status"
	tagRDR             = "\xa3rdr"
	tagHeaders         = "\xa7headers"
	tagMetadata        = "\xa8metadata"
	tagSpans           = "\xa5spans"
	tagIncludeSpans    = "\xadinclude_spans"
	tagPath            = "\xa4path"
	tagPayload         = "\xa7payload"
	tagServiceName     = "\xacservice_name"
	tagURL             = "\xa3url"
	tagPartnerIDs      = "\xabpartner_ids"
	tagSessionID       = "\xaasession_id"
	tagQOS             = "\xa3qos"
)

// appendMessage writes the encoding. Every length in msg must fit in 32 bits,
// which Encode checks with checkLengths.
func appendMessage(dst []byte, msg *wrp.Message, metadata []metadataEntry) []byte {
	dst = appendMapHeader(dst, fieldCount(msg))

	dst = append(dst, tagType...)
	dst = appendInt(dst, int64(msg.Type))
	dst = appendStringField(dst, tagSource, msg.Source)
	dst = appendStringField(dst, tagDestination, msg.Destination)
	dst = appendStringField(dst, tagTransactionUUID, msg.TransactionUUID)
	dst = appendStringField(dst, tagContentType, msg.ContentType)
	dst = appendStringField(dst, tagAccept, msg.Accept)
	if msg.Status != nil {
		dst = append(dst, tagStatus...)
		dst = appendInt(dst, *msg.Status)
	}
	if msg.RequestDeliveryResponse != nil {
		dst = append(dst, tagRDR...)
		dst = appendInt(dst, *msg.RequestDeliveryResponse)
	}
	if len(msg.Headers) > 0 {
		dst = append(dst, tagHeaders...)
		dst = appendStrings(dst, msg.Headers)
	}
	if len(metadata) > 0 {
		dst = append(dst, tagMetadata...)
		dst = appendMetadata(dst, metadata)
	}
	if len(msg.Spans) > 0 {
		dst = append(dst, tagSpans...)
		dst = appendSpans(dst, msg.Spans)
	}
	if msg.IncludeSpans != nil {
		dst = append(dst, tagIncludeSpans...)
		dst = appendBool(dst, *msg.IncludeSpans)
	}
	dst = appendStringField(dst, tagPath, msg.Path)
	if len(msg.Payload) > 0 {
		dst = append(dst, tagPayload...)
		dst = appendBin(dst, msg.Payload)
	}
	dst = appendStringField(dst, tagServiceName, msg.ServiceName)
	dst = appendStringField(dst, tagURL, msg.URL)
	if len(msg.PartnerIDs) > 0 {
		dst = append(dst, tagPartnerIDs...)
		dst = appendStrings(dst, msg.PartnerIDs)
	}
	dst = appendStringField(dst, tagSessionID, msg.SessionID)
	dst = append(dst, tagQOS...)
	return appendInt(dst, int64(msg.QualityOfService))
}

// fieldCount returns the number of map entries appendMessage writes.
func fieldCount(msg *wrp.Message) int {
	count := 2 // msg_type and qos
	for _, present := range [...]bool{
		msg.Source != "",
		msg.Destination != "",
		msg.TransactionUUID != "",
		msg.ContentType != "",
		msg.Accept != "",
		msg.Status != nil,
		msg.RequestDeliveryResponse != nil,
		len(msg.Headers) > 0,
		len(msg.Metadata) > 0,
		len(msg.Spans) > 0,
		msg.IncludeSpans != nil,
		msg.Path != "",
		len(msg.Payload) > 0,
		msg.ServiceName != "",
		msg.URL != "",
		len(msg.PartnerIDs) > 0,
		msg.SessionID != "",
	} {
		if present {
			count++
		}
	}
	return count
}

// appendStringField writes a key and its string value unless the value is
// empty.
func appendStringField(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, key...)
	return appendString(dst, value)
}

func appendStrings(dst []byte, values []string) []byte {
	dst = appendArrayHeader(dst, len(values))
	for _, v := range values {
		dst = appendString(dst, v)
	}
	return dst
}

func appendMetadata(dst []byte, metadata []metadataEntry) []byte {
	dst = appendMapHeader(dst, len(metadata))
	for _, entry := range metadata {
		dst = appendString(dst, entry.key)
		dst = appendString(dst, entry.value)
	}
	return dst
}

// appendSpans writes an array of string arrays, with nil for a nil inner
// slice as wrp-go does, so that the decoded spans keep it.
func appendSpans(dst []byte, spans [][]string) []byte {
	dst = appendArrayHeader(dst, len(spans))
	for _, span := range spans {
		if span == nil {
			dst = append(dst, msgpackNil)
			continue
		}
		dst = appendStrings(dst, span)
	}
	return dst
}

// encodedSize returns an upper bound of the encoded length of msg.
func encodedSize(msg *wrp.Message, metadata []metadataEntry) int {
	const (
		intSize  = 9 // the type byte and an int64
		tagSize  = len(tagTransactionUUID)
		tagCount = 19
	)

	size := mapHeaderSize + tagCount*tagSize + 4*intSize + 1 // map, keys, ints, include_spans
	size += 10*stringHeaderSize + len(msg.Source) + len(msg.Destination) + len(msg.TransactionUUID) +
		len(msg.ContentType) + len(msg.Accept) + len(msg.Path) + len(msg.ServiceName) + len(msg.URL) +
		len(msg.SessionID) + len(msg.Payload)
	size += stringsSize(msg.Headers) + stringsSize(msg.PartnerIDs)

	size += mapHeaderSize
	for _, entry := range metadata {
		size += 2*stringHeaderSize + len(entry.key) + len(entry.value)
	}

	size += arrayHeaderSize
	for _, span := range msg.Spans {
		size += stringsSize(span)
	}

	return size
}

func stringsSize(values []string) int {
	size := arrayHeaderSize
	for _, v := range values {
		size += stringHeaderSize + len(v)
	}
	return size
}

// checkLengths returns an error naming the first string, payload, list or
// map of msg that is too long for msgpack.
func checkLengths(msg *wrp.Message, metadata []metadataEntry) error {
	for _, field := range [...]struct {
		name   string
		length int
	}{
		{tagName(tagSource), len(msg.Source)},
		{tagName(tagDestination), len(msg.Destination)},
		{tagName(tagTransactionUUID), len(msg.TransactionUUID)},
		{tagName(tagContentType), len(msg.ContentType)},
		{tagName(tagAccept), len(msg.Accept)},
		{tagName(tagHeaders), len(msg.Headers)},
		{tagName(tagMetadata), len(metadata)},
		{tagName(tagSpans), len(msg.Spans)},
		{tagName(tagPath), len(msg.Path)},
		{tagName(tagPayload), len(msg.Payload)},
		{tagName(tagServiceName), len(msg.ServiceName)},
		{tagName(tagURL), len(msg.URL)},
		{tagName(tagPartnerIDs), len(msg.PartnerIDs)},
		{tagName(tagSessionID), len(msg.SessionID)},
	} {
		if err := checkLength(field.name, field.length); err != nil {
			return err
		}
	}

	if err := checkStringLengths(tagName(tagHeaders), msg.Headers); err != nil {
		return err
	}
	if err := checkStringLengths(tagName(tagPartnerIDs), msg.PartnerIDs); err != nil {
		return err
	}
	for i, span := range msg.Spans {
		if err := checkLength(fmt.Sprintf("%s[%d]", tagName(tagSpans), i), len(span)); err != nil {
			return err
		}
		if err := checkStringLengths(fmt.Sprintf("%s[%d]", tagName(tagSpans), i), span); err != nil {
			return err
		}
	}

	for _, entry := range metadata {
		if err := checkLength("metadata key "+quote(entry.key), len(entry.key)); err != nil {
			return err
		}
		if err := checkLength("metadata["+quote(entry.key)+"]", len(entry.value)); err != nil {
			return err
		}
	}
	return nil
}

func checkStringLengths(name string, values []string) error {
	for i, v := range values {
		if err := checkLength(fmt.Sprintf("%s[%d]", name, i), len(v)); err != nil {
			return err
		}
	}
	return nil
}

// tagName returns the field name of an encoded key, without its header.
func tagName(tag string) string { return tag[1:] }

// maxLength is the largest length of a msgpack str, bin, array or map.
const maxLength = math.MaxUint32

// checkLength returns an error when n, the length of the named value in
// bytes or entries, does not fit msgpack's 32-bit length.
func checkLength(name string, n int) error {
	if uint64(n) <= maxLength {
		return nil
	}
	return fmt.Errorf("%s has length %d, more than msgpack's limit of %d: shorten it", name, n, uint64(maxLength))
}
