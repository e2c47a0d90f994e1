package execcred

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// structCredential is the struct Write encoded with encoding/json before it
// appended the members itself: the bytes must stay the same.
type structCredential struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Interactive bool `json:"interactive"`
	} `json:"spec"`
	Status struct {
		ExpirationTimestamp string `json:"expirationTimestamp,omitempty"`
		Token               string `json:"token"`
	} `json:"status"`
}

func structEncoding(t testing.TB, apiVersion, token string, expiry time.Time) string {
	t.Helper()
	var c structCredential
	c.Kind, c.APIVersion, c.Status.Token = "ExecCredential", apiVersion, token
	if c.APIVersion == "" {
		c.APIVersion = V1beta1
	}
	if !expiry.IsZero() {
		c.Status.ExpirationTimestamp = expiry.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func TestWriteAsTheStructEncoding(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		apiVersion, token string
		expiry            time.Time
	}{
		{V1, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", exp},
		{V1beta1, "opaque-token", time.Time{}},
		{"", "tok", exp},
		{V1, `<a&b>"quoted"\back` + "\u2028\x00\x1f", exp},
		{V1, "é漢字 \xff\xfe invalid UTF-8", exp},
		{V1, "", exp},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, tc.apiVersion, tc.token, tc.expiry); err != nil {
			t.Fatal(err)
		}
		if want := structEncoding(t, tc.apiVersion, tc.token, tc.expiry); buf.String() != want {
			t.Errorf("Write(%q, %q) =\n%s\nthe struct encoding is\n%s", tc.apiVersion, tc.token, buf.String(), want)
		}
	}
}

func FuzzWriteAsTheStructEncoding(f *testing.F) {
	f.Add(true, "tok", int64(1_900_000_000))
	f.Add(false, "<&>\"\\\u2029\xff", int64(0))
	f.Fuzz(func(t *testing.T, v1 bool, token string, unix int64) {
		apiVersion := V1beta1
		if v1 {
			apiVersion = V1
		}
		var expiry time.Time
		if unix != 0 {
			expiry = time.Unix(unix%(1<<34), 0)
		}
		var buf bytes.Buffer
		if err := Write(&buf, apiVersion, token, expiry); err != nil {
			t.Fatal(err)
		}
		if want := structEncoding(t, apiVersion, token, expiry); buf.String() != want {
			t.Fatalf("Write =\n%s\nthe struct encoding is\n%s", buf.String(), want)
		}
	})
}

func TestParseEnvMembers(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        Input
		wantErr     string
	}{
		// client-go's decoder matches names exactly, and so does the plugin.
		{name: "names in another case", value: `{"APIVERSION":"client.authentication.k8s.io/v1","Spec":{"Interactive":true}}`, want: Input{APIVersion: V1beta1}},
		{name: "unknown members", value: `{"apiVersion":"client.authentication.k8s.io/v1","x":[1],"spec":{"y":{},"interactive":true}}`, want: Input{APIVersion: V1, Interactive: true}},
		{name: "null spec", value: `{"apiVersion":"client.authentication.k8s.io/v1","spec":null}`, want: Input{APIVersion: V1}},
		{name: "null", value: `null`, want: Input{APIVersion: V1beta1}},
		{name: "not an object", value: `["client.authentication.k8s.io/v1"]`, wantErr: "is not valid JSON"},
		{name: "spec not an object", value: `{"spec":"interactive"}`, wantErr: "is not valid JSON"},
		{name: "apiVersion not a string", value: `{"apiVersion":1}`, wantErr: "is not valid JSON (it is set by kubectl; unset it to run by hand): apiVersion: "},
		{name: "kind not a string", value: `{"kind":true}`, wantErr: "kind: "},
		{name: "interactive not a bool", value: `{"spec":{"interactive":"yes"}}`, wantErr: "interactive: "},
		{name: "trailing garbage", value: `{"apiVersion":"client.authentication.k8s.io/v1"}x`, wantErr: "is not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEnv(tc.value, true)
			if tc.wantErr != "" {
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.wantErr)) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseEnv = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
