package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/xmidt-org/wrpkafka/metrics"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func validSettings(brokers ...string) Settings {
	if len(brokers) == 0 {
		brokers = []string{"127.0.0.1:9092"}
	}
	return Settings{
		Brokers:            brokers,
		ClientID:           "test",
		MaxBufferedRecords: 100,
		MaxMessageBytes:    1000012,
		Compression:        CompressionSnappy,
		Acks:               AcksAll,
		RecordRetries:      -1,
		RequestTimeout:     10 * time.Second,
		MetadataMinAge:     time.Second,
		Logger:             kgo.BasicLogger(nil, kgo.LogLevelNone, nil),
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*Settings)
		want   string
	}{
		{"no brokers", func(s *Settings) { s.Brokers = nil }, "no brokers"},
		{"zero buffered records", func(s *Settings) { s.MaxBufferedRecords = 0 }, "maxBufferedRecords 0"},
		{"negative buffered bytes", func(s *Settings) { s.MaxBufferedBytes = -1 }, "maxBufferedBytes -1"},
		{"tiny message bytes", func(s *Settings) { s.MaxMessageBytes = 10 }, "maxMessageBytes 10"},
		{"negative linger", func(s *Settings) { s.Linger = -1 }, "linger"},
		{"long linger", func(s *Settings) { s.Linger = time.Hour }, "linger 1h0m0s"},
		{"short request timeout", func(s *Settings) { s.RequestTimeout = time.Millisecond }, "requestTimeout 1ms"},
		{"short delivery timeout", func(s *Settings) { s.DeliveryTimeout = time.Millisecond }, "deliveryTimeout 1ms"},
		{"no logger", func(s *Settings) { s.Logger = nil }, "logger"},
		{"codec", func(s *Settings) { s.Compression = "brotli" }, `"brotli"`},
		{"empty codec", func(s *Settings) { s.Compression = "" }, `compressionCodec ""`},
		{"acks", func(s *Settings) { s.Acks = "2" }, `acks "2"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validSettings()
			tc.modify(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}

	s := validSettings()
	if err := s.Validate(); err != nil {
		t.Fatalf("valid settings rejected: %v", err)
	}
}

func TestEveryCodecAndAcksBuildsClient(t *testing.T) {
	for _, codec := range []CompressionCodec{CompressionSnappy, CompressionGzip, CompressionLz4, CompressionZstd, CompressionNone} {
		for _, acks := range []Acks{AcksAll, AcksLeader, AcksNone} {
			s := validSettings()
			s.Compression = codec
			s.Acks = acks
			c, err := NewClient(s)
			if err != nil {
				t.Errorf("%s/%s: %v", codec, acks, err)
				continue
			}
			c.Close()
		}
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{kgo.ErrMaxBuffered, metrics.ErrorTypeBufferFull},
		{kgo.ErrClientClosed, metrics.ErrorTypeStopped},
		{kerr.MessageTooLarge, metrics.ErrorTypeMessageTooLarge},
		{fmt.Errorf("wrapped: %w", kerr.RecordListTooLarge), metrics.ErrorTypeMessageTooLarge},
		{kerr.UnknownTopicOrPartition, metrics.ErrorTypeUnknownTopic},
		{kgo.ErrRecordTimeout, metrics.ErrorTypeTimeout},
		{kerr.RequestTimedOut, metrics.ErrorTypeTimeout},
		{context.DeadlineExceeded, metrics.ErrorTypeTimeout},
		{kerr.TopicAuthorizationFailed, metrics.ErrorTypeAuthorization},
		{kerr.SaslAuthenticationFailed, metrics.ErrorTypeAuthorization},
		{kerr.InvalidRecord, metrics.ErrorTypeBroker},
		{kerr.UnknownServerError, metrics.ErrorTypeBroker},
		{errors.New("dial tcp: connection refused"), metrics.ErrorTypeBroker},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestPingNamesBrokers(t *testing.T) {
	c, err := NewClient(validSettings("127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = c.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Ping() = %v, want an error naming 127.0.0.1:1", err)
	}
}

// A record whose Context the caller cancelled must still be produced: the
// client replaces it with a context that never ends.
func TestProduceIgnoresRecordContext(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()

	c, err := NewClient(validSettings(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	done := make(chan error, 2)
	for _, produce := range []func(*kgo.Record, func(*kgo.Record, error)){c.Produce, c.TryProduce} {
		r := &kgo.Record{Topic: "t", Value: []byte("v"), Context: cancelled}
		produce(r, func(_ *kgo.Record, err error) { done <- err })
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("record with a cancelled context failed: %v", err)
		}
	}

	if current, maximum := c.Buffered(); current != 0 || maximum != 100 {
		t.Errorf("Buffered() = (%d, %d), want (0, 100)", current, maximum)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Errorf("Flush: %v", err)
	}
}
