package acceptance

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// The client_credentials grant runs against oidc-provider (npm, a certified
// OpenID provider): Dex does not have it. The robots below are what a CI
// pipeline or a pod runs: kubelogin with no terminal and no browser, started
// by kubectl as a v1 exec plugin. Their tokens are oidc-provider's opaque
// access tokens, which kube-apiserver cannot check, so the tests run the
// plugin as kubectl would and ask oidc-provider's introspection endpoint, as
// a resource server would, whether the token it printed is real.

const grantClientCredentials = "client_credentials"

// execInfo is what kubectl passes to a v1 exec plugin it runs without a terminal.
const execInfo = `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`

// oidcProvider returns oidc-provider, starting it on first use.
func oidcProvider(t *testing.T) *harness.OIDCProvider {
	t.Helper()
	op, err := stack.OIDCProvider(context.Background())
	if err != nil {
		fatalf(t, "%v", err)
	}
	return op
}

// newRobot is a CI job or a pod: its own HOME (an empty token cache) with
// the plugin on PATH, and kubectl's KUBERNETES_EXEC_INFO. When the test
// fails, its cleanup prints the proxy's counts and oidc-provider's log tail.
func newRobot(t *testing.T, op *harness.OIDCProvider) *harness.User {
	t.Helper()
	u, err := stack.NewUser(t.TempDir(), "1.33")
	if err != nil {
		fatalf(t, "make robot: %v", err)
	}
	u.ExtraEnv = append(u.ExtraEnv, "KUBERNETES_EXEC_INFO="+execInfo)
	t.Cleanup(func() {
		if t.Failed() {
			report(t, "proxy", "requests to oidc-provider so far: "+op.Proxy.Snapshot().String())
			report(t, "oidc-provider log", op.Tail(30))
		}
	})
	return u
}

// ccFlags are get-token flags for the client_credentials grant at issuer.
func ccFlags(issuer, clientID string, extra ...string) []string {
	return append([]string{
		"--oidc-issuer-url=" + issuer,
		"--oidc-client-id=" + clientID,
		"--grant-type=client-credentials",
		"--certificate-authority=" + stack.TLS.CACert,
	}, extra...)
}

// credential is the ExecCredential the plugin printed for kubectl.
type credential struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Status     struct {
		Token               string    `json:"token"`
		ExpirationTimestamp time.Time `json:"expirationTimestamp"`
	} `json:"status"`
}

// getToken runs the plugin as kubectl runs a v1 exec entry without a
// terminal: `kubelogin get-token flags…`.
func getToken(ctx context.Context, u *harness.User, flags ...string) *harness.Result {
	return u.RunWithoutTerminal(ctx, "kubelogin", append([]string{"get-token"}, flags...)...)
}

// mustGetToken runs getToken, wants it to succeed silently, and returns the
// credential it printed.
func mustGetToken(t *testing.T, ctx context.Context, u *harness.User, flags ...string) credential {
	t.Helper()
	r := getToken(ctx, u, flags...)
	skipIfUnsupported(t, r, "--grant-type=client-credentials")
	mustSucceed(t, r)
	if strings.TrimSpace(r.Stderr) != "" {
		errorf(t, "the plugin printed on stderr on success, want nothing:\n%s", r.Stderr)
	}
	var c credential
	if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil {
		report(t, "user saw", r.String())
		fatalf(t, "the plugin's stdout is not an ExecCredential: %v", err)
	}
	if c.Kind != "ExecCredential" || c.APIVersion != harness.ExecV1 || c.Status.Token == "" {
		report(t, "user saw", r.String())
		fatalf(t, "ExecCredential kind %q apiVersion %q with token %v, want an %s ExecCredential with a token",
			c.Kind, c.APIVersion, c.Status.Token != "", harness.ExecV1)
	}
	return c
}

// mustFailInOneLine wants r to fail with one line on stderr containing each
// of want, and nothing on stdout (kubectl would read it as a credential).
func mustFailInOneLine(t *testing.T, r *harness.Result, want ...string) {
	t.Helper()
	if r.OK() || r.Err != nil {
		report(t, "user saw", r.String())
		fatalf(t, "%s: exit %d (%v), want a failure", r.Command, r.ExitCode, r.Err)
	}
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	if len(lines) != 1 || lines[0] == "" {
		report(t, "user saw", r.String())
		errorf(t, "stderr has %d lines, want one", len(lines))
	}
	for _, w := range want {
		if !strings.Contains(r.Stderr, w) {
			report(t, "user saw", r.String())
			errorf(t, "stderr lacks %q", w)
		}
	}
	if strings.TrimSpace(r.Stdout) != "" {
		errorf(t, "stdout is %q, want nothing", r.Stdout)
	}
}

// wantActive asks oidc-provider whether token is an active access token of clientID.
func wantActive(t *testing.T, ctx context.Context, op *harness.OIDCProvider, issuer, token, clientID string) {
	t.Helper()
	in, err := op.Introspect(ctx, issuer, token)
	if err != nil {
		fatalf(t, "introspect the token: %v", err)
	}
	if !in.Active || in.ClientID != clientID {
		errorf(t, "oidc-provider says the token is active=%v of client %q, want an active token of %q", in.Active, in.ClientID, clientID)
	}
}

// wantExpiry checks the ExecCredential's expirationTimestamp against the
// provider's token lifetime, counted from around the request.
func wantExpiry(t *testing.T, c credential, before, after time.Time, ttl time.Duration) {
	t.Helper()
	exp := c.Status.ExpirationTimestamp
	// The timestamp has whole seconds.
	if exp.Before(before.Add(ttl).Add(-2*time.Second)) || exp.After(after.Add(ttl).Add(2*time.Second)) {
		errorf(t, "expirationTimestamp %s, want about %s (the token lives %s)", exp.Format(time.RFC3339), after.Add(ttl).UTC().Format(time.RFC3339), ttl)
	}
}

// wantAccessTokenCached checks the robot's token cache: one entry, mode 0600
// in a 0700 directory, holding the access token and no secret.
func wantAccessTokenCached(t *testing.T, u *harness.User, token string, secrets ...string) {
	t.Helper()
	e := oneCacheEntry(t, u)
	if e.AccessToken != token {
		errorf(t, "the cache entry's access token is not the one kubectl got")
	}
	if e.IDToken != "" || e.RefreshToken != "" {
		errorf(t, "the cache entry has an ID token (%v) or a refresh token (%v), want neither", e.IDToken != "", e.RefreshToken != "")
	}
	if e.Mode != 0o600 {
		errorf(t, "cache file %s has mode %o, want 600", e.Path, e.Mode)
	}
	if info, err := os.Stat(filepath.Dir(e.Path)); err != nil {
		errorf(t, "%v", err)
	} else if info.Mode().Perm() != 0o700 {
		errorf(t, "cache directory %s has mode %o, want 700", filepath.Dir(e.Path), info.Mode().Perm())
	}
	for _, s := range secrets {
		if strings.Contains(e.Raw, s) {
			errorf(t, "cache file %s holds a secret", e.Path)
		}
	}
}

// wantNothingCached checks that a failed run left no token behind.
func wantNothingCached(t *testing.T, u *harness.User) {
	t.Helper()
	if entries := readCache(t, u.CacheDir()); len(entries) != 0 {
		errorf(t, "the token cache has %d entries after a failed run, want none", len(entries))
	}
}

// A CI pipeline with a client ID and secret gets a token, without a
// terminal or browser: client_secret_basic where the provider takes it,
// client_secret_post where the provider's discovery lists only that.
func TestCIPipelineGetsATokenWithAClientSecret(t *testing.T) {
	ctx := context.Background()
	op := oidcProvider(t)
	for _, tc := range []struct {
		name, issuer, clientID, secret, auth string
	}{
		{"client_secret_basic", op.Issuer, harness.CIClientID, harness.CISecret, "client_secret_basic"},
		{"client_secret_post where the provider lists only it", op.PostOnlyIssuer, harness.CIPostClientID, harness.CIPostSecret, "client_secret_post"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newRobot(t, op)
			before := op.Proxy.Snapshot()
			start := time.Now()
			c := mustGetToken(t, ctx, u, ccFlags(tc.issuer, tc.clientID, "--oidc-client-secret="+tc.secret, "--oidc-use-access-token")...)
			end := time.Now()

			delta := op.Proxy.Snapshot().Sub(before)
			wantGrant(t, delta, grantClientCredentials, 1)
			if delta.Tokens() != 1 || delta.ClientAuth[tc.auth] != 1 {
				errorf(t, "token requests: %s, want one client_credentials request authenticated with %s", delta, tc.auth)
			}
			wantActive(t, ctx, op, tc.issuer, c.Status.Token, tc.clientID)
			wantExpiry(t, c, start, end, harness.DefaultClientCredentialsTTL)
			wantAccessTokenCached(t, u, c.Status.Token, tc.secret)
		})
	}

	t.Run("a wrong secret is refused in one line", func(t *testing.T) {
		u := newRobot(t, op)
		before := op.Proxy.Snapshot()
		r := getToken(ctx, u, ccFlags(op.Issuer, harness.CIClientID, "--oidc-client-secret=not-the-secret", "--oidc-use-access-token")...)
		mustFailInOneLine(t, r, "invalid_client")
		if strings.Contains(r.Stderr, "not-the-secret") {
			errorf(t, "the secret shows on stderr")
		}
		wantGrant(t, op.Proxy.Snapshot().Sub(before), grantClientCredentials, 1)
		wantNothingCached(t, u)
	})
}

// The pipeline's next kubectl call, while the token is valid, is served from
// the cache: no request reaches the provider.
func TestCIPipelineSecondCallUsesTheCachedToken(t *testing.T) {
	ctx := context.Background()
	op := oidcProvider(t)
	u := newRobot(t, op)
	flags := ccFlags(op.Issuer, harness.CIClientID, "--oidc-client-secret="+harness.CISecret, "--oidc-use-access-token")
	first := mustGetToken(t, ctx, u, flags...)

	before := op.Proxy.Snapshot()
	second := mustGetToken(t, ctx, u, flags...)
	delta := op.Proxy.Snapshot().Sub(before)
	if second.Status.Token != first.Status.Token {
		errorf(t, "the second call got another token, want the cached one")
	}
	if !second.Status.ExpirationTimestamp.Equal(first.Status.ExpirationTimestamp) {
		errorf(t, "the second call's expirationTimestamp is %s, want the cached token's %s", second.Status.ExpirationTimestamp, first.Status.ExpirationTimestamp)
	}
	if delta.Tokens() != 0 || len(delta.Paths) != 0 {
		errorf(t, "the second call reached the provider: %s, want no request", delta)
	}
}

// Client credentials come with no refresh token: once the cached token has
// expired, the next call simply runs the grant again.
func TestCIPipelineGetsANewTokenOnceItsTokenExpired(t *testing.T) {
	ctx := context.Background()
	op := oidcProvider(t)
	u := newRobot(t, op)
	flags := ccFlags(op.Issuer, harness.CIShortLivedClientID, "--oidc-client-secret="+harness.CIShortLivedSecret, "--oidc-use-access-token")
	start := time.Now()
	first := mustGetToken(t, ctx, u, flags...)
	wantExpiry(t, first, start, time.Now(), harness.CIShortLivedTTL)

	wait := time.Until(first.Status.ExpirationTimestamp) + time.Second
	t.Logf("acceptance: waiting %s for the access token to expire", wait.Round(100*time.Millisecond))
	time.Sleep(wait)

	before := op.Proxy.Snapshot()
	second := mustGetToken(t, ctx, u, flags...)
	delta := op.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantClientCredentials, 1)
	wantGrant(t, delta, grantRefresh, 0)
	if second.Status.Token == first.Status.Token {
		errorf(t, "the call after expiry printed the expired token")
	}
	wantActive(t, ctx, op, op.Issuer, second.Status.Token, harness.CIShortLivedClientID)
	wantAccessTokenCached(t, u, second.Status.Token, harness.CIShortLivedSecret)
}

// A workload whose client registered a public key signs a client assertion
// (private_key_jwt) with the private key: no secret is sent. oidc-provider
// picks the registered key by the assertion's kid.
func TestWorkloadSignsAClientAssertion(t *testing.T) {
	ctx := context.Background()
	op := oidcProvider(t)
	for _, tc := range []struct {
		name, clientID string
		flags          []string
	}{
		{"EC key registered under its JWK thumbprint", harness.WorkloadECClientID,
			[]string{"--oidc-client-assertion-key=" + op.ECKey}},
		{"RSA key registered under the operator's kid", harness.WorkloadRSAClientID,
			[]string{"--oidc-client-assertion-key=" + op.RSAKey, "--oidc-client-assertion-kid=" + harness.WorkloadRSAKID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newRobot(t, op)
			before := op.Proxy.Snapshot()
			start := time.Now()
			c := mustGetToken(t, ctx, u, ccFlags(op.Issuer, tc.clientID, append(tc.flags, "--oidc-use-access-token")...)...)
			end := time.Now()

			delta := op.Proxy.Snapshot().Sub(before)
			if delta.Tokens() != 1 || delta.Grants[grantClientCredentials] != 1 || delta.ClientAuth["client_assertion"] != 1 {
				errorf(t, "token requests: %s, want one client_credentials request with a client assertion", delta)
			}
			wantActive(t, ctx, op, op.Issuer, c.Status.Token, tc.clientID)
			wantExpiry(t, c, start, end, harness.DefaultClientCredentialsTTL)
			wantAccessTokenCached(t, u, c.Status.Token)
		})
	}

	t.Run("a kid the provider does not know is refused in one line", func(t *testing.T) {
		u := newRobot(t, op)
		// The RSA key's JWK thumbprint, kubelogin's default kid, is not the registered one.
		r := getToken(ctx, u, ccFlags(op.Issuer, harness.WorkloadRSAClientID, "--oidc-client-assertion-key="+op.RSAKey, "--oidc-use-access-token")...)
		mustFailInOneLine(t, r, "invalid_client")
		wantNothingCached(t, u)
	})
}

// A pod or CI job gets a signed assertion from elsewhere (a sidecar, the CI
// system) in a file or an environment variable, and kubelogin sends it as
// the client assertion, reading it again at every login.
func TestPodSendsAClientAssertionFromAFileOrVariable(t *testing.T) {
	ctx := context.Background()
	op := oidcProvider(t)
	assertion := func(t *testing.T, lifetime time.Duration) string {
		t.Helper()
		jwt, err := op.ECAssertion(op.Issuer, lifetime)
		if err != nil {
			fatalf(t, "sign an assertion: %v", err)
		}
		return jwt
	}
	writeAssertion := func(t *testing.T, u *harness.User, jwt string) string {
		t.Helper()
		path := filepath.Join(u.Home, "assertion.jwt")
		if err := os.WriteFile(path, []byte(jwt+"\n"), 0o600); err != nil {
			fatalf(t, "%v", err)
		}
		return path
	}
	login := func(t *testing.T, u *harness.User, flag string) {
		t.Helper()
		before := op.Proxy.Snapshot()
		c := mustGetToken(t, ctx, u, ccFlags(op.Issuer, harness.WorkloadECClientID, flag, "--oidc-use-access-token")...)
		delta := op.Proxy.Snapshot().Sub(before)
		if delta.Tokens() != 1 || delta.Grants[grantClientCredentials] != 1 || delta.ClientAuth["client_assertion"] != 1 {
			errorf(t, "token requests: %s, want one client_credentials request with a client assertion", delta)
		}
		wantActive(t, ctx, op, op.Issuer, c.Status.Token, harness.WorkloadECClientID)
		wantAccessTokenCached(t, u, c.Status.Token)
	}

	t.Run("from a file", func(t *testing.T) {
		u := newRobot(t, op)
		login(t, u, "--oidc-client-assertion-file="+writeAssertion(t, u, assertion(t, 5*time.Minute)))
	})
	t.Run("from an environment variable", func(t *testing.T) {
		u := newRobot(t, op)
		u.ExtraEnv = append(u.ExtraEnv, "ACCEPTANCE_CI_TOKEN="+assertion(t, 5*time.Minute))
		login(t, u, "--oidc-client-assertion-env=ACCEPTANCE_CI_TOKEN")
	})
	t.Run("an expired one is reported before anything is sent", func(t *testing.T) {
		u := newRobot(t, op)
		path := writeAssertion(t, u, assertion(t, -time.Minute))
		before := op.Proxy.Snapshot()
		r := getToken(ctx, u, ccFlags(op.Issuer, harness.WorkloadECClientID, "--oidc-client-assertion-file="+path, "--oidc-use-access-token")...)
		mustFailInOneLine(t, r, "expired")
		if delta := op.Proxy.Snapshot().Sub(before); delta.Tokens() != 0 {
			errorf(t, "token requests: %s, want none", delta)
		}
		wantNothingCached(t, u)
	})
}

// Without --oidc-use-access-token the plugin wants an ID token, which the
// client_credentials answer does not have: it fails with one line that says
// to add the flag, and prints no credential.
func TestClientCredentialsWithoutAccessTokenModeSaysWhatToAdd(t *testing.T) {
	ctx := context.Background()
	op := oidcProvider(t)
	u := newRobot(t, op)
	before := op.Proxy.Snapshot()
	r := getToken(ctx, u, ccFlags(op.Issuer, harness.CIClientID, "--oidc-client-secret="+harness.CISecret)...)
	skipIfUnsupported(t, r, "--grant-type=client-credentials")
	mustFailInOneLine(t, r, "add --oidc-use-access-token")
	wantGrant(t, op.Proxy.Snapshot().Sub(before), grantClientCredentials, 1)
	wantNothingCached(t, u)
}
