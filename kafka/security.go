package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

const (
	// dialTimeout bounds the TCP connect, as franz-go's default dialer does.
	dialTimeout = 10 * time.Second

	// tlsHandshakeTimeout bounds the TLS handshake after the TCP connect.
	// A plaintext listener that receives a TLS ClientHello may never
	// respond, so without this bound such a misconfiguration would hold
	// Start for its whole timeout. A handshake needs a few network round
	// trips, so 3 s leaves room for slow links and busy brokers.
	//
	// NOTE: 3 s is a judgment, not derived from measured slow networks. A
	// broker whose first handshake takes longer fails Start.
	tlsHandshakeTimeout = 3 * time.Second
)

// SASLUserNamer is implemented by a SASL mechanism that can name the
// identity it authenticates, so that an authentication failure can name it
// too. The name is a user name or an access key id, never a secret.
type SASLUserNamer interface {
	SASLUser() string
}

// TLSHandshakeError is a failed TLS handshake with a broker.
type TLSHandshakeError struct {
	// Addr is the broker's host:port.
	Addr string
	// Err is the cause, from crypto/tls, or context.DeadlineExceeded when
	// the handshake took longer than 3 s.
	Err error

	// retry is the value Temporary returns.
	retry bool
}

func (e *TLSHandshakeError) Error() string {
	return fmt.Sprintf("TLS handshake with %s failed: %v", e.Addr, e.Err)
}

func (e *TLSHandshakeError) Unwrap() error { return e.Err }

// Temporary reports whether franz-go should retry the connection. Before
// any handshake of the client has succeeded, a failed handshake points at
// the configuration, so Temporary returns false and Start fails at once.
// After one has succeeded, the configuration is proven, so Temporary returns
// true and franz-go retries instead of failing buffered records.
func (e *TLSHandshakeError) Temporary() bool { return e.retry }

// tlsDialer dials brokers with TLS. It replaces kgo.DialTLSConfig to bound
// the handshake separately from the TCP connect and to mark handshake
// failures with TLSHandshakeError.
type tlsDialer struct {
	config    *tls.Config
	tcp       net.Dialer
	handshook atomic.Bool // a handshake has succeeded
}

func newTLSDialer(c *tls.Config) *tlsDialer {
	return &tlsDialer{config: c, tcp: net.Dialer{Timeout: dialTimeout}}
}

// DialContext connects to addr and completes the TLS handshake. Like
// kgo.DialTLSConfig, it checks the broker's certificate against the host of
// addr unless the configuration sets a ServerName.
func (d *tlsDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	config := d.config.Clone()
	if config.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("broker address %q is not host:port: %w", addr, err)
		}
		config.ServerName = host
	}

	conn, err := d.tcp.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}

	handshakeCtx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout)
	defer cancel()
	tlsConn := tls.Client(conn, config)
	if err := tlsConn.HandshakeContext(handshakeCtx); err != nil {
		conn.Close()
		if ctx.Err() != nil {
			// The caller gave up or the client is closing, so the
			// handshake itself did not fail.
			return nil, err
		}
		return nil, &TLSHandshakeError{Addr: addr, Err: err, retry: d.handshook.Load()}
	}
	d.handshook.Store(true)
	return tlsConn, nil
}

// trackedMechanism counts the SASL authentications that began and those
// that completed, so that a connection the broker closed in between can be
// reported as an authentication failure.
type trackedMechanism struct {
	sasl.Mechanism
	user      string
	begun     atomic.Int64
	completed atomic.Int64
}

func newTrackedMechanism(m sasl.Mechanism) *trackedMechanism {
	t := &trackedMechanism{Mechanism: m}
	if namer, ok := m.(SASLUserNamer); ok {
		t.user = namer.SASLUser()
	}
	return t
}

func (m *trackedMechanism) Authenticate(ctx context.Context, host string) (sasl.Session, []byte, error) {
	m.begun.Add(1)
	session, first, err := m.Mechanism.Authenticate(ctx, host)
	if err != nil {
		return nil, nil, err
	}
	return &trackedSession{Session: session, mechanism: m}, first, nil
}

// Close closes the wrapped mechanism if it needs closing.
func (m *trackedMechanism) Close() {
	if closer, ok := m.Mechanism.(sasl.ClosingMechanism); ok {
		closer.Close()
	}
}

// unfinished reports whether an authentication began and did not complete.
func (m *trackedMechanism) unfinished() bool {
	return m.begun.Load() > m.completed.Load()
}

type trackedSession struct {
	sasl.Session
	mechanism *trackedMechanism
}

func (s *trackedSession) Challenge(challenge []byte) (bool, []byte, error) {
	done, response, err := s.Session.Challenge(challenge)
	if done && err == nil {
		s.mechanism.completed.Add(1)
	}
	return done, response, err
}

// securityHint returns what to change when err, from a Ping, points at the
// TLS or SASL settings, or "" when it does not.
func (c *Client) securityHint(err error) string {
	var handshake *TLSHandshakeError
	if errors.As(err, &handshake) {
		return tlsHandshakeHint(handshake)
	}
	if c.tls && isRemoteTLSAlert(err) {
		return "the broker rejected the TLS connection: if it requires a client certificate, set tls.certFile and tls.keyFile to a certificate that its CA signed"
	}
	if !c.tls && isTLSAlertResponse(err) {
		return "the broker responded with a TLS alert, as a TLS listener does to a plaintext client: for an SSL or SASL_SSL listener set tls.enabled: true"
	}

	if c.sasl != nil {
		name := c.sasl.Name()
		switch {
		case errors.Is(err, kerr.SaslAuthenticationFailed):
			return c.saslFailedHint("")
		case errors.Is(err, kerr.UnsupportedSaslMechanism):
			return fmt.Sprintf("the broker does not enable SASL mechanism %s on this listener: set sasl.mechanism to one of the listener's sasl.enabled.mechanisms", name)
		case errors.Is(err, kerr.IllegalSaslState):
			return "the listener does not expect SASL: remove the sasl settings for a PLAINTEXT or SSL listener, or use the broker's SASL_PLAINTEXT or SASL_SSL port"
		case c.sasl.unfinished() && isClosedConnection(err):
			return c.saslFailedHint("the broker closed the connection during authentication")
		}
	}

	if isClosedConnection(err) {
		return c.closedConnectionHint()
	}
	return ""
}

// saslFailedHint describes a failed authentication with the settings to
// check. reason may be empty.
func (c *Client) saslFailedHint(reason string) string {
	name := c.sasl.Name()
	hint := "SASL authentication failed with mechanism " + name
	if c.sasl.user != "" {
		hint = fmt.Sprintf("SASL authentication failed for user %q with mechanism %s", c.sasl.user, name)
	}
	if reason != "" {
		hint += ", because " + reason
	}

	switch name {
	case "OAUTHBEARER":
		return hint + ": check that sasl.token, or the file that sasl.tokenFile names, contains a valid token that has not expired"
	case "AWS_MSK_IAM":
		return hint + ": check sasl.accessKey, sasl.secretKey and sasl.sessionToken (or the AWS_ environment variables), and that the IAM policy allows kafka-cluster:Connect"
	default:
		return hint + fmt.Sprintf(": check sasl.username and sasl.password, and that the broker has a %s credential for this user", name)
	}
}

// closedConnectionHint explains a connection that the broker closed before
// it responded and before any SASL authentication began. Brokers do that
// when the client's security protocol does not match the listener's.
func (c *Client) closedConnectionHint() string {
	const prefix = "the broker closed the connection before it responded"
	switch {
	case !c.tls && c.sasl == nil:
		return prefix + ", as a listener that expects TLS or SASL does: for an SSL or SASL_SSL listener set tls.enabled: true, and for a SASL_PLAINTEXT or SASL_SSL listener configure sasl"
	case !c.tls:
		return prefix + ", as a listener that expects TLS does: for a SASL_SSL listener set tls.enabled: true"
	case c.sasl == nil:
		return prefix + ", as a listener that expects SASL does: for a SASL_SSL listener configure sasl"
	default:
		return prefix + ": check that tls and sasl match the listener's security protocol (SASL_SSL)"
	}
}

// tlsHandshakeHint explains a failed handshake by its cause.
func tlsHandshakeHint(e *TLSHandshakeError) string {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		recordHeader     tls.RecordHeaderError
	)
	const plaintextFix = "set tls.enabled: false for a PLAINTEXT or SASL_PLAINTEXT listener, or use the broker's SSL or SASL_SSL port"
	switch {
	case errors.As(e.Err, &unknownAuthority):
		return "the broker's certificate is signed by an authority that the client does not trust: set tls.caFile to a PEM file with the CA certificate that signed it"
	case errors.As(e.Err, &hostname):
		return fmt.Sprintf("the broker's certificate is not valid for %q: set tls.serverName to a name that the certificate contains, or connect to the broker by that name", hostname.Host)
	case errors.As(e.Err, &invalid):
		return "the broker's certificate is invalid, for example expired or not yet valid: renew it, or check the clock of this host"
	case errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("the broker did not complete the TLS handshake within %s, as a plaintext listener does: %s", tlsHandshakeTimeout, plaintextFix)
	case errors.As(e.Err, &recordHeader), isClosedConnection(e.Err):
		return "the broker did not respond with TLS, as a plaintext listener does: " + plaintextFix
	case isRemoteTLSAlert(e.Err):
		return "the broker rejected the TLS handshake: check tls.minVersion, and set tls.certFile and tls.keyFile if it requires a client certificate"
	default:
		return "check tls.caFile, tls.certFile, tls.keyFile, tls.serverName and tls.minVersion against the listener's TLS settings"
	}
}

// isClosedConnection reports whether err is the peer closing or resetting
// the connection.
func isClosedConnection(err error) bool {
	var firstRead *kgo.ErrFirstReadEOF
	return errors.As(err, &firstRead) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET)
}

// isTLSAlertResponse reports whether err is franz-go's error for a
// response that starts like a TLS alert record, which a TLS listener sends
// to a plaintext client. franz-go returns it as text only.
//
// NOTE: this matches the wording of franz-go v1.22.3 (pkg/kgo/broker.go,
// "invalid large response size ..."). If a later version rewords it, the
// error loses the hint but keeps franz-go's own explanation.
func isTLSAlertResponse(err error) bool {
	return strings.Contains(err.Error(), "appear to be a tls alert record")
}

// isRemoteTLSAlert reports whether err is a TLS alert from the broker, which
// crypto/tls returns as a net.OpError with Op "remote error".
func isRemoteTLSAlert(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "remote error"
}
