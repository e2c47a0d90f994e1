package kubeconfig

import (
	"strings"
)

// Shown in place of a secret.
const redactedValue = "[redacted]"

// secretFlags are command-line flags whose values are secrets, as exec
// plugins (kubelogin's and others') take them. Request headers often carry
// API keys: their names are shown, not their values.
var secretFlags = []string{"--oidc-client-secret", "--client-secret", "--password", "--oidc-request-header"}

// secretUserFields are the user fields and auth-provider config entries that
// hold secrets.
var (
	secretUserFields       = []string{"token", "password", "client-key-data"}
	secretAuthProviderKeys = []string{"client-secret", "id-token", "refresh-token", "access-token", "token"}
)

// redacted returns a copy of a kubeconfig document with every secret replaced
// by [redacted]: tokens, passwords, client keys, auth-provider tokens and
// client secrets, secret exec arguments and exec environment values whose
// names look secret.
func redacted(doc map[string]any) map[string]any {
	out, _ := convert(doc).(map[string]any)
	users, _ := out["users"].([]any)
	for _, it := range users {
		m, _ := it.(map[string]any)
		u, _ := m["user"].(map[string]any)
		if u == nil {
			continue
		}
		for _, k := range secretUserFields {
			if _, ok := u[k]; ok {
				u[k] = redactedValue
			}
		}
		if ap, _ := u["auth-provider"].(map[string]any); ap != nil {
			if cfg, _ := ap["config"].(map[string]any); cfg != nil {
				for _, k := range secretAuthProviderKeys {
					if _, ok := cfg[k]; ok {
						cfg[k] = redactedValue
					}
				}
			}
		}
		ex, _ := u["exec"].(map[string]any)
		if ex == nil {
			continue
		}
		if args, _ := ex["args"].([]any); args != nil {
			for i, a := range args {
				if s, ok := a.(string); ok {
					args[i] = RedactArg(s)
				}
			}
		}
		if env, _ := ex["env"].([]any); env != nil {
			for _, e := range env {
				if v, _ := e.(map[string]any); v != nil {
					if name, _ := v["name"].(string); looksSecret(name) {
						v["value"] = redactedValue
					}
				}
			}
		}
	}
	return out
}

// RedactArg returns a command-line argument with the value of a secret flag
// replaced by [redacted] (for a header, its value only).
func RedactArg(a string) string {
	for _, f := range secretFlags {
		v, ok := strings.CutPrefix(a, f+"=")
		if !ok {
			continue
		}
		if f == "--oidc-request-header" {
			name, _, _ := strings.Cut(v, "=")
			return f + "=" + name + "=" + redactedValue
		}
		return f + "=" + redactedValue
	}
	return a
}

func looksSecret(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "PASSWORD", "TOKEN", "KEY"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
