package kubeconfig

import (
	"strings"
)

// Shown in place of a secret.
const redactedValue = "[redacted]"

// secretFlags are command-line flags whose values are secrets, as exec
// plugins (kubelogin's and others') take them. Request headers often carry
// API keys: their names are shown, not their values.
var secretFlags = []string{"--oidc-client-secret", "--client-secret", "--password", "--oidc-request-header", "--token-exchange-subject-token", "--token-exchange-actor-token"}

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
			strs := make([]string, len(args))
			for i, a := range args {
				strs[i], _ = a.(string)
			}
			for i, s := range RedactArgs(strs) {
				if _, ok := args[i].(string); ok {
					args[i] = s
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

// RedactArgs returns a copy of a command line (exec arguments, get-token
// flags) with the value of every secret flag replaced by [redacted], in both
// forms: "--oidc-client-secret=VALUE" and "--oidc-client-secret", "VALUE".
// For a request header only the value goes ("--oidc-request-header=NAME=[redacted]").
// It is the one redaction every printed command line and kubeconfig goes through.
func RedactArgs(args []string) []string {
	out := make([]string, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out[i] = a
		for _, f := range secretFlags {
			if a == f && i+1 < len(args) { // two-argument form: the value is the next argument
				i++
				out[i] = redactValue(f, args[i])
				break
			}
			if v, ok := strings.CutPrefix(a, f+"="); ok {
				out[i] = f + "=" + redactValue(f, v)
				break
			}
		}
	}
	return out
}

// redactValue is what is shown of flag f's value v.
func redactValue(f, v string) string {
	if f == "--oidc-request-header" {
		name, _, _ := strings.Cut(v, "=")
		return name + "=" + redactedValue
	}
	return redactedValue
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
