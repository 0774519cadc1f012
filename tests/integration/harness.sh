#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared body of the ansible-test integration targets (targets/*/runme.sh):
#
#   harness.sh TARGET [pytest arguments: the test files of this target, --ignore=..., -k ...]
#
# The test cases live once, in tests/integration/test_*.py (see README.md): each target runs
# its share of them with the Python and ansible-core that ansible-test runs the target with.
# The pytest fixtures (conftest.py) start the simulator on 127.0.0.1 and point every play at
# it (DIGITALOCEAN_API_URL, DIGITALOCEAN_TOKEN, ansible_python_interpreter set explicitly),
# in a private HOME/ANSIBLE_HOME/ansible.cfg, so nothing leaves the machine.
# Results: tests/output/junit/integration-TARGET.xml in the collection ansible-test runs.
set -euo pipefail
target="${1:?usage: harness.sh TARGET [pytest args]}"
shift

# ansible-test puts the collection under test first on ANSIBLE_COLLECTIONS_PATH.
collections="${ANSIBLE_COLLECTIONS_PATH:?run by ansible-test integration (ANSIBLE_COLLECTIONS_PATH unset)}"
collections="${collections%%:*}"
root="$collections/ansible_collections/snapfleet/digitalocean"
[ -d "$root/tests/integration" ] || { echo "harness.sh: no collection at $root" >&2; exit 1; }

# The interpreter ansible-test runs the target with: the one whose ansible-core is under test
# (the harness runs ansible-playbook from beside it).
python="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}"
python="$("$python" -c 'import sys; print(sys.executable)')"
"$python" -c 'import ansible, pytest, requests; print("harness: ansible-core %s on Python %s (%s)" % (ansible.__version__, __import__("platform").python_version(), __import__("sys").executable))'

# Two pytest workers, each test file on one of them (its module-scoped playbook runs once): the
# plays wait on processes and loopback as much as they compute.
mkdir -p "$root/tests/output/junit"
cd "$root"
export PYTHONPATH="$collections"
exec "$python" -m pytest -p no:cacheprovider -o junit_family=xunit2 -n 2 --dist loadfile \
    --junitxml "$root/tests/output/junit/integration-$target.xml" "$@"
