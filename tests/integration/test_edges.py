# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Values that used to end in "Module failed" and a traceback (issue 21), in one real playbook run.

Each bad value is an option error naming the option (or the environment variable) before any
request; an age reaching back before the year 1 means "everything is within", as in restic.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Ansible, PlaybookRun, ids, lookup_error, lookup_value

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator

YEAR = "a number of seconds up to 31536000 (a year)"


@pytest.fixture(scope="module")
def edges(module_ansible: Ansible, sim: Simulator) -> tuple[PlaybookRun, Simulator, str]:
    missing = str(module_ansible.workdir / "no-such-ca.pem")
    assert not Path(missing).exists()
    run = module_ansible.run("edges.yml", sim=sim, extra_vars={"missing": missing})
    assert run.rc == 0, run.describe()
    return run, sim, missing


def _message(run: PlaybookRun, task: str) -> str:
    result = run.result(task)
    return lookup_error(result) if task.startswith("Lookup") else result["msg"]


def test_bad_values_are_option_errors_before_any_request(edges: tuple[PlaybookRun, Simulator, str]) -> None:
    run, _sim, missing = edges
    expected = {
        "Module, timeout 1e300": "timeout: must be %s, got 1e+300" % YEAR,
        "Lookup, timeout inf": "timeout: must be %s, got inf" % YEAR,
        "Retention, total_max_wait 1e300": "total_max_wait: must be %s, got 1e+300" % YEAR,
        "Module, ca_path missing": "ca_path (or DIGITALOCEAN_CA_PATH) names %s, which does not exist: it must be a "
                                   "PEM file or a directory of CA certificates to verify the API with" % missing,
        "Lookup, ca_path missing": "ca_path (or DIGITALOCEAN_CA_PATH) names %s, which does not exist: it must be a "
                                   "PEM file or a directory of CA certificates to verify the API with" % missing,
        "Module, REQUESTS_CA_BUNDLE missing": "the environment variable REQUESTS_CA_BUNDLE names %s, which does not "
                                              "exist: it must be a PEM file or a directory of CA certificates to "
                                              "verify the API with" % missing,
    }
    for task, message in expected.items():
        assert run.result(task)["_status"] == "failed", task
        assert _message(run, task) == message, task
        assert run.requests(task) == [], task
    assert "Traceback" not in run.output and "MODULE FAILURE" not in run.output


def test_ages_before_the_year_1_mean_everything_is_within(edges: tuple[PlaybookRun, Simulator, str]) -> None:
    run, sim, _missing = edges
    volumes = sorted(s["id"] for s in sim.snapshots if s["resource_type"] == "volume")
    for task in ("Retention, keep_within 3000y", "Retention, keep_within_daily 10000y and keep_within 99999999999999999999d"):
        result = run.result(task)
        assert sorted(ids(result["keep"])) == volumes and result["prune"] == [], task
    kept = lookup_value(run.result("Filter, keep_within 3000y"))
    assert sorted(ids(kept["keep"])) == volumes and kept["prune"] == []
    assert sorted(ids(lookup_value(run.result("Lookup, created_after 10000y")))) == volumes
