# sagefence: the two commands a newcomer needs are `make demo` and `make test`.
# Everything they need (the Python venv with the AWS emulator) they install themselves.

SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed
CARGO ?= cargo
SAGEFENCE := target/debug/sagefence

.PHONY: demo test lint venv bench clean-venv

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

## demo: notebooks on the emulator evaluated online, then fixtures evaluated offline
demo: venv
	$(CARGO) build --quiet --locked -p sagefence-cli
	$(CARGO) run --quiet --locked -p sagefence-tests --example demo
	@for event in \
	    events/sagemaker/api-create-notebook-instance-compliant.json \
	    events/sagemaker/api-create-notebook-instance-multiple-violations.json \
	    events/sagemaker/api-create-training-job-no-vpc.json \
	    events/sagemaker/state-notebook-instance-pending-disallowed-instance-type.json; do \
	  echo; echo "== sagefence evaluate --event $$event --format table"; \
	  $(SAGEFENCE) evaluate --event $$event --format table; code=$$?; \
	  echo "(exit $$code)"; [ $$code -le 1 ] || exit $$code; \
	done

## bench: evaluation throughput beside raw JSON parsing
bench:
	$(CARGO) bench --locked -p sagefence --bench evaluate
