package publisher

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// SASLConfig authenticates broker connections with SASL.
type SASLConfig struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string `json:"mechanism" yaml:"mechanism"`
	Username  string `json:"username" yaml:"username"`
	// Password is replaced by [redacted] when the settings are printed
	// with fmt, marshaled to JSON or YAML, or logged with zap.Any, so a
	// marshaled configuration does not carry it.
	Password string `json:"password" yaml:"password"`
}

// redactedPassword replaces a non-empty password in printed output.
const redactedPassword = "[redacted]"

// redacted returns a copy without methods and with the password replaced.
func (s SASLConfig) redacted() saslFields {
	r := saslFields(s)
	if r.Password != "" {
		r.Password = redactedPassword
	}
	return r
}

// saslFields has SASLConfig's fields and tags but none of its methods, so
// marshaling it does not recurse.
type saslFields SASLConfig

// String describes the settings with the password redacted.
func (s SASLConfig) String() string {
	r := s.redacted()
	return fmt.Sprintf("{mechanism:%s username:%s password:%s}", r.Mechanism, r.Username, r.Password)
}

// GoString redacts the password for %#v as String does for %v.
func (s SASLConfig) GoString() string { return "publisher.SASLConfig" + s.String() }

// MarshalJSON encodes the settings with the password redacted.
func (s SASLConfig) MarshalJSON() ([]byte, error) { return json.Marshal(s.redacted()) }

// MarshalYAML encodes the settings with the password redacted.
func (s SASLConfig) MarshalYAML() (any, error) { return s.redacted(), nil }

// mechanism builds the franz-go SASL mechanism; nil settings mean no SASL.
func (s *SASLConfig) mechanism() (sasl.Mechanism, error) {
	if s == nil {
		return nil, nil
	}
	if s.Username == "" || s.Password == "" {
		return nil, fmt.Errorf("sasl: username and password are required for mechanism %q", s.Mechanism)
	}

	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism(), nil
	default:
		return nil, fmt.Errorf("sasl.mechanism %q is invalid: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
	}
}

// TLSConfig encrypts broker connections with TLS.
type TLSConfig struct {
	// Enabled turns TLS on; the other fields are ignored without it.
	Enabled bool `json:"enabled" yaml:"enabled"`
	// CAFile is a PEM bundle of the certificate authorities to trust
	// instead of the system pool.
	CAFile string `json:"caFile,omitempty" yaml:"caFile,omitempty"`
	// CertFile and KeyFile are the PEM client certificate and key for
	// mutual TLS; set both or neither.
	CertFile string `json:"certFile,omitempty" yaml:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty" yaml:"keyFile,omitempty"`
	// ServerName overrides the host name checked in the broker's
	// certificate.
	ServerName string `json:"serverName,omitempty" yaml:"serverName,omitempty"`
	// InsecureSkipVerify accepts any broker certificate. For tests only.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty" yaml:"insecureSkipVerify,omitempty"`
	// MinVersion is the lowest TLS version accepted: 1.2 (default) or 1.3.
	MinVersion string `json:"minVersion,omitempty" yaml:"minVersion,omitempty"`
}

// config reads the files and builds the crypto/tls configuration; nil or
// disabled settings mean plaintext.
func (t *TLSConfig) config() (*tls.Config, error) {
	if t == nil || !t.Enabled {
		return nil, nil
	}

	c := &tls.Config{
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // opt-in, documented as test-only
	}

	switch t.MinVersion {
	case "", "1.2":
		c.MinVersion = tls.VersionTLS12
	case "1.3":
		c.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("tls.minVersion %q is invalid: use 1.2 or 1.3", t.MinVersion)
	}

	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.caFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.caFile %q contains no PEM certificate: give a PEM bundle of CA certificates", t.CAFile)
		}
		c.RootCAs = pool
	}

	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, fmt.Errorf("tls: certFile %q and keyFile %q must be set together for mutual TLS", t.CertFile, t.KeyFile)
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: loading certFile %q and keyFile %q: %w", t.CertFile, t.KeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}

	return c, nil
}
