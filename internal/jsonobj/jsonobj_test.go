package jsonobj

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		in      string
		nil     bool
		want    int
		wantErr bool
	}{
		{in: "", nil: true}, // absent
		{in: "null", want: 0},
		{in: `{}`, want: 0},
		{in: `{"a":1,"b":{"c":[]},"a":2}`, want: 2},
		{in: `[]`, wantErr: true},
		{in: `"s"`, wantErr: true},
		{in: `{"a":1}x`, wantErr: true},
		{in: `{"a":}`, wantErr: true},
	} {
		var raw []byte
		if !tc.nil {
			raw = []byte(tc.in)
		}
		m, err := Members(raw)
		if (err != nil) != tc.wantErr || len(m) != tc.want {
			t.Errorf("Members(%q) = %v, %v", tc.in, m, err)
		}
	}
}

func TestDecode(t *testing.T) {
	m, err := Members([]byte(`{"s":"tok.en","e":"a\"b\u00e9","n":7,"t":"2030-01-02T03:04:05Z","b":true,"Case":"x","bad":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	var s, e, absent, lower string
	var n int
	var tm time.Time
	var b bool
	absent = "kept"
	if err := Decode(m, Field{"s", &s}, Field{"e", &e}, Field{"n", &n}, Field{"t", &tm}, Field{"b", &b}, Field{"absent", &absent}, Field{"case", &lower}); err != nil {
		t.Fatal(err)
	}
	if s != "tok.en" || e != `a"bé` || n != 7 || !tm.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) || !b || absent != "kept" || lower != "" {
		t.Errorf("decoded s=%q e=%q n=%d t=%v b=%v absent=%q case=%q", s, e, n, tm, b, absent, lower)
	}
	err = Decode(m, Field{"s", &s}, Field{"bad", &n}, Field{"b", &s})
	if err == nil || !strings.HasPrefix(err.Error(), "bad: ") {
		t.Errorf("err = %v, want the first member that does not decode, bad", err)
	}
}

// A string member decodes as encoding/json decodes it, whatever it holds.
func FuzzDecodeStringAsEncodingJSON(f *testing.F) {
	for _, s := range []string{`"plain.jwt-like_token"`, `"tab\there"`, `"é"`, `"\u0041"`, `"\ud800"`, "\"\xff\"", `"a\/b"`, `7`, `null`, `"`, `""`, `"~ \u007f"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		m, err := Members([]byte(`{"k":` + value + `}`))
		if err != nil {
			return // not a JSON value
		}
		got, want := "unset", "unset"
		err = Decode(m, Field{"k", &got})
		wantErr := json.Unmarshal(m["k"], &want)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Fatalf("%s decodes to %q, %v; encoding/json: %q, %v", value, got, err, want, wantErr)
		}
	})
}
