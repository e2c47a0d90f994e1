package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Keyring is a desktop-like secret service for one user: a D-Bus session bus
// and gnome-keyring-daemon with the login keyring unlocked (REAL_COMPONENTS.md).
type Keyring struct {
	// Env points programs at the session bus and the keyring's directories.
	Env []string
	// File is the login keyring on disk; it changes when an item is stored.
	File string

	procs processes
}

// busConfig is a session bus without service activation: otherwise the first
// client to ask for the secret service would start a second, locked
// gnome-keyring-daemon that wins the bus name from ours.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>%s</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// keyringPassword unlocks the login keyring; an empty one would need a prompt.
const keyringPassword = "test-password"

// StartKeyring starts the session bus and gnome-keyring-daemon for u, adds
// their variables to u.ExtraEnv, and waits until a secret can be stored.
func (u *User) StartKeyring(ctx context.Context) (*Keyring, error) {
	dir := filepath.Join(filepath.Dir(u.Home), "keyring")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	bus := "unix:path=" + filepath.Join(dir, "bus")
	k := &Keyring{
		Env: []string{
			"DBUS_SESSION_BUS_ADDRESS=" + bus,
			"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
			"XDG_RUNTIME_DIR=" + dir,
		},
		File: filepath.Join(dir, "data", "keyrings", "login.keyring"),
	}
	env := append(u.Env(), k.Env...)
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, fmt.Errorf("dbus-daemon: %w (run tools/install.sh)", err)
	}
	config := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(busConfig, bus)), 0o600); err != nil {
		return nil, err
	}
	p, err := StartProcess(dir, "dbus-daemon", env, daemon, "--config-file="+config, "--nofork")
	if err != nil {
		return nil, err
	}
	k.procs.add(p)
	gk, err := exec.LookPath("gnome-keyring-daemon")
	if err != nil {
		k.Stop()
		return nil, fmt.Errorf("gnome-keyring-daemon: %w (run tools/install.sh)", err)
	}
	// Wait for the bus socket before the keyring daemon connects to it.
	if err := Poll(ctx, 10*time.Second, 20*time.Millisecond, func() error {
		if err := aliveCheck(p); err != nil {
			return err
		}
		_, err := os.Stat(filepath.Join(dir, "bus"))
		return err
	}); err != nil {
		k.Stop()
		return nil, err
	}
	g, err := startProcess(dir, "gnome-keyring-daemon", env, strings.NewReader(keyringPassword), gk,
		"--foreground", "--unlock", "--components=secrets")
	if err != nil {
		k.Stop()
		return nil, err
	}
	k.procs.add(g)
	err = Poll(ctx, 15*time.Second, 100*time.Millisecond, func() error {
		if err := aliveCheck(g); err != nil {
			return err
		}
		cmd := exec.Command("secret-tool", "store", "--label=acceptance probe", "acceptance", "probe")
		cmd.Env = env
		cmd.Stdin = strings.NewReader("probe")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("secret-tool store: %w: %s", err, out)
		}
		return nil
	})
	if err != nil {
		k.Stop()
		return nil, fmt.Errorf("the secret service did not come up: %w\ngnome-keyring-daemon: %s", err, g.Tail(10))
	}
	u.ExtraEnv = append(u.ExtraEnv, k.Env...)
	return k, nil
}

// Stop stops gnome-keyring-daemon and the bus.
func (k *Keyring) Stop() { k.procs.stopAll() }

// Contents returns the (encrypted) login keyring file, which changes
// whenever an item is stored or removed.
func (k *Keyring) Contents() []byte {
	b, _ := os.ReadFile(k.File)
	return b
}
