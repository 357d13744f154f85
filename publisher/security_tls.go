package publisher

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

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
		pool, err := loadCertPool(t.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}

	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, fmt.Errorf("tls: certFile %q and keyFile %q must be set together for mutual TLS", t.CertFile, t.KeyFile)
	}
	if t.CertFile != "" {
		cert, err := loadKeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{cert}
	}

	return c, nil
}

// warnings returns warnings about the settings, which New logs.
func (t *TLSConfig) warnings() []string {
	if t == nil || !t.Enabled || !t.InsecureSkipVerify {
		return nil
	}
	return []string{"tls.insecureSkipVerify is true: the client accepts any broker certificate, so anyone on the network path can read and change the traffic; set it to false and give the broker's CA in tls.caFile"}
}

// loadCertPool parses every certificate of a PEM bundle. Unlike
// x509.CertPool.AppendCertsFromPEM, it rejects a bundle with a certificate
// it cannot parse, instead of skipping that certificate.
func loadCertPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tls.caFile: %w", err)
	}

	pool := x509.NewCertPool()
	count := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		count++
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tls.caFile %q: certificate %d is invalid: %w", path, count, err)
		}
		pool.AddCert(cert)
	}
	if count == 0 {
		return nil, fmt.Errorf("tls.caFile %q contains no PEM certificate: give a PEM bundle of CA certificates, each starting with -----BEGIN CERTIFICATE-----", path)
	}
	return pool, nil
}

// loadKeyPair reads the client certificate and its private key. Its errors
// name the files but never contain the key.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls.certFile: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls.keyFile: %w", err)
	}

	if !containsPEM(certPEM, "CERTIFICATE") {
		return tls.Certificate{}, fmt.Errorf("tls.certFile %q contains no PEM certificate: give the client certificate in PEM form, starting with -----BEGIN CERTIFICATE-----", certFile)
	}
	if !containsPEM(keyPEM, "") {
		return tls.Certificate{}, fmt.Errorf("tls.keyFile %q contains no PEM data: give the client's private key in PEM form, such as -----BEGIN PRIVATE KEY-----", keyFile)
	}

	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: certFile %q and keyFile %q are not a valid key pair: %w", certFile, keyFile, err)
	}
	return cert, nil
}

// containsPEM reports whether data has a PEM block of blockType, or of any
// type when blockType is empty.
func containsPEM(data []byte, blockType string) bool {
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if blockType == "" || block.Type == blockType {
			return true
		}
	}
	return false
}
