package publisher

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sasl"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"gopkg.in/yaml.v3"

	"github.com/xmidt-org/wrpkafka/kafka"
)

// Secret values used by the tests in this file and in security_kfake_test.go.
// Each is unique, so a search for it finds only a leak.
const (
	testPassword     = "pw-6f1c9e27-secret"
	testToken        = "tok-84b2d0f5-secret"
	testSecretKey    = "sk-3ad77e10-secret"
	testSessionToken = "st-c90be412-secret"
)

// testSecrets are the values no output may contain.
var testSecrets = []string{testPassword, testToken, testSecretKey, testSessionToken}

// allowedList is the list of mechanisms that errors about sasl.mechanism
// must name.
const allowedList = "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM"

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSASLConfigRejects(t *testing.T) {
	dir := t.TempDir()
	emptyFile := filepath.Join(dir, "empty-token")
	writeFile(t, emptyFile, " \n")
	missingFile := filepath.Join(dir, "missing-token")

	cases := []struct {
		name string
		sasl SASLConfig
		want []string // substrings of the error
	}{
		{"no mechanism", SASLConfig{Username: "u", Password: testPassword},
			[]string{"sasl.mechanism is missing", allowedList}},
		{"unknown mechanism", SASLConfig{Mechanism: "GSSAPI", Username: "u", Password: testPassword},
			[]string{`sasl.mechanism "GSSAPI" is invalid`, allowedList}},
		{"plain without username", SASLConfig{Mechanism: "PLAIN", Password: testPassword},
			[]string{"sasl.username is missing", "PLAIN", "username and password"}},
		{"scram without password", SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "u"},
			[]string{"sasl.password is missing", "SCRAM-SHA-512"}},
		{"plain with token", SASLConfig{Mechanism: "PLAIN", Username: "u", Password: testPassword, Token: testToken},
			[]string{"sasl.token is set", "PLAIN does not use it"}},
		{"scram with secret key", SASLConfig{Mechanism: "SCRAM-SHA-256", Username: "u", Password: testPassword, SecretKey: testSecretKey},
			[]string{"sasl.secretKey is set", "SCRAM-SHA-256"}},
		{"oauth without token", SASLConfig{Mechanism: "OAUTHBEARER"},
			[]string{"sasl.token and sasl.tokenFile are missing", "OAUTHBEARER"}},
		{"oauth with both tokens", SASLConfig{Mechanism: "OAUTHBEARER", Token: testToken, TokenFile: emptyFile},
			[]string{"sasl.token and sasl.tokenFile are both set"}},
		{"oauth with password", SASLConfig{Mechanism: "OAUTHBEARER", Token: testToken, Password: testPassword},
			[]string{"sasl.password is set", "OAUTHBEARER"}},
		{"oauth token file missing", SASLConfig{Mechanism: "OAUTHBEARER", TokenFile: missingFile},
			[]string{"sasl.tokenFile", missingFile, "no such file"}},
		{"oauth token file empty", SASLConfig{Mechanism: "OAUTHBEARER", TokenFile: emptyFile},
			[]string{emptyFile, "is empty"}},
		{"aws without secret key", SASLConfig{Mechanism: "AWS_MSK_IAM", AccessKey: "AKIDTEST"},
			[]string{"sasl.secretKey is missing", "AWS_MSK_IAM", "AWS_ACCESS_KEY_ID"}},
		{"aws with session token only", SASLConfig{Mechanism: "AWS_MSK_IAM", SessionToken: testSessionToken},
			[]string{"sasl.accessKey is missing"}},
		{"aws with username", SASLConfig{Mechanism: "AWS_MSK_IAM", Username: "u", AccessKey: "AKIDTEST", SecretKey: testSecretKey},
			[]string{"sasl.username is set", "AWS_MSK_IAM"}},
		{"aws without keys or environment", SASLConfig{Mechanism: "AWS_MSK_IAM"},
			[]string{"sasl.accessKey and sasl.secretKey are missing", "AWS_ACCESS_KEY_ID"}},
	}

	// The last case needs an environment without AWS keys.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.SASL = &tc.sasl
			_, err := New(WithConfig(cfg))
			if err == nil {
				t.Fatalf("New accepted %v", tc.sasl)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			assertNoSecret(t, "the error", err.Error())
		})
	}
}

// assertNoSecret fails the test when text, from source, contains one of
// testSecrets.
func assertNoSecret(t *testing.T, source, text string) {
	t.Helper()
	for _, secret := range testSecrets {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the secret %q: %s", source, secret, text)
		}
	}
}

// buildMechanism resolves cfg through New and returns the SASL mechanism
// that the Kafka client would get.
func buildMechanism(t *testing.T, s SASLConfig) sasl.Mechanism {
	t.Helper()
	cfg := validConfig()
	cfg.SASL = &s
	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if d.resolved.settings.SASL == nil {
		t.Fatal("New built no SASL mechanism")
	}
	return d.resolved.settings.SASL
}

func TestSASLMechanismNames(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, testToken)

	cases := []struct {
		sasl     SASLConfig
		wantName string
		wantUser string
	}{
		{SASLConfig{Mechanism: "PLAIN", Username: "talaria", Password: testPassword}, "PLAIN", "talaria"},
		{SASLConfig{Mechanism: "scram-sha-256", Username: "talaria", Password: testPassword}, "SCRAM-SHA-256", "talaria"},
		{SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "talaria", Password: testPassword}, "SCRAM-SHA-512", "talaria"},
		{SASLConfig{Mechanism: "OAUTHBEARER", Token: testToken}, "OAUTHBEARER", ""},
		{SASLConfig{Mechanism: "oauthbearer", TokenFile: tokenFile}, "OAUTHBEARER", ""},
		{SASLConfig{Mechanism: "AWS_MSK_IAM", AccessKey: "AKIDTEST", SecretKey: testSecretKey}, "AWS_MSK_IAM", "AKIDTEST"},
	}
	for _, tc := range cases {
		t.Run(tc.sasl.Mechanism, func(t *testing.T) {
			m := buildMechanism(t, tc.sasl)
			if m.Name() != tc.wantName {
				t.Errorf("Name() = %q, want %q", m.Name(), tc.wantName)
			}
			user := ""
			if namer, ok := m.(kafka.SASLUserNamer); ok {
				user = namer.SASLUser()
			}
			if user != tc.wantUser {
				t.Errorf("SASLUser() = %q, want %q", user, tc.wantUser)
			}
		})
	}
}

// firstMessage starts an authentication and returns the client's first
// message.
func firstMessage(t *testing.T, m sasl.Mechanism, host string) string {
	t.Helper()
	_, first, err := m.Authenticate(context.Background(), host)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return string(first)
}

func TestOAuthTokenFileIsReadForEveryAuthentication(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, "token-one\n")
	m := buildMechanism(t, SASLConfig{Mechanism: "OAUTHBEARER", TokenFile: tokenFile})

	if got := firstMessage(t, m, "127.0.0.1:9092"); !strings.Contains(got, "auth=Bearer token-one\x01") {
		t.Errorf("first authentication sent %q, want the token from the file without its newline", got)
	}

	writeFile(t, tokenFile, "token-two")
	if got := firstMessage(t, m, "127.0.0.1:9092"); !strings.Contains(got, "auth=Bearer token-two\x01") {
		t.Errorf("authentication after the rotation sent %q, want token-two", got)
	}

	if err := os.Remove(tokenFile); err != nil {
		t.Fatal(err)
	}
	_, _, err := m.Authenticate(context.Background(), "127.0.0.1:9092")
	if err == nil {
		t.Fatal("Authenticate succeeded after the token file was removed")
	}
	if !strings.Contains(err.Error(), tokenFile) {
		t.Errorf("error %q does not name the token file", err)
	}
}

func TestOAuthStaticToken(t *testing.T) {
	m := buildMechanism(t, SASLConfig{Mechanism: "OAUTHBEARER", Token: testToken})
	if got := firstMessage(t, m, "127.0.0.1:9092"); !strings.Contains(got, "auth=Bearer "+testToken+"\x01") {
		t.Errorf("authentication sent %q, want the configured token", got)
	}
}

// awsChallenge returns the signed AWS_MSK_IAM request of one authentication.
func awsChallenge(t *testing.T, m sasl.Mechanism) map[string]string {
	t.Helper()
	first := firstMessage(t, m, "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098")
	var fields map[string]string
	if err := json.Unmarshal([]byte(first), &fields); err != nil {
		t.Fatalf("AWS_MSK_IAM sent %q, not a JSON object: %v", first, err)
	}
	return fields
}

func TestAWSMSKIAMSignsWithTheKeys(t *testing.T) {
	m := buildMechanism(t, SASLConfig{
		Mechanism: "AWS_MSK_IAM", AccessKey: "AKIDTEST", SecretKey: testSecretKey, SessionToken: testSessionToken,
	})
	fields := awsChallenge(t, m)

	if got := fields["x-amz-credential"]; !strings.HasPrefix(got, "AKIDTEST/") || !strings.Contains(got, "/us-east-1/kafka-cluster/") {
		t.Errorf("x-amz-credential = %q, want the access key and the region from the host name", got)
	}
	if got := fields["x-amz-security-token"]; got != testSessionToken {
		t.Errorf("x-amz-security-token = %q, want the session token", got)
	}
	if fields["x-amz-signature"] == "" {
		t.Error("the request is not signed")
	}
	if got := fields["action"]; got != "kafka-cluster:Connect" {
		t.Errorf("action = %q, want kafka-cluster:Connect", got)
	}
	for key, value := range fields {
		if strings.Contains(value, testSecretKey) {
			t.Errorf("field %s carries the secret key", key)
		}
	}
}

func TestAWSMSKIAMReadsTheEnvironment(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_SESSION_TOKEN", testSessionToken)

	m := buildMechanism(t, SASLConfig{Mechanism: "AWS_MSK_IAM"})
	fields := awsChallenge(t, m)

	if got := fields["x-amz-credential"]; !strings.HasPrefix(got, "AKIDFROMENV/") {
		t.Errorf("x-amz-credential = %q, want the access key from AWS_ACCESS_KEY_ID", got)
	}
	if got := fields["x-amz-security-token"]; got != testSessionToken {
		t.Errorf("x-amz-security-token = %q, want AWS_SESSION_TOKEN", got)
	}
	if namer, ok := m.(kafka.SASLUserNamer); !ok || namer.SASLUser() != "AKIDFROMENV" {
		t.Error("the mechanism does not name the access key from the environment as its user")
	}
}

// allSecretsSASL sets every field, so every secret must be redacted.
func allSecretsSASL() SASLConfig {
	return SASLConfig{
		Mechanism:    "PLAIN",
		Username:     "talaria",
		Password:     testPassword,
		Token:        testToken,
		TokenFile:    "/run/secrets/kafka-token",
		AccessKey:    "AKIDTEST",
		SecretKey:    testSecretKey,
		SessionToken: testSessionToken,
	}
}

func TestSASLConfigRedactsEverySecret(t *testing.T) {
	s := allSecretsSASL()
	cfg := validConfig()
	cfg.SASL = &s

	outputs := map[string]string{}
	for _, format := range []string{"%v", "%+v", "%s", "%#v"} {
		outputs["fmt "+format] = fmt.Sprintf(format, s)
		outputs["fmt "+format+" of a pointer"] = fmt.Sprintf(format, &s)
	}
	outputs["fmt %+v of Config"] = fmt.Sprintf("%+v", cfg)

	asJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(asJSON)
	asYAML, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml"] = string(asYAML)

	// zap through both an in-memory observer and the JSON encoder that
	// production loggers use.
	var encoded bytes.Buffer
	jsonCore := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&encoded), zap.DebugLevel)
	observed, logs := observer.New(zap.DebugLevel)
	logger := zap.New(zapcore.NewTee(jsonCore, observed))
	logger.Info("config",
		zap.Any("kafka", cfg),
		zap.Any("sasl", s),
		zap.Any("saslPointer", &s),
		zap.Object("saslObject", &s),
		zap.Stringer("saslString", s),
		zap.Reflect("saslReflect", s),
	)
	outputs["zap JSON"] = encoded.String()
	outputs["zap observer"] = fmt.Sprint(logs.All()[0].ContextMap())

	// A nil *SASLConfig, as in a Config without SASL, logs without a panic.
	var none *SASLConfig
	logger.Info("no sasl", zap.Any("sasl", none), zap.Object("saslObject", none))

	for name, out := range outputs {
		assertNoSecret(t, name, out)
		for _, nonSecret := range []string{"talaria", "AKIDTEST", "/run/secrets/kafka-token"} {
			if name != "fmt %+v of Config" && !strings.Contains(out, nonSecret) {
				t.Errorf("%s lost %q: %s", name, nonSecret, out)
			}
		}
	}
}

func TestSASLConfigYAMLRoundTripKeepsKeys(t *testing.T) {
	in := "mechanism: AWS_MSK_IAM\naccessKey: AKIDTEST\nsecretKey: x\nsessionToken: y\ntokenFile: /t\ntoken: z\n"
	var s SASLConfig
	dec := yaml.NewDecoder(strings.NewReader(in))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("decoding camelCase keys: %v", err)
	}
	want := SASLConfig{Mechanism: "AWS_MSK_IAM", AccessKey: "AKIDTEST", SecretKey: "x", SessionToken: "y", TokenFile: "/t", Token: "z"}
	if s != want {
		t.Errorf("decoded %#v, want every field set", s)
	}

	var fromJSON SASLConfig
	if err := json.Unmarshal([]byte(`{"mechanism":"OAUTHBEARER","tokenFile":"/t"}`), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if fromJSON.TokenFile != "/t" {
		t.Errorf("json key tokenFile was not decoded: %#v", fromJSON)
	}
}

// tlsConfig resolves t through New and returns the crypto/tls configuration.
func tlsConfig(t *testing.T, c TLSConfig) (*tls.Config, error) {
	t.Helper()
	cfg := validConfig()
	cfg.TLS = &c
	d, err := New(WithConfig(cfg))
	if err != nil {
		return nil, err
	}
	return d.resolved.settings.TLS, nil
}

func TestTLSCABundleTrustsEveryCertificate(t *testing.T) {
	first, second := newTestPKI(t), newTestPKI(t)
	bundle := filepath.Join(t.TempDir(), "bundle.pem")
	var content bytes.Buffer
	for _, p := range []*testPKI{first, second} {
		data, err := os.ReadFile(p.caFile)
		if err != nil {
			t.Fatal(err)
		}
		content.WriteString("# a comment line, as CA bundles have\n")
		content.Write(data)
	}
	writeFile(t, bundle, content.String())

	c, err := tlsConfig(t, TLSConfig{Enabled: true, CAFile: bundle})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []*testPKI{first, second} {
		leaf, err := x509.ParseCertificate(p.server.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: c.RootCAs, DNSName: "localhost"}); err != nil {
			t.Errorf("a server certificate of CA %d does not verify with the bundle: %v", i+1, err)
		}
	}
}

func TestTLSConfigDefaultsAndOptions(t *testing.T) {
	p := newTestPKI(t)

	c, err := tlsConfig(t, TLSConfig{Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.MinVersion != tls.VersionTLS12 {
		t.Errorf("default MinVersion = %x, want TLS 1.2", c.MinVersion)
	}
	if c.RootCAs != nil || c.Certificates != nil || c.InsecureSkipVerify {
		t.Error("TLS without files must use the system pool, no client certificate, and verify the broker")
	}

	c, err = tlsConfig(t, TLSConfig{
		Enabled: true, CAFile: p.caFile, CertFile: p.clientFile, KeyFile: p.clientKey,
		ServerName: "kafka-1.example", MinVersion: "1.3",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.MinVersion != tls.VersionTLS13 {
		t.Errorf("MinVersion = %x, want TLS 1.3", c.MinVersion)
	}
	if c.ServerName != "kafka-1.example" {
		t.Errorf("ServerName = %q", c.ServerName)
	}
	if len(c.Certificates) != 1 {
		t.Errorf("%d client certificates, want 1", len(c.Certificates))
	}

	c, err = tlsConfig(t, TLSConfig{Enabled: false, CAFile: "/nonexistent"})
	if err != nil || c != nil {
		t.Errorf("disabled TLS gave %v, %v; want plaintext and no error", c, err)
	}
}

func TestTLSConfigRejects(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	writeFile(t, notPEM, "this is not PEM\n")
	badCert := filepath.Join(dir, "bad-cert.pem")
	caPEM, err := os.ReadFile(p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	garbage := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})
	writeFile(t, badCert, string(caPEM)+string(garbage))
	missing := filepath.Join(dir, "missing.pem")

	// The first line of each key's base64 body, which an error must not
	// contain.
	var keyLines []string
	for _, keyFile := range []string{p.serverKey, p.clientKey} {
		data, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		keyLines = append(keyLines, strings.Split(string(data), "\n")[1])
	}

	cases := []struct {
		name string
		tls  TLSConfig
		want []string
	}{
		{"ca file missing", TLSConfig{Enabled: true, CAFile: missing}, []string{"tls.caFile", missing}},
		{"ca file not PEM", TLSConfig{Enabled: true, CAFile: notPEM}, []string{"tls.caFile", notPEM, "no PEM certificate"}},
		{"ca file with a bad certificate", TLSConfig{Enabled: true, CAFile: badCert}, []string{badCert, "certificate 2 is invalid"}},
		{"cert without key", TLSConfig{Enabled: true, CertFile: p.clientFile}, []string{"must be set together"}},
		{"key without cert", TLSConfig{Enabled: true, KeyFile: p.clientKey}, []string{"must be set together"}},
		{"cert file missing", TLSConfig{Enabled: true, CertFile: missing, KeyFile: p.clientKey}, []string{"tls.certFile", missing}},
		{"key file missing", TLSConfig{Enabled: true, CertFile: p.clientFile, KeyFile: missing}, []string{"tls.keyFile", missing}},
		{"cert file not PEM", TLSConfig{Enabled: true, CertFile: notPEM, KeyFile: p.clientKey}, []string{"tls.certFile", notPEM}},
		{"key file not PEM", TLSConfig{Enabled: true, CertFile: p.clientFile, KeyFile: notPEM}, []string{"tls.keyFile", notPEM}},
		{"key of another certificate", TLSConfig{Enabled: true, CertFile: p.clientFile, KeyFile: p.serverKey},
			[]string{p.clientFile, p.serverKey, "not a valid key pair"}},
		{"min version", TLSConfig{Enabled: true, MinVersion: "1.1"}, []string{`tls.minVersion "1.1"`, "1.2 or 1.3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tlsConfig(t, tc.tls)
			if err == nil {
				t.Fatalf("New accepted %+v", tc.tls)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			for _, line := range keyLines {
				if strings.Contains(err.Error(), line) {
					t.Errorf("error %q contains key material", err)
				}
			}
		})
	}
}

func TestTLSInsecureSkipVerifyWarning(t *testing.T) {
	insecure := &TLSConfig{Enabled: true, InsecureSkipVerify: true}
	warnings := insecure.warnings()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "tls.insecureSkipVerify") {
		t.Errorf("warnings() = %q, want one naming tls.insecureSkipVerify", warnings)
	}

	for _, quiet := range []*TLSConfig{nil, {Enabled: true}, {InsecureSkipVerify: true}} {
		if w := quiet.warnings(); len(w) != 0 {
			t.Errorf("%+v warns %q", quiet, w)
		}
	}
}

func TestNewWarnsAboutInsecureSkipVerify(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	cfg := validConfig()
	cfg.TLS = &TLSConfig{Enabled: true, InsecureSkipVerify: true}
	if _, err := New(WithConfig(cfg), WithLogger(zap.New(core))); err != nil {
		t.Fatal(err)
	}
	entries := logs.FilterMessage("insecure TLS setting").All()
	if len(entries) != 1 {
		t.Fatalf("got %d insecure TLS warnings, want 1", len(entries))
	}
	if reason, _ := entries[0].ContextMap()["reason"].(string); !strings.Contains(reason, "insecureSkipVerify") {
		t.Errorf("warning %q does not name the setting", reason)
	}
}
