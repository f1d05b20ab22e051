# kolla_ops.nova: one entry point for operators and CI.
#   make test   - the whole test suite (what .ci/run calls)
#   make demo   - bring up the sandbox cloud, run site.yml against it, print the report
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ROOT := $(CURDIR)
VENV ?= $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.collections
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

.PHONY: help bootstrap collection test lint ruff ansible-lint sanity unit molecule integration \
        integration-sandbox integration-offline \
        podman-setup changelog lock clean demo sandbox-up sandbox-down sandbox-status sandbox-reset \
        sandbox-bench

help:
	@echo "make demo         sandbox cloud up, site.yml against it, print the verification report"
	@echo "make bootstrap    venv, pinned requirements, dependency collections, this collection"
	@echo "make test         ruff, ansible-lint, ansible-test sanity, unit, molecule, integration"
	@echo "make <stage>      one stage: ruff ansible-lint sanity unit molecule integration"
	@echo "                  (integration = integration-sandbox + integration-offline)"

bootstrap:
	@scripts/bootstrap.sh

# Rebuild and reinstall the collection when its files changed (fast otherwise).
collection: bootstrap

test: bootstrap
	@scripts/sandbox-prestart.sh
	@scripts/stage.sh ruff         $(MAKE) --no-print-directory ruff
	@scripts/stage.sh ansible-lint $(MAKE) --no-print-directory ansible-lint
	@scripts/stage.sh sanity       $(MAKE) --no-print-directory sanity
	@scripts/stage.sh unit         $(MAKE) --no-print-directory unit
	@scripts/test-long-stages.sh
	@echo "make test: every stage passed"

lint: ruff ansible-lint

ruff: bootstrap
	ruff check .
	ruff format --check .

ansible-lint: bootstrap
	ansible-lint --offline --profile production

sanity: bootstrap
	@scripts/sanity.sh

unit: bootstrap
	pytest -q tests/unit

molecule: bootstrap
	@scripts/molecule.sh

# integration = the tests on the sandbox cloud + those that need no cloud (real kolla-ansible
# genconfig); `make test` runs the second set beside molecule (scripts/test-long-stages.sh).
OFFLINE_TESTS := tests/integration/test_kolla_genconfig.py

integration: integration-sandbox integration-offline

integration-sandbox: bootstrap
	pytest -q -p no:cacheprovider tests/integration --ignore=$(OFFLINE_TESTS) \
	  --junitxml=reports/integration-junit.xml

integration-offline: bootstrap
	pytest -q -p no:cacheprovider $(OFFLINE_TESTS) --junitxml=reports/integration-offline-junit.xml

# The main job on the embedded default: the sandbox cloud.
demo: bootstrap sandbox-up
	ansible-playbook -i inventory/sandbox site.yml
	@echo
	@cat reports/verify.txt

sandbox-up:
	sandbox/sandbox up

sandbox-down:
	sandbox/sandbox down

sandbox-status:
	sandbox/sandbox status

sandbox-reset:
	sandbox/sandbox reset

sandbox-bench:
	bench/sandbox/run.sh down up reset up up

podman-setup:
	@scripts/podman-setup.sh

changelog: bootstrap
	antsibull-changelog lint

# Regenerate requirements/constraints.txt from a fresh venv (maintainers only).
lock:
	rm -rf $(ROOT)/.build/lockvenv
	python3.12 -m venv $(ROOT)/.build/lockvenv || $$(pyenv root)/versions/3.12.1/bin/python3.12 -m venv $(ROOT)/.build/lockvenv
	$(ROOT)/.build/lockvenv/bin/pip install -q $$(grep -hv -e '^-' -e '^#' requirements/runtime.txt requirements/test.txt)
	(echo "# Full lock of the controller virtualenv (pip freeze, Python 3.12). Regenerate: make lock"; \
	  $(ROOT)/.build/lockvenv/bin/pip freeze | grep -v '^setuptools==') > requirements/constraints.txt

clean:
	rm -rf .build .collections tests/output reports
