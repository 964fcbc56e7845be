# The toolkit's entry points. Every target depends on `setup`; ENV picks the environment.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PDC := $(BIN)/pdc
STAMP := $(VENV)/.setup-done
ENV ?= lab
STACK ?= lab
TIER_RUN := scripts/run-tier
# Dry run unless APPLY is exactly 1: APPLY=0, APPLY=no or APPLY= must never apply.
APPLYING := $(if $(filter-out 1,$(APPLY)),,$(filter 1,$(APPLY)))

.PHONY: setup demo test test-unit test-integration test-kernel test-e2e test-pending lint validate show plan \
        preview up lab-up lab-down lab-status wan-render wan-backup wan-diff wan-push wan-verify \
        harden site audit controls-doc bench clean

setup: $(STAMP)
$(STAMP): pyproject.toml requirements.lock requirements-nodeps.txt scripts/setup.sh scripts/debian-packages.txt
	@bash scripts/setup.sh
	@touch $@

## The main job end to end on the embedded lab.
demo: setup
	@bash scripts/demo.sh

## Everything CI proves: lint, then the unit, integration, kernel and end-to-end tiers.
CI_TIERS := test-unit test-integration test-kernel test-e2e
test: lint $(CI_TIERS)

test-unit: setup
	@$(TIER_RUN) unit tests/unit

# What each tier runs in CI. Suites still being brought up on the lab are listed apart, and
# run on their own with `make test-pending`, until they pass and join their tier.
# audit before hardening: both share one private lab, and the audit first checks it unhardened
INTEGRATION := tests/integration/lab tests/integration/wan tests/integration/cloud tests/integration/audit \
	tests/integration/hardening tests/integration/flows
KERNEL := tests/kernel
E2E := tests/e2e
PENDING :=

test-integration: setup
	@$(TIER_RUN) integration $(INTEGRATION)

test-kernel: setup
	@$(TIER_RUN) kernel $(KERNEL)

test-e2e: setup
	@$(TIER_RUN) e2e $(E2E)

test-pending: setup
	@if [ -n "$(strip $(PENDING))" ]; then $(TIER_RUN) pending $(PENDING); else echo "nothing pending: every suite runs in its tier"; fi

lint: setup
	@$(BIN)/ruff check pdc stacks network tests bench
	@$(BIN)/yamllint -s inventories playbooks roles .yamllint.yml
	@if ls roles/*/tasks/main.yml >/dev/null 2>&1; then $(BIN)/ansible-lint --profile production -q; fi

validate: setup
	@$(PDC) validate $(ENV)

show: setup
	@$(PDC) show $(ENV)

plan: setup
	@$(PDC) plan $(ENV)

# Real Pulumi engine, where the CLI and OpenStack credentials exist.
preview: setup
	@cd stacks && PATH=$(CURDIR)/$(BIN):$$PATH PDC_ENV=$(STACK) pulumi preview --stack $(STACK) --policy-pack policy

up: setup
	@cd stacks && PATH=$(CURDIR)/$(BIN):$$PATH PDC_ENV=$(STACK) pulumi up --stack $(STACK) --policy-pack policy

lab-up: setup
	@$(PDC) lab up $(ENV)

lab-down: setup
	@$(PDC) lab down $(ENV)

lab-status: setup
	@$(PDC) lab status $(ENV)

wan-render: setup
	@$(PDC) wan render $(ENV)

wan-backup: setup
	@$(PDC) wan backup $(ENV)

wan-diff: setup
	@$(PDC) wan diff $(ENV)

wan-push: setup
	@$(PDC) wan push $(ENV) $(if $(APPLYING),--apply --yes)

wan-verify: setup
	@$(PDC) wan verify $(ENV)

harden: setup
	@$(BIN)/ansible-playbook -i inventories/$(ENV) playbooks/harden.yml $(if $(APPLYING),,--check --diff)

site: setup
	@$(BIN)/ansible-playbook -i inventories/$(ENV) playbooks/site.yml $(if $(APPLYING),,--check --diff)

audit: setup
	@$(PDC) audit $(ENV)

controls-doc: setup
	@$(PDC) controls doc

## Every benchmark script; one markdown table in bench/results.md.
bench: setup
	@$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache reports
