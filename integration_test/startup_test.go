package integration_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// internal/startup grows the main goroutine's stack before the package
// initialisations that would otherwise outgrow it (each growth copies the
// stack and maps more of the binary). It works only if the built binary
// initialises it first among them; GODEBUG=inittrace=1 prints the order.
func TestStackGrowsBeforeTheInitsThatDeepenIt(t *testing.T) {
	cmd := exec.Command(pluginBin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubelogin version: %v\n%s", err, stderr.String())
	}
	var order []string
	lines := bufio.NewScanner(&stderr)
	for lines.Scan() {
		if f := strings.Fields(lines.Text()); len(f) > 2 && f[0] == "init" {
			order = append(order, f[1])
		}
	}
	first := slices.Index(order, "github.com/kubelogin/kubelogin/internal/startup")
	if first < 0 {
		t.Fatalf("internal/startup is not initialised: is it still imported by cmd/kubelogin, and does its init still grow the stack?\n%s", strings.Join(order, "\n"))
	}
	for _, later := range []string{"internal/godebug", "go.yaml.in/yaml/v2", "encoding/json", "github.com/kubelogin/kubelogin/internal/cli"} {
		if i := slices.Index(order, later); i >= 0 && i < first {
			t.Errorf("%s is initialised before internal/startup", later)
		}
	}
}

// The runtime's goroutine that follows the CPU quota is off in the built
// binary: GOMAXPROCS is set once, by internal/startup.
func TestPluginBuildTurnsOffGOMAXPROCSUpdates(t *testing.T) {
	out, err := exec.Command("go", "version", "-m", pluginBin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "DefaultGODEBUG=") || !strings.Contains(string(out), "updatemaxprocs=0") {
		t.Errorf("the plugin is built without updatemaxprocs=0 (the //go:debug line of cmd/kubelogin):\n%s", out)
	}
}
