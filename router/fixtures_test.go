package router

import (
	"strings"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/goleak"
)

// Shared fixtures for tests and benchmarks. They follow the shape of the
// messages Talaria publishes.

const (
	deviceID         = "mac:112233445566"
	onlineDest       = "event:device-status/mac:112233445566/online"
	talariaSource    = "dns:talaria.example.com"
	fixtureUUID      = "7b6a8c1e-3f2d-4c5b-9a8e-1d2c3b4a5f60"
	fixturePayloadSz = 300
)

// newDeviceEvent returns a device event keyed by its Source, about 650 bytes
// when encoded.
func newDeviceEvent() *wrp.Message {
	return &wrp.Message{
		Type:            wrp.SimpleEventMessageType,
		Source:          deviceID,
		Destination:     onlineDest,
		TransactionUUID: fixtureUUID,
		ContentType:     "application/json",
		Metadata: map[string]string{
			"/hw-deviceid":           deviceID,
			"/hw-model":              "TG3482G",
			"/fw-name":               "TG3482_4.12s1",
			"/boot-time":             "1700000000",
			"/last-reconnect-reason": "reboot",
			"/trust":                 "1000",
			"region":                 "east",
			"partner-id":             "comcast",
		},
		Payload:          fixturePayload(),
		QualityOfService: wrp.QOSMediumValue,
	}
}

// newLifecycleEvent returns Talaria's online message for a device: its Source
// is Talaria itself, so the device id comes from metadata or the Destination.
func newLifecycleEvent() *wrp.Message {
	msg := newDeviceEvent()
	msg.Source = talariaSource
	return msg
}

// fixturePayload returns a JSON document of fixturePayloadSz bytes.
func fixturePayload() []byte {
	const head = `{"id":"mac:112233445566","ts":"2024-01-02T03:04:05.678Z","bytes-sent":0,"messages-sent":1,"reason":"`
	const tail = `"}`
	return []byte(head + strings.Repeat("x", fixturePayloadSz-len(head)-len(tail)) + tail)
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
