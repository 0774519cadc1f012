#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ansible-test integration target of the snapshot_info module: every integration test file
# except those the lookup's target (targets/snapshots) runs, so a new test file runs here without
# being listed. The cases of cases.yml go through the module and the lookup alike.
set -euo pipefail
collections="${ANSIBLE_COLLECTIONS_PATH:?run by ansible-test integration}"
exec bash "${collections%%:*}/ansible_collections/snapfleet/digitalocean/tests/integration/harness.sh" snapshot_info \
    tests/integration --ignore-glob='*/targets/*' \
    --ignore=tests/integration/test_lookup_traffic.py --ignore=tests/integration/test_report.py \
    --ignore=tests/integration/test_leaks.py
