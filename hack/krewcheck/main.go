// Command krewcheck renders .krew.yaml for the archives of a goreleaser
// snapshot (dist/) and checks it with the krew manifest rules that can be
// checked offline: every platform has a unique os/arch selector, a URI, a
// sha256 that matches the archive, and a bin that the archive contains.
//
//	go run ./hack/krewcheck [-manifest .krew.yaml] [-dist dist] [-version v0.0.0]
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
)

type manifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Bin    string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

func main() {
	manifestPath := flag.String("manifest", ".krew.yaml", "krew manifest template")
	dist := flag.String("dist", "dist", "goreleaser output directory")
	version := flag.String("version", "v0.0.0-snapshot", "tag to render the manifest for")
	flag.Parse()
	if err := check(*manifestPath, *dist, *version); err != nil {
		fmt.Fprintln(os.Stderr, "krewcheck:", err)
		os.Exit(1)
	}
}

func check(manifestPath, dist, version string) error {
	rendered, err := render(manifestPath, dist, version)
	if err != nil {
		return err
	}
	var m manifest
	if err := yaml.UnmarshalStrict(rendered, &m); err != nil {
		return fmt.Errorf("rendered manifest: %w", err)
	}
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" {
		bad("apiVersion/kind %s/%s", m.APIVersion, m.Kind)
	}
	if m.Metadata.Name != "oidc-login" {
		bad("plugin name %q, want oidc-login", m.Metadata.Name)
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+`).MatchString(m.Spec.Version) {
		bad("version %q is not semver with a v", m.Spec.Version)
	}
	if m.Spec.ShortDescription == "" || len(m.Spec.ShortDescription) > 50 || m.Spec.Description == "" {
		bad("descriptions: short one missing or longer than 50 characters")
	}
	seen := map[string]bool{}
	for _, p := range m.Spec.Platforms {
		goos, arch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		sel := goos + "/" + arch
		if goos == "" || arch == "" || seen[sel] {
			bad("platform selector %q missing or repeated", sel)
		}
		seen[sel] = true
		archive := filepath.Join(dist, path.Base(p.URI))
		b, err := os.ReadFile(archive)
		if err != nil {
			bad("%s: archive %s: %v", sel, archive, err)
			continue
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != p.Sha256 {
			bad("%s: sha256 does not match %s", sel, archive)
		}
		if !strings.HasSuffix(p.URI, "kubelogin_"+goos+"_"+arch+".zip") {
			bad("%s: URI %s does not name its platform", sel, p.URI)
		}
		if err := zipHas(b, p.Bin); err != nil {
			bad("%s: %v", sel, err)
		}
	}
	for _, want := range []string{"linux/amd64", "linux/arm64", "linux/arm", "linux/ppc64le", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"} {
		if !seen[want] {
			bad("no platform %s", want)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	fmt.Printf("krewcheck: %s renders for %s with %d platforms; every archive matches its sha256 and holds its bin\n", manifestPath, version, len(m.Spec.Platforms))
	return nil
}

// render fills the manifest the way krew-release-bot does: .TagName and addURIAndSha.
func render(manifestPath, dist, version string) ([]byte, error) {
	src, err := os.ReadFile(manifestPath)
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"addURIAndSha": func(uri, tag string) (string, error) {
			b, err := os.ReadFile(filepath.Join(dist, path.Base(uri)))
			if err != nil {
				return "", err
			}
			sum := sha256.Sum256(b)
			return fmt.Sprintf("uri: %s\n    sha256: %s", uri, hex.EncodeToString(sum[:])), nil
		},
	}
	tmpl, err := template.New("krew").Funcs(funcs).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", manifestPath, err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, map[string]string{"TagName": version}); err != nil {
		return nil, fmt.Errorf("render %s: %w", manifestPath, err)
	}
	return out.Bytes(), nil
}

func zipHas(archive []byte, name string) error {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		if f.Name == name {
			if f.Mode()&0o111 == 0 && !strings.HasSuffix(name, ".exe") {
				return fmt.Errorf("%s is in the archive but not executable", name)
			}
			return nil
		}
	}
	return fmt.Errorf("the archive has no %s at its root", name)
}
