# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# snapfleet.digitalocean: development and CI entry points.  `make help` lists the targets.
#
# Everything is installed from the pinned requirement files into four venvs (CONTRIBUTING.md,
# "What runs on which core"); nothing else is assumed on the machine beyond the Python
# interpreters, bash, make and npm (.ci/run installs the last two from Debian if missing):
#   .venv        Python 3.11, ansible-core 2.19  requirements-dev.txt   tools + the pytest gates
#   .venv-2.16   Python 3.10, ansible-core 2.16  requirements-2.16.txt  ansible-test sanity/units/integration
#   .venv-2.21   Python 3.12, ansible-core 2.21  requirements-2.21.txt  ansible-test sanity/units/integration
#   .venv-py39   Python 3.9                      requirements-py39.txt  module_utils unit tests (make unit-py39)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

NAMESPACE := snapfleet
NAME      := digitalocean
VERSION   := $(shell sed -n 's/^version:[[:space:]]*//p' galaxy.yml)
TARBALL   := .build/$(NAMESPACE)-$(NAME)-$(VERSION).tar.gz

# Real interpreters, never pyenv shims (override: make PY311=/path/to/python3.11).
PY39  ?= $(shell bash tools/find-python.sh 3.9)
PY310 ?= $(shell bash tools/find-python.sh 3.10)
PY311 ?= $(shell bash tools/find-python.sh 3.11)
PY312 ?= $(shell bash tools/find-python.sh 3.12)
# pip itself, pinned: the one that installs the pins (25.3 is the newest pip for Python 3.9).
PIP_VERSION := 26.3
PIP39_VERSION := 25.3

VENV     := .venv
VENV216  := .venv-2.16
VENV221  := .venv-2.21
VENV39   := .venv-py39
COLL_LINK := .collections/ansible_collections/$(NAMESPACE)/$(NAME)
PRISM_DONE := tools/prism/node_modules/.done

# The work tree imports as the installed collection would (see CONTRIBUTING.md).
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export PYTHONPATH := $(CURDIR)/.collections
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Keep pip's download cache between runs (outside git; CI machines of the same kind keep ~/.cache).
export PIP_CACHE_DIR ?= $(HOME)/.cache/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0

# The gates of `make test`, stage by stage (tools/stages.sh): gates joined by "+" run side by side.
STAGES := lint meta unit+unit-py39 integration integration-2.19+contract sanity units ansible-lint docs-lint docs \
          changelog-lint build importer ee bench-smoke
GATES := $(subst +, ,$(STAGES))

# The "with" leg of the CA-bundle/proxy matrix (CONTRIBUTING.md): the pytest unit gate runs with
# every CA-bundle variable set to certifi's bundle and every proxy variable set to a loopback port
# where nothing listens, NO_PROXY exempting loopback. The "without" leg is everything ansible-test
# runs (units, integration: it passes programs only PATH, HOME and a few more) and unit-py39,
# which unsets them all.
CA_PROXY_VARS := REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR HTTP_PROXY HTTPS_PROXY ALL_PROXY \
                 http_proxy https_proxy all_proxy NO_PROXY no_proxy
DEAD_PROXY := http://127.0.0.1:9
WITH_CA_PROXY = env REQUESTS_CA_BUNDLE="$$(python -m certifi)" CURL_CA_BUNDLE="$$(python -m certifi)" \
                SSL_CERT_FILE="$$(python -m certifi)" HTTP_PROXY=$(DEAD_PROXY) HTTPS_PROXY=$(DEAD_PROXY) \
                http_proxy=$(DEAD_PROXY) https_proxy=$(DEAD_PROXY) NO_PROXY=127.0.0.1,localhost,::1 \
                no_proxy=127.0.0.1,localhost,::1
WITHOUT_CA_PROXY := env $(addprefix -u ,$(CA_PROXY_VARS))

.PHONY: help venv venv-2.16 venv-2.21 venv-py39 venvs prism test $(GATES) sanity-2.16 sanity-2.21 units-2.16 units-2.21 \
        integration-2.16 integration-2.21 integration-pytest demo bench changelog clean distclean

help:
	@echo "make venv         .venv: Python 3.11 + requirements-dev.txt (ansible-core 2.19), links $(COLL_LINK)"
	@echo "make venv-2.16    .venv-2.16: Python 3.10 + requirements-2.16.txt (ansible-core 2.16)"
	@echo "make venv-2.21    .venv-2.21: Python 3.12 + requirements-2.21.txt (ansible-core 2.21)"
	@echo "make venv-py39    .venv-py39: Python 3.9 + requirements-py39.txt (module_utils unit tests)"
	@echo "make test         every gate, stage by stage (a+b: side by side), stopping after a failed stage:"
	@echo "                  $(STAGES)"
	@echo "make sanity-2.16, units-2.21, integration-2.16, ...: one core only"
	@echo "make integration-pytest   the integration tests by pytest on .venv (2.19), the quick loop"
	@echo "make demo         build + install the collection to .demo/collections, run examples/demo.sh"
	@echo "make bench        python benchmarks/run.py"
	@echo "make docs         HTML docsite (offline) into docs/build/html"
	@echo "make changelog    regenerate CHANGELOG.rst (antsibull-changelog generate)"
	@echo "make clean        remove build/test output (keeps the venvs); distclean removes the venvs too"

# ---------------------------------------------------------------------------- environments
venv: $(VENV)/.done $(COLL_LINK)
$(COLL_LINK):
	@mkdir -p $(dir $@)
	ln -sfn ../../.. $@
$(VENV)/.done: requirements-dev.txt
	@test -n "$(PY311)" || { echo "no Python 3.11 found (set PY311=...)"; exit 1; }
	@test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip==$(PIP_VERSION) 2>&1 | sed "/Location .file:.* is ignored/d"
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt 2>&1 | sed "/Location .file:.* is ignored/d"
	@touch $@

venv-2.16: $(VENV216)/.done
$(VENV216)/.done: requirements-2.16.txt
	@test -n "$(PY310)" || { echo "no Python 3.10 found (set PY310=...)"; exit 1; }
	@test -x $(VENV216)/bin/python || $(PY310) -m venv $(VENV216)
	$(VENV216)/bin/python -m pip install --quiet --upgrade pip==$(PIP_VERSION) 2>&1 | sed "/Location .file:.* is ignored/d"
	$(VENV216)/bin/python -m pip install --quiet -r requirements-2.16.txt 2>&1 | sed "/Location .file:.* is ignored/d"
	@touch $@

venv-2.21: $(VENV221)/.done
$(VENV221)/.done: requirements-2.21.txt
	@test -n "$(PY312)" || { echo "no Python 3.12 found (set PY312=...)"; exit 1; }
	@test -x $(VENV221)/bin/python || $(PY312) -m venv $(VENV221)
	$(VENV221)/bin/python -m pip install --quiet --upgrade pip==$(PIP_VERSION) 2>&1 | sed "/Location .file:.* is ignored/d"
	$(VENV221)/bin/python -m pip install --quiet -r requirements-2.21.txt 2>&1 | sed "/Location .file:.* is ignored/d"
	@touch $@

venv-py39: $(VENV39)/.done
$(VENV39)/.done: requirements-py39.txt
	@test -n "$(PY39)" || { echo "no Python 3.9 found (set PY39=...)"; exit 1; }
	@test -x $(VENV39)/bin/python || $(PY39) -m venv $(VENV39)
	$(VENV39)/bin/python -m pip install --quiet --upgrade pip==$(PIP39_VERSION) 2>&1 | sed "/Location .file:.* is ignored/d"
	$(VENV39)/bin/python -m pip install --quiet -r requirements-py39.txt 2>&1 | sed "/Location .file:.* is ignored/d"
	@touch $@

# every venv; `make -j4 venvs` builds them side by side (pip spends most of its time waiting)
venvs: venv venv-2.16 venv-2.21 venv-py39

# ---------------------------------------------------------------------------- the gates
# `make test` runs the gates stage by stage (tools/stages.sh; also under -j) and stops after the
# first stage with a failed gate (`make test KEEP_GOING=1` runs them all and lists the failed ones).
# Gates joined by "+" run side by side: they wait on loopback servers more than they compute.
# Each gate is timed (tools/gate.sh) and the last line printed is the test-count summary.
test: venvs $(PRISM_DONE)
	@rm -rf .cache/junit .cache/gates.txt .cache/logs
	@start=$$(date +%s); rc=0; KEEP_GOING="$(KEEP_GOING)" bash tools/stages.sh "$(MAKE)" $(STAGES) || rc=$$?; \
	echo "make test: $$(( $$(date +%s) - start ))s of wall time"; \
	python tools/summary.py || rc=1; exit $$rc

# Each gate X is "X-run" (the work, no prerequisites re-checked) plus X (venv + X-run) so
# that `make unit` etc. also work alone.
$(GATES): venv
	@$(MAKE) $@-run

# ruff, then pycodestyle exactly as ansible-test's pep8 sanity test runs it (ruff lacks
# E12x/W391), so those findings show up in seconds instead of after the sanity venvs.
PEP8_IGNORE := E203,E402,E701,E704,E741,W503,W504
lint-run:
	ruff check .
	@files=$$(git ls-files --cached --others --exclude-standard -- '*.py' | while IFS= read -r f; do if [ -e "$$f" ]; then echo "$$f"; fi; done); \
	echo "pycodestyle (as ansible-test pep8) on $$(echo "$$files" | wc -w) files"; \
	python -m pycodestyle --max-line-length 160 --config /dev/null --ignore $(PEP8_IGNORE) $$files

# The carried contract equals ../shared's less its prose, where ../shared is beside the clone
# (a reference to check against, never read by the tests).
SHARED_CONTRACT := ../shared/api/digitalocean-snapshots.openapi.yaml
meta-run:
	bash tools/pytest-gate.sh meta tests/meta
	@if [ -f $(SHARED_CONTRACT) ]; then \
	    python tools/contract_facts.py --check $(SHARED_CONTRACT) tests/contract/api/snapshots.openapi.yaml; \
	else echo "meta: no $(SHARED_CONTRACT) beside this clone: the carried contract is not compared with it"; fi

unit-run:
	$(WITH_CA_PROXY) bash tools/pytest-gate.sh unit tests/unit -n 2

# module_utils on the oldest managed-node Python (tests/config.yml): what the modules import.
unit-py39: venv-py39
unit-py39-run:
	$(WITHOUT_CA_PROXY) ANSIBLE_COLLECTIONS_ON_ANSIBLE_VERSION_MISMATCH=ignore PATH=$(CURDIR)/$(VENV39)/bin:$$PATH \
	    bash tools/pytest-gate.sh unit-py39 tests/unit/plugins/module_utils -p no:cacheprovider -n 2

# ansible-test integration: the targets in tests/integration/targets/ on both ends of the
# supported range (each target runs its share of the pytest harness; tests/integration/README.md).
integration: venv-2.16 venv-2.21
integration-run:
	@rc=0; $(MAKE) integration-2.16 || rc=1; $(MAKE) integration-2.21 || rc=1; exit $$rc
integration-2.16: venv-2.16
	python tools/ansible_test.py --venv $(VENV216) -- integration --color no --continue-on-error --python 3.10
integration-2.21: venv-2.21
	python tools/ansible_test.py --venv $(VENV221) -- integration --color no --continue-on-error --python 3.12
# the same tests without ansible-test, on .venv (2.19): the quick loop while writing them
integration-pytest: venv
	bash tools/pytest-gate.sh integration-pytest tests/integration -n 2 --dist loadfile
# The middle of the range for what the controller-side plugins meet in templates: 2.19 brought the
# templating engine of lazy containers and data tags, and has bugs of its own there that 2.16 and
# 2.21 do not (a lazy container it cannot deep-copy). The tests where templates hand the lookup and
# the filter their values run on .venv: the report, the lookup's traffic, list options from variables;
# and test_leaks.py, so that the token is checked at -vvvv (awkward tokens included) on every supported core.
integration-2.19-run:
	bash tools/pytest-gate.sh integration-2.19 tests/integration/test_report.py tests/integration/test_lookup_traffic.py \
	    tests/integration/test_filters.py::test_terms_and_list_options_as_playbooks_write_them tests/integration/test_leaks.py \
	    -n 2 --dist loadfile

# The contract tests run the plugins against Stoplight Prism serving the API's OpenAPI
# description; Prism comes from npm, pinned by tools/prism/package-lock.json.
prism: $(PRISM_DONE)
$(PRISM_DONE): tools/prism/package-lock.json
	npm ci --prefix tools/prism --no-audit --no-fund --loglevel=error
	@touch $@

contract: $(PRISM_DONE)
contract-run:
	SNAPFLEET_REQUIRE_PRISM=1 bash tools/pytest-gate.sh contract tests/contract

# $(call both_cores,X): X-2.16 and X-2.21 side by side; both run even when one fails, and each
# core's output is printed whole once both are done.
define both_cores
mkdir -p .cache; rc=0; \
$(MAKE) $(1)-2.16 > .cache/$(1)-2.16.log 2>&1 & one=$$!; \
$(MAKE) $(1)-2.21 > .cache/$(1)-2.21.log 2>&1 & other=$$!; \
wait $$one || rc=1; wait $$other || rc=1; \
for core in 2.16 2.21; do echo "---- $(1) $$core"; cat .cache/$(1)-$$core.log; done; exit $$rc
endef

sanity: venv-2.16 venv-2.21
# Both cores run side by side (each sanity test uses one CPU), and both run even when one fails,
# so one `make sanity` shows every finding; each core's output is printed whole once it is done.
# ansible-test's sanity venvs (~/.ansible/test/venv) are shared by the cores, so they are made
# first, one core after the other (--prime-venvs: quick once they exist).
sanity-run:
	python tools/ansible_test.py --venv $(VENV216) -- sanity --color no --prime-venvs >/dev/null
	python tools/ansible_test.py --venv $(VENV221) -- sanity --color no --prime-venvs >/dev/null
	@$(call both_cores,sanity)
sanity-2.16: venv-2.16
	python tools/ansible_test.py --venv $(VENV216) -- sanity --color no
sanity-2.21: venv-2.21
	python tools/ansible_test.py --venv $(VENV221) -- sanity --color no

units: venv-2.16 venv-2.21
# Both cores side by side, as sanity: the tests wait on loopback servers more than they compute.
units-run:
	@$(call both_cores,units)
units-2.16: venv-2.16
	@if [ -z "$$(find tests/unit -name 'test_*.py' 2>/dev/null | head -1)" ]; then echo "[units] skipped: no tests in tests/unit yet"; \
	else python tools/ansible_test.py --venv $(VENV216) -- units --color no --python 3.10; fi
units-2.21: venv-2.21
	@if [ -z "$$(find tests/unit -name 'test_*.py' 2>/dev/null | head -1)" ]; then echo "[units] skipped: no tests in tests/unit yet"; \
	else python tools/ansible_test.py --venv $(VENV221) -- units --color no --python 3.12; fi

ansible-lint-run:
	@# .ansible-lint (read by ansible-lint itself) excludes tests/contract/api: the gate runs the
	@# plain command users and certification run, without this Makefile's collections path.
	env -u ANSIBLE_COLLECTIONS_PATH -u PYTHONPATH ansible-lint --profile production

docs-lint-run:
	antsibull-docs lint-collection-docs --plugin-docs .

changelog-lint-run:
	antsibull-changelog lint

build-run:
	@rm -rf .build && mkdir -p .build
	ansible-galaxy collection build --force --output-path .build .
	@ls -l $(TARBALL)
	@# what users need is in the tarball, what they do not need is not (galaxy.yml build_ignore)
	@tar -tzf $(TARBALL) > .build/contents.txt
	@for f in COPYING LICENSES/GPL-3.0-or-later.txt LICENSES/Apache-2.0.txt tests/contract/api/NOTICE \
	          requirements.txt bindep.txt meta/execution-environment.yml meta/runtime.yml CHANGELOG.rst; do \
	    grep -qx "$$f" .build/contents.txt || { echo "build: $$f is missing from $(TARBALL)"; exit 1; }; done
	@if grep -E '^(benchmarks|tools|\.ci|Makefile|pyproject\.toml|requirements-.*\.txt|\.venv|tests/output)(/|$$)' .build/contents.txt; then \
	    echo "build: development files in $(TARBALL) (above)"; exit 1; fi
	@echo "build: $$(wc -l < .build/contents.txt) entries; licenses in, benchmarks/tools/dev pins out"

# galaxy-importer offline: no ansible-test/docker, ansible-lint offline (tools/galaxy-importer.cfg).
importer-run: $(if $(wildcard $(TARBALL)),,build-run)
	GALAXY_IMPORTER_CONFIG=$(CURDIR)/tools/galaxy-importer.cfg python tools/importer.py $(TARBALL)

ee-run:
	bash tools/pytest-gate.sh ee tests/ee

bench-smoke-run:
	bash tools/pytest-gate.sh bench-smoke benchmarks/test_smoke.py

# ---------------------------------------------------------------------------- the rest
demo: venv build-run
	@# installed where the demo's collections path points, so ansible-galaxy has nothing to warn about
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.demo/collections ansible-galaxy collection install --force -p .demo/collections $(TARBALL)
	@test -e examples/demo.sh || { echo "examples/demo.sh is missing"; exit 1; }
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.demo/collections PYTHONPATH=$(CURDIR)/.demo/collections \
	    bash examples/demo.sh

bench: venv
	python benchmarks/run.py

docs-run:
	bash tools/build-docs.sh

changelog: venv
	antsibull-changelog generate

clean:
	rm -rf .build .demo .cache docs/build tests/output .pytest_cache .ruff_cache .hypothesis examples/output
	find . -name __pycache__ -type d -not -path './.venv*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(VENV216) $(VENV221) $(VENV39) .collections tools/prism/node_modules
