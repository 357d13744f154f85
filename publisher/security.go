package publisher

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.uber.org/zap/zapcore"
)

// The SASL mechanisms that SASLConfig.Mechanism accepts. New also accepts
// them in lower case.
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
	MechanismOAuthBearer = "OAUTHBEARER"
	MechanismAWSMSKIAM   = "AWS_MSK_IAM"
)

// SASLConfig authenticates broker connections with SASL. The fields each
// mechanism needs:
//
//   - PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512: username and password.
//   - OAUTHBEARER: token, or tokenFile. The file is read at New and again
//     for every authentication, so a token rotated in the file is used by
//     the next connection and the next re-authentication.
//   - AWS_MSK_IAM: accessKey and secretKey, plus sessionToken for temporary
//     credentials. With none of the three set, New reads them once from the
//     environment variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//     AWS_SESSION_TOKEN, so temporary credentials that expire need a new
//     Dispatcher. franz-go signs with the region in the broker's host name,
//     or AWS_REGION (then AWS_DEFAULT_REGION) when the name contains none.
//
// New rejects a missing field and a field that the mechanism does not use.
// The secrets (password, token, secretKey and sessionToken) are replaced by
// [redacted] when the settings are printed with fmt, marshaled to JSON or
// YAML, or logged with zap.Any or zap.Object.
type SASLConfig struct {
	// Mechanism is PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or
	// AWS_MSK_IAM.
	Mechanism string `json:"mechanism" yaml:"mechanism"`
	Username  string `json:"username" yaml:"username"`
	// Password is a secret.
	Password string `json:"password" yaml:"password"`

	// Token is a static OAUTHBEARER token, a secret.
	Token string `json:"token,omitempty" yaml:"token,omitempty"`
	// TokenFile is the path of a file that contains the OAUTHBEARER token.
	// White space around the token, such as a final newline, is ignored.
	// At most 1 MiB.
	TokenFile string `json:"tokenFile,omitempty" yaml:"tokenFile,omitempty"`

	// AccessKey is the AWS access key id for AWS_MSK_IAM.
	AccessKey string `json:"accessKey,omitempty" yaml:"accessKey,omitempty"`
	// SecretKey is the AWS secret access key, a secret.
	SecretKey string `json:"secretKey,omitempty" yaml:"secretKey,omitempty"`
	// SessionToken is the AWS session token of temporary credentials, a
	// secret.
	SessionToken string `json:"sessionToken,omitempty" yaml:"sessionToken,omitempty"`
}

// redactedPassword replaces a non-empty secret in printed output.
const redactedPassword = "[redacted]"

// redacted returns a copy without methods and with every secret replaced.
func (s SASLConfig) redacted() saslFields {
	r := saslFields(s)
	for _, secret := range []*string{&r.Password, &r.Token, &r.SecretKey, &r.SessionToken} {
		if *secret != "" {
			*secret = redactedPassword
		}
	}
	return r
}

// saslFields has SASLConfig's fields and tags but none of its methods, so
// marshaling it does not recurse.
type saslFields SASLConfig

// fields returns the non-empty settings as key and value pairs, in
// declaration order, with the secrets redacted.
func (s SASLConfig) fields() [][2]string {
	r := s.redacted()
	all := [][2]string{
		{"mechanism", r.Mechanism},
		{"username", r.Username},
		{"password", r.Password},
		{"token", r.Token},
		{"tokenFile", r.TokenFile},
		{"accessKey", r.AccessKey},
		{"secretKey", r.SecretKey},
		{"sessionToken", r.SessionToken},
	}
	set := all[:0]
	for _, field := range all {
		if field[1] != "" {
			set = append(set, field)
		}
	}
	return set
}

// String describes the non-empty settings with the secrets redacted.
func (s SASLConfig) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, field := range s.fields() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%s", field[0], field[1])
	}
	b.WriteByte('}')
	return b.String()
}

// GoString redacts the secrets for %#v as String does for %v.
func (s SASLConfig) GoString() string { return "publisher.SASLConfig" + s.String() }

// MarshalJSON encodes the settings with the secrets redacted.
func (s SASLConfig) MarshalJSON() ([]byte, error) { return json.Marshal(s.redacted()) }

// MarshalYAML encodes the settings with the secrets redacted.
func (s SASLConfig) MarshalYAML() (any, error) { return s.redacted(), nil }

// MarshalLogObject encodes the non-empty settings for zap.Object and
// zap.Any with the secrets redacted. Its receiver is a pointer, so that a
// nil *SASLConfig logs as an empty object instead of panicking. zap.Any of a
// SASLConfig value uses MarshalJSON.
func (s *SASLConfig) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	if s == nil {
		return nil
	}
	for _, field := range s.fields() {
		enc.AddString(field[0], field[1])
	}
	return nil
}

// TLSConfig encrypts broker connections with TLS. New reads and checks the
// files, so a later change to them takes effect only with a new Dispatcher.
// The TLS handshake with each broker must finish within 3 s. A failed
// handshake fails Start at once. After Start, franz-go retries it like a
// lost connection.
type TLSConfig struct {
	// Enabled turns TLS on; the other fields are ignored without it.
	Enabled bool `json:"enabled" yaml:"enabled"`
	// CAFile is a PEM bundle of one or more CA certificates to trust
	// instead of the system pool.
	CAFile string `json:"caFile,omitempty" yaml:"caFile,omitempty"`
	// CertFile and KeyFile are the PEM client certificate and key for
	// mutual TLS; set both or neither. CertFile may add intermediate
	// certificates after the client certificate.
	CertFile string `json:"certFile,omitempty" yaml:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty" yaml:"keyFile,omitempty"`
	// ServerName is the host name checked in the broker's certificate.
	// Default: the host of the broker address being dialed.
	ServerName string `json:"serverName,omitempty" yaml:"serverName,omitempty"`
	// InsecureSkipVerify accepts any broker certificate, which lets anyone
	// on the network path read and change the traffic. For tests only.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty" yaml:"insecureSkipVerify,omitempty"`
	// MinVersion is the lowest TLS version accepted: 1.2 (default) or 1.3.
	MinVersion string `json:"minVersion,omitempty" yaml:"minVersion,omitempty"`
}
