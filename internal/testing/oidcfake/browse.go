package oidcfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Browse is the scripted browser: it GETs authURL with a client that trusts
// the provider's CA, follows every redirect (provider → loopback callback of
// the plugin → optional open-url-after-authentication page) and returns the
// body of the final response. Visiting a device flow's
// verification_uri_complete approves it.
func (p *Provider) Browse(ctx context.Context, authURL string) (string, error) {
	return BrowseWith(ctx, p.client, authURL)
}

// BrowseWith is Browse with the given client; nil means
// http.DefaultClient. It returns an error on transport failure or when the
// final status is 400 or more; that error holds the status and the first 200
// bytes of the body, never the URLs' queries (they carry codes).
func BrowseWith(ctx context.Context, client *http.Client, authURL string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", fmt.Errorf("browse %s: %w", hostOf(authURL), err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("browse %s: %w", hostOf(authURL), redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	where := "" // the page that answered, when redirected
	if final := hostOf(resp.Request.URL.String()); final != hostOf(authURL) {
		where = " redirected to " + final
	}
	if err != nil {
		return "", fmt.Errorf("browse %s:%s read body: %w", hostOf(authURL), where, err)
	}
	if resp.StatusCode >= 400 {
		snippet := body
		if len(snippet) > 200 {
			snippet = snippet[:200]
		}
		return "", fmt.Errorf("browse %s:%s answered %s: %q", hostOf(authURL), where, resp.Status, snippet)
	}
	return string(body), nil
}

// hostOf returns a URL without its query and fragment, for error messages.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(invalid URL)"
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/")
}

// redactURLError drops the query from the URL of a *url.Error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, hostOf(ue.URL), ue.Err)
	}
	return err
}
