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

.PHONY: attacks-documents
.PHONY: demo test lint venv venv-c7n tools emulator emulator-check readme-check seed bench bench-guardrail bench-trail \
        bench-shipper bench-sweep infra-check infra-lint infra-checkov infra-guard infra-tools build smoke \
        package deploy attacks attacks-lint

## venv: the Python virtualenv with the pinned moto server (the local AWS emulator)
venv: $(STAMP)

$(STAMP): tests/emulator/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
	touch $(STAMP)

## test: every test of the workspace (integration tests start their own emulator), then the offline infra
## checks, the emulator's own checks and the README's make targets
test: venv
	$(CARGO) test --workspace --locked
	$(MAKE) --no-print-directory infra-check
	$(MAKE) --no-print-directory emulator-check
	$(MAKE) --no-print-directory readme-check
	$(MAKE) --no-print-directory attacks

## lint: formatting and clippy, as CI runs them
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## demo: `sagefence evaluate` offline, then on the emulator: the provisioner building a project and a
## notebook's access, the guardrail stopping and fixing drift, the audit trail shipped and verified
demo: venv
	$(CARGO) build --quiet --locked -p sagefence-cli
	@for event in \
	    events/sagemaker/api-create-notebook-instance-multiple-violations.json \
	    events/sagemaker/api-create-training-job-no-vpc.json; do \
	  echo; echo "== sagefence evaluate --event $$event --format table"; \
	  $(SAGEFENCE) evaluate --event $$event --format table; code=$$?; \
	  echo "(exit $$code: 1 means a FAILED finding)"; [ $$code -le 1 ] || exit $$code; \
	done
	$(CARGO) run --quiet --locked -p sagefence-tests --example demo

## bench: evaluation throughput beside raw JSON parsing
bench:
	$(CARGO) bench --locked -p sagefence-core --bench evaluate

## bench-guardrail: the guardrail handler's latency per event on the emulator (release build)
bench-guardrail: venv
	$(CARGO) run --release --locked -p sagefence-tests --example bench_guardrail 40

## bench-sweep: `sagefence sweep --dry-run` beside Cloud Custodian and the emulator's floor, same emulator and data
bench-sweep: venv venv-c7n
	bash bench/sweep-vs-custodian/run.sh $(BENCH_ARGS)

## venv-c7n: Cloud Custodian, pinned (bench/sweep-vs-custodian/requirements-c7n.txt), in its own venv
venv-c7n: $(C7N)/.installed

$(C7N)/.installed: bench/sweep-vs-custodian/requirements-c7n.txt
	python3 -m venv $(C7N)
	$(C7N)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

## bench-shipper: the audit-shipper's CloudWatch Logs path beside raw gunzip + gzip of the same bytes
bench-shipper:
	$(CARGO) bench --locked -p sagefence-audit-shipper --bench logs_path

## bench-trail: `audit verify` over 1,000,000 records beside its floor, and the shipper's cost per batch at 10 and 10,000 prior batches
bench-trail: venv
	bash bench/audit-trail/run.sh $(BENCH_ARGS)

## tools: cargo-lambda and zig (from PyPI, prebuilt binaries) in their own venv
tools: $(TOOLS)/.installed

$(TOOLS)/.installed: infra/requirements-tools.txt
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-tools.txt
	touch $@

# ---------------------------------------------------------------- infrastructure

TEMPLATE := infra/template.yaml
PRODUCTS := $(wildcard infra/products/*.yaml)
CFNLINT := .venv-cfnlint
CHECKOV := .venv-checkov
LOCAL_TOOLS := .tools
CFN_GUARD := $(LOCAL_TOOLS)/bin/cfn-guard
# cfn-guard has no PyPI package; this npm package ships its static Linux binaries (a 12 MB
# tarball, about 2 s). Without npm, `cargo install cfn-guard` builds it instead (minutes).
CFN_GUARD_NPM := @cdklabs/cdk-validator-cfnguard@0.0.62
CFN_GUARD_VERSION := 3.1.1
HOST_ARCH := $(shell uname -m)

## infra-check: cfn-lint, checkov and our cfn-guard rules (with their own tests) on the template, offline
infra-check: infra-lint infra-checkov infra-guard

$(CFNLINT)/.installed: infra/requirements-cfnlint.txt
	python3 -m venv $(CFNLINT)
	$(CFNLINT)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

$(CHECKOV)/.installed: infra/requirements-checkov.txt
	python3 -m venv $(CHECKOV)
	$(CHECKOV)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

$(CFN_GUARD): infra/cfn-guard.sha256
	@mkdir -p $(LOCAL_TOOLS)/bin $(LOCAL_TOOLS)/npm
	@if command -v npm >/dev/null; then \
	  set -e; cd $(LOCAL_TOOLS)/npm; rm -rf package; \
	  tarball=$$(npm pack --silent $(CFN_GUARD_NPM) | tail -n 1); \
	  tar -xzf "$$tarball" package/bin/ubuntu/$(HOST_ARCH)/cfn-guard; \
	  want=$$(awk '$$2 == "$(HOST_ARCH)" {print $$1}' ../../infra/cfn-guard.sha256); \
	  echo "$$want  package/bin/ubuntu/$(HOST_ARCH)/cfn-guard" | sha256sum --check --quiet; \
	  install -m 755 package/bin/ubuntu/$(HOST_ARCH)/cfn-guard ../bin/cfn-guard; \
	else \
	  $(CARGO) install cfn-guard --version $(CFN_GUARD_VERSION) --locked --root $(LOCAL_TOOLS); \
	fi
	@$@ --version | grep -q '$(CFN_GUARD_VERSION)'
	@touch $@

## infra-tools: the checkers' venvs and cfn-guard, installed once (pinned)
infra-tools: $(CFNLINT)/.installed $(CHECKOV)/.installed $(CFN_GUARD)

## infra-lint: cfn-lint (errors and warnings fail; justified exceptions live in the template)
infra-lint: $(CFNLINT)/.installed
	$(CFNLINT)/bin/cfn-lint $(TEMPLATE) $(PRODUCTS)

## infra-checkov: checkov's CloudFormation checks, offline; skips are inline with their reason
infra-checkov: $(CHECKOV)/.installed
	$(CHECKOV)/bin/checkov --skip-download --framework cloudformation --compact --quiet \
	  -f $(TEMPLATE) $(addprefix -f ,$(PRODUCTS))

## infra-guard: the rules' own test cases (each rule fails on its bad fixture), then the template
infra-guard: $(CFN_GUARD)
	@for rules in infra/rules/*.guard; do \
	  tests=infra/rules/tests/$$(basename $$rules .guard)_tests.yaml; \
	  [ -f "$$tests" ] || { echo "$$rules has no test cases ($$tests)"; exit 1; }; \
	  $(CFN_GUARD) test --rules-file $$rules --test-data $$tests >/dev/null \
	    || { $(CFN_GUARD) test --rules-file $$rules --test-data $$tests; exit 1; }; \
	done
	$(CFN_GUARD) validate --rules infra/rules --data $(TEMPLATE) --show-summary fail
	@echo "cfn-guard: every rule file passes its test cases; $(TEMPLATE) passes every rule"

# ---------------------------------------------------------------- build, package, deploy

ARCH ?= arm64
PROFILE ?= lambda
LAMBDA_DIR := build/lambda
FUNCTIONS := guardrail sweeper provisioner audit-shipper
RUST_TARGET_arm64 := aarch64-unknown-linux-gnu
RUST_TARGET_x86_64 := x86_64-unknown-linux-gnu
CARGO_LAMBDA_ARCH_arm64 := --arm64
CARGO_LAMBDA_ARCH_x86_64 := --x86-64

## build: the four functions as Lambda zips (build/lambda/<function>/bootstrap.zip), ARCH=arm64|x86_64
build: tools
	@target='$(RUST_TARGET_$(ARCH))'; \
	if [ -z "$$target" ]; then echo "make build: ARCH must be arm64 or x86_64, not \`$(ARCH)\`" >&2; exit 2; fi; \
	if ! rustup target list --installed 2>/dev/null | grep -qx "$$target"; then \
	  echo "make build: the Rust standard library for $$target is not installed." >&2; \
	  echo "  install it with: rustup target add $$target   (or build for this machine: make build ARCH=x86_64)" >&2; \
	  exit 1; \
	fi
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" $(CARGO) lambda build --locked --profile $(PROFILE) \
	  $(CARGO_LAMBDA_ARCH_$(ARCH)) --output-format zip --lambda-dir $(LAMBDA_DIR) \
	  $(addprefix --bin ,$(FUNCTIONS))
	@ls -l $(foreach f,$(FUNCTIONS),$(LAMBDA_DIR)/$(f)/bootstrap.zip)

## smoke: run the built zips as Lambda runs them (a local Runtime API) against the emulator: each one end to end
smoke: venv
	@for f in $(FUNCTIONS); do [ -f $(LAMBDA_DIR)/$$f/bootstrap.zip ] || { echo "make smoke: run make build first" >&2; exit 1; }; done
	$(CARGO) build --quiet --locked -p sagefence-cli
	$(VENV)/bin/python tests/lambda/smoke.py --lambda-dir $(LAMBDA_DIR) --cli $(SAGEFENCE)

# package/deploy need AWS credentials and an S3 bucket for artifacts (not run by CI).
S3_BUCKET ?=
S3_PREFIX ?= sagefence
STACK ?= sagefence
PARAMETERS ?=
NOTEBOOK_PRODUCT := infra/products/notebook.yaml
PROJECT_PRODUCT := infra/products/project-environment.yaml

## package: upload the zips and the two product templates to S3_BUCKET, write build/packaged.yaml
package:
	@[ -n "$(S3_BUCKET)" ] || { echo "make package: set S3_BUCKET=<artifact bucket>" >&2; exit 2; }
	@for f in $(FUNCTIONS); do [ -f $(LAMBDA_DIR)/$$f/bootstrap.zip ] || { echo "make package: run make build first" >&2; exit 1; }; done
	@mkdir -p build
	@: > build/product-urls
	@for product in $(NOTEBOOK_PRODUCT):NotebookProductTemplateUrl $(PROJECT_PRODUCT):ProjectProductTemplateUrl; do \
	  file=$${product%%:*}; parameter=$${product##*:}; \
	  key=$(S3_PREFIX)/products/$$(basename $$file .yaml)-$$(sha256sum $$file | cut -c1-16).yaml; \
	  aws s3 cp --only-show-errors $$file s3://$(S3_BUCKET)/$$key || exit 1; \
	  echo "$$parameter=https://$(S3_BUCKET).s3.amazonaws.com/$$key" >> build/product-urls; \
	done
	aws cloudformation package --template-file $(TEMPLATE) --s3-bucket $(S3_BUCKET) --s3-prefix $(S3_PREFIX) \
	  --output-template-file build/packaged.yaml

## deploy: create or update the stack from build/packaged.yaml (PARAMETERS="Mode=enforce NotificationEmail=...")
deploy:
	@[ -f build/packaged.yaml ] || { echo "make deploy: run make package first" >&2; exit 1; }
	aws cloudformation deploy --template-file build/packaged.yaml --stack-name $(STACK) \
	  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
	  --parameter-overrides $$(cat build/product-urls) $(PARAMETERS)

PYLINT := .venv-pylint
PYTHON_CHECKED := tests/emulator tests/lambda/smoke.py bench/sweep-vs-custodian
RUFF := $(PYLINT)/bin/ruff
RUFF_CONFIG := --config tests/emulator/pyproject.toml

$(PYLINT)/.installed: tests/emulator/requirements-lint.txt tests/emulator/requirements.txt
	python3 -m venv $(PYLINT)
	$(PYLINT)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

## emulator-check: ruff (lint and format) on the emulator, the smoke test and the sweep bench; mypy and
## the emulator's own pytest tests (pinned in .venv-pylint; pytest fails on zero tests, exit 5)
emulator-check: $(PYLINT)/.installed
	$(RUFF) check $(RUFF_CONFIG) $(PYTHON_CHECKED)
	$(RUFF) format --check $(RUFF_CONFIG) $(PYTHON_CHECKED)
	cd tests/emulator && ../../$(PYLINT)/bin/mypy
	cd tests/emulator && ../../$(PYLINT)/bin/python -m pytest

## readme-check: every `make X` README.md names has a rule here
readme-check:
	@scripts/check-readme-targets

## emulator: the local AWS emulator in the foreground on 127.0.0.1:$(EMULATOR_PORT), for trying functions by hand
emulator: venv
	$(VENV)/bin/python tests/emulator/sagefence_moto.py --port $(EMULATOR_PORT)

## seed: put a project network and a non-compliant notebook into the running emulator; prints the env to export
seed:
	AWS_ENDPOINT_URL=http://127.0.0.1:$(EMULATOR_PORT) AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	AWS_REGION=eu-west-1 $(CARGO) run --quiet --locked -p sagefence-tests --example seed

# ---------------------------------------------------------------- attack suite

ATTACKS_DIR := tests/attacks
ATTACKS_OUT := build/attacks
PARLIAMENT := .venv-parliament
SCP := infra/scp/protect-sagefence-tags.json

# The third-party IAM evaluator, pinned by package-lock.json, installed next to the suite.
$(ATTACKS_DIR)/node_modules/.installed: $(ATTACKS_DIR)/package.json $(ATTACKS_DIR)/package-lock.json
	cd $(ATTACKS_DIR) && npm ci --silent --no-audit --no-fund
	touch $@

$(PARLIAMENT)/.installed: $(ATTACKS_DIR)/requirements-parliament.txt
	python3 -m venv $(PARLIAMENT)
	$(PARLIAMENT)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

## attacks-documents: the template's IAM documents resolved, and the provisioner's read back from the emulator
attacks-documents: venv $(CFNLINT)/.installed
	@mkdir -p $(ATTACKS_OUT)
	$(CFNLINT)/bin/python $(ATTACKS_DIR)/resolve_template.py $(TEMPLATE) $(ATTACKS_OUT)/template.json
	@# built as `make test` builds it (same packages and features), so nothing is compiled twice
	$(CARGO) test --workspace --locked --no-run --quiet
	$${CARGO_TARGET_DIR:-target}/debug/examples/iam_documents $(ATTACKS_OUT)/project.json

## attacks: every attack scenario denied and every legitimate step allowed by @cloud-copilot/iam-simulate,
## every service condition key one AWS defines for its statement's actions, then parliament on every
## policy document (each remaining finding justified in the allowlist)
attacks: attacks-documents $(ATTACKS_DIR)/node_modules/.installed
	node $(ATTACKS_DIR)/run.mjs $(ATTACKS_OUT)/template.json $(ATTACKS_OUT)/project.json --scp $(SCP)
	node $(ATTACKS_DIR)/condition_keys.mjs $(ATTACKS_DIR)/parliament-allowlist.json $(ATTACKS_OUT)/template.json \
	  $(ATTACKS_OUT)/project.json $(SCP)
	$(MAKE) --no-print-directory attacks-lint

## attacks-lint: parliament (pinned, own venv) on every policy document sagefence ships or generates
attacks-lint: $(PARLIAMENT)/.installed
	$(PARLIAMENT)/bin/python $(ATTACKS_DIR)/lint_policies.py $(ATTACKS_OUT)/template.json \
	  $(ATTACKS_OUT)/project.json $(SCP) $(ATTACKS_DIR)/parliament-allowlist.json
