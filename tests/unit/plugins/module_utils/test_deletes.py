# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What one DELETE did, told apart from what its answers say (client.delete_snapshots), against the simulator.

Every expected outcome is checked against the simulator's own record of what API DELETEs removed
(``sim.api_deletes``), never against the client's word alone.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN

SNAPSHOTS = make_snapshots(count=12, seed=11, volumes=2, droplets=1)
IDS = [s["id"] for s in SNAPSHOTS]
READ_ONLY = "unit-read-only-token-0789"


def _client(sim: t.Any, **kwargs: t.Any) -> Client:
    kwargs.setdefault("retry_backoff", 0)
    return Client(kwargs.pop("token", TOKEN), api_url=sim.url, **kwargs)


def _outcomes(sim: t.Any, ids: t.Sequence[str], **kwargs: t.Any) -> t.List[t.Tuple[str, str]]:
    with _client(sim, **kwargs) as client:
        return [(r.id, r.outcome) for r in client.delete_snapshots(ids)]


@pytest.mark.parametrize("fault", [
    Fault("lost", status=502),   # the API acted, a proxy answered 502
    Fault("lost", status=500),
    Fault("lost"),               # the API acted, the connection dropped before the answer
    Fault("late", delay=1.0),    # the API acted, the answer came after the client's timeout
])
def test_a_404_after_an_attempt_that_may_have_acted_is_deleted(make_sim, fault):
    sim = make_sim(snapshots=SNAPSHOTS)
    fault.path, fault.method = "/v2/snapshots/%s" % IDS[0], "DELETE"
    sim.add_fault(fault)
    assert _outcomes(sim, IDS[:1], retries=2, timeout=0.3) == [(IDS[0], "deleted")]
    assert sim.api_deletes == [IDS[0]]
    assert [r.status for r in sim.requests if r.method == "DELETE"][-1] == 404


def test_a_404_on_the_first_attempt_is_gone(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.delete(IDS[1])  # someone else, before this run
    assert _outcomes(sim, [IDS[1]], retries=2) == [(IDS[1], "gone")]
    assert sim.api_deletes == []


def test_a_404_after_a_429_is_gone(make_sim):
    # A 429 is an answer that says the request was not acted on.
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.delete(IDS[2])
    sim.add_fault(Fault("status", path="/v2/snapshots/%s" % IDS[2], method="DELETE", status=429, retry_after=0))
    assert _outcomes(sim, [IDS[2]], retries=2) == [(IDS[2], "gone")]


def test_only_5xx_answers_leave_the_outcome_unknown(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("lost", path="/v2/snapshots/%s" % IDS[3], method="DELETE", status=503, times=None))
    sim.add_fault(Fault("status", path="/v2/snapshots/%s" % IDS[4], method="DELETE", status=503, times=None))
    assert _outcomes(sim, IDS[3:5], retries=1) == [(IDS[3], "unknown"), (IDS[4], "unknown")]
    # Only the simulator knows which one took effect.
    assert sim.api_deletes == [IDS[3]]


def test_a_refusal_is_failed(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS, images=[IDS[5]])
    assert _outcomes(sim, [IDS[5]], retries=2) == [(IDS[5], "failed")]
    assert sim.api_deletes == []


@pytest.mark.parametrize("status", [401, 403])
def test_a_token_that_cannot_delete_gets_one_delete(make_sim, status):
    sim = make_sim(snapshots=SNAPSHOTS, read_only_tokens=[READ_ONLY])
    token = READ_ONLY if status == 403 else "unit-wrong-token-0000"
    outcomes = _outcomes(sim, IDS, token=token, concurrency=4)
    assert outcomes == [(IDS[0], "failed")] + [(one, "not_tried") for one in IDS[1:]]
    assert [r.status for r in sim.requests if r.method == "DELETE"] == [status]
    assert sim.api_deletes == []


def test_a_403_after_a_delete_succeeded_does_not_stop_the_rest(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    sim.add_fault(Fault("status", path="/v2/snapshots/%s" % IDS[1], method="DELETE", status=403))
    outcomes = _outcomes(sim, IDS[:4], concurrency=1)
    assert outcomes == [(IDS[0], "deleted"), (IDS[1], "failed"), (IDS[2], "deleted"), (IDS[3], "deleted")]
    assert sim.api_deletes == [IDS[0], IDS[2], IDS[3]]
