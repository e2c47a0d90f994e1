package integration_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// clusterInfo is KUBERNETES_EXEC_INFO from kubectl for a cluster whose
// extension client.authentication.k8s.io/exec sets the audience (provideClusterInfo).
func clusterInfo(server, aud string) *string {
	return strPtr(`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,` +
		`"cluster":{"server":"` + server + `","config":{"audience":"` + aud + `"}}}}`)
}

func audiences(t *testing.T, raw string) []string {
	t.Helper()
	switch a := audOf(t, raw).(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, s := range a {
			out = append(out, s.(string))
		}
		return out
	}
	return nil
}

// TestRequestAudienceByExchange: one browser login, then a token per
// audience by RFC 8693 exchange of the login's access token, each cached on
// its own; the audience comes from the flag or from the cluster's exec
// extension (provideClusterInfo), which share the entry.
func TestRequestAudienceByExchange(t *testing.T) {
	e := newEnv(t, oidcfake.Config{TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a", "cluster-b"}}})
	a := mustCredential(t, e.getToken("--request-audience=cluster-a"))
	if got := audiences(t, a.Status.Token); !slices.Equal(got, []string{"cluster-a"}) {
		t.Errorf("aud of cluster-a's token = %v", got)
	}
	e.provider.ResetCounts()
	b := mustCredential(t, e.getToken("--request-audience=cluster-b"))
	if got := audiences(t, b.Status.Token); !slices.Equal(got, []string{"cluster-b"}) {
		t.Errorf("aud of cluster-b's token = %v: a token for one cluster names another", got)
	}
	if n := e.provider.Count("token"); n != 1 {
		t.Errorf("a new cluster cost %d token requests, want 1 (the exchange)", n)
	}
	if form, _ := e.provider.LastTokenRequest(); form.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:access_token" || form.Get("audience") != "cluster-b" {
		t.Errorf("exchange request %v", form)
	}
	e.provider.ResetCounts()
	again := mustCredential(t, e.runWith(runOpts{execInfo: clusterInfo("https://a.example.com:6443", "cluster-a")}, e.args()...))
	if again.Status.Token != a.Status.Token {
		t.Error("the cluster's extension did not find the token of --request-audience=cluster-a")
	}
	other := mustCredential(t, e.runWith(runOpts{execInfo: clusterInfo("https://other.example.com:6443", "cluster-a")}, e.args()...))
	if other.Status.Token != a.Status.Token || e.provider.Count("token") != 0 {
		t.Error("the server URL changed the key, or a cached audience made a request")
	}
	if e.launches() != 1 {
		t.Errorf("%d browser logins for 2 clusters, want 1", e.launches())
	}
	// The login itself keeps its own entry (audience-less), beside one per audience.
	if n := len(e.cacheEntries()); n != 3 {
		t.Errorf("%d cache entries, want 3 (the login, cluster-a, cluster-b)", n)
	}
	// A refused audience is one line.
	r := e.getToken("--request-audience=cluster-z")
	mustFail(t, r, `error: the provider will not issue a token for the audience or resource asked for`)
	oneLine(t, r)
}

// TestRequestAudienceByCrossClient: Dex's cross-client trust. The login is
// granted the audiences listed in the user's scopes; each audience's token
// comes from a refresh asking for that audience alone (aud = [it, client]),
// and the rotated refresh token goes back to the login's entry. A cluster
// not granted yet costs one more login, which then asks for every audience.
func TestRequestAudienceByCrossClient(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	scopes := "--oidc-extra-scope=offline_access,audience:server:client_id:cluster-a,audience:server:client_id:cluster-b"
	a := mustCredential(t, e.getToken(scopes, "--request-audience=cluster-a"))
	if got := audiences(t, a.Status.Token); !slices.Equal(got, []string{"cluster-a", "kubelogin"}) {
		t.Errorf("aud of cluster-a's token = %v", got)
	}
	e.provider.ResetCounts()
	b := mustCredential(t, e.getToken(scopes, "--request-audience=cluster-b"))
	if got := audiences(t, b.Status.Token); !slices.Equal(got, []string{"cluster-b", "kubelogin"}) {
		t.Errorf("aud of cluster-b's token = %v: a token for one cluster names another", got)
	}
	form, _ := e.provider.LastTokenRequest()
	if n := e.provider.Count("token"); n != 1 || form.Get("grant_type") != "refresh_token" || strings.Contains(form.Get("scope"), "cluster-a") {
		t.Errorf("a new cluster cost %d token requests (want 1 refresh), scope %q", n, form.Get("scope"))
	}
	if e.launches() != 1 {
		t.Errorf("%d browser logins for 2 clusters, want 1", e.launches())
	}
	// Refresh again for each (rotation: the login's refresh token must be the current one).
	mustCredential(t, e.getToken(scopes, "--request-audience=cluster-a", "--force-refresh"))
	mustCredential(t, e.getToken(scopes, "--request-audience=cluster-b", "--force-refresh"))
	if n := e.provider.RefreshTokenReuses(); n != 0 || e.launches() != 1 {
		t.Errorf("%d refresh token reuses, %d logins, want 0 and 1", n, e.launches())
	}
	// A cluster not granted: one more login, asking for every audience.
	c := mustCredential(t, e.getToken(scopes, "--request-audience=cluster-c"))
	if got := audiences(t, c.Status.Token); !slices.Equal(got, []string{"cluster-c", "kubelogin"}) {
		t.Errorf("aud of cluster-c's token = %v", got)
	}
	if e.launches() != 2 {
		t.Errorf("%d logins, want 2 (cluster-c was not granted)", e.launches())
	}
	if auth := e.provider.LastAuthRequest().Get("scope"); !strings.Contains(auth, "audience:server:client_id:cluster-c") || !strings.Contains(auth, "audience:server:client_id:cluster-a") {
		t.Errorf("the new login asked for %q", auth)
	}
	mustCredential(t, e.getToken(scopes, "--request-audience=cluster-a", "--force-refresh"))
	if e.launches() != 2 {
		t.Error("cluster-a needed a login after cluster-c joined")
	}
}
