package oidcfake_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func TestOutOfBandRedirect(t *testing.T) {
	p := start(t, oidcfake.Config{TokenEndpointAuthMethods: []string{"client_secret_post"}})
	conf := oauth2Config(p, oidcfake.OOBRedirectURI)
	page, err := p.Browse(t.Context(), conf.AuthCodeURL("state-1"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<code id="code">([^<]+)</code>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no code on the page:\n%s", page)
	}
	tok, err := conf.Exchange(t.Context(), m[1])
	if err != nil || tok.Extra("id_token") == nil {
		t.Fatalf("exchange: %v", err)
	}

	p.SetFaults(oidcfake.Faults{AuthError: "access_denied"})
	if _, err := p.Browse(t.Context(), conf.AuthCodeURL("state-2")); err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("refused out-of-band login: %v, want a page saying access_denied", err)
	}
}
