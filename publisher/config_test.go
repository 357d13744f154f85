package publisher

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"gopkg.in/yaml.v3"
)

func validConfig() Config {
	return Config{
		Brokers:  []string{"127.0.0.1:9092"},
		TopicMap: []TopicRoute{{Pattern: "*", Topic: "events"}},
	}
}

func TestNewRequiresConfig(t *testing.T) {
	_, err := New()
	if err == nil || !strings.Contains(err.Error(), "WithConfig") {
		t.Fatalf("New() = %v, want an error naming WithConfig", err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*Config)
		want   string // substring of the error
	}{
		{"no brokers", func(c *Config) { c.Brokers = nil }, "brokers is empty"},
		{"empty broker", func(c *Config) { c.Brokers = []string{"a:1", ""} }, `brokers[1]: "" is not host:port`},
		{"no routes", func(c *Config) { c.TopicMap = nil }, "topicMap is empty"},
		{"empty pattern", func(c *Config) { c.TopicMap = []TopicRoute{{Topic: "t"}} }, "topicMap[0]"},
		{"bad glob", func(c *Config) { c.TopicMap = []TopicRoute{{Pattern: "[a-", Topic: "t"}} }, `"[a-"`},
		{"topic and topics", func(c *Config) {
			c.TopicMap = []TopicRoute{{Pattern: "*", Topic: "t", Topics: []string{"a"}, ShardBy: "roundrobin"}}
		}, "topicMap[0]"},
		{"topics without shardBy", func(c *Config) {
			c.TopicMap = []TopicRoute{{Pattern: "*", Topics: []string{"a", "b"}}}
		}, "shardBy"},
		{"shardBy with single topic", func(c *Config) {
			c.TopicMap = []TopicRoute{{Pattern: "*", Topic: "t", ShardBy: "roundrobin"}}
		}, "shardBy"},
		{"unknown shardBy", func(c *Config) {
			c.TopicMap = []TopicRoute{{Pattern: "*", Topics: []string{"a"}, ShardBy: "random"}}
		}, `"random"`},
		{"metadata without field", func(c *Config) {
			c.TopicMap = []TopicRoute{{Pattern: "*", Topics: []string{"a"}, ShardBy: "metadata:"}}
		}, "metadata:"},
		{"second route invalid", func(c *Config) {
			c.TopicMap = []TopicRoute{{Pattern: "a", Topic: "t"}, {Pattern: "b"}}
		}, "topicMap[1]"},
		{"empty header name", func(c *Config) { c.Headers = map[string]string{"": "x"} }, "header"},
		{"bad compression", func(c *Config) { c.CompressionCodec = "brotli" }, `compressionCodec "brotli"`},
		{"bad acks", func(c *Config) { c.Acks = "some" }, `acks "some"`},
		{"bad key source", func(c *Config) { c.PartitionKey = []string{"source", "sauce"} }, `"sauce"`},
		{"linger over a minute", func(c *Config) { c.Linger = 2 * time.Minute }, "linger 2m0s"},
		{"request timeout too short", func(c *Config) { c.RequestTimeout = 50 * time.Millisecond }, "requestTimeout 50ms"},
		{"delivery timeout too short", func(c *Config) { c.DeliveryTimeout = 500 * time.Millisecond }, "deliveryTimeout 500ms"},
		{"max message bytes too small", func(c *Config) { c.MaxMessageBytes = 100 }, "maxMessageBytes 100"},
		{"sasl mechanism", func(c *Config) {
			c.SASL = &SASLConfig{Mechanism: "GSSAPI", Username: "u", Password: "p"}
		}, `sasl.mechanism "GSSAPI"`},
		{"sasl without password", func(c *Config) {
			c.SASL = &SASLConfig{Mechanism: "PLAIN", Username: "u"}
		}, "username and password"},
		{"tls missing ca file", func(c *Config) {
			c.TLS = &TLSConfig{Enabled: true, CAFile: "/nonexistent/ca.pem"}
		}, "/nonexistent/ca.pem"},
		{"tls cert without key", func(c *Config) {
			c.TLS = &TLSConfig{Enabled: true, CertFile: "c.pem"}
		}, "must be set together"},
		{"tls version", func(c *Config) { c.TLS = &TLSConfig{Enabled: true, MinVersion: "1.1"} }, `tls.minVersion "1.1"`},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.modify(&cfg)
			_, err := New(WithConfig(cfg))
			if err == nil {
				t.Fatalf("New accepted the configuration, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(WithConfig(validConfig()), WithLogger(nil)); err == nil {
		t.Error("WithLogger(nil) accepted")
	}
	if _, err := New(WithConfig(validConfig()), WithResults(0)); err == nil {
		t.Error("WithResults(0) accepted")
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	d, err := New(WithConfig(validConfig()))
	if err != nil {
		t.Fatal(err)
	}
	r := d.resolved
	s := r.settings

	checks := []struct {
		name      string
		got, want any
	}{
		{"workers", r.workers, runtime.GOMAXPROCS(0)},
		{"queueSize", r.queueSize, DefaultQueueSize},
		{"shutdownTimeout", r.shutdownTimeout, DefaultShutdownTimeout},
		{"startTimeout", r.startTimeout, DefaultStartTimeout},
		{"clientID", s.ClientID, DefaultClientID},
		{"maxBufferedRecords", s.MaxBufferedRecords, DefaultMaxBufferedRecords},
		{"maxBufferedBytes", s.MaxBufferedBytes, 0},
		{"maxMessageBytes", s.MaxMessageBytes, int32(DefaultMaxMessageBytes)},
		{"compression", s.Compression, CompressionSnappy},
		{"acks", s.Acks, AcksAll},
		{"linger", s.Linger, time.Duration(0)},
		{"recordRetries", s.RecordRetries, -1},
		{"requestTimeout", s.RequestTimeout, DefaultRequestTimeout},
		{"deliveryTimeout", s.DeliveryTimeout, DefaultDeliveryTimeout},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestNewMapsNonPositiveValues(t *testing.T) {
	cfg := validConfig()
	cfg.MaxBufferedRecords = -5
	cfg.MaxBufferedBytes = -1
	cfg.Linger = -time.Second
	cfg.MaxRetries = -1
	cfg.DeliveryTimeout = -1
	cfg.RequestTimeout = -time.Second
	cfg.Workers = -3
	cfg.QueueSize = -1

	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	s := d.resolved.settings

	if s.MaxBufferedRecords != DefaultMaxBufferedRecords {
		t.Errorf("maxBufferedRecords -5 resolved to %d, want the default", s.MaxBufferedRecords)
	}
	if s.MaxBufferedBytes != 0 {
		t.Errorf("maxBufferedBytes -1 resolved to %d, want 0 (no bound)", s.MaxBufferedBytes)
	}
	if s.Linger != 0 {
		t.Errorf("linger -1s resolved to %s, want 0", s.Linger)
	}
	if s.RecordRetries != 0 {
		t.Errorf("maxRetries -1 resolved to %d retries, want 0", s.RecordRetries)
	}
	if s.DeliveryTimeout != 0 {
		t.Errorf("deliveryTimeout -1 resolved to %s, want 0 (no bound)", s.DeliveryTimeout)
	}
	if s.RequestTimeout != DefaultRequestTimeout {
		t.Errorf("requestTimeout -1s resolved to %s, want the default", s.RequestTimeout)
	}
	if d.resolved.workers != runtime.GOMAXPROCS(0) {
		t.Errorf("workers -3 resolved to %d", d.resolved.workers)
	}
	if d.resolved.queueSize != DefaultQueueSize {
		t.Errorf("queueSize -1 resolved to %d", d.resolved.queueSize)
	}
}

func TestNewMapsPositiveRetries(t *testing.T) {
	cfg := validConfig()
	cfg.MaxRetries = 3
	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.resolved.settings.RecordRetries; got != 3 {
		t.Errorf("maxRetries 3 resolved to %d", got)
	}
}

func TestNewWarnsAboutUnknownHeaderReference(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	cfg := validConfig()
	cfg.Headers = map[string]string{"src": "wrp.Source", "bad": "wrp.Sorce"}

	if _, err := New(WithConfig(cfg), WithLogger(zap.New(core))); err != nil {
		t.Fatal(err)
	}
	entries := logs.FilterMessage("header omitted").All()
	if len(entries) != 1 {
		t.Fatalf("got %d header warnings, want 1", len(entries))
	}
	if reason := entries[0].ContextMap()["reason"]; !strings.Contains(reason.(string), "wrp.Sorce") {
		t.Errorf("warning %q does not name the reference", reason)
	}
}

func TestLaterWithConfigWins(t *testing.T) {
	first := validConfig()
	first.Brokers = nil // invalid on its own
	d, err := New(WithConfig(first), WithConfig(validConfig()))
	if err != nil {
		t.Fatalf("New with a valid later WithConfig: %v", err)
	}
	if d.resolved.settings.Brokers[0] != "127.0.0.1:9092" {
		t.Error("the later configuration was not used")
	}
}

func TestSASLConfigRedactsPassword(t *testing.T) {
	s := SASLConfig{Mechanism: "PLAIN", Username: "talaria", Password: "hunter2"}
	for _, format := range []string{"%v", "%+v", "%s", "%#v"} {
		if out := sprintf(format, s); strings.Contains(out, "hunter2") {
			t.Errorf("%s printed the password: %s", format, out)
		}
		if out := sprintf(format, &s); strings.Contains(out, "hunter2") {
			t.Errorf("%s of a pointer printed the password: %s", format, out)
		}
	}
}

func TestSASLConfigMarshalRedactsPassword(t *testing.T) {
	cfg := validConfig()
	cfg.SASL = &SASLConfig{Mechanism: "PLAIN", Username: "talaria", Password: "hunter2"}

	asJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	asYAML, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	zap.New(core).Info("config", zap.Any("kafka", cfg))
	logged := fmt.Sprint(logs.All()[0].ContextMap())

	for name, out := range map[string]string{"json": string(asJSON), "yaml": string(asYAML), "zap": logged} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s output contains the password: %s", name, out)
		}
		if !strings.Contains(out, "talaria") {
			t.Errorf("%s output lost the username: %s", name, out)
		}
	}
}

func TestNewRejectsOversizedBuffers(t *testing.T) {
	cfg := validConfig()
	cfg.QueueSize = 1 << 40
	if _, err := New(WithConfig(cfg)); err == nil || !strings.Contains(err.Error(), "queueSize 1099511627776") {
		t.Errorf("queueSize 1<<40: %v", err)
	}
	if _, err := New(WithConfig(validConfig()), WithResults(math.MaxInt)); err == nil {
		t.Error("WithResults(math.MaxInt) accepted")
	}
	cfg = validConfig()
	cfg.MaxMessageBytes = 5_000_000_000
	if _, err := New(WithConfig(cfg)); err == nil || !strings.Contains(err.Error(), "5000000000") {
		t.Errorf("maxMessageBytes 5e9: %v", err)
	}
}

func TestNewRejectsBadBrokers(t *testing.T) {
	for _, b := range []string{"tcp://127.0.0.1:9092", " 127.0.0.1:1", "127.0.0.1:99999", "::::", "kafka", ":9092", "kafka:port"} {
		cfg := validConfig()
		cfg.Brokers = []string{"ok:9092", b}
		_, err := New(WithConfig(cfg))
		if err == nil {
			t.Errorf("broker %q accepted", b)
			continue
		}
		if !strings.Contains(err.Error(), "brokers[1]") {
			t.Errorf("broker %q: error %q does not name brokers[1]", b, err)
		}
	}
	cfg := validConfig()
	cfg.Brokers = []string{"kafka-1.example.com:9092", "[::1]:9093", "10.0.0.1:19092"}
	if _, err := New(WithConfig(cfg)); err != nil {
		t.Errorf("valid brokers rejected: %v", err)
	}
}

func TestZeroValueDispatcher(t *testing.T) {
	var d Dispatcher
	if err := d.Start(); err == nil {
		t.Error("Start on a zero Dispatcher succeeded")
	}
	d.Stop()
}

func TestStopBeforeStart(t *testing.T) {
	d, err := New(WithConfig(validConfig()), WithResults(4))
	if err != nil {
		t.Fatal(err)
	}
	d.Stop()
	d.Stop()
	if _, ok := <-d.Results(); ok {
		t.Error("results channel open after Stop")
	}
	if err := d.Start(); !errors.Is(err, ErrStopped) {
		t.Errorf("Start after Stop = %v, want ErrStopped", err)
	}
}

func sprintf(format string, v any) string { return fmt.Sprintf(format, v) }
