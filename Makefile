# Floorfeed: the two commands are `make run` and `make test`.
GO ?= go
PKGS := ./...

.PHONY: run test test-short bench build vet fmt demo docker soak

## run: start the service on the embedded store in ./data (http://localhost:8080); Ctrl-C stops it (exit 0)
# Built, then exec'd, rather than `go run ./cmd/floorfeed serve`: go run exits 1
# whenever it receives SIGINT, however cleanly the program stops
# (cmd/go/internal/work/exec.go), so Ctrl-C would end `make run` with an error.
run:
	$(GO) build -o bin/floorfeed-run ./cmd/floorfeed
	exec ./bin/floorfeed-run serve

## test: vet, then every test with the race detector (needs redis-server on PATH; CI=true makes its absence fatal), then a 10 s fuzz of the photo upload parser
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 8m $(PKGS)
	$(GO) test -run '^$$' -fuzz FuzzUpload -fuzztime 10s ./photo/

## bench: submissions (JSON, photos) against a bare Echo+Redis handler, job drain and sustained intake, Redis durability modes, briefs, dashboard, photo jobs
bench:
	$(GO) test -run '^$$' -bench 'BenchmarkSubmitHTTP' -benchtime 1x -timeout 20m ./cmd/floorfeed
	$(GO) test -run '^$$' -bench 'BenchmarkSubmit' -benchtime 3s ./store/...
	$(GO) test -run '^$$' -bench 'BenchmarkBrief10k' -benchtime 3x -timeout 20m ./brief
	$(GO) test -run '^$$' -bench 'BenchmarkDrainReports' -benchtime 3x ./intake/
	$(GO) test -run '^$$' -bench 'BenchmarkSustainedIntake|BenchmarkRedisDurability' -benchtime 1x -timeout 5m ./cmd/floorfeed
	$(GO) test -run '^$$' -bench 'BenchmarkDashboard' -benchtime 200x -timeout 30m ./dashboard/
	$(GO) test -run '^$$' -bench 'BenchmarkSubmitPhotoHTTP|BenchmarkPeakMemory|BenchmarkRedisPhotoMemory' -benchtime 1x -timeout 20m ./cmd/floorfeed
	$(GO) test -run '^$$' -bench 'BenchmarkProcess' -benchtime 10x ./photo/

## soak: chaos soak, one minute per backend: phone-like clients while floorfeed (and redis-server) are SIGKILLed; exits 1 on any loss or duplicate
SOAK_DURATION ?= 60s
soak:
	$(GO) build -o bin/floorfeed-soak-target ./cmd/floorfeed
	$(GO) run ./cmd/floorfeed-soak --bin bin/floorfeed-soak-target --duration $(SOAK_DURATION)

## build: a static binary in ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/floorfeed ./cmd/floorfeed

## demo: load 300 sample reports into ./data (works while `make run` is running)
demo:
	$(GO) run ./cmd/floorfeed demo --reports 300

docker:
	docker build -t floorfeed .
