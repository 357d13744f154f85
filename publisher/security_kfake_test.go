package publisher

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// failingStartLimit is how soon Start must fail on a wrong SASL or TLS
// setting, with a start timeout of 10 s.
const failingStartLimit = 5 * time.Second

// produceOne publishes one message with ProduceSync and fails the test on
// an error.
func produceOne(t *testing.T, d *Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.ProduceSync(ctx, messages(1, 1)[0]); err != nil {
		t.Fatalf("ProduceSync: %v", err)
	}
}

// startMustFail runs Start with a 10 s start timeout and checks that it
// fails within failingStartLimit with an error that contains every string
// of want and none of the secrets.
func startMustFail(t *testing.T, cfg Config, want []string, secrets ...string) error {
	t.Helper()
	cfg.StartTimeout = 10 * time.Second
	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer d.Stop()

	began := time.Now()
	err = d.Start()
	took := time.Since(began)
	if err == nil {
		t.Fatal("Start succeeded")
	}
	if took > failingStartLimit {
		t.Errorf("Start took %s to fail, want less than %s", took, failingStartLimit)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not contain %q: %v", w, err)
		}
	}
	for _, secret := range secrets {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error contains the secret %q: %v", secret, err)
		}
	}
	return err
}

func TestSASLAgainstKfake(t *testing.T) {
	for _, mechanism := range []string{MechanismPlain, MechanismScramSHA256, MechanismScramSHA512} {
		t.Run(mechanism, func(t *testing.T) {
			c := newCluster(t,
				kfake.EnableSASL(),
				kfake.Superuser(MechanismScramSHA512, "admin", "admin-password"),
				kfake.User(mechanism, "talaria", testPassword),
			)

			t.Run("valid credentials", func(t *testing.T) {
				cfg := testConfig(c)
				cfg.SASL = &SASLConfig{Mechanism: mechanism, Username: "talaria", Password: testPassword}
				d := startDispatcher(t, cfg)
				produceOne(t, d)
			})

			t.Run("wrong password", func(t *testing.T) {
				cfg := testConfig(c)
				wrong := "wrong-" + testPassword
				cfg.SASL = &SASLConfig{Mechanism: mechanism, Username: "talaria", Password: wrong}
				err := startMustFail(t, cfg,
					[]string{"authentication failed", `user "talaria"`, "mechanism " + mechanism, "sasl.password"},
					wrong, testPassword)
				t.Logf("Start failed: %v", err)
			})
		})
	}
}

// SASL_SSL: SCRAM-SHA-512 inside TLS, the combination of the real-Kafka test.
func TestSASLOverTLSAgainstKfake(t *testing.T) {
	p := newTestPKI(t)
	c := newCluster(t,
		kfake.EnableSASL(),
		kfake.Superuser(MechanismScramSHA512, "talaria", testPassword),
		kfake.TLS(p.serverConfig(false)),
	)
	cfg := testConfig(c)
	cfg.SASL = &SASLConfig{Mechanism: MechanismScramSHA512, Username: "talaria", Password: testPassword}
	cfg.TLS = &TLSConfig{Enabled: true, CAFile: p.caFile}
	d := startDispatcher(t, cfg)
	produceOne(t, d)

	t.Run("without SASL", func(t *testing.T) {
		cfg := cfg
		cfg.SASL = nil
		startMustFail(t, cfg, []string{"expects SASL", "configure sasl"})
	})
	t.Run("without TLS", func(t *testing.T) {
		cfg := cfg
		cfg.TLS = nil
		startMustFail(t, cfg, []string{"expects TLS", "tls.enabled: true"}, testPassword)
	})
}

func TestTLSAgainstKfake(t *testing.T) {
	p := newTestPKI(t)
	tlsCluster := newCluster(t, kfake.TLS(p.serverConfig(false)))
	mutualCluster := newCluster(t, kfake.TLS(p.serverConfig(true)))
	plainCluster := newCluster(t)

	withTLS := func(c *kfake.Cluster, t TLSConfig) Config {
		cfg := testConfig(c)
		cfg.TLS = &t
		return cfg
	}

	t.Run("CA file", func(t *testing.T) {
		d := startDispatcher(t, withTLS(tlsCluster, TLSConfig{Enabled: true, CAFile: p.caFile}))
		produceOne(t, d)
	})
	t.Run("TLS 1.3 minimum", func(t *testing.T) {
		d := startDispatcher(t, withTLS(tlsCluster, TLSConfig{Enabled: true, CAFile: p.caFile, MinVersion: "1.3"}))
		produceOne(t, d)
	})
	t.Run("server name", func(t *testing.T) {
		d := startDispatcher(t, withTLS(tlsCluster, TLSConfig{Enabled: true, CAFile: p.caFile, ServerName: "localhost"}))
		produceOne(t, d)
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		d := startDispatcher(t, withTLS(tlsCluster, TLSConfig{Enabled: true, InsecureSkipVerify: true}))
		produceOne(t, d)
	})
	t.Run("mutual TLS", func(t *testing.T) {
		cfg := withTLS(mutualCluster, TLSConfig{Enabled: true, CAFile: p.caFile, CertFile: p.clientFile, KeyFile: p.clientKey})
		d := startDispatcher(t, cfg)
		produceOne(t, d)
	})

	failures := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"mutual TLS without a client certificate",
			withTLS(mutualCluster, TLSConfig{Enabled: true, CAFile: p.caFile}),
			[]string{"rejected the TLS connection", "tls.certFile and tls.keyFile"}},
		{"untrusted broker certificate",
			withTLS(tlsCluster, TLSConfig{Enabled: true}),
			[]string{"does not trust", "tls.caFile", "x509"}},
		{"wrong server name",
			withTLS(tlsCluster, TLSConfig{Enabled: true, CAFile: p.caFile, ServerName: "kafka.example"}),
			[]string{`not valid for "kafka.example"`, "tls.serverName"}},
		{"TLS client at a plaintext listener",
			withTLS(plainCluster, TLSConfig{Enabled: true, CAFile: p.caFile}),
			[]string{"TLS handshake", "plaintext listener", "tls.enabled: false"}},
		{"plaintext client at a TLS listener",
			testConfig(tlsCluster),
			[]string{"closed the connection", "expects TLS", "tls.enabled: true"}},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			err := startMustFail(t, tc.cfg, tc.want)
			t.Logf("Start failed: %v", err)
		})
	}
}

// oauthBroker handles the SASLHandshake and SASLAuthenticate requests of a
// kfake cluster for OAUTHBEARER, which kfake does not implement. The cluster
// runs without kfake.EnableSASL, so it would also serve a client that skips
// SASL. Tests therefore check the tokens that the broker received.
type oauthBroker struct {
	mu    sync.Mutex
	valid string   // the token the broker accepts
	seen  []string // every token presented, in order
}

func (b *oauthBroker) setValid(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.valid = token
}

func (b *oauthBroker) tokens() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.seen...)
}

// install makes c use b. A session expires after lifetime, so franz-go
// authenticates again on the same connection (KIP-368).
func (b *oauthBroker) install(c *kfake.Cluster, lifetime time.Duration) {
	c.ControlKey(int16(kmsg.SASLHandshake), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.SASLHandshakeRequest)
		resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{MechanismOAuthBearer}
		if req.Mechanism != MechanismOAuthBearer {
			resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.SASLAuthenticateRequest)
		resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)

		// The client's message is "n,,\x01auth=Bearer <token>\x01\x01"
		// (RFC 7628).
		_, after, _ := bytes.Cut(req.SASLAuthBytes, []byte("auth=Bearer "))
		token, _, _ := bytes.Cut(after, []byte{1})

		b.mu.Lock()
		b.seen = append(b.seen, string(token))
		accepted := string(token) == b.valid
		b.mu.Unlock()

		if !accepted {
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			resp.ErrorMessage = kmsg.StringPtr("invalid token")
			return resp, nil, true
		}
		resp.SessionLifetimeMillis = lifetime.Milliseconds()
		return resp, nil, true
	})
}

// A token rotated in sasl.tokenFile must be used when the session expires,
// without a restart.
func TestOAuthBearerTokenRotationAgainstKfake(t *testing.T) {
	c := newCluster(t)
	broker := &oauthBroker{valid: "token-one"}
	// franz-go re-authenticates 1 s before a session expires, so a 1.5 s
	// session is renewed about 0.5 s after each authentication.
	broker.install(c, 1500*time.Millisecond)

	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, "token-one\n")
	cfg := testConfig(c)
	cfg.SASL = &SASLConfig{Mechanism: MechanismOAuthBearer, TokenFile: tokenFile}
	d := startDispatcher(t, cfg)
	produceOne(t, d)

	beforeRotation := len(broker.tokens())
	if beforeRotation == 0 {
		t.Fatal("the broker received no token")
	}

	writeFile(t, tokenFile, "token-two\n")
	broker.setValid("token-two")
	time.Sleep(time.Second) // past the re-authentication time
	produceOne(t, d)

	after := broker.tokens()[beforeRotation:]
	if len(after) == 0 {
		t.Fatal("the client did not authenticate again after the session expired")
	}
	for i, token := range after {
		if token != "token-two" {
			t.Errorf("authentication %d after the rotation sent %q, want token-two", i+1, token)
		}
	}

	t.Run("rejected token", func(t *testing.T) {
		cfg := testConfig(c)
		cfg.SASL = &SASLConfig{Mechanism: MechanismOAuthBearer, Token: testToken}
		err := startMustFail(t, cfg,
			[]string{"authentication failed", "mechanism OAUTHBEARER", "sasl.token"}, testToken)
		t.Logf("Start failed: %v", err)
	})
}

// logCapture records every log entry at debug level and above, both in
// memory and as JSON lines, the way a production logger encodes them.
type logCapture struct {
	logger  *zap.Logger
	entries *observer.ObservedLogs
	mu      sync.Mutex
	encoded bytes.Buffer
}

func newLogCapture() *logCapture {
	lc := &logCapture{}
	observed, entries := observer.New(zap.DebugLevel)
	jsonCore := zapcore.NewCore(
		zapcore.NewJSONEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.AddSync(lockedWriter{lc}),
		zap.DebugLevel,
	)
	lc.logger = zap.New(zapcore.NewTee(observed, jsonCore))
	lc.entries = entries
	return lc
}

type lockedWriter struct{ lc *logCapture }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.lc.mu.Lock()
	defer w.lc.mu.Unlock()
	return w.lc.encoded.Write(p)
}

// text returns every captured entry: the JSON lines, and each entry's
// message, logger name and fields formatted with fmt.
func (lc *logCapture) text() string {
	var b strings.Builder
	lc.mu.Lock()
	b.Write(lc.encoded.Bytes())
	lc.mu.Unlock()
	for _, e := range lc.entries.All() {
		fmt.Fprintf(&b, "%s %s %s %v\n", e.Level, e.LoggerName, e.Message, e.ContextMap())
	}
	return b.String()
}

// A full run with credentials (Start, produce, Stop) and failed
// authentications must not put a secret into a log entry or an error.
// franz-go logs through the same logger, at debug level here.
func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	p := newTestPKI(t)
	capture := newLogCapture()
	wrongPassword := "wrong-" + testPassword
	secrets := append([]string{wrongPassword}, testSecrets...)
	var errs []error

	run := func(cfg Config, wantStart bool) {
		t.Helper()
		cfg.StartTimeout = 10 * time.Second
		d, err := New(WithConfig(cfg), WithLogger(capture.logger), WithResults(64))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		wait := collect(d)
		err = d.Start()
		if (err == nil) != wantStart {
			t.Fatalf("Start = %v, want success %v", err, wantStart)
		}
		errs = append(errs, err)
		if err == nil {
			ctx := context.Background()
			for i, msg := range messages(20, 5) {
				if i%2 == 0 {
					errs = append(errs, d.ProduceSync(ctx, msg))
				} else {
					errs = append(errs, d.Produce(ctx, msg))
				}
			}
		}
		d.Stop()
		for _, o := range wait() {
			errs = append(errs, o.Err)
		}
	}

	// PLAIN over TLS, where the password travels in clear inside TLS.
	plainTLS := newCluster(t, kfake.EnableSASL(),
		kfake.Superuser(MechanismPlain, "talaria", testPassword),
		kfake.TLS(p.serverConfig(false)))
	cfg := testConfig(plainTLS)
	cfg.SASL = &SASLConfig{Mechanism: MechanismPlain, Username: "talaria", Password: testPassword}
	cfg.TLS = &TLSConfig{Enabled: true, CAFile: p.caFile}
	run(cfg, true)
	cfg.SASL = &SASLConfig{Mechanism: MechanismPlain, Username: "talaria", Password: wrongPassword}
	run(cfg, false)

	// SCRAM-SHA-512 and SCRAM-SHA-256 over plaintext.
	scram := newCluster(t, kfake.EnableSASL(),
		kfake.Superuser(MechanismScramSHA512, "talaria", testPassword),
		kfake.User(MechanismScramSHA256, "talaria", testPassword))
	cfg = testConfig(scram)
	cfg.SASL = &SASLConfig{Mechanism: MechanismScramSHA512, Username: "talaria", Password: testPassword}
	run(cfg, true)
	cfg.SASL = &SASLConfig{Mechanism: MechanismScramSHA256, Username: "talaria", Password: wrongPassword}
	run(cfg, false)

	// OAUTHBEARER with a static token, accepted and rejected.
	oauth := newCluster(t)
	broker := &oauthBroker{valid: testToken}
	broker.install(oauth, 0)
	cfg = testConfig(oauth)
	cfg.SASL = &SASLConfig{Mechanism: MechanismOAuthBearer, Token: testToken}
	run(cfg, true)
	broker.setValid("another-token")
	run(cfg, false)

	// AWS_MSK_IAM, which kfake rejects at the handshake.
	cfg = testConfig(scram)
	cfg.SASL = &SASLConfig{Mechanism: MechanismAWSMSKIAM, AccessKey: "AKIDTEST", SecretKey: testSecretKey, SessionToken: testSessionToken}
	run(cfg, false)

	logged := capture.text()
	if !strings.Contains(logged, "franz-go") || capture.entries.FilterLevelExact(zap.DebugLevel).Len() == 0 {
		t.Fatal("the capture holds no franz-go debug entries, so it cannot show that they are free of secrets")
	}
	if !strings.Contains(logged, "sasl") {
		t.Error("the capture holds no entry about SASL authentication")
	}
	for _, secret := range secrets {
		if strings.Contains(logged, secret) {
			t.Errorf("the logs contain the secret %q", secret)
		}
	}

	failures := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		failures++
		for _, secret := range secrets {
			if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
				t.Errorf("error %q contains the secret %q", err, secret)
			}
		}
	}
	if failures < 4 {
		t.Errorf("%d errors were checked, want at least the 4 failed Starts", failures)
	}
	t.Logf("searched %d log entries (%d bytes) and %d errors", capture.entries.Len(), len(logged), failures)
}

// New reads the TLS files, so Start works after they are removed.
func TestTLSFilesReadAtNew(t *testing.T) {
	p := newTestPKI(t)
	c := newCluster(t, kfake.TLS(p.serverConfig(true)))
	cfg := testConfig(c)
	cfg.TLS = &TLSConfig{Enabled: true, CAFile: p.caFile, CertFile: p.clientFile, KeyFile: p.clientKey}

	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p.caFile, p.clientFile, p.clientKey} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Start(); err != nil {
		t.Fatalf("Start after the files were removed: %v", err)
	}
	produceOne(t, d)
	d.Stop()
}
