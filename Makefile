# licensed — make targets. `make test` is the test command of the README and of CI.
GO      ?= go
BIN     ?= bin/licensed
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS ?= -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: build run test lint bench load fuzz dockerlint openapi-lint update-redoc

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/licensed

run:
	$(GO) run ./cmd/licensed serve

# PostgreSQL and Redis tests run when LICENSED_TEST_POSTGRES_URL and
# LICENSED_TEST_REDIS_URL are set (.ci/run sets them), and skip otherwise.
test:
	$(GO) test -race -count=1 -timeout 15m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Closed-loop load on every store shape with cmd/licensed-load, as ratios
# to a bare net/http ceiling (docs/PERFORMANCE.md); DURATION=10s REPS=5 for
# the long run, SHAPES=sqlite for one shape.
load:
	docs/load/run.sh

# Each fuzz target for a minute; `go test` alone runs their seed corpus.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 60s ./verifier
	$(GO) test -run '^$$' -fuzz '^FuzzNormalizeInstance$$' -fuzztime 60s ./verifier

# The Dockerfile is linted, not built, where no Docker engine runs.
dockerlint:
	npx --yes dockerfilelint@1.8.0 Dockerfile

# The OpenAPI document against Redocly CLI's recommended rules: 0 errors
# and 0 warnings (no configuration file: the recommended set as shipped).
# redocly exits 0 when there are only warnings, so the summary is checked.
REDOCLY_CLI ?= @redocly/cli@2.77.0
openapi-lint:
	npx --yes $(REDOCLY_CLI) lint --format=stylish issuer/httpapi/openapi.json
	@out=$$(npx --yes $(REDOCLY_CLI) lint --format=summary issuer/httpapi/openapi.json 2>&1); \
	if echo "$$out" | grep -Eq '^(error|warning) '; then \
		echo "$$out" | grep -E '^(error|warning) '; \
		echo "openapi-lint: 0 errors and 0 warnings required (redocly lint exits 0 on warnings)"; exit 1; \
	fi

# Refresh the Redoc bundle that /docs serves from the binary.
update-redoc:
	scripts/update-redoc.sh
