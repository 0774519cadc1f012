# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""snapshot_retention's main(), in-process against the simulator: plans, deletes, bounds and failures.

Expected ids come from ``newest_per_resource`` (keep_last computed here with plain Python),
never from the collection's engine, except where a test checks that module and engine agree.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention import policy as engine
from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot_retention
from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import (
    TOKEN,
    clear_connection_env,
    run_module,
)

SNAPSHOTS = make_snapshots(count=40, seed=5, volumes=2, droplets=2)
READ_ONLY = "unit-read-only-token-0123"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_connection_env(monkeypatch)


def _run(args: dict) -> dict:
    return run_module(snapshot_retention.main, args)[0]


def _args(sim: t.Any, **extra: t.Any) -> dict:
    args = {"token": TOKEN, "api_url": sim.url, "retries": 0, "max_delete": -1}
    args.update(extra)
    return args


def newest_per_resource(snapshots: t.Sequence[dict], n: int) -> t.Tuple[t.List[str], t.List[str]]:
    """keep_last n per resource_id, by hand: (kept ids, pruned ids), newest first."""
    by_resource: t.Dict[str, t.List[dict]] = {}
    for s in snapshots:
        by_resource.setdefault(s["resource_id"], []).append(s)
    keep = set()
    for members in by_resource.values():
        keep.update(s["id"] for s in sorted(members, key=lambda s: s["created_at"], reverse=True)[:n])
    ordered = [s["id"] for s in sorted(snapshots, key=lambda s: s["created_at"], reverse=True)]
    return [i for i in ordered if i in keep], [i for i in ordered if i not in keep]


def deletes(sim: t.Any) -> t.List[str]:
    return sorted(r.path.rsplit("/", 1)[1] for r in sim.requests if r.method == "DELETE")


def ids(snapshots: t.Sequence[dict]) -> t.List[str]:
    return [s["id"] for s in snapshots]


def test_check_mode_plans_and_sends_no_delete(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result = _run(_args(sim, keep_last=3, _ansible_check_mode=True))
    keep, prune = newest_per_resource(SNAPSHOTS, 3)
    assert "failed" not in result, result.get("msg")
    # changed: a real run would delete.
    assert result["changed"] is True
    assert ids(result["keep"]) == keep and ids(result["prune"]) == prune
    assert result["deleted"] == [] and result["failed_deletes"] == []
    assert deletes(sim) == []
    assert ids(sim.snapshots) == ids(SNAPSHOTS)
    assert result["policy"] == "keep 3 last, per resource_id"
    assert all(why == ["last snapshot"] for why in result["reasons"].values())


def test_the_listing_is_strict(make_sim):
    """Two whole reads that agree: the 40 snapshots (one page) are read twice."""
    sim = make_sim(snapshots=SNAPSHOTS)
    _run(_args(sim, keep_last=3, _ansible_check_mode=True))
    lists = [r for r in sim.requests if r.method == "GET"]
    assert len(lists) >= 2 and all(r.path == "/v2/snapshots" for r in lists)


def test_a_real_run_deletes_exactly_the_plan(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    keep, prune = newest_per_resource(SNAPSHOTS, 3)
    result = _run(_args(sim, keep_last=3))
    assert "failed" not in result, result.get("msg")
    assert result["changed"] is True
    assert sorted(result["deleted"]) == sorted(prune) == deletes(sim)
    assert sorted(ids(sim.snapshots)) == sorted(keep)
    # Again: nothing left to delete, nothing changes.
    again = _run(_args(sim, keep_last=3))
    assert again["changed"] is False and again["prune"] == [] and ids(again["keep"]) == keep


def test_filters_choose_the_scope(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    volumes = [s for s in SNAPSHOTS if s["resource_type"] == "volume"]
    _keep, prune = newest_per_resource(volumes, 2)
    result = _run(_args(sim, resource_type="volume", keep_last=2, _ansible_check_mode=True))
    assert ids(result["prune"]) == prune
    assert {s["resource_type"] for s in result["keep"]} == {"volume"}


def test_max_delete_refuses_before_any_delete(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    result = _run(_args(sim, keep_last=3, max_delete=len(prune) - 1))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("max_delete: the plan would delete %d snapshots, more than max_delete %d allows; "
                                    "nothing was deleted." % (len(prune), len(prune) - 1))
    assert "It would have deleted: %s (" % prune[0] in result["msg"]
    assert result["would_delete"] == prune and ids(result["prune"]) == prune
    assert deletes(sim) == []
    # Check mode predicts the same refusal.
    assert _run(_args(sim, keep_last=3, max_delete=0, _ansible_check_mode=True))["failed"] is True
    # Exactly the bound is allowed.
    assert _run(_args(sim, keep_last=3, max_delete=len(prune), _ansible_check_mode=True)).get("failed") is None


def test_the_default_bound_is_10(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    args = _args(sim, keep_last=1)
    del args["max_delete"]
    result = _run(args)
    assert result["failed"] is True and "more than max_delete 10 allows" in result["msg"]
    assert deletes(sim) == []


def test_partial_failure_then_a_rerun_finishes(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    keep, prune = newest_per_resource(SNAPSHOTS, 3)
    broken = prune[1:3]
    for sid in broken:
        sim.add_fault(Fault("status", path="/v2/snapshots/%s" % sid, method="DELETE", status=500, times=None))
    result = _run(_args(sim, keep_last=3))
    assert result["failed"] is True and result["changed"] is True
    assert sorted(result["deleted"]) == sorted(set(prune) - set(broken))
    assert [f["id"] for f in result["failed_deletes"]] == broken
    first = result["failed_deletes"][0]
    assert first["status"] == 500 and first["api_id"] == "server_error" and first["request_id"]
    assert first["message"].startswith("DigitalOcean API error: DELETE /v2/snapshots/%s answered HTTP 500" % broken[0])
    assert result["msg"].startswith("2 of %d snapshot deletes failed (%d deleted, 0 already gone); run the task again"
                                    % (len(prune), len(prune) - 2))
    sim.clear_faults()
    sim.reset_log()
    again = _run(_args(sim, keep_last=3))
    assert "failed" not in again, again.get("msg")
    assert sorted(again["deleted"]) == sorted(broken) == deletes(sim)
    assert sorted(ids(sim.snapshots)) == sorted(keep)


def test_a_404_counts_as_already_gone(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    sim.add_fault(Fault("status", path="/v2/snapshots/%s" % prune[0], method="DELETE", status=404))
    result = _run(_args(sim, keep_last=3))
    assert "failed" not in result, result.get("msg")
    assert result["gone"] == [prune[0]]
    assert sorted(result["deleted"]) == sorted(prune[1:])


def test_only_gone_is_not_changed(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    _keep, prune = newest_per_resource(SNAPSHOTS, 8)
    for sid in prune:
        sim.add_fault(Fault("status", path="/v2/snapshots/%s" % sid, method="DELETE", status=404))
    result = _run(_args(sim, keep_last=8))
    assert prune and result["gone"] == prune and result["deleted"] == [] and result["changed"] is False


def test_a_read_only_token_names_the_scope(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS, read_only_tokens=[READ_ONLY])
    result = _run(_args(sim, token=READ_ONLY, keep_last=3))
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    assert result["failed"] is True and result["changed"] is False
    assert [f["id"] for f in result["failed_deletes"]] == prune
    assert {f["status"] for f in result["failed_deletes"]} == {403}
    assert "snapshot:delete" in result["failed_deletes"][0]["message"]
    assert "snapshot:delete" in result["msg"]
    # Check mode works with a read-only token.
    assert _run(_args(sim, token=READ_ONLY, keep_last=3, _ansible_check_mode=True)).get("failed") is None


def test_diff_shows_each_group_with_reasons(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result = _run(_args(sim, keep_last=1, _ansible_check_mode=True, _ansible_diff=True))
    diff = result["diff"]
    keep, prune = newest_per_resource(SNAPSHOTS, 1)
    assert diff["before_header"] == "snapshots in scope: 40"
    assert diff["after_header"] == "keep 1 last, per resource_id: %d kept, %d pruned" % (len(keep), len(prune))
    for sid in keep:
        snap = next(s for s in SNAPSHOTS if s["id"] == sid)
        line = "  %s  %s  %s\n      kept: last snapshot\n" % (sid, snap["created_at"], snap["name"])
        assert line in diff["after"]
    for sid in prune:
        assert ("  %s  " % sid) in diff["before"] and ("  %s  " % sid) not in diff["after"]
    resources = sorted({s["resource_id"] for s in SNAPSHOTS})
    assert [line for line in diff["before"].splitlines() if line.startswith("resource_id ")] == \
        ["resource_id %s:" % r for r in resources]


def test_no_diff_without_diff_mode(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    assert "diff" not in _run(_args(sim, keep_last=1, _ansible_check_mode=True))


def test_check_mode_with_nothing_to_prune_is_not_changed(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result = _run(_args(sim, keep_last=-1, _ansible_check_mode=True))
    assert result["changed"] is False and result["prune"] == []


def test_module_and_engine_agree(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    policy = {"keep_hourly": 2, "keep_daily": 1, "keep_tags": [["critical"]], "group_by": "region",
              "timezone": "America/New_York"}
    result = _run(_args(sim, _ansible_check_mode=True, **policy))
    expected = engine.plan_retention([dict(s, tags=s["tags"] or []) for s in SNAPSHOTS], policy).to_dict()
    assert {k: result[k] for k in expected} == expected


@pytest.mark.parametrize("extra, words", [
    ({"keep_daily": -2}, "keep_daily: must be 0 or more, or -1 for unlimited, got -2"),
    ({"keep_within": "7x"}, "keep_within: '7x' is not an age"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone: 'Mars/Olympus_Mons' is not a known IANA time zone name"),
    ({"keep_tags": [[]]}, "keep_tags: an empty tag list would keep every snapshot"),
    ({"page": 2}, "page: snapshot_retention plans from the whole listing"),
    ({"fields": ["id"]}, "fields: snapshot_retention needs whole snapshots"),
    ({"max_delete": -2}, "max_delete: must be 0 or more, or -1 for no bound, got -2"),
    ({"consistency": "standard"}, "value of consistency must be one of: strict, got: standard"),
    ({"keep_daily": "seven"}, "argument 'keep_daily' is of type"),
    ({"group_by": "host"}, "value of group_by must be one of: resource_id, resource_type, region, none, got: host"),
    ({"token": None}, "No DigitalOcean API token"),
])
def test_bad_input_is_refused_before_any_request(make_sim, extra, words):
    sim = make_sim(snapshots=SNAPSHOTS)
    result = _run(_args(sim, **extra))
    assert result["failed"] is True
    assert words in result["msg"], result["msg"]
    assert sim.requests == []
