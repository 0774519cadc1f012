# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Retention (issue 12) through real ansible-playbook runs: the filter, the module, check mode, --diff,
max_delete, partial failures and re-runs, against the simulator.

The expected plan is computed here by ``expected_plan`` (keep_last, keep_daily in UTC with restic's
oldest-snapshot rule, and keep_tags, per resource), in plain Python from ``sim.snapshots``,
never with the collection's engine.
"""

from __future__ import annotations

import typing as t

import pytest
from conftest import SIM_TOKEN, Ansible, PlaybookRun, ids, start_simulator

from ansible_collections.snapfleet.digitalocean.tests.simulator import Fault, Simulator, make_snapshots

PLAYBOOK = "retention.yml"
POLICY = {"keep_last": 2, "keep_daily": 3, "keep_tags": [["env:staging", "team:ml"]]}
READ_ONLY_TOKEN = "sim-token-read-only"


#: A volume with snapshots on two days only: keep_daily 3 has count left, and keeps its oldest snapshot too.
SHORT_VOLUME = "5e11f00d-0000-4000-8000-00000000beef"


def data() -> list[dict]:
    """120 snapshots of 6 resources over about four days, some tagged env:staging and team:ml, and a short volume."""
    snaps = make_snapshots(count=120, seed=3, volumes=3, droplets=3)
    model = next(s for s in snaps if s["resource_type"] == "volume")
    for number, created_at in enumerate(["2024-01-02T06:00:00Z", "2024-01-02T09:00:00Z", "2024-01-03T10:00:00Z"]):
        snaps.append(dict(model, id="5e11f00d-0000-4000-8000-%012d" % number, resource_id=SHORT_VOLUME,
                          created_at=created_at, name="short-%d" % number, tags=[]))
    return snaps


def expected_plan(snaps: t.Sequence[dict], keep_last: int = 0, keep_daily: int = 0,
                  keep_tags: t.Sequence[t.Sequence[str]] = ()) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(kept ids, pruned ids, reasons), newest first, per resource_id, with restic's rules written out."""
    by_resource: dict[str, list[dict]] = {}
    for snap in snaps:
        by_resource.setdefault(snap["resource_id"], []).append(snap)
    reasons: dict[str, list[str]] = {}
    for members in by_resource.values():
        members = sorted(members, key=lambda s: s["created_at"], reverse=True)
        days: list[str] = []
        for index, snap in enumerate(members):
            why = ["has tags [%s]" % ", ".join(tags) for tags in keep_tags if set(tags) <= set(snap["tags"] or [])]
            if index < keep_last:
                why.append("last snapshot")
            day = snap["created_at"][:10]  # the API's times are UTC
            if len(days) < keep_daily and day not in days:
                days.append(day)
                why.append("daily snapshot")
            elif index == len(members) - 1 and 0 < len(days) < keep_daily:
                # Count left at the end: the oldest snapshot is kept too.
                why.append("oldest daily snapshot")
            if why:
                reasons[snap["id"]] = why
    ordered = [s["id"] for s in sorted(snaps, key=lambda s: s["created_at"], reverse=True)]
    return [i for i in ordered if i in reasons], [i for i in ordered if i not in reasons], reasons


@pytest.fixture
def fresh() -> t.Iterator[Simulator]:
    """A simulator of its own (these tests delete), with a read-only token too."""
    server = start_simulator(snapshots=data(), read_only_tokens=[READ_ONLY_TOKEN])
    try:
        yield server
    finally:
        server.stop()


def run(ansible: Ansible, sim: Simulator, token: str = SIM_TOKEN, diff: bool = False, check: bool = False,
        **extra: t.Any) -> PlaybookRun:
    env = ansible.env(sim, token=token)
    if diff:
        env["ANSIBLE_DIFF_ALWAYS"] = "1"
    extra.setdefault("policy", POLICY)
    done = ansible.run(PLAYBOOK, sim=sim, extra_vars=extra, env=env, check=check)
    assert done.rc in (0, 2), done.describe()
    return done


def deletes(done: PlaybookRun, task: str = "Module") -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in done.requests(task) if r.method == "DELETE"]


def test_the_expected_plan_is_not_trivial() -> None:
    keep, prune, reasons = expected_plan(data(), **POLICY)
    assert len(keep) > 6 and len(prune) > 50
    assert any("oldest daily snapshot" in why for why in reasons.values())
    assert any(why[0].startswith("has tags") for why in reasons.values())
    assert any(why == ["last snapshot", "daily snapshot"] for why in reasons.values())


def test_check_mode_with_diff_sends_no_delete(ansible: Ansible, fresh: Simulator) -> None:
    before = [dict(s) for s in fresh.snapshots]
    keep, prune, reasons = expected_plan(before, **POLICY)
    done = run(ansible, fresh, diff=True, check=True, with_filter=False, max_delete=-1)
    result = done.result("Module")
    assert result["_status"] == "ok", result.get("msg")
    assert result["changed"] is True  # what a real run would do
    assert ids(result["keep"]) == keep and ids(result["prune"]) == prune
    assert result["reasons"] == reasons
    assert result["deleted"] == []
    # Only GETs, the listing read whole twice (strict), and the simulator unchanged.
    assert {r.method for r in done.requests("Module")} == {"GET"}
    assert [dict(s) for s in fresh.snapshots] == before
    # --diff: pruned lines go, kept lines stay with their reasons.
    by_id = {s["id"]: s for s in before}
    gone = by_id[prune[0]]
    assert "-  %s  %s  %s" % (gone["id"], gone["created_at"], gone["name"]) in done.stdout
    stays = by_id[keep[0]]
    assert "   %s  %s  %s" % (stays["id"], stays["created_at"], stays["name"]) in done.stdout
    assert "+      kept: %s" % "; ".join(reasons[keep[0]]) in done.stdout
    assert "+++ after: keep 2 last, 3 daily, all snapshots with tags [env:staging, team:ml], per resource_id: " \
           "%d kept, %d pruned" % (len(keep), len(prune)) in done.stdout


def test_a_real_run_deletes_exactly_the_plan(ansible: Ansible, fresh: Simulator) -> None:
    keep, prune, _reasons = expected_plan(fresh.snapshots, **POLICY)
    done = run(ansible, fresh, with_filter=False, max_delete=-1)
    result = done.result("Module")
    assert result["_status"] == "ok", result.get("msg")
    assert result["changed"] is True
    assert sorted(deletes(done)) == sorted(prune) == sorted(result["deleted"])
    assert sorted(ids(fresh.snapshots)) == sorted(keep)
    # Run again: the policy applied to what it kept prunes nothing.
    again = run(ansible, fresh, with_filter=False, max_delete=-1)
    assert again.result("Module")["changed"] is False and again.result("Module")["prune"] == []
    assert deletes(again) == []


def test_partial_failure_then_a_rerun_finishes(ansible: Ansible, fresh: Simulator) -> None:
    keep, prune, _reasons = expected_plan(fresh.snapshots, **POLICY)
    broken = [prune[0], prune[len(prune) // 2], prune[-1]]
    for snapshot_id in broken:
        fresh.add_fault(Fault("status", path="/v2/snapshots/%s" % snapshot_id, method="DELETE", status=503, times=None))
    done = run(ansible, fresh, with_filter=False, max_delete=-1, module_retries=0)
    result = done.result("Module")
    assert result["_status"] == "failed" and result["changed"] is True
    assert sorted(result["deleted"]) == sorted(set(prune) - set(broken))
    assert [f["id"] for f in result["failed_deletes"]] == broken
    assert {f["status"] for f in result["failed_deletes"]} == {503}
    assert all(f["request_id"] and f["api_id"] == "service_unavailable" for f in result["failed_deletes"])
    assert result["msg"].startswith("3 of %d snapshot deletes failed" % len(prune))
    assert sorted(ids(fresh.snapshots)) == sorted(keep + broken)

    fresh.clear_faults()
    again = run(ansible, fresh, with_filter=False, max_delete=-1)
    result = again.result("Module")
    assert result["_status"] == "ok", result.get("msg")
    assert sorted(deletes(again)) == sorted(broken) == sorted(result["deleted"])
    assert sorted(ids(fresh.snapshots)) == sorted(keep)


def test_max_delete_refuses_and_says_what_it_would_delete(ansible: Ansible, fresh: Simulator) -> None:
    before = ids(fresh.snapshots)
    _keep, prune, _reasons = expected_plan(fresh.snapshots, **POLICY)
    done = run(ansible, fresh, with_filter=False, max_delete=5)
    result = done.result("Module")
    assert result["_status"] == "failed" and result["changed"] is False
    assert result["msg"].startswith("max_delete: the plan would delete %d snapshots, more than max_delete 5 allows; "
                                    "nothing was deleted." % len(prune))
    assert "It would have deleted: %s (" % prune[0] in result["msg"]
    assert result["would_delete"] == prune
    assert deletes(done) == [] and ids(fresh.snapshots) == before


def test_a_read_only_token_is_told_the_scope(ansible: Ansible, fresh: Simulator) -> None:
    done = run(ansible, fresh, token=READ_ONLY_TOKEN, with_filter=False, max_delete=-1, module_retries=0)
    result = done.result("Module")
    _keep, prune, _reasons = expected_plan(fresh.snapshots, **POLICY)
    assert result["_status"] == "failed" and result["changed"] is False
    assert {f["status"] for f in result["failed_deletes"]} == {403}
    assert [f["id"] for f in result["failed_deletes"]] == prune
    assert "snapshot:delete" in result["msg"]
    assert len(fresh.snapshots) == 123


def test_the_filter_and_the_module_agree(ansible: Ansible, fresh: Simulator) -> None:
    policy = {"keep_hourly": 4, "keep_daily": 2, "keep_tags": ["env:staging"], "group_by": "region",
              "timezone": "Asia/Kathmandu", "keep_within": "6h"}
    done = run(ansible, fresh, policy=policy, module_check=True, max_delete=-1)
    plan = done.result("Filter")["ansible_facts"]["retention_plan"]
    module = done.result("Module")
    assert module["_status"] == "ok", module.get("msg")
    for key in ("keep", "prune", "reasons", "groups", "undated"):
        assert plan[key] == module[key], key
    assert plan["prune"] and plan["keep"]
    assert deletes(done) == []


def test_the_filter_plans_the_expected_ids(ansible: Ansible, fresh: Simulator) -> None:
    keep, prune, reasons = expected_plan(fresh.snapshots, **POLICY)
    done = run(ansible, fresh, with_module=False)
    plan = done.result("Filter")["ansible_facts"]["retention_plan"]
    assert ids(plan["keep"]) == keep and ids(plan["prune"]) == prune and plan["reasons"] == reasons


@pytest.mark.parametrize("policy, words", [
    ({"keep_within": "7x"}, "keep_within: '7x' is not an age"),
    ({"keep_daily": -3}, "keep_daily: must be 0 or more, or -1 for unlimited, got -3"),
    ({"timezone": "Europe/Atlantis"}, "timezone: 'Europe/Atlantis' is not a known IANA time zone name"),
])
def test_bad_policies_are_refused_with_the_same_words_before_any_request(
        ansible: Ansible, fresh: Simulator, policy: dict, words: str) -> None:
    done = run(ansible, fresh, policy=policy)
    module = done.result("Module")
    assert module["_status"] == "failed"
    assert module["msg"].startswith(words)
    assert done.requests("Module") == []
    filtered = done.result("Filter")
    assert filtered["_status"] == "failed"
    assert module["msg"] in filtered["msg"]
