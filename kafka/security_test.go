package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// serve accepts connections on a new loopback listener and hands each to
// handle, until the test ends.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var handlers sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		handlers.Wait()
	})
	handlers.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			handlers.Go(func() {
				defer conn.Close()
				handle(conn)
			})
		}
	})
	return ln.Addr().String()
}

// franzRetries reports whether franz-go retries a connection that failed
// with err, wrapped as franz-go wraps dial errors.
func franzRetries(err error) bool {
	return kgo.IsRetryableBrokerErr(fmt.Errorf("unable to dial: %w", err))
}

func TestTLSHandshakeFailureIsRetriedOnlyAfterASuccess(t *testing.T) {
	cert, pool := selfSigned(t)
	tlsAddr := serve(t, func(conn net.Conn) {
		server := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		_ = server.Handshake()
	})
	// A listener that responds to the ClientHello with something other
	// than TLS, as an HTTP server would.
	notTLSAddr := serve(t, func(conn net.Conn) {
		_, _ = conn.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
		_, _ = io.Copy(io.Discard, conn)
	})

	dialer := newTLSDialer(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	ctx := context.Background()

	_, err := dialer.DialContext(ctx, "tcp", notTLSAddr)
	var handshake *TLSHandshakeError
	if !errors.As(err, &handshake) {
		t.Fatalf("dialing a listener that does not speak TLS returned %v, want a TLSHandshakeError", err)
	}
	if handshake.Addr != notTLSAddr {
		t.Errorf("Addr = %q, want %q", handshake.Addr, notTLSAddr)
	}
	if franzRetries(err) {
		t.Error("franz-go would retry a failed handshake before any handshake succeeded")
	}

	conn, err := dialer.DialContext(ctx, "tcp", tlsAddr)
	if err != nil {
		t.Fatalf("dialing the TLS listener: %v", err)
	}
	conn.Close()

	_, err = dialer.DialContext(ctx, "tcp", notTLSAddr)
	if !errors.As(err, &handshake) {
		t.Fatalf("second dial returned %v, want a TLSHandshakeError", err)
	}
	if !franzRetries(err) {
		t.Error("franz-go would not retry a failed handshake after a handshake succeeded")
	}
}

func TestTLSDialerChecksTheHostName(t *testing.T) {
	cert, pool := selfSigned(t)
	addr := serve(t, func(conn net.Conn) {
		_ = tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}).Handshake()
	})

	// The certificate names 127.0.0.1, which is the host of addr.
	conn, err := newTLSDialer(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}).DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("dialing with the host of the address as server name: %v", err)
	}
	conn.Close()

	config := &tls.Config{RootCAs: pool, ServerName: "kafka.example", MinVersion: tls.VersionTLS12}
	_, err = newTLSDialer(config).DialContext(context.Background(), "tcp", addr)
	var hostname x509.HostnameError
	if !errors.As(err, &hostname) {
		t.Errorf("dialing with server name kafka.example returned %v, want an x509.HostnameError", err)
	}
	if config.ServerName != "kafka.example" {
		t.Error("the dialer changed the caller's configuration")
	}
}

// userMechanism is a SASL mechanism that names its user.
type userMechanism struct {
	sasl.Mechanism
	user string
}

func (m userMechanism) SASLUser() string { return m.user }

func TestSecurityHint(t *testing.T) {
	plainMechanism := userMechanism{plain.Auth{User: "talaria", Pass: "secret"}.AsMechanism(), "talaria"}
	withSASL := &Client{sasl: newTrackedMechanism(plainMechanism)}
	withTLS := &Client{tls: true}
	plaintext := &Client{}

	cases := []struct {
		name   string
		client *Client
		err    error
		want   string // substring of the hint; empty for no hint
	}{
		{"authentication failed", withSASL, fmt.Errorf("x: %w", kerr.SaslAuthenticationFailed),
			`SASL authentication failed for user "talaria" with mechanism PLAIN: check sasl.username and sasl.password`},
		{"mechanism not enabled", withSASL, kerr.UnsupportedSaslMechanism,
			"does not enable SASL mechanism PLAIN"},
		{"listener without SASL", withSASL, kerr.IllegalSaslState,
			"the listener does not expect SASL"},
		{"TLS alert to a plaintext client", plaintext,
			errors.New("invalid large response size 352518912 > limit 104857600; the first three bytes received appear to be a tls alert record for TLS v1.2"),
			"tls.enabled: true"},
		{"connection closed before a response", plaintext, io.EOF,
			"for an SSL or SASL_SSL listener set tls.enabled: true, and for a SASL_PLAINTEXT or SASL_SSL listener configure sasl"},
		{"TLS connection closed before a response", withTLS, io.EOF,
			"for a SASL_SSL listener configure sasl"},
		{"handshake timed out", withTLS, &TLSHandshakeError{Addr: "b:9093", Err: context.DeadlineExceeded},
			"did not complete the TLS handshake within 3s"},
		{"unrelated error", withSASL, kerr.UnknownServerError, ""},
		{"connection refused", plaintext, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hint := tc.client.securityHint(tc.err)
			if tc.want == "" {
				if hint != "" {
					t.Errorf("hint %q, want none", hint)
				}
				return
			}
			if !strings.Contains(hint, tc.want) {
				t.Errorf("hint %q does not contain %q", hint, tc.want)
			}
		})
	}
}

func TestTrackedMechanismCountsAuthentications(t *testing.T) {
	m := newTrackedMechanism(userMechanism{plain.Auth{User: "u", Pass: "p"}.AsMechanism(), "u"})
	if m.user != "u" {
		t.Errorf("user = %q, want the mechanism's SASLUser", m.user)
	}
	if m.Name() != "PLAIN" {
		t.Errorf("Name() = %q, want the wrapped mechanism's name", m.Name())
	}

	session, _, err := m.Authenticate(context.Background(), "127.0.0.1:9092")
	if err != nil {
		t.Fatal(err)
	}
	if !m.unfinished() {
		t.Error("an authentication that began is not reported as unfinished")
	}
	if done, _, err := session.Challenge(nil); !done || err != nil {
		t.Fatalf("Challenge = %v, %v; want done", done, err)
	}
	if m.unfinished() {
		t.Error("a completed authentication is reported as unfinished")
	}
}
