# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""snapshot_retention's outcome lists under faults hypothesis picks per snapshot, against the simulator's record.

Whatever happens to each DELETE, every id the run set out to delete is in exactly one list, and each
list agrees with what the simulator itself recorded (``sim.api_deletes``): ``deleted`` and ``unknown``
ids were removed by an API DELETE, ``failed_deletes`` and ``gone`` ids were not.
"""

from __future__ import annotations

import typing as t

import hypothesis
from hypothesis import strategies as st

from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot_retention
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, Simulator, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN, run_module

#: One volume's snapshots: keep_last 2 keeps the two newest and prunes ten.
SNAPSHOTS = make_snapshots(count=24, seed=9, volumes=1, droplets=1)
VOLUME = next(s["resource_id"] for s in SNAPSHOTS if s["resource_type"] == "volume")
OLDEST_FIRST = [s["id"] for s in SNAPSHOTS if s["resource_id"] == VOLUME]
PRUNED = list(reversed(OLDEST_FIRST))[2:]

#: What happens to one DELETE: nothing special; the API acts and the answer is a 502, or is lost, or every
#: answer is a 500 (the first acts); a 503 that never reaches the API, every time; a refusal; a 404 at once.
FATES = ("plain", "lost_502", "lost_drop", "lost_always", "unavailable_always", "refused", "gone_before")


def _arrange(sim: Simulator, snapshot_id: str, fate: str) -> None:
    path = "/v2/snapshots/%s" % snapshot_id
    if fate == "lost_502":
        sim.add_fault(Fault("lost", path=path, method="DELETE", status=502))
    elif fate == "lost_drop":
        sim.add_fault(Fault("lost", path=path, method="DELETE"))
    elif fate == "lost_always":
        sim.add_fault(Fault("lost", path=path, method="DELETE", status=500, times=None))
    elif fate == "unavailable_always":
        sim.add_fault(Fault("status", path=path, method="DELETE", status=503, times=None))
    elif fate == "refused":
        sim.add_fault(Fault("status", path=path, method="DELETE", status=400, times=None))
    elif fate == "gone_before":
        # Absent before the run's first attempt, though the listing still showed it: a 404 at once.
        sim.add_fault(Fault("status", path=path, method="DELETE", status=404, times=None))


@hypothesis.settings(max_examples=25, deadline=None, database=None,
                     suppress_health_check=[hypothesis.HealthCheck.too_slow])
@hypothesis.given(st.lists(st.sampled_from(FATES), min_size=len(PRUNED), max_size=len(PRUNED)))
def test_every_id_ends_in_one_list_that_the_simulators_record_bears_out(fates: t.List[str]) -> None:
    sim = Simulator(snapshots=SNAPSHOTS, token=TOKEN).start()
    try:
        for index, snapshot_id in enumerate(PRUNED):
            _arrange(sim, snapshot_id, fates[index])
        result = run_module(snapshot_retention.main, {
            "token": TOKEN, "api_url": sim.url, "volume_id": VOLUME, "keep_last": 2, "max_delete": -1,
            "retries": 1, "concurrency": 4})[0]
        record = set(sim.api_deletes)
        present = {s["id"] for s in sim.snapshots}
    finally:
        sim.stop()
    lists = {
        "deleted": result["deleted"], "gone": result["gone"], "failed": [f["id"] for f in result["failed_deletes"]],
        "unknown": [u["id"] for u in result["unknown"]], "not_tried": result["not_tried"], "held": result["held"],
    }
    every = [one for ids in lists.values() for one in ids]
    assert sorted(every) == sorted(PRUNED), lists  # each id exactly once
    assert set(lists["deleted"]) <= record and set(lists["unknown"]) <= record
    assert not (set(lists["failed"]) | set(lists["gone"]) | set(lists["held"])) & record
    assert set(lists["failed"]) <= present and not set(lists["deleted"]) & present
    fate_of = {snapshot_id: fates[index] for index, snapshot_id in enumerate(PRUNED)}
    for snapshot_id in lists["deleted"]:
        assert fate_of[snapshot_id] in ("plain", "lost_502", "lost_drop")
    for snapshot_id in lists["gone"]:
        assert fate_of[snapshot_id] == "gone_before"
    assert result["changed"] is bool(lists["deleted"] or lists["unknown"])
    counts = result["summary"]["counts"]
    assert all(counts[name] == len(ids) for name, ids in lists.items())
    assert ("%d deleted, %d already gone, %d failed, %d unknown, %d not tried, %d held" % tuple(
        len(lists[name]) for name in ("deleted", "gone", "failed", "unknown", "not_tried", "held"))) in result["msg"]
