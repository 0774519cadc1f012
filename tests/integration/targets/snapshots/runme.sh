#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ansible-test integration target of the snapshots lookup: the lookup's own integration tests
# (traffic and cache sharing across hosts and forks, the HTML report built through it, the
# token never shown at -vvvv) against the simulator. The module's target runs every other file.
set -euo pipefail
collections="${ANSIBLE_COLLECTIONS_PATH:?run by ansible-test integration}"
exec bash "${collections%%:*}/ansible_collections/snapfleet/digitalocean/tests/integration/harness.sh" snapshots \
    tests/integration/test_lookup_traffic.py tests/integration/test_report.py tests/integration/test_leaks.py
