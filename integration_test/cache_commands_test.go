package integration_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// statusJSON runs status -o json and decodes it.
func (s *shell) statusJSON(extra ...string) []map[string]any {
	s.t.Helper()
	r := mustRun(s.t, s.kubelogin(append(append([]string{"status", "-o", "json"}, s.cacheFlags()...), extra...)...))
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		s.t.Fatalf("status -o json: %v\n%s", err, r.stdout)
	}
	return out
}

func emails(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		e, _ := r["email"].(string)
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// Two accounts at one provider: each --oidc-login-hint has its own cached
// login, status shows both, and logout removes one.
func TestMultiAccountStatusAndLogout(t *testing.T) {
	s := newShell(t, oidcfake.Config{Groups: []string{"admins", "devs"}})
	for _, who := range []string{"alice@example.com", "bob@example.com"} {
		mustCredential(t, s.getToken("--oidc-login-hint="+who))
		if got := s.provider.LastAuthRequest().Get("login_hint"); got != who {
			t.Errorf("login_hint = %q, want %q", got, who)
		}
	}
	// Each account's cached token is used: no third login.
	for _, who := range []string{"alice@example.com", "bob@example.com"} {
		c := mustCredential(t, s.getToken("--oidc-login-hint="+who))
		if !strings.Contains(c.Status.Token, ".") || s.launches() != 2 {
			t.Fatalf("launches = %d after cached runs", s.launches())
		}
	}
	if n := len(s.cacheEntries()); n != 2 {
		t.Fatalf("%d cache entries, want one per account", n)
	}

	r := mustRun(t, s.kubelogin(append([]string{"status"}, s.cacheFlags()...)...))
	for _, want := range []string{"ISSUER", "CLIENT", "USER", "GROUPS", "ID TOKEN", "REFRESH TOKEN", "STORAGE", "alice@example.com", "bob@example.com", "admins,devs", "expires in 59m", "disk"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	assertNoTokens(t, s, r.stdout+r.stderr)

	rows := s.statusJSON()
	if got := emails(rows); !slices.Equal(got, []string{"alice@example.com", "bob@example.com"}) {
		t.Errorf("status -o json emails = %v", got)
	}
	for _, row := range rows {
		if row["issuer"] != s.provider.Issuer() || row["client_id"] != "kubelogin" || row["storage"] != "disk" ||
			row["id_token_valid"] != true || row["refresh_token"] != true || row["subject"] == "" {
			t.Errorf("row %v", row)
		}
		exp, _ := time.Parse(time.RFC3339, row["id_token_expiry"].(string))
		if d := time.Until(exp); d < 50*time.Minute || d > time.Hour {
			t.Errorf("id_token_expiry %v", exp)
		}
	}
	whoami := mustRun(t, s.kubelogin(append([]string{"whoami"}, s.cacheFlags()...)...))
	if whoami.stdout != r.stdout {
		t.Error("whoami differs from status")
	}

	// Logging bob out revokes his refresh token and keeps alice.
	r = mustRun(t, s.kubelogin(append([]string{"logout"}, s.loginFlags("--oidc-login-hint=bob@example.com")...)...))
	if !strings.Contains(r.stdout, "Revoked the refresh token at "+s.provider.Issuer()+"/revoke.") || !strings.Contains(r.stdout, "bob@example.com") {
		t.Errorf("logout says:\n%s", r.stdout)
	}
	if got := emails(s.statusJSON()); !slices.Equal(got, []string{"alice@example.com"}) {
		t.Errorf("after logging bob out: %v", got)
	}
	if s.provider.Count("revoke") != 1 {
		t.Errorf("revocation requests = %d", s.provider.Count("revoke"))
	}
}

func assertNoTokens(t *testing.T, s *shell, out string) {
	t.Helper()
	for _, e := range s.cacheEntries() {
		for _, k := range []string{"id_token", "refresh_token", "access_token"} {
			if v, _ := e[k].(string); v != "" && strings.Contains(out, v) {
				t.Errorf("the output shows a %s", k)
			}
		}
	}
}

func TestLogoutRevokesThenRemoves(t *testing.T) {
	s := newShell(t, oidcfake.Config{ClientSecret: "client-secret-value"})
	flags := s.loginFlags("--oidc-client-secret=client-secret-value")
	mustCredential(t, s.run(append([]string{"get-token"}, flags...)...))
	_, entry := s.onlyEntry()
	refreshToken := entry["refresh_token"].(string)

	// The provider is down: nothing is removed.
	s.provider.SetFaults(oidcfake.Faults{Status: 503})
	r := s.kubelogin(append([]string{"logout"}, flags...)...)
	mustFail(t, r, "503")
	if len(s.cacheEntries()) != 1 {
		t.Fatal("logout removed the login although the revocation failed")
	}
	s.provider.SetFaults(oidcfake.Faults{})

	r = mustRun(t, s.kubelogin(append([]string{"logout"}, flags...)...))
	if !strings.Contains(r.stdout, "Revoked the refresh token") || !strings.Contains(r.stdout, "Removed "+s.provider.Issuer()) {
		t.Errorf("logout says:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, "client-secret-value") || strings.Contains(r.stdout+r.stderr, refreshToken) {
		t.Error("logout printed a secret")
	}
	if n := len(s.cacheEntries()); n != 0 {
		t.Errorf("%d entries left", n)
	}
	// The provider no longer honours the refresh token.
	resp, err := http.PostForm(s.provider.Issuer()+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {"kubelogin"}, "client_secret": {"client-secret-value"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("refresh with the revoked token: %d, want 400", resp.StatusCode)
	}

	r = mustRun(t, s.kubelogin(append([]string{"logout"}, flags...)...))
	if !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("second logout says:\n%s", r.stdout)
	}
	// The next kubectl command logs in again.
	mustCredential(t, s.run(append([]string{"get-token"}, flags...)...))
	if s.launches() != 2 {
		t.Errorf("launches = %d, want 2", s.launches())
	}
}

func TestCleanRemovesOnlyKubeloginFiles(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	other, err := oidcfake.Start(oidcfake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	mustCredential(t, s.getToken())
	otherFlags := append([]string{"get-token"}, s.loginFlags()...)
	otherFlags = append(removeFlag(otherFlags, "--oidc-issuer-url"), "--oidc-issuer-url="+other.Issuer())
	mustCredential(t, s.run(otherFlags...))
	// Files that are not kubelogin's, in the directory the user gave.
	writeText(t, filepath.Join(s.cacheDir, "notes.txt"), "mine")
	os.Mkdir(filepath.Join(s.cacheDir, "subdir"), 0o700)

	r := mustRun(t, s.kubelogin(append([]string{"clean", "--issuer=" + other.Issuer()}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "Removed "+other.Issuer()) || strings.Contains(r.stdout, "Removed "+s.provider.Issuer()) {
		t.Errorf("clean --issuer says:\n%s", r.stdout)
	}
	if rows := s.statusJSON(); len(rows) != 1 || rows[0]["issuer"] != s.provider.Issuer() {
		t.Errorf("after clean --issuer: %v", rows)
	}
	mustRun(t, s.kubelogin(append([]string{"clean", "--client-id=someone-else"}, s.cacheFlags()...)...))
	if len(s.statusJSON()) != 1 {
		t.Error("clean --client-id removed another client's login")
	}

	r = mustRun(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "Left 2 files in "+s.cacheDir+" that are not kubelogin's") {
		t.Errorf("clean says:\n%s", r.stdout)
	}
	des, _ := os.ReadDir(s.cacheDir)
	var left []string
	for _, de := range des {
		left = append(left, de.Name())
	}
	if !slices.Equal(left, []string{"notes.txt", "subdir"}) {
		t.Errorf("left in the cache directory: %v", left)
	}

	// With nothing else in it, the directory goes too.
	os.Remove(filepath.Join(s.cacheDir, "notes.txt"))
	os.Remove(filepath.Join(s.cacheDir, "subdir"))
	mustCredential(t, s.getToken())
	if s.launches() != 3 {
		t.Errorf("launches = %d: the login after clean did not log in again", s.launches())
	}
	mustRun(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...))
	if _, err := os.Stat(s.cacheDir); !os.IsNotExist(err) {
		t.Errorf("the emptied cache directory is still there: %v", err)
	}
	r = mustRun(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "No cached logins to remove") {
		t.Errorf("clean of nothing says:\n%s", r.stdout)
	}
}

// clean and status find the default cache directory as get-token does.
func TestCleanDefaultDirectory(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	s.cacheDir = filepath.Join(s.home, ".kube", "cache", "oidc-login")
	mustCredential(t, s.kubelogin(removeFlag(s.args(), "--token-cache-dir")...))
	if n := len(s.cacheEntries()); n != 1 {
		t.Fatalf("%d entries in the default directory", n)
	}
	r := mustRun(t, s.kubelogin("status"))
	if !strings.Contains(r.stdout, "admin@example.com") {
		t.Errorf("status:\n%s", r.stdout)
	}
	mustRun(t, s.kubelogin("clean"))
	if n := len(s.cacheEntries()); n != 0 {
		t.Errorf("%d entries after clean", n)
	}
}

func TestStatusEmptyAndUnreadable(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	r := mustRun(t, s.kubelogin(append([]string{"status"}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "No cached logins in "+s.cacheDir) {
		t.Errorf("status:\n%s", r.stdout)
	}
	if rows := s.statusJSON(); rows == nil || len(rows) != 0 {
		t.Errorf("status -o json of nothing = %v, want []", rows)
	}
	writeText(t, filepath.Join(s.cacheDir, strings.Repeat("ab", 32)+".json"), "{not json")
	r = mustRun(t, s.kubelogin(append([]string{"status"}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "(unreadable:") {
		t.Errorf("status:\n%s", r.stdout)
	}
	r = mustRun(t, s.kubelogin(append([]string{"clean", "--issuer=https://x"}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "Kept 1 unreadable entry: ") {
		t.Errorf("clean --issuer:\n%s", r.stdout)
	}
	mustRun(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...))
	if _, err := os.Stat(s.cacheDir); !os.IsNotExist(err) {
		t.Error("the unreadable entry was not removed")
	}
	mustFail(t, s.kubelogin("status", "-o", "yaml"), "--output=yaml is not one of table, json")
}

// status --issuer with no match, while logins at other issuers exist, says so.
func TestStatusFilterNamesTheOtherLogins(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	mustCredential(t, s.getToken())
	r := mustRun(t, s.kubelogin(append([]string{"status", "--issuer=https://other.example.com"}, s.cacheFlags()...)...))
	want := "No cached logins for issuer https://other.example.com in " + s.cacheDir + " (1 login for other issuers: run status without --issuer to list it).\n"
	if r.stdout != want {
		t.Errorf("status says:\n%s\nwant:\n%s", r.stdout, want)
	}
	if rows := s.statusJSON("--issuer=https://other.example.com"); rows == nil || len(rows) != 0 {
		t.Errorf("status -o json = %v, want []", rows)
	}
	r = mustRun(t, s.kubelogin(append([]string{"status", "--issuer=" + s.provider.Issuer()}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "admin@example.com") {
		t.Errorf("status --issuer of the login:\n%s", r.stdout)
	}
}

// After switching from int128/kubelogin, clean forgets its tokens too (a
// 64-hex-digit name without extension), and leaves files that only look alike.
func TestCleanRemovesInt128KubeloginEntries(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	mustCredential(t, s.getToken())
	legacy := strings.Repeat("ab", 32)
	writeText(t, filepath.Join(s.cacheDir, legacy), `{"id_token":"a.b.c","refresh_token":"r"}`)
	writeText(t, filepath.Join(s.cacheDir, legacy+".lock"), "")
	lookalike := strings.Repeat("cd", 32)
	writeText(t, filepath.Join(s.cacheDir, lookalike), "my notes, not a token")

	r := mustRun(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "Removed a login cached by int128/kubelogin ("+legacy[:12]+")") {
		t.Errorf("clean says:\n%s", r.stdout)
	}
	des, _ := os.ReadDir(s.cacheDir)
	if len(des) != 1 || des[0].Name() != lookalike {
		var names []string
		for _, de := range des {
			names = append(names, de.Name())
		}
		t.Errorf("left in the cache directory: %v, want only %s", names, lookalike)
	}
}
