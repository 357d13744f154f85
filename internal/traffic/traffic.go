// Package traffic generates realistic Talaria-like WRP traffic for tests and
// the bench program: device connect and disconnect events, and device-sent
// events of several types with metadata and payloads of varied size.
//
// Every message carries a transaction UUID that encodes its device index and
// a per-device sequence number, so a consumer can check per-device order
// without any field a real message would not have.
package traffic

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/xmidt-org/wrp-go/v3"
)

// TalariaSource is the Source Talaria puts on the connect and disconnect
// messages it generates itself.
const TalariaSource = "dns:talaria.example.com"

// Options shapes the generated traffic. Zero fields take the defaults.
type Options struct {
	// Devices is the number of distinct devices. Default 5000.
	Devices int
	// Seed makes the sequence reproducible. Default 1.
	Seed uint64
	// LifecycleShare is the fraction of connect and disconnect events.
	// Default 0.1.
	LifecycleShare float64
	// RunID is written into every transaction UUID so a consumer can tell
	// this run's records from older ones on the same topics.
	RunID uint16
}

// Generator produces messages. It is not safe for concurrent use; give
// each goroutine its own, with distinct device ranges if order matters.
type Generator struct {
	devices   []device
	rng       *rand.Rand
	lifecycle float64
	payloads  [][]byte
	runID     uint16
}

type device struct {
	id       string // canonical, mac:xxxxxxxxxxxx
	region   string // empty for a few devices, to exercise fallbacks
	model    string
	firmware string
	next     uint64 // next sequence number
	online   bool
	keyed    bool // device events carry /hw-deviceid metadata
}

// eventKind is one kind of device-sent event with its share of traffic.
type eventKind struct {
	eventType string
	path      string
	share     float64
}

// deviceEvents are the device-sent event types, chosen to exercise every
// route of the default configuration: a metadata-sharded iot-* route, a
// deviceid-sharded qos-* route, a case-insensitive telemetry* route and the
// catch-all.
var deviceEvents = []eventKind{
	{"iot-temperature", "sensor", 0.20},
	{"iot-motion", "sensor", 0.10},
	{"qos-report", "stats", 0.15},
	{"Telemetry-WiFi", "radio", 0.15},
	{"reboot-pending", "system", 0.15},
	{"firmware-upgrade", "system", 0.10},
	{"config-changed", "config", 0.15},
}

var regions = []string{"east", "west", "central"}

// New returns a generator for opts.
func New(opts Options) *Generator {
	if opts.Devices <= 0 {
		opts.Devices = 5000
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.LifecycleShare <= 0 {
		opts.LifecycleShare = 0.1
	}

	g := &Generator{
		devices:   make([]device, opts.Devices),
		rng:       rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		lifecycle: opts.LifecycleShare,
		runID:     opts.RunID,
	}
	for i := range g.devices {
		d := &g.devices[i]
		d.id = fmt.Sprintf("mac:%012x", 0x0a0000000000+uint64(i))
		if g.rng.IntN(20) != 0 {
			d.region = regions[g.rng.IntN(len(regions))]
		}
		d.model = fmt.Sprintf("XB%d", 3+g.rng.IntN(5))
		d.firmware = fmt.Sprintf("fw-%d.%d.%d", 4+g.rng.IntN(3), g.rng.IntN(10), g.rng.IntN(30))
		d.keyed = g.rng.IntN(2) == 0
	}
	g.payloads = makePayloads(g.rng)
	return g
}

// Devices returns the number of devices.
func (g *Generator) Devices() int { return len(g.devices) }

// DeviceID returns the canonical id of device i.
func (g *Generator) DeviceID(i int) string { return g.devices[i].id }

// Next returns the next message for a random device.
func (g *Generator) Next() *wrp.Message {
	return g.NextFor(g.rng.IntN(len(g.devices)))
}

// NextFor returns the next message of device i.
func (g *Generator) NextFor(i int) *wrp.Message {
	d := &g.devices[i]
	seq := d.next
	d.next++

	if g.rng.Float64() < g.lifecycle {
		return g.lifecycleEvent(i, d, seq)
	}
	return g.deviceEvent(i, d, seq)
}

// lifecycleEvent builds a connect or disconnect message as Talaria does: its
// own Source, the device in the Destination and in /hw-deviceid.
func (g *Generator) lifecycleEvent(i int, d *device, seq uint64) *wrp.Message {
	d.online = !d.online
	status := "offline"
	reason := "ping-miss"
	if d.online {
		status = "online"
		reason = "power-on"
	}

	return &wrp.Message{
		Type:            wrp.SimpleEventMessageType,
		Source:          TalariaSource,
		Destination:     "event:device-status/" + d.id + "/" + status,
		TransactionUUID: TransactionUUID(g.runID, i, seq),
		ContentType:     wrp.MimeTypeJson,
		PartnerIDs:      []string{"comcast"},
		Metadata: map[string]string{
			"/hw-deviceid":           d.id,
			"/hw-model":              d.model,
			"/fw-name":               d.firmware,
			"/boot-time":             strconv.FormatInt(1764800000+int64(g.rng.IntN(100000)), 10),
			"/last-reconnect-reason": reason,
			"/trust":                 "1000",
		},
		Payload: fmt.Appendf(nil, `{"id":"%s","ts":"2026-12-04T10:00:00Z","bytes-sent":%d,"messages-sent":%d}`,
			d.id, g.rng.IntN(1<<20), seq),
	}
}

func (g *Generator) deviceEvent(i int, d *device, seq uint64) *wrp.Message {
	kind := pickEvent(g.rng.Float64())

	m := &wrp.Message{
		Type:            wrp.SimpleEventMessageType,
		Source:          d.id + "/" + kind.path,
		Destination:     "event:" + kind.eventType + "/" + d.id + "/" + kind.path,
		TransactionUUID: TransactionUUID(g.runID, i, seq),
		ContentType:     "application/json",
		PartnerIDs:      []string{"comcast"},
		Metadata: map[string]string{
			"/hw-model":  d.model,
			"/fw-name":   d.firmware,
			"partner-id": "comcast",
			"/trust":     "1000",
		},
		Payload:          g.payloads[g.rng.IntN(len(g.payloads))],
		QualityOfService: wrp.QOSValue(g.rng.IntN(100)),
	}
	if d.region != "" {
		m.Metadata["region"] = d.region
	}
	if d.keyed {
		m.Metadata["/hw-deviceid"] = d.id
	}
	return m
}

func pickEvent(x float64) eventKind {
	for _, k := range deviceEvents {
		if x < k.share {
			return k
		}
		x -= k.share
	}
	return deviceEvents[len(deviceEvents)-1]
}

// makePayloads prepares JSON payloads from 60 to 1,200 bytes, most near 300,
// so messages encode to about 650 bytes on average.
func makePayloads(rng *rand.Rand) [][]byte {
	payloads := make([][]byte, 64)
	for i := range payloads {
		size := 150 + rng.IntN(300)
		if i%8 == 0 {
			size = 60 + rng.IntN(1140)
		}
		var b strings.Builder
		b.WriteString(`{"readings":[`)
		for b.Len() < size-2 {
			if b.Len() > len(`{"readings":[`) {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"k":"s%d","v":%d}`, rng.IntN(100), rng.IntN(100000))
		}
		b.WriteString("]}")
		payloads[i] = []byte(b.String())
	}
	return payloads
}

// TransactionUUID encodes a run id, a device index and a sequence number as
// a UUID: 8 hex digits of device, 4 of run, and 15 of sequence in the last
// two groups.
func TransactionUUID(runID uint16, deviceIndex int, seq uint64) string {
	return fmt.Sprintf("%08x-%04x-4000-8%03x-%012x", uint32(deviceIndex), runID, (seq>>48)&0xfff, seq&0xffffffffffff)
}

// ParseTransactionUUID is the inverse of TransactionUUID.
func ParseTransactionUUID(s string) (runID uint16, deviceIndex int, seq uint64, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return 0, 0, 0, false
	}
	dev, err := strconv.ParseUint(s[:8], 16, 32)
	if err != nil {
		return 0, 0, 0, false
	}
	run, err := strconv.ParseUint(s[9:13], 16, 16)
	if err != nil {
		return 0, 0, 0, false
	}
	high, err := strconv.ParseUint(s[20:23], 16, 16)
	if err != nil {
		return 0, 0, 0, false
	}
	low, err := strconv.ParseUint(s[24:], 16, 64)
	if err != nil {
		return 0, 0, 0, false
	}
	return uint16(run), int(dev), high<<48 | low, true
}
