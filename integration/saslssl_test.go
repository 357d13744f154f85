//go:build integration

package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"github.com/xmidt-org/wrp-go/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// The environment variables that describe a SASL_SSL listener, with the
// names that scripts/testbroker/kafka.sh sasl-info prints.
const (
	saslBrokersVariable   = "WRPKAFKA_SASL_SSL_BROKERS"
	saslMechanismVariable = "WRPKAFKA_SASL_MECHANISM"
	saslUserVariable      = "WRPKAFKA_SASL_USERNAME"
	saslPasswordVariable  = "WRPKAFKA_SASL_PASSWORD"
	tlsCAFileVariable     = "WRPKAFKA_TLS_CA_FILE"
)

// saslSSLListener is a SASL_SSL listener and the credentials of one user.
type saslSSLListener struct {
	brokers   []string
	mechanism string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	user      string
	password  string
	caFile    string
}

var (
	saslCheck     sync.Once
	saslCheckErr  error
	saslConnected saslSSLListener
)

// saslSSL returns the SASL_SSL listener from the environment, or skips the
// test (fails it under CI=true) when the variables are missing or the
// listener does not accept the credentials.
func saslSSL(t *testing.T) saslSSLListener {
	t.Helper()
	saslCheck.Do(func() {
		saslConnected, saslCheckErr = saslSSLFromEnvironment()
		if saslCheckErr == nil {
			saslCheckErr = saslConnected.ping()
		}
	})

	if saslCheckErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the SASL_SSL tests must run in CI: %v", saslCheckErr)
		}
		t.Skipf("no SASL_SSL listener: %v", saslCheckErr)
	}
	return saslConnected
}

func saslSSLFromEnvironment() (saslSSLListener, error) {
	l := saslSSLListener{
		mechanism: os.Getenv(saslMechanismVariable),
		user:      os.Getenv(saslUserVariable),
		password:  os.Getenv(saslPasswordVariable),
		caFile:    os.Getenv(tlsCAFileVariable),
	}
	if value := os.Getenv(saslBrokersVariable); value != "" {
		l.brokers = strings.Split(value, ",")
	}

	var missing []string
	for _, name := range []string{saslBrokersVariable, saslMechanismVariable, saslUserVariable, saslPasswordVariable, tlsCAFileVariable} {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return l, fmt.Errorf("%s not set; start a broker with scripts/testbroker/kafka.sh start --sasl-ssl-port 9094 and export the lines that kafka.sh sasl-info prints", strings.Join(missing, ", "))
	}
	return l, nil
}

// clientOptions returns franz-go options that connect to the listener, for
// the test's own admin requests and consumer.
func (l saslSSLListener) clientOptions() ([]kgo.Opt, error) {
	pem, err := os.ReadFile(l.caFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tlsCAFileVariable, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %q contains no PEM certificate", tlsCAFileVariable, l.caFile)
	}

	var mechanism sasl.Mechanism
	switch l.mechanism {
	case "PLAIN":
		mechanism = plain.Auth{User: l.user, Pass: l.password}.AsMechanism()
	case "SCRAM-SHA-256":
		mechanism = scram.Auth{User: l.user, Pass: l.password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		mechanism = scram.Auth{User: l.user, Pass: l.password}.AsSha512Mechanism()
	default:
		return nil, fmt.Errorf("%s %q is not supported by this test: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", saslMechanismVariable, l.mechanism)
	}

	return []kgo.Opt{
		kgo.SeedBrokers(l.brokers...),
		kgo.SASL(mechanism),
		kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}),
	}, nil
}

func (l saslSSLListener) ping() error {
	opts, err := l.clientOptions()
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		return fmt.Errorf("the SASL_SSL listener %v did not accept user %q with %s: %w", l.brokers, l.user, l.mechanism, err)
	}
	return nil
}

// publisherConfig returns a publisher configuration for the listener that
// routes every message to topic.
func (l saslSSLListener) publisherConfig(topic string) publisher.Config {
	return publisher.Config{
		Brokers:         l.brokers,
		SASL:            &publisher.SASLConfig{Mechanism: l.mechanism, Username: l.user, Password: l.password},
		TLS:             &publisher.TLSConfig{Enabled: true, CAFile: l.caFile},
		TopicMap:        []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
		StartTimeout:    10 * time.Second,
		ShutdownTimeout: 20 * time.Second,
	}
}

// createTopic creates a topic through the listener, so the test also runs
// against a cluster that has no plaintext listener, and waits until each
// partition has a leader.
func (l saslSSLListener) createTopic(t *testing.T, name string, partitions int32) {
	t.Helper()
	opts, err := l.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	topic := kmsg.NewCreateTopicsRequestTopic()
	topic.Topic = name
	topic.NumPartitions = partitions
	topic.ReplicationFactor = -1 // the broker's default
	req.Topics = append(req.Topics, topic)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("creating topic %s through SASL_SSL: %v", name, err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		t.Fatalf("creating topic %s through SASL_SSL: %v", name, err)
	}

	for {
		meta := kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(name)
		meta.Topics = append(meta.Topics, mt)
		if resp, err := meta.RequestWith(ctx, cl); err == nil && len(resp.Topics) == 1 && allLeadersKnown(resp.Topics[0]) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("topic %s has partitions without a leader after a minute", name)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func allLeadersKnown(topic kmsg.MetadataResponseTopic) bool {
	if topic.ErrorCode != 0 || len(topic.Partitions) == 0 {
		return false
	}
	for _, p := range topic.Partitions {
		if p.ErrorCode != 0 || p.Leader < 0 {
			return false
		}
	}
	return true
}

// consume reads want records of topic through the listener and decodes
// them with wrp-go.
func (l saslSSLListener) consume(t *testing.T, topic string, want int) []wrp.Message {
	t.Helper()
	opts, err := l.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []wrp.Message
	for len(out) < want && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		for _, e := range fetches.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				t.Fatalf("consuming %s through SASL_SSL: %v", topic, e.Err)
			}
		}
		fetches.EachRecord(func(r *kgo.Record) {
			var msg wrp.Message
			if err := wrp.NewDecoderBytes(r.Value, wrp.Msgpack).Decode(&msg); err != nil {
				t.Errorf("record %s/%d@%d does not decode with wrp-go: %v", r.Topic, r.Partition, r.Offset, err)
			}
			out = append(out, msg)
		})
	}
	return out
}

// The publisher connects through a SASL_SSL listener with the configured
// mechanism and CA file, and every record it reports as written can be
// consumed back. No log entry or error contains the password.
func TestSASLSSLProduceAndConsume(t *testing.T) {
	l := saslSSL(t)
	topic := uniqueName(t, "sasl-ssl")
	l.createTopic(t, topic, 3)

	core, logs := observer.New(zap.DebugLevel)
	began := time.Now()
	d := start(t, l.publisherConfig(topic), publisher.WithResults(1024), publisher.WithLogger(zap.New(core)))
	t.Logf("New and Start through SASL_SSL took %s", time.Since(began))
	wait := drain(d)

	const produced, synced = 300, 20
	g := traffic.New(traffic.Options{Devices: 50, Seed: 11})
	sent := map[string]bool{}
	for i := range produced + synced {
		msg := g.Next()
		sent[msg.TransactionUUID] = true
		var err error
		if i < produced {
			err = d.Produce(context.Background(), msg)
		} else {
			err = d.ProduceSync(context.Background(), msg)
		}
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	d.Stop()

	for _, o := range wait() {
		if o.Err != nil {
			t.Fatalf("outcome failed: %v", o.Err)
		}
	}

	received := l.consume(t, topic, len(sent))
	if len(received) != len(sent) {
		t.Fatalf("consumed %d records through SASL_SSL, want %d", len(received), len(sent))
	}
	for _, msg := range received {
		if !sent[msg.TransactionUUID] {
			t.Errorf("consumed a message that was not sent: %s", msg.TransactionUUID)
		}
	}

	debug := 0
	for _, e := range logs.All() {
		if e.Level == zap.DebugLevel {
			debug++
		}
		if text := fmt.Sprintf("%s %s %v", e.LoggerName, e.Message, e.ContextMap()); strings.Contains(text, l.password) {
			t.Errorf("a log entry contains the password: %s", e.Message)
		}
	}
	if debug == 0 {
		t.Error("no debug entries were logged, so the log check proves nothing")
	}
	t.Logf("%d messages through %v with %s; %d log entries checked", len(sent), l.brokers, l.mechanism, logs.Len())
}

// Wrong SASL or TLS settings against the real listener fail Start within
// 5 s, with an error that names the setting to change.
func TestSASLSSLMisconfigurationFailsStart(t *testing.T) {
	l := saslSSL(t)
	topic := uniqueName(t, "sasl-ssl-misconfigured") // never created: Start fails first

	type misconfiguration struct {
		name   string
		modify func(*publisher.Config)
		want   []string // substrings of Start's error
	}
	cases := []misconfiguration{
		{"wrong password", func(c *publisher.Config) {
			c.SASL.Password = "wrong-" + l.password
		}, []string{"authentication failed", fmt.Sprintf("user %q", l.user), "mechanism " + l.mechanism}},
		{"CA file missing from the settings", func(c *publisher.Config) {
			c.TLS.CAFile = ""
		}, []string{"does not trust", "tls.caFile"}},
		{"TLS off", func(c *publisher.Config) {
			c.TLS = nil
		}, []string{"tls.enabled: true"}},
		{"SASL off", func(c *publisher.Config) {
			c.SASL = nil
		}, []string{"configure sasl"}},
	}
	if plaintext := os.Getenv(brokersVariable); plaintext != "" {
		plaintextBrokers := strings.Split(plaintext, ",")
		cases = append(cases,
			misconfiguration{"TLS client at the plaintext listener", func(c *publisher.Config) {
				c.Brokers = plaintextBrokers
				c.SASL = nil
			}, []string{"plaintext listener", "tls.enabled: false"}},
			misconfiguration{"SASL client at the plaintext listener", func(c *publisher.Config) {
				c.Brokers = plaintextBrokers
				c.TLS = nil
			}, []string{"does not expect SASL"}},
		)
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := l.publisherConfig(topic)
			tc.modify(&cfg)
			d, err := publisher.New(publisher.WithConfig(cfg))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Stop()

			began := time.Now()
			err = d.Start()
			took := time.Since(began)
			if err == nil {
				t.Fatal("Start succeeded")
			}
			t.Logf("Start failed after %s: %v", took, err)
			if took > 5*time.Second {
				t.Errorf("Start took %s to fail, want less than 5s", took)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q", w)
				}
			}
			if strings.Contains(err.Error(), l.password) {
				t.Error("the error contains the password")
			}
		})
	}
}
