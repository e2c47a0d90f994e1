package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSetNeverPrintsATokenWhateverTheVerb: a Set, a *Set, and a Set inside
// a struct, a slice, a map or an error, printed with every verb.
func TestSetNeverPrintsATokenWhateverTheVerb(t *testing.T) {
	s := Set{IDToken: "secret-id-token", AccessToken: "secret-access-token", RefreshToken: "secret-refresh-token",
		AccessTokenExpiry: time.Unix(1800000000, 0).UTC()}
	type holder struct {
		Name string
		Set  Set
		Ptr  *Set
	}
	values := []any{s, &s, holder{"h", s, &s}, &holder{"h", s, &s}, []Set{s}, []*Set{&s}, map[string]Set{"k": s},
		fmt.Errorf("wrapped: %v", s), struct{ Set }{s}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v", "%T %v"} {
		for _, v := range values {
			got := fmt.Sprintf(verb, v)
			if strings.Contains(got, "secret") || strings.Contains(got, fmt.Sprintf("%x", "secret")) {
				t.Errorf("%s of %T printed a token: %s", verb, v, got)
			}
		}
	}
	if got := fmt.Sprint(s); !strings.Contains(got, "IDToken:[redacted]") || !strings.Contains(got, "2027-01-15T08:00:00Z") {
		t.Errorf("a Set prints %s, want which tokens are present and the expiry", got)
	}
	if got := fmt.Sprint(Set{IDToken: "x"}); !strings.Contains(got, `RefreshToken:""`) {
		t.Errorf("an absent token prints %s, want \"\"", got)
	}
	var nilSet *Set
	if got := fmt.Sprint(nilSet); got != "<nil>" {
		t.Errorf("a nil *Set prints %q", got)
	}
	if err := fmt.Errorf("refresh: %w", errors.New(fmt.Sprint(&s))); strings.Contains(err.Error(), "secret") {
		t.Error(err)
	}
}

// TestSetJSONKeepsTheTokens: the cache stores a Set as JSON, so JSON, unlike
// fmt, must carry every token (a redacting MarshalJSON would lose logins).
func TestSetJSONKeepsTheTokens(t *testing.T) {
	s := Set{IDToken: "i", AccessToken: "a", RefreshToken: "r", AccessTokenExpiry: time.Unix(1800000000, 0).UTC(), ObtainedAt: time.Unix(1799996400, 0).UTC()}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Set
	if err := json.Unmarshal(b, &back); err != nil || back != s {
		t.Errorf("JSON round trip: %s -> %#v, %v", b, back, err)
	}
}
