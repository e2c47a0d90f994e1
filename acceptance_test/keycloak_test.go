package acceptance

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// The Keycloak scenarios: the provider most users run, started by the first
// of them (harness/keycloak.go) with the realm of harness/keycloak/realm.json,
// behind a counting proxy, with a kube-apiserver of its own that names people
// by their email and takes their groups from the ID token's groups claim.

// Keycloak's endpoints under the issuer.
const (
	kcAuthPath   = "/protocol/openid-connect/auth"
	kcTokenPath  = "/protocol/openid-connect/token"
	kcDevicePath = "/protocol/openid-connect/auth/device"
	kcRevokePath = "/protocol/openid-connect/revoke"
)

// keycloak returns Keycloak, starting it on first use.
func keycloak(t *testing.T) *harness.Keycloak {
	t.Helper()
	kc, err := stack.Keycloak(context.Background())
	if err != nil {
		fatalf(t, "%v", err)
	}
	return kc
}

// keycloakWithAPIServer is keycloak for a test that needs its API server.
func keycloakWithAPIServer(t *testing.T) *harness.Keycloak {
	t.Helper()
	kc := keycloak(t)
	if kc.APIServer == "" {
		t.Skip("acceptance: SKIP: no kube-apiserver for Keycloak (the stack runs the stand-in)")
	}
	return kc
}

// kcFlags are get-token flags for a person at Keycloak's clientID: no
// offline_access, so the refresh token lives as long as the Keycloak session.
func kcFlags(kc *harness.Keycloak, clientID string, extra ...string) []string {
	return append([]string{
		"--oidc-issuer-url=" + kc.Issuer,
		"--oidc-client-id=" + clientID,
		"--oidc-extra-scope=email",
		"--certificate-authority=" + stack.TLS.CACert,
		"--browser-command=" + stack.Browser,
	}, extra...)
}

// kcRobotFlags are get-token flags for a robot at Keycloak: the
// client_credentials grant, the access token for kubectl, no extra scope (a
// scope the client does not have is invalid_scope at Keycloak).
func kcRobotFlags(kc *harness.Keycloak, clientID string, extra ...string) []string {
	return append([]string{
		"--oidc-issuer-url=" + kc.Issuer,
		"--oidc-client-id=" + clientID,
		"--grant-type=client-credentials",
		"--oidc-use-access-token",
		"--certificate-authority=" + stack.TLS.CACert,
	}, extra...)
}

// newKeycloakUser makes a user whose kubeconfig points at the Keycloak API
// server with an exec entry of flags. When the test fails, its cleanup
// prints the proxy's counts, the browser's output and Keycloak's log tail.
func newKeycloakUser(t *testing.T, kc *harness.Keycloak, terminal bool, flags []string) *harness.User {
	t.Helper()
	u, err := stack.NewUser(t.TempDir(), "1.33")
	if err != nil {
		fatalf(t, "make user: %v", err)
	}
	e := harness.Exec{APIVersion: harness.ExecV1, Flags: flags, Server: kc.APIServer}
	if !terminal {
		e.InteractiveMode = "Never"
	}
	if err := u.WriteKubeconfig(e); err != nil {
		fatalf(t, "write kubeconfig: %v", err)
	}
	t.Cleanup(func() {
		if err := u.WaitBrowsers(context.Background(), 30*time.Second); err != nil {
			report(t, "browser", err.Error())
			errorf(t, "a browser program did not finish its login")
		}
		if t.Failed() {
			report(t, "proxy", "requests to Keycloak so far: "+kc.Proxy.Snapshot().String())
			report(t, "browser", u.BrowserOutputs())
			report(t, "keycloak log", kc.Tail(30))
		}
	})
	return u
}

// kcIdentity is what the Keycloak API server says about the user.
type kcIdentity struct {
	Username string
	Groups   []string
}

// kcWhoami runs `kubectl auth whoami` and returns the user and groups.
func kcWhoami(t *testing.T, ctx context.Context, u *harness.User) kcIdentity {
	t.Helper()
	r := u.Kubectl(ctx, "auth", "whoami", "-o", "json")
	mustSucceed(t, r)
	var ssr struct {
		Status struct {
			UserInfo struct {
				Username string   `json:"username"`
				Groups   []string `json:"groups"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &ssr); err != nil {
		fatalf(t, "parse kubectl auth whoami -o json %q: %v", r.Stdout, err)
	}
	return kcIdentity{Username: ssr.Status.UserInfo.Username, Groups: ssr.Status.UserInfo.Groups}
}

// wantKeycloakUser checks that the API server sees the realm's user with
// every group of the ID token.
func wantKeycloakUser(t *testing.T, ctx context.Context, u *harness.User) {
	t.Helper()
	id := kcWhoami(t, ctx, u)
	if id.Username != harness.KeycloakEmail {
		errorf(t, "the API server sees user %q, want %q (the email claim)", id.Username, harness.KeycloakEmail)
	}
	// Keycloak's groups plus system:authenticated.
	if !slices.Contains(id.Groups, harness.KeycloakViewersGroup) || len(id.Groups) != harness.KeycloakGroups+1 {
		errorf(t, "the API server sees %d groups (%.200v), want the %d of the groups claim, %s among them, and system:authenticated",
			len(id.Groups), id.Groups, harness.KeycloakGroups, harness.KeycloakViewersGroup)
	}
}

// kcLaunchesAt checks that every browser launch opened a URL under prefix.
func kcLaunchesAt(t *testing.T, u *harness.User, prefix string) {
	t.Helper()
	for _, l := range u.BrowserLaunches() {
		if !strings.HasPrefix(l.URL, prefix) {
			errorf(t, "the browser opened %s, want %s…", l.URL, prefix)
		}
	}
}

// A person's first kubectl call logs in through Keycloak's own login page
// (authorization code with PKCE, which the client requires); the API server
// names them by their email and gives them their groups, one of which RBAC
// lets read the cluster.
func TestKeycloakBrowserLoginShowsUserAndGroups(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	u := newKeycloakUser(t, kc, true, kcFlags(kc, harness.KeycloakPublicClientID))
	before := kc.Proxy.Snapshot()

	r := u.Kubectl(ctx, "get", "pods")
	mustSucceed(t, r)
	if !strings.Contains(r.Output(), "No resources found") {
		errorf(t, "kubectl get pods printed %q, want \"No resources found\"", r.Output())
	}
	wantLaunches(t, u, 1)
	kcLaunchesAt(t, u, kc.Issuer+kcAuthPath+"?")
	if l := u.BrowserLaunches(); len(l) == 1 {
		q, _ := url.Parse(l[0].URL)
		if m := q.Query().Get("code_challenge_method"); m != "S256" {
			errorf(t, "the authorization request has code_challenge_method %q, want S256", m)
		}
	}
	wantKeycloakUser(t, ctx, u)

	delta := kc.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantAuthCode, 1)
	if delta.Tokens() != 1 {
		errorf(t, "token requests = %d, want 1 (%s)", delta.Tokens(), delta)
	}
	if e := oneCacheEntry(t, u); e.Mode != 0o600 {
		errorf(t, "cache file %s has mode %o, want 600", e.Path, e.Mode)
	}
}

// RFC 9207: Keycloak says in its discovery document that it sends iss in
// the authorization response, does send it to the loopback callback, and a
// login through it succeeds (kubelogin checks iss where it is sent).
func TestKeycloakSendsIssInTheAuthorizationResponse(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	d, err := kc.Discovery()
	if err != nil {
		fatalf(t, "discovery: %v", err)
	}
	if !d.AuthorizationResponseIssParameterSupport {
		errorf(t, "Keycloak's discovery does not say authorization_response_iss_parameter_supported: true")
	}
	u := newKeycloakUser(t, kc, true, kcFlags(kc, harness.KeycloakPublicClientID))
	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)
	// The browser program prints where it landed (the callback with the
	// authorization response) once it has seen the page: after kubectl ends.
	if err := u.WaitBrowsers(ctx, 30*time.Second); err != nil {
		fatalf(t, "browser: %v", err)
	}
	landed := firstLineWith(u.BrowserOutputs(), "landed on ")
	_, callback, _ := strings.Cut(landed, "landed on ")
	cb, err := url.Parse(callback)
	if err != nil || cb.Query().Get("code") == "" {
		fatalf(t, "the browser did not land on the callback with a code (%q)", landed)
	}
	if iss := cb.Query().Get("iss"); iss != kc.Issuer {
		errorf(t, "the authorization response has iss %q, want %q", iss, kc.Issuer)
	}
}

// The device-code grant on a client that requires PKCE: Keycloak then
// demands a code challenge in the device authorization request too (a
// request without one is refused, checked first), and kubelogin sends one.
// (int128/kubelogin fails here, its #1470.)
func TestKeycloakDeviceCodeGrantWithPKCERequired(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	without, err := kc.PostForm(ctx, kc.Issuer+kcDevicePath, harness.KeycloakPublicClientID, "", url.Values{"scope": {"openid"}})
	if err != nil {
		fatalf(t, "device authorization request without PKCE: %v", err)
	}
	if without.Status != 400 || without.Error == "" {
		errorf(t, "a device authorization request without code_challenge: %d %q, want 400 with an OAuth error (does the client require PKCE?)",
			without.Status, without.Error)
	}

	u := newKeycloakUser(t, kc, true, kcFlags(kc, harness.KeycloakPublicClientID, "--grant-type=device-code"))
	before := kc.Proxy.Snapshot()
	r := u.Kubectl(ctx, "get", "pods")
	mustSucceed(t, r)
	wantKeycloakUser(t, ctx, u)

	delta := kc.Proxy.Snapshot().Sub(before)
	if n := delta.Paths["/realms/"+harness.KeycloakRealm+kcDevicePath]; n != 1 {
		errorf(t, "device authorization requests = %d, want 1 (%s)", n, delta)
	}
	if delta.Grants[grantDevice] < 1 {
		errorf(t, "no device_code token request at Keycloak (%s)", delta)
	}
	wantGrant(t, delta, grantAuthCode, 0)
	wantLaunches(t, u, 1)
	kcLaunchesAt(t, u, kc.Issuer+"/device")
}

// After the ID token expired (15 s on this client), the next call refreshes
// without a browser; Keycloak rotates the refresh token (revokeRefreshToken,
// refreshTokenMaxReuse 0), kubelogin stores the new one, and the old one is
// then refused.
func TestKeycloakRefreshAfterExpiryStoresTheRotatedToken(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	u := newKeycloakUser(t, kc, true, kcFlags(kc, harness.KeycloakShortLivedClientID))

	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)
	first := oneCacheEntry(t, u)
	if first.RefreshToken == "" {
		fatalf(t, "no refresh token in the cache after the login (%s)", first.Path)
	}
	sleepUntilExpired(t, first)

	before := kc.Proxy.Snapshot()
	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	delta := kc.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantRefresh, 1)
	wantGrant(t, delta, grantAuthCode, 0)
	wantLaunches(t, u, 1)

	second := oneCacheEntry(t, u)
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		fatalf(t, "the refresh token in the cache did not change (Keycloak rotates refresh tokens)")
	}
	old, err := kc.Refresh(ctx, harness.KeycloakShortLivedClientID, "", first.RefreshToken)
	if err != nil {
		fatalf(t, "refresh with the old token: %v", err)
	}
	if old.Error != "invalid_grant" {
		errorf(t, "Keycloak answered the rotated-out refresh token with %d %q, want invalid_grant", old.Status, old.Error)
	}
	wantKeycloakUser(t, ctx, u)
}

// An administrator ends the user's Keycloak sessions: the next refresh gets
// invalid_grant, and kubelogin answers it with exactly one clean login.
func TestKeycloakRevokedSessionLogsInOnceAgain(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	u := newKeycloakUser(t, kc, true, kcFlags(kc, harness.KeycloakShortLivedClientID))

	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)
	first := oneCacheEntry(t, u)
	if err := kc.LogoutUser(ctx); err != nil {
		fatalf(t, "end the user's sessions: %v", err)
	}
	sleepUntilExpired(t, first)

	before := kc.Proxy.Snapshot()
	r := u.Kubectl(ctx, "get", "pods")
	mustSucceed(t, r)
	delta := kc.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantRefresh, 1)
	wantGrant(t, delta, grantAuthCode, 1)
	wantLaunches(t, u, 2)
	if second := oneCacheEntry(t, u); second.RefreshToken == first.RefreshToken {
		errorf(t, "the cache still holds the refresh token of the ended session")
	}
	wantKeycloakUser(t, ctx, u)
}

// The password grant on the confidential client (direct access grants on):
// no browser, one password request.
func TestKeycloakPasswordGrant(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	u := newKeycloakUser(t, kc, true, kcFlags(kc, harness.KeycloakConfidentialClientID,
		"--oidc-client-secret="+harness.KeycloakConfidentialSecret, "--grant-type=password",
		"--username="+harness.KeycloakUser, "--password="+harness.KeycloakPassword))
	before := kc.Proxy.Snapshot()

	r := u.Kubectl(ctx, "get", "pods")
	mustSucceed(t, r)
	wantKeycloakUser(t, ctx, u)
	delta := kc.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantPassword, 1)
	wantGrant(t, delta, grantAuthCode, 0)
	wantLaunches(t, u, 0)
	for _, secret := range []string{harness.KeycloakPassword, harness.KeycloakConfidentialSecret} {
		if strings.Contains(r.Stderr, secret) {
			errorf(t, "a secret shows on stderr:\n%s", r.Stderr)
		}
	}
}

// Robots on Keycloak: the client_credentials grant with a client secret and
// with a signed client assertion (private_key_jwt, the key registered in the
// realm's JWKS). kubectl sends Keycloak's access token (its audience mapper
// adds the API server's audience); the API server names the robot by its
// service account.
func TestKeycloakClientCredentials(t *testing.T) {
	kc := keycloakWithAPIServer(t)
	for _, tc := range []struct {
		name, clientID, auth string
		flags                []string
	}{
		{"secret", harness.KeycloakCIClientID, "client_secret_basic",
			[]string{"--oidc-client-secret=" + harness.KeycloakCISecret}},
		{"private_key_jwt", harness.KeycloakWorkloadClientID, "client_assertion",
			[]string{"--oidc-client-assertion-key=" + kc.WorkloadKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			u := newKeycloakUser(t, kc, false, kcRobotFlags(kc, tc.clientID, tc.flags...))
			before := kc.Proxy.Snapshot()

			r := u.RunWithoutTerminal(ctx, "kubectl", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
			mustSucceed(t, r)
			if got, want := strings.TrimSpace(r.Stdout), harness.KeycloakServiceAccount(tc.clientID); got != want {
				errorf(t, "the API server sees %q, want %q", got, want)
			}
			delta := kc.Proxy.Snapshot().Sub(before)
			wantGrant(t, delta, grantClientCredentials, 1)
			if delta.Tokens() != 1 || delta.ClientAuth[tc.auth] != 1 {
				errorf(t, "token requests: %s, want one client_credentials request with %s", delta, tc.auth)
			}
			wantLaunches(t, u, 0)
		})
	}
}

// `kubelogin logout` revokes the refresh token at Keycloak (RFC 7009), and
// Keycloak then refuses a refresh with it.
func TestKeycloakLogoutRevokesTheRefreshToken(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	flags := kcFlags(kc, harness.KeycloakPublicClientID)
	u := newKeycloakUser(t, kc, true, flags)
	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	e := oneCacheEntry(t, u)
	if e.RefreshToken == "" {
		fatalf(t, "no refresh token in the cache after the login (%s)", e.Path)
	}

	before := kc.Proxy.Snapshot()
	r := u.Run(ctx, "kubelogin", append([]string{"logout"}, flags...)...)
	mustSucceed(t, r)
	delta := kc.Proxy.Snapshot().Sub(before)
	if n := delta.Paths["/realms/"+harness.KeycloakRealm+kcRevokePath]; n != 1 {
		errorf(t, "revocation requests = %d, want 1 (%s)", n, delta)
	}
	if entries := readCache(t, u.CacheDir()); len(entries) != 0 {
		errorf(t, "the cache still has %d entries with tokens after logout", len(entries))
	}
	after, err := kc.Refresh(ctx, harness.KeycloakPublicClientID, "", e.RefreshToken)
	if err != nil {
		fatalf(t, "refresh with the revoked token: %v", err)
	}
	if after.Error != "invalid_grant" {
		errorf(t, "Keycloak answered a refresh with the logged-out token with %d %q, want invalid_grant", after.Status, after.Error)
	}
}

// A token set over 4 KB (the ID token carries 101 groups) goes into the OS
// keyring and comes back whole: the second call is served from the keyring
// and the API server still sees every group.
func TestKeycloakLargeTokenSetRoundTripsThroughTheKeyring(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	flags := kcFlags(kc, harness.KeycloakPublicClientID, "--token-cache-storage=keyring")
	u := newKeycloakUser(t, kc, true, flags)
	k, err := u.StartKeyring(ctx)
	if err != nil {
		fatalf(t, "start the keyring: %v", err)
	}
	t.Cleanup(func() {
		_ = u.WaitBrowsers(ctx, 30*time.Second)
		k.Stop()
	})

	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)
	for _, e := range readCache(t, u.CacheDir()) {
		errorf(t, "tokens were written to %s with keyring storage", e.Path)
	}

	before := kc.Proxy.Snapshot()
	u.ExtraEnv = append(u.ExtraEnv, "KUBERNETES_EXEC_INFO="+execInfo)
	r := u.RunWithoutTerminal(ctx, "kubelogin", append([]string{"get-token"}, flags...)...)
	mustSucceed(t, r)
	var c credential
	if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil {
		fatalf(t, "the plugin's stdout is not an ExecCredential: %v", err)
	}
	if n := len(c.Status.Token); n <= 4096 {
		errorf(t, "the ID token from the keyring has %d bytes, want over 4096 (is the groups mapper on?)", n)
	}
	claims, err := harness.JWTClaims(c.Status.Token)
	if err != nil {
		fatalf(t, "the token from the keyring: %v", err)
	}
	if groups, _ := claims["groups"].([]any); len(groups) != harness.KeycloakGroups {
		errorf(t, "the token from the keyring has %d groups, want %d", len(groups), harness.KeycloakGroups)
	}
	if delta := kc.Proxy.Snapshot().Sub(before); delta.Tokens() != 0 {
		errorf(t, "token requests = %d, want 0: the keyring should have served it (%s)", delta.Tokens(), delta)
	}
	wantLaunches(t, u, 1)
	wantKeycloakUser(t, ctx, u)
}
