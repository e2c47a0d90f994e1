// Command apiserver-standin is the acceptance suite's fallback when no real
// kube-apiserver could be built: a TLS server that authenticates bearer
// tokens with k8s.io/apiserver's own OIDC authenticator (the code
// kube-apiserver runs for --oidc-issuer-url) and client certificates against
// a CA, and serves just what the suite's kubectl calls need: discovery,
// pods (empty, RBAC-checked), SelfSubjectReview and ClusterRoleBindings.
//
// It is its own module so that the suite compiles k8s.io/apiserver only
// when it falls back. It is NOT a kube-apiserver; the suite says so loudly.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"

	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/apiserver/plugin/pkg/authenticator/token/oidc"
)

func main() {
	port := flag.Int("secure-port", 6443, "HTTPS port on 127.0.0.1")
	certFile := flag.String("tls-cert-file", "", "server certificate")
	keyFile := flag.String("tls-private-key-file", "", "server key")
	clientCA := flag.String("client-ca-file", "", "CA of client certificates (O = groups, CN = user)")
	issuer := flag.String("oidc-issuer-url", "", "OIDC issuer")
	clientID := flag.String("oidc-client-id", "", "OIDC audience")
	oidcCA := flag.String("oidc-ca-file", "", "CA of the issuer")
	usernameClaim := flag.String("oidc-username-claim", "sub", "claim that names the user")
	flag.Parse()

	ctx := context.Background()
	caPEM, err := os.ReadFile(*oidcCA)
	if err != nil {
		log.Fatalf("read --oidc-ca-file: %v", err)
	}
	caContent, err := dynamiccertificates.NewStaticCAContent("oidc-ca", caPEM)
	if err != nil {
		log.Fatalf("oidc CA: %v", err)
	}
	prefix := ""
	authn, err := oidc.New(ctx, oidc.Options{
		JWTAuthenticator: apiserver.JWTAuthenticator{
			Issuer: apiserver.Issuer{URL: *issuer, Audiences: []string{*clientID},
				AudienceMatchPolicy: apiserver.AudienceMatchPolicyMatchAny},
			ClaimMappings: apiserver.ClaimMappings{
				Username: apiserver.PrefixedClaimOrExpression{Claim: *usernameClaim, Prefix: &prefix},
			},
		},
		CAContentProvider:    caContent,
		SupportedSigningAlgs: []string{"RS256"},
	})
	if err != nil {
		log.Fatalf("oidc authenticator: %v", err)
	}

	clientPEM, err := os.ReadFile(*clientCA)
	if err != nil {
		log.Fatalf("read --client-ca-file: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(clientPEM)

	s := &server{authn: authn, bindings: map[string]binding{}}
	srv := &http.Server{
		Addr:      fmt.Sprintf("127.0.0.1:%d", *port),
		Handler:   s,
		TLSConfig: &tls.Config{ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven},
	}
	log.Printf("apiserver-standin (NOT kube-apiserver) on https://%s, issuer %s", srv.Addr, *issuer)
	log.Fatal(srv.ListenAndServeTLS(*certFile, *keyFile))
}

// server holds the ClusterRoleBindings in memory.
type server struct {
	authn    oidc.AuthenticatorTokenWithHealthCheck
	mu       sync.Mutex
	bindings map[string]binding
}

// binding is the part of a ClusterRoleBinding the stand-in uses.
type binding struct {
	Raw   map[string]any
	Users []string
}

// user is an authenticated caller.
type user struct {
	Name   string
	Groups []string
}

func (u user) admin() bool {
	for _, g := range u.Groups {
		if g == "system:masters" {
			return true
		}
	}
	return false
}

func (s *server) authenticate(r *http.Request) (user, bool) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		c := r.TLS.PeerCertificates[0]
		return user{Name: c.Subject.CommonName, Groups: append(c.Subject.Organization, "system:authenticated")}, true
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return user{}, false
	}
	resp, ok, err := s.authn.AuthenticateToken(r.Context(), token)
	if err != nil || !ok {
		log.Printf("token rejected: %v", err)
		return user{}, false
	}
	return user{Name: resp.User.GetName(), Groups: append(resp.User.GetGroups(), "system:authenticated")}, true
}

// allowedToRead says whether RBAC (as far as the stand-in models it) lets u list pods.
func (s *server) allowedToRead(u user) bool {
	if u.admin() {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bindings {
		for _, name := range b.Users {
			if name == u.Name {
				return true
			}
		}
	}
	return false
}
