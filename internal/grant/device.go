package grant

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
)

// slowDownStep is what a slow_down answer adds to the polling interval (RFC
// 8628 section 3.5).
const slowDownStep = 5 * time.Second

// DeviceCode is the device authorization grant (RFC 8628): the user opens a
// URL on any device (a phone through the QR code) and confirms a code while
// kubelogin polls the provider. It sends PKCE when the provider supports it
// (Keycloak requires it) and the extra parameters.
type DeviceCode struct {
	Options
	Client *oidc.Client
	// OpenBrowser and NoBrowser are the authcode grant's: the verification URL
	// is opened when a browser can be.
	OpenBrowser func(url, command string, failed func(error)) error
	NoBrowser   bool
	// QRCode draws the verification URL as a QR code (when stderr is a terminal).
	QRCode         bool
	UseAccessToken bool
	// Now is the clock; the login is bounded by Timeout and the codes' expires_in.
	Now func() time.Time
	Log *logger.Logger
}

// Token runs the login. stale is ignored.
func (g *DeviceCode) Token(ctx context.Context, _ *token.Set) (*token.Set, error) {
	usePKCE, err := g.Client.UsePKCE(ctx)
	if err != nil {
		return nil, err
	}
	var verifier, challenge string
	if usePKCE {
		verifier = oauth2.GenerateVerifier()
		challenge = oauth2.S256ChallengeFromVerifier(verifier)
	}
	da, err := g.Client.StartDeviceAuth(ctx, challenge, g.Client.Config().ExtraParams)
	if err != nil {
		return nil, err
	}
	start := g.Now()
	limit, expiry := g.Timeout(), false
	if da.ExpiresIn > 0 && da.ExpiresIn <= limit {
		limit, expiry = da.ExpiresIn, true
	}
	g.show(da)
	g.Log.Printf("Waiting for the login (for up to %s)...", limit)

	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	interval := da.Interval
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			switch {
			case !errors.Is(ctx.Err(), context.DeadlineExceeded):
				return nil, fmt.Errorf("login interrupted: %w", ctx.Err())
			case expiry:
				return nil, g.expired(g.Now().Sub(start))
			}
			return nil, fmt.Errorf("no login within %s: the code was not confirmed at %s (raise --authentication-timeout-sec)", g.Timeout(), da.VerificationURI)
		case <-timer.C:
		}
		set, err := g.Client.PollDeviceToken(ctx, da.DeviceCode, verifier, !g.UseAccessToken)
		var te *oidc.TokenError
		switch {
		case err == nil:
			g.Log.Debugf(1, "device: logged in")
			return set, nil
		case ctx.Err() != nil:
			continue // the case above says why
		case errors.Is(err, oidc.ErrNoIDToken):
			return nil, errors.New("the provider's device-code answer has no ID token (add --oidc-use-access-token if the API server accepts its access tokens)")
		case !errors.As(err, &te):
			return nil, fmt.Errorf("device login: %w", err)
		}
		switch te.Code {
		case "authorization_pending":
			g.Log.Debugf(1, "device: the login is not finished yet; polling again in %s", interval)
		case "slow_down":
			interval += slowDownStep
			g.Log.Debugf(1, "device: the provider asked to poll more slowly; polling every %s", interval)
		case "access_denied":
			return nil, fmt.Errorf("the login was denied at the provider (%s); run the command again to retry", describe(te))
		case "expired_token":
			return nil, g.expired(g.Now().Sub(start))
		default:
			return nil, fmt.Errorf("device login: %w", err)
		}
		timer.Reset(interval)
	}
}

func (g *DeviceCode) expired(after time.Duration) error {
	return fmt.Errorf("the device code expired after %s before the login was confirmed; run the command again and confirm the code sooner", after.Round(time.Second))
}

func describe(te *oidc.TokenError) string {
	if te.Description != "" {
		return te.Code + ": " + te.Description
	}
	return te.Code
}

// show tells the user where to go: the URL with the code in it when the
// provider gives one, and always the plain URL and the code to type there.
func (g *DeviceCode) show(da *oidc.DeviceAuth) {
	open := cmp.Or(da.VerificationURIComplete, da.VerificationURI)
	var msg strings.Builder
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(&msg, "To log in, visit %s\nor visit %s and enter the code %s", da.VerificationURIComplete, da.VerificationURI, da.UserCode)
	} else {
		fmt.Fprintf(&msg, "To log in, visit %s and enter the code %s", da.VerificationURI, da.UserCode)
	}
	if g.QRCode {
		if qr, err := qrCode(open); err == nil {
			msg.WriteString("\nor scan this QR code with your phone:\n" + strings.TrimSuffix(qr, "\n"))
		} else {
			g.Log.Debugf(1, "device: no QR code: %v", err)
		}
	}
	g.Log.Printf("%s", msg.String())
	if !g.NoBrowser {
		g.Log.Printf("Opening the browser at that address.")
		err := g.OpenBrowser(open, g.BrowserCommand, func(err error) {
			g.Log.Printf("The browser launcher failed (%v); visit the address above by hand.", err)
		})
		if err != nil {
			g.Log.Printf("Could not start the browser (%v); visit the address above by hand.", err)
		}
	}
}
