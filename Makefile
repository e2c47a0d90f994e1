# kubelogin — run `make help` for the targets.
SHELL    := /bin/bash
GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS   := -s -w -X github.com/kubelogin/kubelogin/internal/cli.version=$(VERSION) \
             -X github.com/kubelogin/kubelogin/internal/cli.commit=$(COMMIT) \
             -X github.com/kubelogin/kubelogin/internal/cli.date=$(DATE)
PREFIX    ?= $(shell $(GO) env GOPATH)
TOOLS     ?= $(or $(KUBELOGIN_TEST_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kubelogin-test)
GORELEASER ?= $(TOOLS)/bin/goreleaser

.PHONY: help build install test integration-test acceptance-test bench lint generate demo release-snapshot mutation coverage

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/kubelogin (and bin/kubectl-oidc_login, the kubectl plugin name).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/kubelogin ./cmd/kubelogin
	ln -sf kubelogin $(BIN)/kubectl-oidc_login

install: build ## Install kubelogin and kubectl-oidc_login into $(PREFIX)/bin.
	install -d $(PREFIX)/bin
	install -m 0755 $(BIN)/kubelogin $(PREFIX)/bin/kubelogin
	install -m 0755 $(BIN)/kubelogin $(PREFIX)/bin/kubectl-oidc_login

test: ## Unit and integration tests, with the race detector.
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

integration-test: ## Only the integration tests (the built binary against the in-process provider).
	$(GO) test -race -count=1 ./integration_test/...

acceptance-test: build ## The real-world suite: Dex, Keycloak, Chromium, kubectl, kube-apiserver (see acceptance_test/README.md).
	bash acceptance_test/tools/install.sh
	cd acceptance_test && KUBELOGIN_BIN=$(CURDIR)/$(BIN)/kubelogin $(GO) test -count=1 -timeout 40m -v ./... 2>&1 | tee /tmp/kubelogin-acceptance.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|acceptance:'; exit $${PIPESTATUS[0]}

bench: ## Benchmark: cached get-token vs. the floor program and int128/kubelogin, cache growth, refreshes; see docs/performance.md.
	KUBELOGIN_TEST_CACHE=$(TOOLS) $(GO) run ./cmd/kubelogin-bench $(BENCHFLAGS)
	$(GO) test -run '^$$' -bench . -benchmem ./internal/token ./internal/tokencache ./internal/execcred

mutation: ## Mutation testing (gremlins) of tokencache, execcred, kubeconfig, oidc, grant; slow, not in CI; see docs/security.md.
	hack/mutation.sh $(MUTATION_PKGS)

coverage: ## Coverage per package: unit tests, integration tests (the binary built with -cover) and both merged.
	hack/coverage.sh

lint: ## gofmt, go vet and go mod tidy checks.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: the files above need formatting'; exit 1; }
	$(GO) vet ./...
	$(GO) mod tidy -diff

generate: ## Regenerate internal/di/wire_gen.go.
	cd internal/di && $(GO) tool wire

demo: ## Build the plugin and log in against the bundled demo provider; prints the ExecCredential.
	./hack/demo.sh

$(GORELEASER):
	GOBIN=$(TOOLS)/bin $(GO) install github.com/goreleaser/goreleaser/v2@v2.15.1

release-snapshot: $(GORELEASER) ## Build release archives locally with goreleaser (no publish) and check the krew manifest against them.
	$(GORELEASER) release --snapshot --clean --skip=publish
	$(GO) run ./hack/krewcheck -dist dist
