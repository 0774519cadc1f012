# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's ``late`` and ``lost`` faults (the request takes effect, its answer does not arrive as sent),
and ``api_deletes``, the record of what API DELETEs removed."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, Simulator, make_snapshots

TOKEN = "sim-token-lost"
SNAPS = make_snapshots(count=6, seed=4, volumes=1, droplets=1)
AUTH = {"Authorization": "Bearer %s" % TOKEN}


@pytest.fixture(name="sim")
def fixture_sim():
    with Simulator(snapshots=SNAPS, token=TOKEN) as sim:
        yield sim


def _delete(sim: Simulator, snapshot_id: str, timeout: float = 5.0) -> requests.Response:
    return requests.delete("%s/v2/snapshots/%s" % (sim.url, snapshot_id), headers=AUTH, timeout=timeout)


def test_lost_with_a_status_acts_then_answers_that_status(sim):
    victim = SNAPS[0]["id"]
    sim.add_fault(Fault("lost", path="/v2/snapshots/%s" % victim, method="DELETE", status=502))
    answer = _delete(sim, victim)
    assert answer.status_code == 502 and answer.json()["id"] == "bad_gateway"
    assert victim not in [s["id"] for s in sim.snapshots] and sim.api_deletes == [victim]
    assert _delete(sim, victim).status_code == 404


def test_lost_without_a_status_acts_then_drops_the_connection(sim):
    victim = SNAPS[1]["id"]
    sim.add_fault(Fault("lost", path="/v2/snapshots/%s" % victim, method="DELETE"))
    with pytest.raises(requests.exceptions.ConnectionError):
        _delete(sim, victim)
    assert sim.api_deletes == [victim]


def test_late_acts_then_answers_after_the_delay(sim):
    victim = SNAPS[2]["id"]
    sim.add_fault(Fault("late", path="/v2/snapshots/%s" % victim, method="DELETE", delay=1.0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        _delete(sim, victim, timeout=0.2)
    assert sim.api_deletes == [victim]


def test_api_deletes_records_only_deletes_that_took_effect(sim):
    sim.delete(SNAPS[3]["id"])  # the test's own change, not an API DELETE
    sim.add_fault(Fault("status", path="/v2/snapshots/%s" % SNAPS[4]["id"], method="DELETE", status=503))
    assert _delete(sim, SNAPS[3]["id"]).status_code == 404
    assert _delete(sim, SNAPS[4]["id"]).status_code == 503
    assert _delete(sim, SNAPS[5]["id"]).status_code == 204
    sim.reset_log()
    assert sim.api_deletes == [SNAPS[5]["id"]]
