// The race detector's pointer checks (checkptr) reject the oversized unsafe
// slices that this test builds, so it runs only without -race.

//go:build !race

package router

import (
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/xmidt-org/wrp-go/v3"
)

// TestEncodeRejectsOversizedValues builds values whose length exceeds 4 GiB
// over a small allocation with package unsafe. Encode reads only their
// lengths before it fails, so no memory beyond the allocation is touched.
func TestEncodeRejectsOversizedValues(t *testing.T) {
	if math.MaxInt == math.MaxInt32 {
		t.Skip("lengths over 4 GiB cannot occur with a 32-bit int")
	}

	backing := make([]byte, 16)
	const tooLong = math.MaxUint32 + 1
	hugeBytes := unsafe.Slice(&backing[0], tooLong)
	hugeString := unsafe.String(&backing[0], tooLong)

	tests := []struct {
		name string
		msg  *wrp.Message
		want string
	}{
		{
			name: "payload",
			msg:  &wrp.Message{Source: deviceID, Payload: hugeBytes},
			want: "payload has length 4294967296, more than msgpack's limit of 4294967295: shorten it",
		},
		{
			name: "source",
			msg:  &wrp.Message{Source: hugeString},
			want: "source has length 4294967296",
		},
		{
			name: "partner id",
			msg:  &wrp.Message{PartnerIDs: []string{"a", hugeString}},
			want: "partner_ids[1] has length 4294967296",
		},
		{
			name: "span entry",
			msg:  &wrp.Message{Spans: [][]string{nil, {hugeString}}},
			want: "spans[1][0] has length 4294967296",
		},
		{
			name: "metadata value",
			msg:  &wrp.Message{Metadata: map[string]string{"region": hugeString}},
			want: `metadata["region"] has length 4294967296`,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := Encode(dst, tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
			if string(got) != "keep" {
				t.Errorf("Encode changed dst to %q on error", got[:min(len(got), 20)])
			}
		})
	}
}
