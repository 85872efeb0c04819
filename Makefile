# sagefence: the two commands a newcomer needs are `make demo` and `make test`.
# Everything they need (the Python venv with the AWS emulator) they install themselves.

SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed
CARGO ?= cargo
SAGEFENCE := target/debug/sagefence

TOOLS := .venv-tools
C7N := .venv-c7n
EMULATOR_PORT ?= 5000

.PHONY: demo test lint venv venv-c7n tools emulator seed bench bench-guardrail bench-sweep

## venv: the Python virtualenv with the pinned moto server (the local AWS emulator)
venv: $(STAMP)

$(STAMP): tests/emulator/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
	touch $(STAMP)

## test: every test of the workspace; integration tests start their own emulator
test: venv
	$(CARGO) test --workspace --locked

## lint: formatting and clippy, as CI runs them
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## demo: the guardrail stopping and fixing notebooks on the emulator, then `sagefence evaluate` offline
demo: venv
	$(CARGO) build --quiet --locked -p sagefence-cli
	$(CARGO) run --quiet --locked -p sagefence-tests --example demo
	@for event in \
	    events/sagemaker/api-create-notebook-instance-multiple-violations.json \
	    events/sagemaker/api-create-training-job-no-vpc.json; do \
	  echo; echo "== sagefence evaluate --event $$event --format table"; \
	  $(SAGEFENCE) evaluate --event $$event --format table; code=$$?; \
	  echo "(exit $$code: 1 means a FAILED finding)"; [ $$code -le 1 ] || exit $$code; \
	done

## bench-guardrail: handler latency per event on the emulator (release build)
bench-guardrail: venv
	$(CARGO) run --release --locked -p sagefence-tests --example bench_guardrail 40

## bench-sweep: `sagefence sweep --dry-run` beside Cloud Custodian and the emulator's floor, same emulator and data
bench-sweep: venv venv-c7n
	bash bench/sweep-vs-custodian/run.sh $(BENCH_ARGS)

## venv-c7n: Cloud Custodian, pinned (bench/sweep-vs-custodian/requirements-c7n.txt), in its own venv
venv-c7n: $(C7N)/.installed

$(C7N)/.installed: bench/sweep-vs-custodian/requirements-c7n.txt
	python3 -m venv $(C7N)
	$(C7N)/bin/pip install --quiet --disable-pip-version-check -r bench/sweep-vs-custodian/requirements-c7n.txt
	touch $@

## bench: evaluation throughput beside raw JSON parsing
bench:
	$(CARGO) bench --locked -p sagefence --bench evaluate

## tools: cargo-lambda (from PyPI, a prebuilt binary) in its own venv
tools: $(TOOLS)/.installed

$(TOOLS)/.installed:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check cargo-lambda==1.9.2
	touch $@

## emulator: the local AWS emulator in the foreground on 127.0.0.1:$(EMULATOR_PORT), for trying functions by hand
emulator: venv
	$(VENV)/bin/python tests/emulator/sagefence_moto.py --port $(EMULATOR_PORT)

## seed: put a project network and a non-compliant notebook into the running emulator; prints the env to export
seed:
	AWS_ENDPOINT_URL=http://127.0.0.1:$(EMULATOR_PORT) AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	AWS_REGION=eu-west-1 $(CARGO) run --quiet --locked -p sagefence-tests --example seed
