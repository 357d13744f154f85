package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// allowedMechanisms lists the valid sasl.mechanism values for errors.
const allowedMechanisms = "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM"

// maxTokenFileBytes bounds the size of sasl.tokenFile. OAuth access tokens
// are usually a few KiB, and the bound keeps a wrong path, such as a device
// file, from being read without end.
const maxTokenFileBytes = 1 << 20

// The environment variables that AWS_MSK_IAM falls back to, with the names
// that the AWS SDKs and CLI use.
const (
	envAWSAccessKey    = "AWS_ACCESS_KEY_ID"
	envAWSSecretKey    = "AWS_SECRET_ACCESS_KEY"
	envAWSSessionToken = "AWS_SESSION_TOKEN"
)

// mechanism builds the franz-go SASL mechanism; nil settings mean no SASL.
// The mechanism names its user in authentication errors (kafka.SASLUserNamer).
func (s *SASLConfig) mechanism() (sasl.Mechanism, error) {
	if s == nil {
		return nil, nil
	}

	name := strings.ToUpper(s.Mechanism)
	switch name {
	case "":
		return nil, fmt.Errorf("sasl.mechanism is missing: use %s", allowedMechanisms)
	case MechanismPlain, MechanismScramSHA256, MechanismScramSHA512:
		return s.passwordMechanism(name)
	case MechanismOAuthBearer:
		return s.oauthMechanism()
	case MechanismAWSMSKIAM:
		return s.awsMechanism()
	default:
		return nil, fmt.Errorf("sasl.mechanism %q is invalid: use %s", s.Mechanism, allowedMechanisms)
	}
}

// passwordMechanism builds PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
func (s *SASLConfig) passwordMechanism(name string) (sasl.Mechanism, error) {
	if err := s.rejectUnused(name, "token", "tokenFile", "accessKey", "secretKey", "sessionToken"); err != nil {
		return nil, err
	}
	for _, field := range []struct{ name, value string }{{"username", s.Username}, {"password", s.Password}} {
		if field.value == "" {
			return nil, fmt.Errorf("sasl.%s is missing: mechanism %s needs a username and password", field.name, name)
		}
	}

	var m sasl.Mechanism
	switch name {
	case MechanismPlain:
		m = plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()
	case MechanismScramSHA256:
		m = scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()
	default:
		m = scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()
	}
	return namedUser{Mechanism: m, user: s.Username}, nil
}

// oauthMechanism builds OAUTHBEARER from a static token or a token file.
func (s *SASLConfig) oauthMechanism() (sasl.Mechanism, error) {
	if err := s.rejectUnused(MechanismOAuthBearer, "username", "password", "accessKey", "secretKey", "sessionToken"); err != nil {
		return nil, err
	}
	switch {
	case s.Token == "" && s.TokenFile == "":
		return nil, errors.New("sasl.token and sasl.tokenFile are missing: mechanism OAUTHBEARER needs one of them")
	case s.Token != "" && s.TokenFile != "":
		return nil, errors.New("sasl.token and sasl.tokenFile are both set: set only one")
	case s.Token != "":
		return oauth.Auth{Token: s.Token}.AsMechanism(), nil
	}

	// Read the file once now, so a wrong path fails New instead of every
	// connection.
	path := s.TokenFile
	if _, err := readTokenFile(path); err != nil {
		return nil, err
	}
	return oauth.Oauth(func(context.Context) (oauth.Auth, error) {
		token, err := readTokenFile(path)
		if err != nil {
			return oauth.Auth{}, err
		}
		return oauth.Auth{Token: token}, nil
	}), nil
}

// readTokenFile returns the token in path without surrounding white space.
// Its errors name the path but never contain the file's content.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("sasl.tokenFile: %w", err)
	}
	defer f.Close()

	data, err := io.ReadAll(io.LimitReader(f, maxTokenFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("sasl.tokenFile: reading %q: %w", path, err)
	}
	if len(data) > maxTokenFileBytes {
		return "", fmt.Errorf("sasl.tokenFile %q is larger than 1 MiB: it must contain only the token", path)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("sasl.tokenFile %q is empty: write the OAUTHBEARER token into it", path)
	}
	return token, nil
}

// awsMechanism builds AWS_MSK_IAM from the settings or the environment.
func (s *SASLConfig) awsMechanism() (sasl.Mechanism, error) {
	if err := s.rejectUnused(MechanismAWSMSKIAM, "username", "password", "token", "tokenFile"); err != nil {
		return nil, err
	}

	auth := aws.Auth{AccessKey: s.AccessKey, SecretKey: s.SecretKey, SessionToken: s.SessionToken}
	if auth.AccessKey == "" && auth.SecretKey == "" && auth.SessionToken == "" {
		auth = aws.Auth{
			AccessKey:    os.Getenv(envAWSAccessKey),
			SecretKey:    os.Getenv(envAWSSecretKey),
			SessionToken: os.Getenv(envAWSSessionToken),
		}
		for _, v := range []struct{ name, value string }{{envAWSAccessKey, auth.AccessKey}, {envAWSSecretKey, auth.SecretKey}} {
			if v.value == "" {
				return nil, fmt.Errorf("sasl.accessKey and sasl.secretKey are missing, and so is the environment variable %s: mechanism AWS_MSK_IAM needs both keys, in the settings or in %s and %s", v.name, envAWSAccessKey, envAWSSecretKey)
			}
		}
	} else {
		for _, field := range []struct{ name, value string }{{"accessKey", auth.AccessKey}, {"secretKey", auth.SecretKey}} {
			if field.value == "" {
				return nil, fmt.Errorf("sasl.%s is missing: mechanism AWS_MSK_IAM needs sasl.accessKey and sasl.secretKey, or none of accessKey, secretKey and sessionToken to read them from %s and %s", field.name, envAWSAccessKey, envAWSSecretKey)
			}
		}
	}
	return namedUser{Mechanism: auth.AsManagedStreamingIAMMechanism(), user: auth.AccessKey}, nil
}

// rejectUnused fails when a field that the mechanism does not use is set,
// which is usually a credential in the wrong field.
func (s *SASLConfig) rejectUnused(mechanism string, fields ...string) error {
	values := map[string]string{
		"username":     s.Username,
		"password":     s.Password,
		"token":        s.Token,
		"tokenFile":    s.TokenFile,
		"accessKey":    s.AccessKey,
		"secretKey":    s.SecretKey,
		"sessionToken": s.SessionToken,
	}
	for _, field := range fields {
		if values[field] != "" {
			return fmt.Errorf("sasl.%s is set, but mechanism %s does not use it: remove it, or choose the mechanism it belongs to", field, mechanism)
		}
	}
	return nil
}

// namedUser is a SASL mechanism that names its user in authentication
// errors, through kafka.SASLUserNamer.
type namedUser struct {
	sasl.Mechanism
	user string
}

// SASLUser returns the user name or AWS access key id.
func (m namedUser) SASLUser() string { return m.user }
