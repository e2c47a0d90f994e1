package execcred

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/pkg/apis/clientauthentication"
	"k8s.io/client-go/pkg/apis/clientauthentication/install"
)

func TestParseEnv(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		terminal    bool
		want        Input
		wantErr     string
	}{
		{name: "unset, terminal", terminal: true, want: Input{APIVersion: V1beta1, Interactive: true}},
		{name: "unset, pipe", want: Input{APIVersion: V1beta1}},
		{name: "v1 interactive", value: `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}`, want: Input{APIVersion: V1, Interactive: true}},
		{name: "v1 never", value: `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`, terminal: true, want: Input{APIVersion: V1}},
		{name: "v1beta1", value: `{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{}}`, want: Input{APIVersion: V1beta1}},
		{name: "no apiVersion", value: `{}`, want: Input{APIVersion: V1beta1}},
		{name: "v1alpha1", value: `{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, wantErr: `asks for apiVersion "client.authentication.k8s.io/v1alpha1"`},
		{name: "garbage", value: `{`, wantErr: "is not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEnv(tc.value, tc.terminal)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
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

// The output is checked with client-go's own decoder, as kubectl reads it.
func TestWriteDecodesWithClientGo(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range []string{V1, V1beta1} {
		t.Run(v, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, v, "tok", exp); err != nil {
				t.Fatal(err)
			}
			obj, gvk, err := codecs.UniversalDecoder().Decode(buf.Bytes(), nil, nil)
			if err != nil {
				t.Fatalf("client-go cannot decode %s: %v", buf.String(), err)
			}
			if gvk.GroupVersion().String() != v || gvk.Kind != "ExecCredential" {
				t.Errorf("decoded as %v", gvk)
			}
			cred := obj.(*clientauthentication.ExecCredential)
			if cred.Status.Token != "tok" || !cred.Status.ExpirationTimestamp.Time.Equal(exp) {
				t.Errorf("decoded status %+v", cred.Status)
			}
		})
	}
}

func TestWriteGolden(t *testing.T) {
	var buf bytes.Buffer
	Write(&buf, V1, "tok", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	const want = `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false},"status":{"expirationTimestamp":"2030-01-02T03:04:05Z","token":"tok"}}` + "\n"
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
}

func BenchmarkWrite(b *testing.B) {
	var buf bytes.Buffer
	exp := time.Unix(1_800_000_000, 0)
	tok := strings.Repeat("x", 900)
	for b.Loop() {
		buf.Reset()
		Write(&buf, V1, tok, exp)
	}
}
