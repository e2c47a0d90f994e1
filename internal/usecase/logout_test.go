package usecase

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/token"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// jwtWithAud is an unsigned JWT whose payload has aud (logout only reads it).
func jwtWithAud(t *testing.T, aud any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"iss": "https://issuer.example.com", "sub": "alice", "exp": 2000000000, "aud": aud})
	if err != nil {
		t.Fatal(err)
	}
	return "e30." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

// TestLogoutRemovesTheClustersTokens: a login with three clusters' tokens,
// one known from its audiences file (its token is opaque) and two from the
// aud claim of their ID or access token; logout, given --request-audience
// as get-token was, removes the login, the three and the audiences file,
// and keeps every entry of other logins, those with an audience of the same
// name included, and one whose aud names a cluster but whose key is not
// that cluster's.
func TestLogoutRemovesTheClustersTokens(t *testing.T) {
	dir := t.TempDir()
	disk := tokencache.Disk{Dir: dir}
	in := GetTokenInput{}
	in.Provider.IssuerURL, in.Provider.ClientID, in.Cache.Dir = "https://issuer.example.com", "kubelogin", dir
	bob := in
	bob.Login.Username = "bob"
	other := in
	other.Provider.ClientID = "other"
	save := func(key string, e tokencache.Entry) {
		t.Helper()
		if e.Issuer == "" {
			e.Issuer, e.ClientID = "https://issuer.example.com", "kubelogin"
		}
		if err := disk.Save(key, e); err != nil {
			t.Fatal(err)
		}
	}
	session := cacheKey(in, nil)
	save(session, tokencache.Entry{}) // no token: nothing to revoke, no provider
	if err := os.WriteFile(filepath.Join(dir, session+tokencache.AudiencesSuffix), []byte(`["cluster-b","cluster-z"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	save(audienceKey(in, "cluster-a", nil), tokencache.Entry{Set: token.Set{IDToken: jwtWithAud(t, []string{"cluster-a", "kubelogin"})}})
	save(audienceKey(in, "cluster-b", nil), tokencache.Entry{Set: token.Set{AccessToken: "opaque"}})
	save(audienceKey(in, "cluster-c", nil), tokencache.Entry{Set: token.Set{AccessToken: jwtWithAud(t, "cluster-c")}})
	kept := []string{cacheKey(bob, nil), audienceKey(bob, "cluster-a", nil), audienceKey(bob, "cluster-b", nil), strings.Repeat("ab", 32)}
	save(kept[0], tokencache.Entry{})
	save(kept[1], tokencache.Entry{Set: token.Set{IDToken: jwtWithAud(t, "cluster-a")}})
	save(kept[2], tokencache.Entry{Set: token.Set{AccessToken: "opaque"}})
	save(kept[3], tokencache.Entry{Set: token.Set{IDToken: jwtWithAud(t, "cluster-a")}})
	otherKey := audienceKey(other, "cluster-a", nil)
	save(otherKey, tokencache.Entry{ClientID: "other", Issuer: "https://issuer.example.com", Set: token.Set{IDToken: jwtWithAud(t, "cluster-a")}})
	kept = append(kept, otherKey)

	logout := in
	logout.Login.RequestAudience = "cluster-a"
	u := NewLogout(NewGetToken(system.OS{}, logger.New(nil)))
	res, err := u.Run(context.Background(), logout)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Logins) != 1 || !res.Logins[0].Removed {
		t.Errorf("logins %+v, want the login removed", res.Logins)
	}
	if diff := cmp.Diff([]string{"cluster-a", "cluster-b", "cluster-c"}, res.Clusters); diff != "" {
		t.Errorf("clusters (-want +got):\n%s", diff)
	}
	left, err := disk.Keys()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	slices.Sort(kept)
	if diff := cmp.Diff(kept, left); diff != "" {
		t.Errorf("entries left (-want +got):\n%s", diff)
	}
	for _, ext := range []string{tokencache.AudiencesSuffix, ".lock"} {
		if _, err := os.Stat(filepath.Join(dir, session+ext)); err == nil {
			t.Errorf("logout left the login's %s file", ext)
		}
	}
}

// TestLogoutRemovesTheClustersTokensOfARemovedLogin: an older logout
// removed the login and left its clusters' tokens, with or without its
// audiences file; logout removes them, and leaves no lock file.
func TestLogoutRemovesTheClustersTokensOfARemovedLogin(t *testing.T) {
	for _, withFile := range []bool{true, false} {
		t.Run(map[bool]string{true: "audiences file", false: "aud claim only"}[withFile], func(t *testing.T) {
			dir := t.TempDir()
			disk := tokencache.Disk{Dir: dir}
			in := GetTokenInput{}
			in.Provider.IssuerURL, in.Provider.ClientID, in.Cache.Dir = "https://issuer.example.com", "kubelogin", dir
			if err := disk.Save(audienceKey(in, "cluster-a", nil), tokencache.Entry{Issuer: in.Provider.IssuerURL, ClientID: "kubelogin",
				Set: token.Set{IDToken: jwtWithAud(t, "cluster-a")}}); err != nil {
				t.Fatal(err)
			}
			if withFile {
				if err := os.WriteFile(filepath.Join(dir, cacheKey(in, nil)+tokencache.AudiencesSuffix), []byte(`["cluster-a"]`), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res, err := NewLogout(NewGetToken(system.OS{}, logger.New(nil))).Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Logins) != 0 || !slices.Equal(res.Clusters, []string{"cluster-a"}) {
				t.Errorf("logins %+v, clusters %v; want none and cluster-a", res.Logins, res.Clusters)
			}
			if names, _ := os.ReadDir(dir); len(names) != 0 {
				t.Errorf("logout left %v", names)
			}
		})
	}
}
