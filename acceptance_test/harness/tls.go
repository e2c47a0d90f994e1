package harness

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
)

// TLSFiles are the certificates and keys of the stack, all made by openssl.
type TLSFiles struct {
	// CACert signs every other certificate; kubelogin and kubectl trust it.
	CACert string
	// ServerCert and ServerKey serve Dex, the proxy and kube-apiserver
	// (SANs IP:127.0.0.1, IP:::1, DNS:localhost).
	ServerCert, ServerKey string
	// AdminCert and AdminKey are a client certificate in system:masters, the
	// identity of the test's own administrative kubectl calls.
	AdminCert, AdminKey string
	// SAKey and SAPub sign and verify service account tokens.
	SAKey, SAPub string
}

// MakeTLS makes a CA, a server certificate, an admin client certificate and a
// service-account key pair in dir with openssl.
func MakeTLS(dir string) (*TLSFiles, error) {
	f := &TLSFiles{
		CACert:     filepath.Join(dir, "ca.crt"),
		ServerCert: filepath.Join(dir, "server.crt"),
		ServerKey:  filepath.Join(dir, "server.key"),
		AdminCert:  filepath.Join(dir, "admin.crt"),
		AdminKey:   filepath.Join(dir, "admin.key"),
		SAKey:      filepath.Join(dir, "sa.key"),
		SAPub:      filepath.Join(dir, "sa.pub"),
	}
	ext := "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n" +
		"extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
	if err := os.WriteFile(filepath.Join(dir, "server.ext"), []byte(ext), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "admin.ext"), []byte("extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"), 0o600); err != nil {
		return nil, err
	}
	steps := [][]string{
		{"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
			"-days", "2", "-subj", "/CN=kubelogin-acceptance-ca"},
		{"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"},
		{"x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
			"-out", "server.crt", "-days", "2", "-extfile", "server.ext"},
		{"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "admin.key", "-out", "admin.csr",
			"-subj", "/O=system:masters/CN=acceptance-admin"},
		{"x509", "-req", "-in", "admin.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
			"-out", "admin.crt", "-days", "2", "-extfile", "admin.ext"},
		{"genrsa", "-out", "sa.key", "2048"},
		{"rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"},
	}
	for _, args := range steps {
		if err := run(dir, "openssl", args...); err != nil {
			return nil, fmt.Errorf("make TLS material: %w", err)
		}
	}
	return f, nil
}

// ClientTLS is a TLS config that trusts the CA and, with admin, presents the
// admin client certificate.
func (f *TLSFiles) ClientTLS(admin bool) (*tls.Config, error) {
	pem, err := os.ReadFile(f.CACert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", f.CACert)
	}
	cfg := &tls.Config{RootCAs: pool}
	if admin {
		cert, err := tls.LoadX509KeyPair(f.AdminCert, f.AdminKey)
		if err != nil {
			return nil, fmt.Errorf("load admin client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// CAData is the CA certificate's PEM, as a kubeconfig's certificate-authority-data wants it (before base64).
func (f *TLSFiles) CAData() ([]byte, error) { return os.ReadFile(f.CACert) }
