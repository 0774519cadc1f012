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


def record_warnings(monkeypatch: pytest.MonkeyPatch) -> t.List[str]:
    """The module's warnings, as it gives them (ansible-core prints them in different places)."""
    seen: t.List[str] = []
    monkeypatch.setattr(snapshot_retention.AnsibleModule, "warn", lambda _module, text: seen.append(text))
    return seen


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
    oldest_first = list(reversed(prune))
    result = _run(_args(sim, keep_last=3, max_delete=len(prune) - 1))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("max_delete: this run would delete %d snapshots, more than max_delete %d allows; "
                                    "nothing was deleted." % (len(prune), len(prune) - 1))
    assert "It would have deleted (oldest first): %s (" % oldest_first[0] in result["msg"]
    assert result["would_delete"] == oldest_first
    # A failed result is printed whole: it leaves the plan out, and counts it.
    assert not {"keep", "prune", "reasons", "groups"} & set(result)
    assert result["summary"]["counts"]["prune"] == len(prune) and result["summary"]["ids"]["prune"] == prune[:5]
    assert deletes(sim) == []
    # Exactly the bound is allowed.
    assert _run(_args(sim, keep_last=3, max_delete=len(prune), _ansible_check_mode=True)).get("failed") is None


def test_check_mode_over_max_delete_shows_the_plan_and_warns(make_sim, monkeypatch):
    warned = record_warnings(monkeypatch)
    sim = make_sim(snapshots=SNAPSHOTS)
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    result = _run(_args(sim, keep_last=3, max_delete=0, _ansible_check_mode=True, _ansible_diff=True))
    assert result.get("failed") is None and result["changed"] is True
    assert ids(result["prune"]) == prune and result["summary"]["counts"]["to_delete"] == len(prune)
    assert "diff" in result
    assert result["msg"].endswith("a real run would refuse, as it would delete %d, more than max_delete allows"
                                  % len(prune))
    assert [w for w in warned if w.startswith("a real run would refuse and delete nothing: it would delete %d "
                                              "snapshots, more than max_delete 0 allows." % len(prune))]
    assert deletes(sim) == []


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
        sim.add_fault(Fault("status", path="/v2/snapshots/%s" % sid, method="DELETE", status=400, times=None))
    result = _run(_args(sim, keep_last=3))
    assert result["failed"] is True and result["changed"] is True
    assert sorted(result["deleted"]) == sorted(set(prune) - set(broken)) == sorted(sim.api_deletes)
    assert sorted(f["id"] for f in result["failed_deletes"]) == sorted(broken)
    first = result["failed_deletes"][0]
    assert first["status"] == 400 and first["api_id"] == "bad_request" and first["request_id"]
    assert first["message"].startswith("DigitalOcean API error: DELETE /v2/snapshots/%s answered HTTP 400" % first["id"])
    assert result["msg"].startswith("keep 3 last, per resource_id: %d kept, %d pruned in 4 groups; %d deleted, "
                                    "0 already gone, 2 failed, 0 unknown, 0 not tried, 0 held. Run the task again"
                                    % (len(keep), len(prune), len(prune) - 2))
    assert result["final"]["not_deleted"] == [i for i in reversed(prune) if i in broken]
    sim.clear_faults()
    sim.reset_log()
    again = _run(_args(sim, keep_last=3))
    assert "failed" not in again, again.get("msg")
    assert sorted(again["deleted"]) == sorted(broken) == deletes(sim)
    assert sorted(ids(sim.snapshots)) == sorted(keep)


def test_a_5xx_with_no_retry_left_is_unknown_until_a_read_tells(make_sim):
    # The API acted, then a proxy answered 502: with no retry, the outcome cannot be known from the answer.
    sim = make_sim(snapshots=SNAPSHOTS)
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    acted, refused = prune[0], prune[1]
    sim.add_fault(Fault("lost", path="/v2/snapshots/%s" % acted, method="DELETE", status=502))
    sim.add_fault(Fault("status", path="/v2/snapshots/%s" % refused, method="DELETE", status=502))
    result = _run(_args(sim, keep_last=3))
    assert result["failed"] is True and result["changed"] is True
    assert [u["id"] for u in result["unknown"]] == [acted]
    assert "GET /v2/snapshots/%s" % acted in result["unknown"][0]["check"]
    assert "the final read no longer lists it" in result["unknown"][0]["message"]
    # The final read still lists the refused one: it was not deleted.
    assert [f["id"] for f in result["failed_deletes"]] == [refused]
    assert "the final read still lists it" in result["failed_deletes"][0]["message"]
    assert acted in sim.api_deletes and refused not in sim.api_deletes
    assert sorted(result["deleted"]) == sorted(set(prune) - {acted, refused})


@pytest.mark.parametrize("fault", [Fault("lost", status=503), Fault("lost"), Fault("late", delay=1.5)])
def test_a_404_after_a_lost_answer_is_this_runs_delete(make_sim, fault):
    sim = make_sim(snapshots=SNAPSHOTS)
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    fault.path, fault.method = "/v2/snapshots/%s" % prune[0], "DELETE"
    sim.add_fault(fault)
    result = _run(_args(sim, keep_last=3, retries=2, timeout=0.5))
    assert "failed" not in result, result.get("msg")
    assert sorted(result["deleted"]) == sorted(prune) == sorted(sim.api_deletes)
    assert result["gone"] == [] and result["changed"] is True
    assert [r.status for r in sim.requests if r.path.endswith(prune[0])][-1] == 404


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


@pytest.mark.parametrize("token, status", [(READ_ONLY, 403), ("unit-wrong-token-0456", 401)])
def test_a_token_that_cannot_delete_stops_after_the_first_delete(make_sim, token, status):
    sim = make_sim(snapshots=SNAPSHOTS, read_only_tokens=[READ_ONLY])
    if status == 401:
        sim.add_fault(Fault("status", path="/v2/snapshots/*", method="DELETE", status=401, times=None))
    result = _run(_args(sim, token=READ_ONLY, keep_last=3, concurrency=8))
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    oldest_first = list(reversed(prune))
    assert result["failed"] is True and result["changed"] is False
    assert [f["id"] for f in result["failed_deletes"]] == oldest_first[:1]
    assert result["failed_deletes"][0]["status"] == status
    assert result["not_tried"] == prune[:-1] and result["deleted"] == []  # newest first, as prune
    assert len([r for r in sim.requests if r.method == "DELETE"]) == 1
    # Nothing may have been deleted: no confirming or final read either (the plan's two reads only).
    assert result["final"] == {} and len([r for r in sim.requests if r.method == "GET"]) == 2
    assert "Stopped sending DELETEs" in result["msg"] and "%d not tried" % (len(prune) - 1) in result["msg"]
    if status == 403:
        assert "snapshot:delete" in result["msg"]
    assert sim.api_deletes == []
    # Check mode works with a read-only token.
    assert _run(_args(sim, token=READ_ONLY, keep_last=3, _ansible_check_mode=True)).get("failed") is None


def test_diff_shows_each_group_with_reasons(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    result = _run(_args(sim, keep_last=1, _ansible_check_mode=True, _ansible_diff=True))
    diff = result["diff"]
    keep, prune = newest_per_resource(SNAPSHOTS, 1)
    assert diff["before_header"] == "snapshots in scope: 40"
    assert diff["after_header"] == "keep 1 last, per resource_id: %d kept, %d pruned, %d to delete" % (
        len(keep), len(prune), len(prune))
    for sid in keep:
        snap = next(s for s in SNAPSHOTS if s["id"] == sid)
        # The reason is on the kept snapshot's own line, the same on both sides.
        line = "  %s  %s  %s  kept: last snapshot\n" % (sid, snap["created_at"], snap["name"])
        assert line in diff["after"] and line in diff["before"]
    for sid in prune:
        assert ("  %s  " % sid) in diff["before"] and ("  %s  " % sid) not in diff["after"]
    resources = sorted({s["resource_id"] for s in SNAPSHOTS})
    counts = {r: sum(1 for s in SNAPSHOTS if s["resource_id"] == r) for r in resources}
    assert [line for line in diff["before"].splitlines() if line.startswith("resource_id ")] == \
        ["resource_id %s: %d snapshots" % (r, counts[r]) for r in resources]
    assert [line for line in diff["after"].splitlines() if line.startswith("resource_id ")] == \
        ["resource_id %s: 1 left, %d to delete" % (r, counts[r] - 1) for r in resources]


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


def newest_of(snapshots: t.Sequence[dict], resource_id: str) -> t.List[dict]:
    return sorted((s for s in snapshots if s["resource_id"] == resource_id), key=lambda s: s["created_at"],
                  reverse=True)


def test_a_group_whose_kept_snapshot_vanishes_mid_prune_is_never_emptied(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    keep, prune = newest_per_resource(SNAPSHOTS, 1)
    victim_group = SNAPSHOTS[0]["resource_id"]
    members = newest_of(SNAPSHOTS, victim_group)
    kept, last_pruned = members[0]["id"], members[1]["id"]
    # Another actor deletes the group's kept snapshot after the plan's two reads, before the reads that confirm it.
    sim.after_list_pages(2, lambda s: s.delete(kept))
    result = _run(_args(sim, keep_last=1))
    assert result["failed"] is True and result["changed"] is True
    assert result["halted_groups"] == {victim_group: [kept]}
    assert result["held"] == [last_pruned]
    assert sorted(sim.api_deletes) == sorted(set(prune) - {last_pruned}) == sorted(result["deleted"])
    assert [s["id"] for s in sim.snapshots if s["resource_id"] == victim_group] == [last_pruned]
    assert result["final"]["kept_missing"] == [kept]
    assert "kept snapshots of 1 group changed" in result["msg"]


def test_batch_size_deletes_the_oldest_and_says_how_many_remain(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    result = _run(_args(sim, keep_last=3, batch_size=5, max_delete=5))
    assert "failed" not in result, result.get("msg")
    oldest = list(reversed(prune))[:5]
    assert sorted(result["deleted"]) == sorted(oldest) == sorted(sim.api_deletes)
    assert sorted(result["deferred"]) == sorted(set(prune) - set(oldest))
    assert result["summary"]["counts"]["deferred"] == len(prune) - 5
    assert "%d left for later runs by batch_size" % (len(prune) - 5) in result["msg"]
    # max_delete bounds what a run deletes, batch_size or not.
    refused_run = _run(_args(sim, keep_last=3, batch_size=5, max_delete=4))
    assert refused_run["failed"] is True and "this run would delete 5 snapshots" in refused_run["msg"]


def test_approved_ids_limit_the_deletes_to_a_reviewed_plan(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    reviewed = _run(_args(sim, keep_last=3, _ansible_check_mode=True))
    approved = ids(reviewed["prune"])
    groups = sorted({s["resource_id"] for s in SNAPSHOTS})
    first, second, third = (newest_of(SNAPSHOTS, group) for group in groups[:3])
    # The account changes after the review. A new snapshot in the first group: its third newest is pruned now,
    # unreviewed. The second group's newest deleted elsewhere: its fourth newest (a reviewed prune id) is kept now.
    # A reviewed prune id of the third group deleted elsewhere.
    sim.create(resource_type=first[0]["resource_type"], resource_id=groups[0], regions=first[0]["regions"])
    sim.delete(second[0]["id"])
    sim.delete(third[3]["id"])
    sim.reset_log()
    result = _run(_args(sim, keep_last=3, approved_ids=approved + ["6999999"]))
    assert "failed" not in result, result.get("msg")
    assert result["not_approved"] == [first[2]["id"]] and first[2]["id"] in ids(result["prune"])
    assert result["approved_kept"] == [second[3]["id"]]
    assert result["approved_absent"] == [third[3]["id"], "6999999"]
    expected = sorted(set(approved) - {second[3]["id"], third[3]["id"]})
    assert sorted(sim.api_deletes) == expected == sorted(result["deleted"])
    assert first[2]["id"] in ids(sim.snapshots) and second[3]["id"] in ids(sim.snapshots)
    assert "1 pruned but not in approved_ids (kept)" in result["msg"]


@pytest.mark.parametrize("extra", [{"sort_by": "created_at"}, {"sort_order": "desc"}, {"limit": 6},
                                   {"snapshot_id": "6372321"}])
def test_options_that_truncate_what_the_policy_sees_are_refused(make_sim, extra):
    sim = make_sim(snapshots=SNAPSHOTS)
    result = _run(_args(sim, keep_last=1, **extra))
    option = next(iter(extra))
    assert result["failed"] is True
    assert result["msg"].startswith("%s: snapshot_retention plans from every snapshot in scope and does not take %s"
                                    % (option, option))
    assert "narrow the scope with resource_type, resource_id, volume_id, region, name" in result["msg"]
    assert sim.requests == []


@pytest.mark.parametrize("policy", [{}, {"keep_within": ""}, {"keep_last": 0, "keep_within": "0d"}])
def test_an_empty_policy_warns_and_prunes_nothing(make_sim, monkeypatch, policy):
    warned = record_warnings(monkeypatch)
    sim = make_sim(snapshots=SNAPSHOTS)
    result = _run(_args(sim, **policy))
    assert "failed" not in result and result["prune"] == [] and result["changed"] is False
    assert [w for w in warned if w.startswith("no policy was specified")]
    assert deletes(sim) == []


def test_when_the_confirming_read_fails_no_group_loses_its_last_pruned_snapshot(make_sim):
    sim = make_sim(snapshots=SNAPSHOTS)
    _keep, prune = newest_per_resource(SNAPSHOTS, 3)
    # The plan's two reads succeed; every later read of the listing fails.
    sim.add_fault(Fault("status", path="/v2/snapshots", method="GET", status=500, after=2, times=None))
    result = _run(_args(sim, keep_last=3))
    assert result["failed"] is True and result["changed"] is True
    groups = sorted({s["resource_id"] for s in SNAPSHOTS})
    # Each group's newest pruned snapshot is its last delete: held.
    newest_pruned = {g: next(i for i in prune if next(s for s in SNAPSHOTS if s["id"] == i)["resource_id"] == g)
                     for g in groups}
    assert sorted(result["held"]) == sorted(newest_pruned.values())
    assert sorted(sim.api_deletes) == sorted(set(prune) - set(newest_pruned.values())) == sorted(result["deleted"])
    assert "The read that confirms each group's kept snapshots failed" in result["msg"]
    assert result["final"]["read"] is False and "HTTP 500" in result["final"]["error"]
