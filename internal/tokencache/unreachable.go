package tokencache

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// UnreachableWindow is how long a provider that could not be reached is not
// asked again. kubectl runs the plugin 5–6 times for one command (discovery,
// retries after a 401): without it, each run would wait the whole request
// timeout again, and one `kubectl get pods` against a dead provider would take
// minutes. A valid cached token is served whatever the marker says.
const UnreachableWindow = 30 * time.Second

// Unreachable is a provider that could not be reached: what the first run
// found, remembered for UnreachableWindow by the runs that follow, for every
// login at that issuer.
type Unreachable struct {
	At time.Time `json:"at"`
	// Reason is a short phrase: "did not answer within 30s", "refused the connection", …
	Reason string `json:"reason"`
}

// UnreachableError is returned while a provider is remembered as unreachable.
type UnreachableError struct {
	Issuer    string
	Reason    string
	Ago, Left time.Duration
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the provider %s %s %s ago; kubelogin tries it again in %s (--force-refresh tries at once)",
		e.Issuer, e.Reason, e.Ago.Round(time.Second), e.Left.Round(time.Second))
}

func (d Disk) unreachablePath(issuer string) string {
	p := d.metadataPath(issuer)
	return strings.TrimSuffix(p, filepath.Ext(p)) + ".unreachable"
}

// checkUnreachable returns an *UnreachableError while issuer is remembered as
// unreachable at now.
func (d Disk) checkUnreachable(issuer string, now time.Time) error {
	b, err := os.ReadFile(d.unreachablePath(issuer))
	if err != nil {
		return nil
	}
	var u Unreachable
	if json.Unmarshal(b, &u) != nil || u.Reason == "" {
		return nil
	}
	ago := now.Sub(u.At)
	if ago < 0 || ago >= UnreachableWindow {
		return nil // a clock that went back, or the window is over: ask the provider
	}
	return &UnreachableError{Issuer: issuer, Reason: u.Reason, Ago: ago, Left: UnreachableWindow - ago}
}

func (d Disk) saveUnreachable(issuer string, u Unreachable) {
	b, _ := json.Marshal(u)
	if d.ensureDir() == nil {
		_ = writeAtomic(d.unreachablePath(issuer), b)
	}
}

func (d Disk) clearUnreachable(issuer string) {
	_ = os.Remove(d.unreachablePath(issuer))
}
