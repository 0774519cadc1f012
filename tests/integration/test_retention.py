# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Retention (issues 12 and 18) through real ansible-playbook runs: the filter, the module, check mode, --diff,
max_delete, partial failures and re-runs, and (prune.yml, one run for many cases) every outcome of a delete
checked against the simulator's own record of what API DELETEs removed, against the simulator.

The expected plan is computed here by ``expected_plan`` (keep_last, keep_daily in UTC with restic's
oldest-snapshot rule, and keep_tags, per resource), in plain Python from ``sim.snapshots``,
never with the collection's engine.
"""

from __future__ import annotations

import ast
import typing as t
from pathlib import Path

import pytest
import yaml
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


def said(done: PlaybookRun, text: str) -> bool:
    """Whether the run's output says ``text``; ansible-core 2.16 wraps warnings at the terminal's width."""
    return " ".join(text.split()) in " ".join(done.output.split())


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
    # --diff: pruned lines go; a kept line stays, with its own reasons on it.
    by_id = {s["id"]: s for s in before}
    gone = by_id[prune[0]]
    assert "-  %s  %s  %s\n" % (gone["id"], gone["created_at"], gone["name"]) in done.stdout
    stays = by_id[keep[0]]
    assert "   %s  %s  %s  kept: %s\n" % (stays["id"], stays["created_at"], stays["name"],
                                          "; ".join(reasons[keep[0]])) in done.stdout
    assert "+++ after: keep 2 last, 3 daily, all snapshots with tags [env:staging, team:ml], per resource_id: " \
           "%d kept, %d pruned, %d to delete" % (len(keep), len(prune), len(prune)) in done.stdout


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
    assert sorted(result["deleted"]) == sorted(set(prune) - set(broken)) == sorted(fresh.api_deletes)
    # A 503 with no retry left says nothing of what happened; the final read finds them: not deleted.
    assert [f["id"] for f in result["failed_deletes"]] == broken and result["unknown"] == []
    assert {f["status"] for f in result["failed_deletes"]} == {503}
    assert all(f["request_id"] and f["api_id"] == "service_unavailable" for f in result["failed_deletes"])
    assert all(f["message"].endswith("the final read still lists it, so the DELETE did not take effect")
               for f in result["failed_deletes"])
    assert "; %d deleted, 0 already gone, 3 failed, 0 unknown, 0 not tried, 0 held. Run the task again" % (
        len(prune) - 3) in result["msg"]
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
    assert result["msg"].startswith("max_delete: this run would delete %d snapshots, more than max_delete 5 allows; "
                                    "nothing was deleted." % len(prune))
    assert "It would have deleted (oldest first): %s (" % prune[-1] in result["msg"]
    assert result["would_delete"] == list(reversed(prune))
    assert deletes(done) == [] and ids(fresh.snapshots) == before


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


# ---------------------------------------------------------------------------- audited outcomes, one run for many cases

CASES = ("slow", "lost", "actor", "unauthorized", "read_only", "bound", "batches", "reviewed")
#: Each case's own volume, with six snapshots on six days: keep_last 2 keeps two and prunes four.
VOLUMES = {case: "5e11f00d-0000-4000-8000-%012d" % number for number, case in enumerate(CASES, 1)}
PER_VOLUME = 6


def audit_data() -> list[dict]:
    """Six snapshots for each case's volume, oldest first (the API's order), and the suite's usual fields."""
    model = next(s for s in make_snapshots(count=20, seed=3, volumes=2, droplets=1) if s["resource_type"] == "volume")
    snaps = []
    for number, case in enumerate(CASES, 1):
        for day in range(PER_VOLUME):
            snaps.append(dict(model, id="%08x-0000-4000-8000-%012d" % (number, day), resource_id=VOLUMES[case],
                              created_at="2024-03-%02dT0%d:00:00Z" % (day + 1, number), name="%s-%d" % (case, day),
                              tags=[]))
    return snaps


def newest_first(snaps: t.Sequence[dict], case: str) -> list[str]:
    """The ids of a case's volume, newest first (their created_at strictly grow with the day)."""
    return [s["id"] for s in sorted((s for s in snaps if s["resource_id"] == VOLUMES[case]),
                                    key=lambda s: s["created_at"], reverse=True)]


def test_every_outcome_matches_the_simulators_record(ansible: Ansible) -> None:
    snaps = audit_data()
    ids_of = {case: newest_first(snaps, case) for case in CASES}
    # Policy keep_last 2 (1 for "actor"): a case's plan is its newest ids kept, the rest pruned.
    pruned = {case: ids_of[case][1 if case == "actor" else 2:] for case in CASES}
    sim = start_simulator(snapshots=snaps, read_only_tokens=[READ_ONLY_TOKEN], volumes=list(VOLUMES.values()))
    try:
        # A DELETE slower than timeout: the API acts, the answer comes after the client gave up, the retry gets 404.
        for sid in pruned["slow"]:
            sim.add_fault(Fault("late", path="/v2/snapshots/%s" % sid, method="DELETE", delay=2.5))
        # The API acts, then a proxy answers 5xx (or the connection drops): the retry gets 404.
        for sid, status in zip(pruned["lost"], (502, 500, None, 503), strict=True):
            sim.add_fault(Fault("lost", path="/v2/snapshots/%s" % sid, method="DELETE", status=status))
        # 401 for every DELETE of the case.
        for sid in pruned["unauthorized"]:
            sim.add_fault(Fault("status", path="/v2/snapshots/%s" % sid, method="DELETE", status=401, times=None))
        # Another actor deletes the kept snapshot after the plan's two reads (before the confirming read).
        actor_kept = ids_of["actor"][0]
        sim.after_list_pages(2, lambda s: s.delete(actor_kept), path="/v2/volumes/%s/snapshots" % VOLUMES["actor"])
        # After the review (two reads), the account changes: a newer snapshot, and a reviewed one deleted elsewhere.
        reviewed_gone = pruned["reviewed"][-1]

        def change(s: Simulator) -> None:
            s.create(resource_type="volume", resource_id=VOLUMES["reviewed"], name="reviewed-new", tags=[],
                     regions=snaps[0]["regions"])
            s.delete(reviewed_gone)

        sim.after_list_pages(2, change, path="/v2/volumes/%s/snapshots" % VOLUMES["reviewed"])

        def step(label: str, case: str, **extra: t.Any) -> dict:
            args = {"volume_id": VOLUMES[case], "keep_last": 1 if case == "actor" else 2, "max_delete": -1}
            args.update(extra.pop("args", {}))
            return dict(label=label, args=args, **extra)

        steps = [
            step("slow", "slow", args={"timeout": 1}),
            step("lost", "lost"),
            step("actor", "actor"),
            step("unauthorized", "unauthorized"),
            step("read_only", "read_only", args={"token": READ_ONLY_TOKEN}),
            step("bound check", "bound", check=True, diff=True, args={"max_delete": 1}),
            step("bound real", "bound", args={"max_delete": 1}),
            step("batch 1", "batches", args={"batch_size": 3, "max_delete": 3}),
            step("batch 2", "batches", args={"batch_size": 3, "max_delete": 3}),
            step("review", "reviewed", check=True),
            step("apply", "reviewed", approve_from="review", approve_extra=[ids_of["reviewed"][0]]),
        ]
        done = ansible.run("prune.yml", sim=sim, extra_vars={"steps": steps})
        record = sim.api_deletes
        left = {case: [s["id"] for s in sim.snapshots if s["resource_id"] == VOLUMES[case]] for case in CASES}
        new_id = next(s["id"] for s in sim.snapshots if s["name"] == "reviewed-new")
    finally:
        sim.stop()

    def result(label: str) -> dict:
        return done.result("Prune: %s" % label)

    def deleted_by_api(case: str) -> list[str]:
        return sorted(sid for sid in record if sid in ids_of[case])

    # slow and lost: every DELETE took effect; the retries' 404s are this run's deletes, not "gone".
    for case in ("slow", "lost"):
        got = result(case)
        assert got["_status"] == "ok", got.get("msg")
        assert got["deleted"] == pruned[case] and got["gone"] == [] and got["changed"] is True
        assert deleted_by_api(case) == sorted(pruned[case])
        assert got["summary"]["counts"]["deleted"] == 4
        assert got["msg"].endswith("4 deleted, 0 already gone, 0 failed, 0 unknown, 0 not tried, 0 held")

    # actor: the group is never emptied; what the plan keeps is gone, so its last pruned snapshot stays.
    got = result("actor")
    assert got["_status"] == "failed" and got["changed"] is True
    assert got["halted_groups"] == {VOLUMES["actor"]: [actor_kept]}
    assert got["held"] == [pruned["actor"][0]]
    assert got["deleted"] == pruned["actor"][1:] and deleted_by_api("actor") == sorted(pruned["actor"][1:])
    assert left["actor"] == [pruned["actor"][0]]
    assert got["final"]["kept_missing"] == [actor_kept]
    assert said(done, "stopped deleting in group %s" % VOLUMES["actor"])

    # 401 and 403: one DELETE, then none; the rest not tried.
    for case, status in (("unauthorized", 401), ("read_only", 403)):
        got = result(case)
        assert got["_status"] == "failed" and got["changed"] is False
        assert [f["id"] for f in got["failed_deletes"]] == [pruned[case][-1]]  # the oldest goes first
        assert got["failed_deletes"][0]["status"] == status
        assert got["not_tried"] == pruned[case][:-1] and got["deleted"] == []
        assert len([r for r in done.requests("Prune: %s" % case) if r.method == "DELETE"]) == 1
        assert deleted_by_api(case) == [] and len(left[case]) == PER_VOLUME
        assert "Stopped sending DELETEs" in got["msg"] and "3 not tried" in got["msg"]
    assert "snapshot:delete" in result("read_only")["msg"]
    assert said(done, "delete failed: %s" % pruned["read_only"][-1])  # a warning Ansible prints for a failed task

    # Over max_delete: check mode shows the plan and warns; the real run refuses and deletes nothing.
    got = result("bound check")
    assert got["_status"] == "ok" and got["changed"] is True and ids(got["prune"]) == pruned["bound"]
    assert said(done, "a real run would refuse and delete nothing: it would delete 4 snapshots, more than max_delete 1")
    by_id = {s["id"]: s for s in snaps}
    for sid in pruned["bound"]:
        assert "-  %s  %s  %s\n" % (sid, by_id[sid]["created_at"], by_id[sid]["name"]) in done.stdout
    for sid in ids_of["bound"][:2]:
        assert "   %s  %s  %s  kept: last snapshot\n" % (sid, by_id[sid]["created_at"], by_id[sid]["name"]) \
            in done.stdout
    got = result("bound real")
    assert got["_status"] == "failed" and got["would_delete"] == list(reversed(pruned["bound"]))
    assert deleted_by_api("bound") == [] and len(left["bound"]) == PER_VOLUME

    # Batches: the three oldest, then the one left.
    first, second = result("batch 1"), result("batch 2")
    assert first["_status"] == second["_status"] == "ok"
    assert first["deleted"] == pruned["batches"][1:] and first["deferred"] == pruned["batches"][:1]
    assert "1 left for later runs by batch_size" in first["msg"]
    assert second["deleted"] == pruned["batches"][:1] and second["deferred"] == []
    assert deleted_by_api("batches") == sorted(pruned["batches"])

    # The reviewed plan, applied after the account changed.
    got = result("apply")
    assert got["_status"] == "ok", got.get("msg")
    newly_pruned = ids_of["reviewed"][1]  # pushed out by the new snapshot: never reviewed, so kept
    assert got["not_approved"] == [newly_pruned]
    assert got["approved_kept"] == [ids_of["reviewed"][0]]  # listed, but the plan keeps it: never deleted
    assert got["approved_absent"] == [reviewed_gone]
    applied = [sid for sid in pruned["reviewed"] if sid != reviewed_gone]
    assert got["deleted"] == applied and deleted_by_api("reviewed") == sorted(applied)
    assert sorted(left["reviewed"]) == sorted([new_id, ids_of["reviewed"][0], newly_pruned])


# ---------------------------------------------------------------------------- the first example, as pasted, on the demo's data

REPO = Path(__file__).resolve().parents[2]


def _module_args(task: dict) -> dict:
    """What a task asks of snapshot_retention: its arguments, check_mode and diff (not its name)."""
    return {"args": task["snapfleet.digitalocean.snapshot_retention"], "check_mode": task.get("check_mode"),
            "diff": task.get("diff")}


def _readme_first_pruning_task() -> dict:
    text = (REPO / "README.md").read_text(encoding="utf-8").split("## Pruning snapshots\n", 1)[1]
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)[0]


def _doc_first_example() -> dict:
    tree = ast.parse((REPO / "plugins" / "modules" / "snapshot_retention.py").read_text(encoding="utf-8"))
    examples = next(node.value.value for node in tree.body
                    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES")
    return yaml.safe_load(examples)[0]


def test_the_demo_prunes_and_the_first_example_works_as_pasted(ansible: Ansible) -> None:
    demo = yaml.safe_load((REPO / "examples" / "prune.yml").read_text(encoding="utf-8"))[0]["tasks"]
    # The README's and ansible-doc's first examples are the demo's first task (names aside).
    assert _module_args(_readme_first_pruning_task()) == _module_args(_doc_first_example()) == _module_args(demo[0])
    assert _module_args(demo[0])["check_mode"] is True and _module_args(demo[0])["diff"] is True
    # The demo's data: 300 snapshots, seed 7 (examples/demo.sh).
    snaps = make_snapshots(count=300, seed=7)
    volumes = [s for s in snaps if s["resource_type"] == "volume"]
    sim = start_simulator(snapshots=snaps)
    try:
        done = ansible.run(str(REPO / "examples" / "prune.yml"), sim=sim, extra_vars={"demo_real_run": True})
        record = sim.api_deletes
    finally:
        sim.stop()
    assert done.rc == 0, done.describe()
    check = done.result(demo[0]["name"])
    assert check["_status"] == "ok" and check["changed"] is True
    assert len(check["keep"]) + len(check["prune"]) == len(volumes)
    assert check["prune"] and [r for r in done.requests(demo[0]["name"]) if r.method != "GET"] == []
    # Over max_delete (10): check mode warns, and shows its diff.
    assert len(check["prune"]) > 10
    assert said(done, "a real run would refuse and delete nothing: it would delete %d snapshots" % len(check["prune"]))
    assert "--- before: snapshots in scope: %d" % len(volumes) in done.stdout
    first = check["prune"][0]
    assert "-  %s  %s  %s\n" % (first["id"], first["created_at"], first["name"]) in done.stdout
    # The small plan: reviewed, then applied; exactly the reviewed ids went, as the simulator recorded.
    review = done.result("Review it - keep the last 2 of that volume (check mode)")
    applied = done.result("Apply the reviewed plan, and nothing else")
    volume = done.result("The first volume of the plan")["ansible_facts"]["demo_volume"]
    of_volume = sorted((s for s in volumes if s["resource_id"] == volume), key=lambda s: s["created_at"], reverse=True)
    assert ids(review["prune"]) == [s["id"] for s in of_volume[2:]]
    assert applied["_status"] == "ok" and applied["deleted"] == ids(review["prune"])
    assert sorted(record) == sorted(applied["deleted"])
    assert applied["final"]["kept_missing"] == []
