package kubeconfig

import "fmt"

// Format prints an AuthProvider with its client secret and tokens redacted,
// whatever the verb (%v, %+v, %#v, %s, …), so that one logged or wrapped into
// an error by mistake shows its settings, never a secret.
func (a AuthProvider) Format(f fmt.State, verb rune) {
	type plain AuthProvider // without this method
	p := plain(a)
	for _, s := range []*string{&p.ClientSecret, &p.IDToken, &p.RefreshToken} {
		if *s != "" {
			*s = "[redacted]"
		}
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}
