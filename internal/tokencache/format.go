package tokencache

import "fmt"

// Format prints a KeyInput with its client secret and request header values
// redacted, whatever the verb (%v, %+v, %#v, %s, …): the key hashes them, a
// log line must not show them.
func (in KeyInput) Format(f fmt.State, verb rune) {
	type plain KeyInput // without this method
	p := plain(in)
	if p.ClientSecret != "" {
		p.ClientSecret = "[redacted]"
	}
	if p.RequestHeaders != nil {
		p.RequestHeaders = make(map[string]string, len(in.RequestHeaders))
		for k := range in.RequestHeaders {
			p.RequestHeaders[k] = "[redacted]"
		}
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}
