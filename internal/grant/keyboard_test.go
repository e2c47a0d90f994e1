package grant

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePasted(t *testing.T) {
	const state = "st4te"
	tests := []struct {
		name, line string
		wantCode   string
		wantErr    string
		provider   bool // a *ProviderError
		final      bool // ends the login rather than asking again
	}{
		{name: "code", line: "  abc123 \n", wantCode: "abc123"},
		{name: "redirected URL", line: "http://localhost:8000/?code=abc&state=st4te", wantCode: "abc"},
		{name: "URL with path, no state", line: "http://localhost:8000/callback?code=abc", wantCode: "abc"},
		{name: "query only", line: "?state=st4te&code=abc", wantCode: "abc"},
		{name: "fragment", line: "http://localhost:8000/#code=abc&state=st4te", wantCode: "abc"},
		{name: "key=value without URL", line: "code=abc&state=st4te", wantCode: "abc"},
		{name: "another login", line: "http://localhost:8000/?code=abc&state=other", wantErr: "belongs to another login"},
		{name: "no code", line: "http://localhost:8000/?state=st4te", wantErr: "has no code parameter"},
		{name: "provider error", line: "http://localhost:8000/?error=access_denied&error_description=no+way&state=st4te",
			wantErr: "the provider refused the login: access_denied: no way", provider: true},
		{name: "empty", line: " ", wantErr: "nothing was entered"},
		{name: "pasted address from the issuer", line: "http://localhost:8000/?code=abc&state=st4te&iss=https%3A%2F%2Fissuer.example.com", wantCode: "abc"},
		{name: "pasted address from another issuer", line: "http://localhost:8000/?code=abc&state=st4te&iss=https%3A%2F%2Fevil.example.com",
			wantErr: `the authorization response came from another issuer (iss "https://evil.example.com", expected "https://issuer.example.com"), a possible mix-up attack`, final: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := parsePasted(tt.line, state, "https://issuer.example.com")
			if tt.wantErr == "" {
				if err != nil || code != tt.wantCode {
					t.Errorf("= %q, %v; want %q", code, err, tt.wantCode)
				}
				return
			}
			var pe *ProviderError
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.As(err, &pe) != tt.provider {
				t.Errorf("err = %v (provider error %t), want %q", err, errors.As(err, &pe), tt.wantErr)
			}
			if final(err) != (tt.provider || tt.final) {
				t.Errorf("final(%v) = %t", err, final(err))
			}
		})
	}
}
