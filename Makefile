# tok's developer commands. `make test` is the one test command: it is what
# the README gives and what .ci/run calls.

GO ?= go
BIN := bin/tok
PKG := github.com/tok-cli/tok

# Build info for `tok version`, from git when there is a checkout. The date
# is the commit's, so the same commit builds the same binary.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo none)
DATE ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
LDFLAGS := -s -w \
	-X $(PKG)/internal/build.Version=$(VERSION) \
	-X $(PKG)/internal/build.Commit=$(COMMIT) \
	-X $(PKG)/internal/build.Date=$(DATE)

# Pinned linter; this version builds with Go 1.26. `go run pkg@version`
# keeps it out of go.mod and caches the build.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build install test lint bench docs clean demo

# tok answers cached-token requests and hands every other command to
# tok-full, which must sit next to it (see docs/architecture.md). The
# credential helpers git and docker run are small front binaries too.
HELPERS := ./cmd/git-credential-tok ./cmd/docker-credential-tok
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/tok ./cmd/tok-full $(HELPERS)

# Installs the binaries built by `make build` into $(PREFIX)/bin, the man
# pages and the shell completions under $(PREFIX)/share (DESTDIR stages a
# package): make install PREFIX=~/.local
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 bin/* $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 completions/tok.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/tok
	install -m 0644 completions/_tok $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tok
	install -m 0644 completions/tok.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tok.fish

# Installs what the tests need (idempotent), then runs every test against a
# real Secret Service in a private D-Bus session.
test:
	.ci/setup
	.ci/with-keyring $(GO) test -count=1 ./...

lint:
	@unformatted=$$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*' -not -path '*/testdata/*' -exec gofmt -l {} +); \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$unformatted"; exit 1; \
	fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# The benchmark harness needs the D-Bus session for its keyring figures.
bench:
	@if [ -d cmd/tokbench ]; then \
		.ci/with-keyring $(GO) run ./cmd/tokbench $(BENCHFLAGS); \
	else \
		echo "bench: cmd/tokbench does not exist yet"; \
	fi

# Regenerates completions/ and docs/ from the command tree.
docs:
	@if [ -d cmd/gendocs ]; then \
		$(GO) run ./cmd/gendocs; \
	else \
		echo "docs: cmd/gendocs does not exist yet"; \
	fi

clean:
	rm -rf bin

# The README's first command: build tok, then run its main job end to end in
# a throwaway home with a key file (no keyring needed): store a static token,
# print it for a script, and hand it to a child process.
demo: build
	@set -e; home=$$(mktemp -d); trap 'rm -rf "$$home"' EXIT; \
	export TOK_HOME="$$home/tok" TOK_KEY_SOURCE=file; \
	echo '$$ tok profile add demo --type static --env DEMO_TOKEN'; \
	$(BIN) profile add demo --type static --env DEMO_TOKEN; \
	echo '$$ echo demo-secret-123 | tok login -p demo --with-token'; \
	echo demo-secret-123 | $(BIN) login -p demo --with-token; \
	echo '$$ tok token -p demo'; \
	$(BIN) token -p demo; \
	echo '$$ tok exec -p demo -- sh -c '"'"'echo "child got $$DEMO_TOKEN"'"'"; \
	$(BIN) exec -p demo -- sh -c 'echo "child got $$DEMO_TOKEN"'; \
	echo '$$ tok status'; \
	$(BIN) status
