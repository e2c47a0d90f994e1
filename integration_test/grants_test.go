package integration_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func TestPasswordGrant(t *testing.T) {
	e := newEnv(t, oidcfake.Config{Users: map[string]string{"alice": "wonderland"}})
	pw := func(extra ...string) []string {
		return e.args(append([]string{"--grant-type=password", "--username=alice", "--token-cache-storage=none"}, extra...)...)
	}
	for _, tc := range []struct {
		name       string
		opts       runOpts
		args       []string
		wantErr    []string // empty = success
		wantStderr string
		requests   int // password requests at the provider
	}{
		{name: "--password", args: pw("--password=wonderland", "-v3"), wantStderr: "[redacted]", requests: 1},
		{name: "KUBELOGIN_PASSWORD", opts: runOpts{env: []string{"KUBELOGIN_PASSWORD=wonderland"}}, args: pw(), requests: 1},
		{name: "--password wins over KUBELOGIN_PASSWORD", opts: runOpts{env: []string{"KUBELOGIN_PASSWORD=nope"}}, args: pw("--password=wonderland"), requests: 1},
		{name: "KUBELOGIN_PASSWORD wins over --password-command", opts: runOpts{env: []string{"KUBELOGIN_PASSWORD=wonderland"}},
			args: pw("--password-command=echo never run >&2; exit 1"), requests: 1},
		{name: "--password-command", args: pw(`--password-command=echo unlocking the vault >&2; printf 'wonderland\n'`),
			wantStderr: "unlocking the vault", requests: 1},
		{name: "auto grant from --username", opts: runOpts{env: []string{"KUBELOGIN_PASSWORD=wonderland"}},
			args: e.args("--username=alice", "--token-cache-storage=none"), requests: 1},
		{name: "--password-command fails", args: pw(`--password-command=echo the vault is sealed >&2; exit 3`),
			wantErr: []string{"the vault is sealed\nerror: --password-command failed: exit status 3 (its messages, if any, are above)"}},
		{name: "--password-command prints nothing", args: pw(`--password-command=printf '\n'`),
			wantErr: []string{"error: --password-command printed no password on its standard output"}},
		{name: "wrong password", args: pw("--password=nope"), requests: 1,
			wantErr: []string{"error: log in with the password grant: the provider answered 400 invalid_grant: invalid username or password (check --username and the password)"}},
		{name: "not interactive: no prompt", opts: runOpts{stdin: "wonderland\n"}, args: pw(),
			wantErr: []string{"error: --grant-type=password needs a password, and kubelogin may not prompt here (kubectl's interactiveMode is Never, or stdin is not a terminal): set KUBELOGIN_PASSWORD, give --password-command"}},
		{name: "not interactive: no username", args: e.args("--grant-type=password", "--password=wonderland"),
			wantErr: []string{"error: --grant-type=password needs --username, and kubelogin may not prompt here"}},
		{name: "interactive through a pipe", opts: runOpts{stdin: "wonderland\n", execInfo: strPtr(interactiveV1)}, args: pw(),
			wantStderr: "Password for alice: ", requests: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.provider.ResetCounts()
			r := e.runWith(tc.opts, tc.args...)
			if len(tc.wantErr) == 0 {
				mustCredential(t, r)
			} else {
				mustFail(t, r, tc.wantErr...)
				if !strings.Contains(tc.name, "command fails") {
					oneLine(t, r)
				}
			}
			if tc.wantStderr != "" && !strings.Contains(r.stderr, tc.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantStderr, r.stderr)
			}
			for _, secret := range []string{"wonderland", "nope"} {
				if strings.Contains(r.stderr, secret) {
					t.Errorf("stderr shows the password %q:\n%s", secret, r.stderr)
				}
			}
			if got := e.provider.TokenRequests("password"); got != tc.requests {
				t.Errorf("password requests = %d, want %d", got, tc.requests)
			}
			if e.launches() != 0 {
				t.Error("the password grant opened a browser")
			}
		})
	}
	// Refused prompts make no request at all, not even discovery.
	e.provider.ResetCounts()
	e.runWith(runOpts{}, pw()...)
	if n := e.provider.Count("discovery") + e.provider.Count("token"); n != 0 {
		t.Errorf("a run that cannot prompt made %d requests", n)
	}
}

func TestPasswordGrantCachesAndRefreshes(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	args := e.args("--username=admin@example.com", "--password-command=printf password")
	first := mustCredential(t, e.run(args...))
	if c := mustCredential(t, e.run(args...)); c.Status.Token != first.Status.Token {
		t.Error("the second run did not use the cache")
	}
	mustCredential(t, e.run(append(args, "--force-refresh")...))
	if got, want := e.provider.TokenRequests("password"), 1; got != want {
		t.Errorf("password requests = %d, want %d", got, want)
	}
	if got := e.provider.TokenRequests("refresh_token"); got != 1 {
		t.Errorf("refresh requests = %d, want 1", got)
	}
}

func TestClientCredentialsWithSecret(t *testing.T) {
	const secret = "s3cr:et"
	cc := func(e *env, extra ...string) []string {
		return e.args(append([]string{"--grant-type=client-credentials", "--oidc-client-secret=" + secret}, extra...)...)
	}
	t.Run("basic, access token, cached", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{ClientSecret: secret})
		c := mustCredential(t, e.run(cc(e, "--oidc-use-access-token", "--oidc-auth-request-extra-params=audience=k8s")...))
		_, entry := e.onlyEntry()
		if c.Status.Token != entry["access_token"] || c.Status.ExpirationTimestamp.IsZero() {
			t.Errorf("the credential is not the access token with its expiry: %+v", c.Status)
		}
		form, header := e.provider.LastTokenRequest()
		if !strings.HasPrefix(header.Get("Authorization"), "Basic ") || form.Has("client_secret") {
			t.Errorf("want client_secret_basic; form %v", form)
		}
		if form.Get("audience") != "k8s" || form.Get("scope") != "openid" {
			t.Errorf("form %v lacks audience=k8s or scope", form)
		}
		mustCredential(t, e.run(cc(e, "--oidc-use-access-token", "--oidc-auth-request-extra-params=audience=k8s")...))
		if n := e.provider.TokenRequests("client_credentials"); n != 1 {
			t.Errorf("client_credentials requests = %d, want 1 (then the cache)", n)
		}
		if e.launches() != 0 {
			t.Error("a browser was opened")
		}
	})
	t.Run("post, when discovery lists only it", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{ClientSecret: secret, TokenEndpointAuthMethods: []string{"client_secret_post"}})
		mustCredential(t, e.run(cc(e, "--oidc-use-access-token")...))
		form, header := e.provider.LastTokenRequest()
		if header.Get("Authorization") != "" || form.Get("client_secret") != secret {
			t.Errorf("want client_secret_post; Authorization %q", header.Get("Authorization"))
		}
	})
	t.Run("no ID token: say what to add", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{ClientSecret: secret})
		r := e.run(cc(e)...)
		mustFail(t, r, "error: the provider's client-credentials answer has no ID token, as is usual for this grant: add --oidc-use-access-token")
		oneLine(t, r)
	})
	t.Run("an ID token is verified and used", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{ClientSecret: secret, ClientCredentialsIDToken: true})
		c := mustCredential(t, e.run(cc(e)...))
		if claims := decode(t, c.Status.Token); claims["sub"] != "kubelogin" {
			t.Errorf("sub = %v, want the client", claims["sub"])
		}
		e.provider.SetFaults(oidcfake.Faults{WrongAudience: true})
		mustFail(t, e.run(cc(e, "--force-refresh")...), "expected audience")
	})
	t.Run("wrong secret", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{ClientSecret: secret})
		r := e.run(append(removeFlag(cc(e, "--oidc-use-access-token"), "--oidc-client-secret"), "--oidc-client-secret=nope")...)
		mustFail(t, r, "error: log in with client credentials: the provider answered 401 invalid_client: invalid client secret (check the client secret or assertion")
		if strings.Contains(r.stderr, "nope") {
			t.Error("stderr shows the secret")
		}
	})
	t.Run("no client authentication", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{})
		mustFail(t, e.getToken("--grant-type=client-credentials"), "error: --grant-type=client-credentials needs the client to authenticate")
	})
}

// keyFiles writes key (and a self-signed certificate for it) as PEM files.
func keyFiles(t *testing.T, key crypto.Signer, withCert bool) (keyFile, certFile string) {
	t.Helper()
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(dir, "client.key")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if !withCert {
		return keyFile, ""
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "kubelogin"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(dir, "client.crt")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}), 0o600)
	return keyFile, certFile
}

func TestClientCredentialsPrivateKeyJWT(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	unknown, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e := newEnv(t, oidcfake.Config{ClientAssertionKeys: []crypto.PublicKey{rsaKey.Public(), ecKey.Public()}})
	cc := func(key, cert string) []string {
		a := e.args("--grant-type=client-credentials", "--oidc-use-access-token", "--token-cache-storage=none", "--oidc-client-assertion-key="+key)
		if cert != "" {
			a = append(a, "--oidc-client-assertion-cert="+cert)
		}
		return a
	}

	rsaFile, certFile := keyFiles(t, rsaKey, true)
	var jtis []string
	for range 2 { // a fresh jti each time: the provider refuses replays
		mustCredential(t, e.run(cc(rsaFile, certFile)...))
		form, header := e.provider.LastTokenRequest()
		if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
			form.Has("client_secret") || header.Get("Authorization") != "" || form.Get("client_id") != "kubelogin" {
			t.Fatalf("token request is not private_key_jwt: %v", form)
		}
		tok, err := jwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		var c jwt.Claims
		if err := tok.Claims(rsaKey.Public(), &c); err != nil {
			t.Fatalf("assertion signature: %v", err)
		}
		if c.Issuer != "kubelogin" || c.Subject != "kubelogin" || !c.Audience.Contains(e.provider.Issuer()+"/token") ||
			c.Expiry.Time().Sub(c.IssuedAt.Time()) != 5*time.Minute {
			t.Errorf("assertion claims: %+v", c)
		}
		header64, _, _ := strings.Cut(form.Get("client_assertion"), ".")
		rawHeader, _ := base64.RawURLEncoding.DecodeString(header64)
		if h := tok.Headers[0]; h.KeyID == "" || !strings.Contains(string(rawHeader), `"x5c":["`) {
			t.Errorf("assertion header lacks kid or x5c: %s", rawHeader)
		}
		jtis = append(jtis, c.ID)
	}
	if jtis[0] == jtis[1] {
		t.Error("two logins sent the same jti")
	}

	ecFile, _ := keyFiles(t, ecKey, false)
	r := e.run(append(cc(ecFile, ""), "--oidc-client-assertion-kid=ec-2026", "-v1")...)
	mustCredential(t, r)
	form, _ := e.provider.LastTokenRequest()
	if tok, err := jwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.ES256}); err != nil || tok.Headers[0].KeyID != "ec-2026" {
		t.Errorf("the assertion does not carry the kid given: %v", err)
	}
	if !strings.Contains(r.stderr, "client assertion: ES256, kid ec-2026") {
		t.Errorf("-v1 does not show the assertion's algorithm and kid:\n%s", r.stderr)
	}

	unknownFile, _ := keyFiles(t, unknown, false)
	r = e.run(cc(unknownFile, "")...)
	mustFail(t, r, "error: log in with client credentials: the provider answered 401 invalid_client: client assertion signature does not verify")
	oneLine(t, r)
}

func TestClientCredentialsFederatedToken(t *testing.T) {
	saKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	const saIssuer, audience = "https://kubernetes.default.svc.cluster.local", "api://kubelogin"
	e := newEnv(t, oidcfake.Config{FederatedIssuer: saIssuer, FederatedAudience: audience, FederatedKeys: []crypto.PublicKey{saKey.Public()}})
	saToken := func(aud string, exp time.Time) string {
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: saKey}, nil)
		s, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: saIssuer, Subject: "system:serviceaccount:ci:deployer",
			Audience: jwt.Audience{aud}, Expiry: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(time.Now()), ID: rand.Text()}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	file := filepath.Join(t.TempDir(), "token")
	args := e.args("--grant-type=client-credentials", "--oidc-use-access-token", "--oidc-client-assertion-file="+file)

	// Projected tokens rotate in place: every login reads the file again.
	for i := range 2 {
		tok := saToken(audience, time.Now().Add(time.Hour))
		os.WriteFile(file, []byte(tok+"\n"), 0o600)
		mustCredential(t, e.run(append(args, "--force-refresh")...))
		if form, _ := e.provider.LastTokenRequest(); form.Get("client_assertion") != tok {
			t.Fatalf("login %d did not send the file's current token", i+1)
		}
	}

	envTok := saToken(audience, time.Now().Add(time.Hour))
	r := e.runWith(runOpts{env: []string{"CI_JOB_JWT_V2=" + envTok}},
		e.args("--grant-type=client-credentials", "--oidc-use-access-token", "--oidc-client-assertion-env=CI_JOB_JWT_V2", "--token-cache-storage=none", "-v3")...)
	c := mustCredential(t, r)
	if form, _ := e.provider.LastTokenRequest(); form.Get("client_assertion") != envTok {
		t.Error("the token of the environment variable was not sent")
	}
	if strings.Contains(r.stderr, envTok) || strings.Contains(r.stderr, c.Status.Token) || !strings.Contains(r.stderr, "client_assertion=[redacted]") {
		t.Errorf("-v3 shows the assertion or the token, or no redacted request:\n%s", r.stderr)
	}

	os.WriteFile(file, []byte(saToken("api://someone-else", time.Now().Add(time.Hour))), 0o600)
	r = e.run(append(args, "--force-refresh")...)
	mustFail(t, r, "error: log in with client credentials: the provider answered 401 invalid_client: client assertion rejected")
	oneLine(t, r)

	e.provider.ResetCounts()
	expired := time.Now().Add(-time.Minute).Truncate(time.Second)
	os.WriteFile(file, []byte(saToken(audience, expired)), 0o600)
	mustFail(t, e.run(append(args, "--force-refresh")...), "error: log in with client credentials: the token in the file "+file+" (--oidc-client-assertion-file) expired at "+expired.UTC().Format(time.RFC3339))
	if e.provider.Count("token") != 0 {
		t.Error("an expired token was sent")
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	vars := []string{
		"KUBELOGIN_OIDC_ISSUER_URL=" + e.provider.Issuer(),
		"KUBELOGIN_OIDC_CLIENT_ID=kubelogin",
		"KUBELOGIN_GRANT_TYPE=password",
		"KUBELOGIN_USERNAME=admin@example.com",
		"KUBELOGIN_PASSWORD=password",
		"KUBELOGIN_OIDC_EXTRA_SCOPE=email,profile",
		"KUBELOGIN_TOKEN_CACHE_DIR=" + e.cacheDir,
		"KUBELOGIN_V=1",
	}
	r := e.runWith(runOpts{env: vars}, "get-token")
	mustCredential(t, r)
	if form, _ := e.provider.LastTokenRequest(); form.Get("scope") != "openid email profile" || form.Get("grant_type") != "password" {
		t.Errorf("token request %v does not follow the environment", form)
	}
	if !strings.Contains(r.stderr, "flags set from the environment: KUBELOGIN_") {
		t.Errorf("-v1 (from KUBELOGIN_V) does not list the variables:\n%s", r.stderr)
	}
	e.onlyEntry() // KUBELOGIN_TOKEN_CACHE_DIR

	// A flag given explicitly wins over its variable.
	r = e.runWith(runOpts{env: append(vars, "KUBELOGIN_OIDC_CLIENT_ID=wrong")}, "get-token", "--oidc-client-id=kubelogin", "--force-refresh")
	mustCredential(t, r)

	r = e.runWith(runOpts{env: append(vars, "KUBELOGIN_AUTHENTICATION_TIMEOUT_SEC=soon")}, "get-token")
	mustFail(t, r, "error: environment variable KUBELOGIN_AUTHENTICATION_TIMEOUT_SEC is not a valid --authentication-timeout-sec: want a whole number")
	oneLine(t, r)

	help := e.runWith(runOpts{}, "get-token", "--help")
	for _, want := range []string{"[$KUBELOGIN_GRANT_TYPE]", "[$KUBELOGIN_OIDC_ISSUER_URL]", "[$KUBELOGIN_PASSWORD_COMMAND]"} {
		if !strings.Contains(help.stdout, want) {
			t.Errorf("--help lacks %s", want)
		}
	}
}

// decode returns the payload of a JWT, unverified.
func decode(t *testing.T, raw string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&m); err != nil {
		t.Fatal(err)
	}
	return m
}
