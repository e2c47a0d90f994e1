// Package jsonobj decodes a JSON object member by member, with
// encoding/json, instead of into a struct.
//
// The first decode into a struct type makes encoding/json reflect over the
// type: its fields, tags, embedded structs and a sorted index of names. A
// cached get-token decodes three such types (KUBERNETES_EXEC_INFO, the cache
// entry, the ID token's claims) once each, so that work was a tenth of the
// run's own instructions (callgrind), spent again on every kubectl call. A
// map of raw members needs none of it.
//
// Names match exactly, as client-go's decoder and the JWT claims (RFC 7519
// section 4) want them; encoding/json would match a struct field in any case.
package jsonobj

import (
	"encoding/json"
	"fmt"
)

// Members decodes a JSON object into its members. An absent value (nil) and
// null have no members; anything else that is not an object is an error.
func Members(raw []byte) (map[string]json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// Field is a member to decode: its name and where to decode it.
type Field struct {
	Name string
	Dst  any
}

// Decode decodes the named members of m into their destinations, in order,
// with encoding/json; an absent member leaves its destination as it is. The
// error names the first member that does not decode.
func Decode(m map[string]json.RawMessage, fields ...Field) error {
	for _, f := range fields {
		raw, ok := m[f.Name]
		if !ok {
			continue
		}
		if s, ok := f.Dst.(*string); ok {
			if v, ok := plainString(raw); ok {
				*s = v
				continue
			}
		}
		if err := json.Unmarshal(raw, f.Dst); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

// plainString returns the value of a JSON string of printable ASCII without
// escapes, which is its text between the quotes: tokens are such strings, and
// this spares a second scan of each. Any other string is left to
// encoding/json.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for _, c := range in {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(in), true
}
