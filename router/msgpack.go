package router

import "encoding/binary"

// msgpack type bytes, from the msgpack specification.
const (
	msgpackNil      = 0xc0
	msgpackFalse    = 0xc2
	msgpackTrue     = 0xc3
	msgpackBin8     = 0xc4
	msgpackBin16    = 0xc5
	msgpackBin32    = 0xc6
	msgpackInt8     = 0xd0
	msgpackInt16    = 0xd1
	msgpackInt32    = 0xd2
	msgpackInt64    = 0xd3
	msgpackStr8     = 0xd9
	msgpackStr16    = 0xda
	msgpackStr32    = 0xdb
	msgpackArray16  = 0xdc
	msgpackArray32  = 0xdd
	msgpackMap16    = 0xde
	msgpackMap32    = 0xdf
	msgpackFixStr   = 0xa0 // | length < 32
	msgpackFixArray = 0x90 // | length < 16
	msgpackFixMap   = 0x80 // | length < 16
)

// Largest header sizes, for buffer estimates.
const (
	stringHeaderSize = 5
	arrayHeaderSize  = 5
	mapHeaderSize    = 5
)

// appendString writes s as a str. len(s) must fit in 32 bits.
func appendString(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, msgpackFixStr|byte(n))
	case n <= 0xff:
		dst = append(dst, msgpackStr8, byte(n))
	case n <= 0xffff:
		dst = binary.BigEndian.AppendUint16(append(dst, msgpackStr16), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, msgpackStr32), uint32(n))
	}
	return append(dst, s...)
}

// appendBin writes b as a bin. len(b) must fit in 32 bits.
func appendBin(dst []byte, b []byte) []byte {
	n := len(b)
	switch {
	case n <= 0xff:
		dst = append(dst, msgpackBin8, byte(n))
	case n <= 0xffff:
		dst = binary.BigEndian.AppendUint16(append(dst, msgpackBin16), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, msgpackBin32), uint32(n))
	}
	return append(dst, b...)
}

// appendArrayHeader starts an array of n elements. n must fit in 32 bits.
func appendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, msgpackFixArray|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, msgpackArray16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, msgpackArray32), uint32(n))
	}
}

// appendMapHeader starts a map of n entries. n must fit in 32 bits.
func appendMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, msgpackFixMap|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, msgpackMap16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, msgpackMap32), uint32(n))
	}
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, msgpackTrue)
	}
	return append(dst, msgpackFalse)
}

// appendInt writes i in the shortest signed form, choosing the same forms as
// the ugorji codec that wrp-go v3 uses, so that equal integers give equal
// bytes. Non-negative values up to 127 are a positive fixint.
func appendInt(dst []byte, i int64) []byte {
	switch {
	case i >= -32 && i <= 127:
		return append(dst, byte(i)) // positive or negative fixint
	case i >= -128 && i < 0:
		return append(dst, msgpackInt8, byte(i))
	case i >= -32768 && i <= 32767:
		return binary.BigEndian.AppendUint16(append(dst, msgpackInt16), uint16(i))
	case i >= -2147483648 && i <= 2147483647:
		return binary.BigEndian.AppendUint32(append(dst, msgpackInt32), uint32(i))
	default:
		return binary.BigEndian.AppendUint64(append(dst, msgpackInt64), uint64(i))
	}
}
