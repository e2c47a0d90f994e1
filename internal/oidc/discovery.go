package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MetadataStore keeps the provider's discovery document and JWKS between runs,
// so that a refresh needs only the token request. The cache directory's store
// implements it; nil means no persistence.
type MetadataStore interface {
	LoadMetadata(issuer string) ([]byte, error)
	SaveMetadata(issuer string, b []byte) error
	DeleteMetadata(issuer string) error
}

// MaxMetadataAge caps how long discovery and JWKS are reused, whatever the
// provider's Cache-Control says. An unknown key ID re-fetches the JWKS anyway.
const MaxMetadataAge = 24 * time.Hour

// cachedMetadata is what MetadataStore holds, per issuer.
type cachedMetadata struct {
	Version          int             `json:"version"`
	Discovery        json.RawMessage `json:"discovery"`
	DiscoveryExpires time.Time       `json:"discovery_expires"`
	JWKS             json.RawMessage `json:"jwks,omitempty"`
	JWKSExpires      time.Time       `json:"jwks_expires,omitzero"`
}

const cachedMetadataVersion = 1

// loadCached returns the cached metadata when it is still fresh.
func (c *Client) loadCached() (*cachedMetadata, bool) {
	if c.cfg.MetadataStore == nil {
		return nil, false
	}
	b, err := c.cfg.MetadataStore.LoadMetadata(c.cfg.IssuerURL)
	if err != nil {
		return nil, false
	}
	var m cachedMetadata
	if err := json.Unmarshal(b, &m); err != nil || m.Version != cachedMetadataVersion {
		c.cfg.Log.Debugf(1, "oidc: ignoring an unreadable provider metadata cache")
		return nil, false
	}
	if !c.cfg.Now().Before(m.DiscoveryExpires) {
		return nil, false
	}
	return &m, true
}

func (c *Client) saveCached() {
	if c.cfg.MetadataStore == nil {
		return
	}
	c.cached.Version = cachedMetadataVersion
	b, err := json.Marshal(c.cached)
	if err != nil {
		return
	}
	if err := c.cfg.MetadataStore.SaveMetadata(c.cfg.IssuerURL, b); err != nil {
		c.cfg.Log.Debugf(1, "oidc: could not cache the provider metadata: %v", err)
	}
}

// forgetCached drops the cached metadata, after a request that failed in a way
// stale metadata could explain (a moved endpoint).
func (c *Client) forgetCached() {
	if c.cfg.MetadataStore != nil && c.fromCache {
		c.cfg.MetadataStore.DeleteMetadata(c.cfg.IssuerURL)
	}
}

// fetchJSON GETs a provider document and returns its body and how long it may
// be reused. Its errors name u once and say what to do.
func (c *Client) fetchJSON(ctx context.Context, u string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, 0, c.netError(ctx, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, 0, c.netError(ctx, u, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, 0, fmt.Errorf("%s answered %s: the provider is rate limiting; try again in a minute", u, resp.Status)
	case resp.StatusCode >= 500:
		return nil, 0, fmt.Errorf("%s answered %s: the provider is failing; try again later, or ask its administrators", u, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, 0, fmt.Errorf("%s answered %s: check --oidc-issuer-url (its path, realm or tenant)", u, resp.Status)
	case !json.Valid(body):
		return nil, 0, fmt.Errorf("%s answered %s, not JSON: check --oidc-issuer-url and any proxy in between", u, mediaType(resp.Header))
	}
	return body, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge reads Cache-Control: no-store and no-cache give 0, max-age gives its
// value, absent gives MaxMetadataAge; never more than MaxMetadataAge.
func maxAge(cc string) time.Duration {
	age := MaxMetadataAge
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return 0
		case strings.HasPrefix(d, "max-age="):
			if n, err := strconv.Atoi(strings.TrimPrefix(d, "max-age=")); err == nil && n >= 0 {
				age = time.Duration(n) * time.Second
			}
		}
	}
	return min(age, MaxMetadataAge)
}

// discoverRemote fetches and checks the discovery document.
func (c *Client) discoverRemote(ctx context.Context) error {
	u := strings.TrimSuffix(c.cfg.IssuerURL, "/") + "/.well-known/openid-configuration"
	body, age, err := c.fetchJSON(ctx, u)
	if err != nil {
		return fmt.Errorf("discover the provider: %w", err)
	}
	var m Metadata
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("read the discovery document of %s: %w", c.cfg.IssuerURL, err)
	}
	if m.Issuer != c.cfg.IssuerURL {
		return fmt.Errorf("the provider says its issuer is %q, not %q (set --oidc-issuer-url to exactly the provider's issuer, trailing slash included)", m.Issuer, c.cfg.IssuerURL)
	}
	if m.AuthorizationEndpoint == "" && m.TokenEndpoint == "" {
		return errors.New("the provider's discovery document has neither an authorization nor a token endpoint")
	}
	c.meta = m
	c.cached = cachedMetadata{Discovery: body, DiscoveryExpires: c.cfg.Now().Add(age)}
	return nil
}
