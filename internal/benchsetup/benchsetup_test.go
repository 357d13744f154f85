package benchsetup

import (
	"testing"

	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/goleak"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/publisher"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestTalariaConfigIsValid(t *testing.T) {
	cfg := TalariaConfig()
	cfg.Brokers = []string{"127.0.0.1:9092"}
	if _, err := publisher.New(publisher.WithConfig(cfg)); err != nil {
		t.Fatal(err)
	}
}

// Every generated message must route, and its record must carry the
// device key and a value wrp-go decodes back to the message.
func TestRecorderRoutesGeneratedTraffic(t *testing.T) {
	recorder, err := NewRecorder(TalariaConfig())
	if err != nil {
		t.Fatal(err)
	}
	g := traffic.New(traffic.Options{Devices: 50, Seed: 2})
	for range 500 {
		m := g.Next()
		r, err := recorder.Record(m)
		if err != nil {
			t.Fatalf("%s: %v", m.Destination, err)
		}
		if r.Topic == "" || len(r.Key) == 0 {
			t.Fatalf("record for %s: topic %q key %q", m.Destination, r.Topic, r.Key)
		}
		var decoded wrp.Message
		if err := wrp.NewDecoderBytes(r.Value, wrp.Msgpack).Decode(&decoded); err != nil || decoded.TransactionUUID != m.TransactionUUID {
			t.Fatalf("value decodes to %s, %v", decoded.TransactionUUID, err)
		}
	}
}
