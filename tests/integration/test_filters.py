# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters, sorting, limit, fields, group_by and terms (issue 6), through the module and the lookup.

Each case's expected ids are computed below from ``sim.snapshots`` with plain Python
(fnmatch, re, datetime), independently of the collection's filters module.
"""

from __future__ import annotations

import fnmatch
import re
import typing as t
from datetime import datetime, timedelta, timezone

import pytest
from conftest import (
    Ansible,
    Case,
    PlaybookRun,
    as_returned,
    ids,
    lookup_value,
    run_cases,
    start_simulator,
)

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator

Snapshots = t.List[dict]


def _when(snapshot: dict) -> datetime:
    return datetime.strptime(snapshot["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _split_age(snaps: Snapshots) -> tuple[str, datetime]:
    """An age (``<N>s``) whose cut-off falls in the middle of the widest gap near the middle of the data.

    The run happens seconds after ``now`` is read here; the gap is minutes wide on each side,
    so the expected split is exact.
    """
    middle = len(snaps) // 2
    gaps = [(_when(snaps[i + 1]) - _when(snaps[i]), i) for i in range(middle - 20, middle + 20)]
    width, index = max(gaps)
    assert width >= timedelta(minutes=30)
    cutoff = _when(snaps[index]) + width / 2
    age = int((datetime.now(timezone.utc) - cutoff).total_seconds())
    return "%ds" % age, cutoff


def _sorted(snaps: Snapshots, key: str, order: str) -> Snapshots:
    # Stable in both directions: snapshots with equal keys keep the API's order.
    if key == "created_at":
        return sorted(snaps, key=_when, reverse=order == "desc")
    return sorted(snaps, key=lambda s: s[key], reverse=order == "desc")


class FilterCase(t.NamedTuple):
    case: Case
    expected: t.Callable[[Snapshots], Snapshots]


def _filter_cases(sim: Simulator) -> list[FilterCase]:
    snaps = sim.snapshots
    droplet_id = next(s["resource_id"] for s in snaps if s["resource_type"] == "droplet")
    volume_id = next(s["resource_id"] for s in reversed(snaps) if s["resource_type"] == "volume")
    age, age_cutoff = _split_age(snaps)

    def where(predicate: t.Callable[[dict], bool]) -> t.Callable[[Snapshots], Snapshots]:
        return lambda all_snaps: [s for s in all_snaps if predicate(s)]

    cases = [
        FilterCase(Case("region string", {"region": "fra1"}), where(lambda s: "fra1" in s["regions"])),
        FilterCase(Case("region list", {"region": ["fra1", "ams3"]}),
                   where(lambda s: "fra1" in s["regions"] or "ams3" in s["regions"])),
        FilterCase(Case("name glob", {"name": "web-*"}), where(lambda s: fnmatch.fnmatchcase(s["name"], "web-*"))),
        FilterCase(Case("name glob list", {"name": ["web-*", "db-data-*"]}),
                   where(lambda s: s["name"].startswith(("web-", "db-data-")))),
        FilterCase(Case("name_regex", {"name_regex": "^(api|db)-0[12]-"}),
                   where(lambda s: re.search(r"^(api|db)-0[12]-", s["name"]) is not None)),
        FilterCase(Case("tags, all must match", {"tags": ["env:prod", "team:data"]}),
                   where(lambda s: {"env:prod", "team:data"} <= set(s["tags"] or []))),
        FilterCase(Case("one tag", {"tags": "backup"}), where(lambda s: "backup" in (s["tags"] or []))),
        FilterCase(Case("resource_id droplet", {"resource_id": droplet_id}),
                   where(lambda s: s["resource_id"] == droplet_id)),
        FilterCase(Case("resource_id volume", {"resource_id": volume_id}),
                   where(lambda s: s["resource_id"] == volume_id)),
        FilterCase(Case("created_after ISO date", {"created_after": "2024-01-05"}),
                   where(lambda s: _when(s) >= _utc("2024-01-05T00:00:00Z"))),
        FilterCase(Case("created_before ISO datetime", {"created_before": "2024-01-08T12:00:00Z"}),
                   where(lambda s: _when(s) < _utc("2024-01-08T12:00:00Z"))),
        FilterCase(Case("created window with offset", {"created_after": "2024-01-10T02:00:00+02:00",
                                                       "created_before": "2024-01-11"}),
                   where(lambda s: _utc("2024-01-10T00:00:00Z") <= _when(s) < _utc("2024-01-11T00:00:00Z"))),
        FilterCase(Case("created_after age", {"created_after": age}), where(lambda s: _when(s) >= age_cutoff)),
        FilterCase(Case("created_before age", {"created_before": age}), where(lambda s: _when(s) < age_cutoff)),
        FilterCase(Case("created_after 3650d", {"created_after": "3650d"}), where(lambda s: True)),
        FilterCase(Case("created_before 3650d", {"created_before": "3650d"}), where(lambda s: False)),
        FilterCase(Case("limit", {"limit": 5}), lambda all_snaps: all_snaps[:5]),
        FilterCase(Case("newest 3 volume snapshots in fra1",
                        {"resource_type": "volume", "region": "fra1", "sort_by": "created_at", "sort_order": "desc",
                         "limit": 3}),
                   lambda all_snaps: _sorted([s for s in all_snaps if s["resource_type"] == "volume"
                                              and "fra1" in s["regions"]], "created_at", "desc")[:3]),
    ]
    for key in ("created_at", "name", "size_gigabytes", "min_disk_size"):
        for order in ("asc", "desc"):
            cases.append(FilterCase(Case("sort_by %s %s" % (key, order), {"sort_by": key, "sort_order": order}),
                                    lambda all_snaps, key=key, order=order: _sorted(all_snaps, key, order)))
    return cases


def _group(snaps: Snapshots, key: str) -> dict[str, Snapshots]:
    groups: dict[str, Snapshots] = {}
    for snapshot in snaps:
        if key == "region":
            names = snapshot["regions"]
        elif key == "tag":
            names = snapshot["tags"] or []
        else:
            names = [snapshot[key]]
        for name in names:
            groups.setdefault(name, []).append(as_returned(snapshot))
    return groups


GROUP_KEYS = ("region", "resource_type", "resource_id", "tag")


def _terms(sim: Simulator) -> list[str]:
    """A volume snapshot id, then an older Droplet snapshot id: not the API's order."""
    snaps = sim.snapshots
    return [next(s["id"] for s in reversed(snaps) if s["resource_type"] == "volume"),
            next(s["id"] for s in snaps if s["resource_type"] == "droplet")]


def _all_cases(sim: Simulator) -> list[Case]:
    cases = [fc.case for fc in _filter_cases(sim)]
    cases.append(Case("fields", {"fields": ["id", "name"]}))
    cases += [Case("group_by " + key, {"group_by": key}, module=False, plain=True) for key in GROUP_KEYS]
    cases.append(Case("terms", {}, terms=_terms(sim), module=False))
    return cases


@pytest.fixture(scope="module")
def filter_run(module_ansible: Ansible, sim: Simulator) -> PlaybookRun:
    run = run_cases(module_ansible, _all_cases(sim), sim=sim)
    assert run.rc == 0, run.describe()
    return run


def _returned(run: PlaybookRun, label: str) -> dict[str, Snapshots]:
    module = run.result("Module: " + label)
    assert module["_status"] == "ok", module.get("msg")
    assert module["changed"] is False
    return {"module": module["snapshots"], "query": lookup_value(run.result("Query: " + label)),
            "lookup": lookup_value(run.result("Lookup: " + label))}


def test_every_filter_case(filter_run: PlaybookRun, sim: Simulator) -> None:
    # One test over every case, so that a failure lists every case that differs at once.
    wrong = []
    for filter_case in _filter_cases(sim):
        expected = ids(filter_case.expected(sim.snapshots))
        for plugin, snapshots in _returned(filter_run, filter_case.case.label).items():
            if ids(snapshots) != expected:
                wrong.append("%s via %s: got %d ids %s..., expected %d ids %s..." % (
                    filter_case.case.label, plugin, len(snapshots), ids(snapshots)[:3], len(expected), expected[:3]))
    assert not wrong, "\n".join(wrong)


def test_cases_are_not_trivial(sim: Simulator) -> None:
    """Each filter keeps some snapshots and drops others (except the documented all/none cases)."""
    total = len(sim.snapshots)
    for filter_case in _filter_cases(sim):
        kept = len(filter_case.expected(sim.snapshots))
        label = filter_case.case.label
        if label == "created_after 3650d" or label.startswith("sort_by"):
            assert kept == total, label
        elif label == "created_before 3650d":
            assert kept == 0, label
        else:
            assert 0 < kept < total, label


def test_sorting_has_ties_kept_in_api_order(sim: Simulator) -> None:
    """The name and min_disk_size sorts have ties, so the cases also pin down their order."""
    assert len({s["min_disk_size"] for s in sim.snapshots}) < len(sim.snapshots)
    assert len({s["name"] for s in sim.snapshots}) < len(sim.snapshots)


def test_resource_id_droplet_lists_only_droplet_snapshots(filter_run: PlaybookRun, sim: Simulator) -> None:
    droplet_id = next(s["resource_id"] for s in sim.snapshots if s["resource_type"] == "droplet")
    for task in ("Module: ", "Query: ", "Lookup: "):
        requests = filter_run.requests(task + "resource_id droplet")
        # The Droplet's own listing first (routes.py); every one of its snapshots needs its tags, more GETs
        # than the account's Droplet snapshots have pages: the account listing of Droplet snapshots answers.
        assert requests[0].path == "/v2/droplets/%s/snapshots" % droplet_id
        assert {(r.path, r.query.get("resource_type")) for r in requests[1:]} == {("/v2/snapshots", "droplet")}


def test_resource_id_volume_reads_the_volume_endpoint(filter_run: PlaybookRun, sim: Simulator) -> None:
    volume_id = next(s["resource_id"] for s in reversed(sim.snapshots) if s["resource_type"] == "volume")
    for task in ("Module: ", "Query: ", "Lookup: "):
        assert [r.path for r in filter_run.requests(task + "resource_id volume")] == [
            "/v2/volumes/%s/snapshots" % volume_id]


def test_fields(filter_run: PlaybookRun, sim: Simulator) -> None:
    expected = [{"id": s["id"], "name": s["name"]} for s in sim.snapshots]
    for plugin, snapshots in _returned(filter_run, "fields").items():
        assert snapshots == expected, plugin


@pytest.mark.parametrize("key", GROUP_KEYS)
def test_group_by(filter_run: PlaybookRun, sim: Simulator, key: str) -> None:
    expected = _group(sim.snapshots, key)
    label = "group_by " + key
    # lookup() gives the dict as it is; query() and lookup(wantlist=True) a one-element list.
    assert lookup_value(filter_run.result("Lookup plain: " + label)) == expected
    assert lookup_value(filter_run.result("Query: " + label)) == [expected]
    assert lookup_value(filter_run.result("Lookup: " + label)) == [expected]
    assert filter_run.result("Module: " + label)["_status"] == "skipped"


def test_group_by_region_puts_a_snapshot_in_each_of_its_regions(filter_run: PlaybookRun, sim: Simulator) -> None:
    groups = lookup_value(filter_run.result("Lookup plain: group_by region"))
    spread = next(s for s in sim.snapshots if len(s["regions"]) > 1)
    for region in spread["regions"]:
        assert spread["id"] in ids(groups[region]), region
    assert sum(len(members) for members in groups.values()) == sum(len(s["regions"]) for s in sim.snapshots)


def test_terms_in_term_order(filter_run: PlaybookRun, sim: Simulator) -> None:
    by_id = {s["id"]: s for s in sim.snapshots}
    terms = _terms(sim)
    expected = [as_returned(by_id[i]) for i in terms]
    assert lookup_value(filter_run.result("Query: terms")) == expected
    assert lookup_value(filter_run.result("Lookup: terms")) == expected
    for task in ("Query: terms", "Lookup: terms"):
        assert sorted(r.path for r in filter_run.requests(task)) == sorted("/v2/snapshots/%s" % i for i in terms)


def test_resource_id_of_a_deleted_volume_falls_back_to_the_account(ansible: Ansible) -> None:
    """Volume snapshots outlive their volume: its endpoint answers 404, the account listing still has them."""
    server = start_simulator()
    try:
        snaps = server.snapshots
        gone = next(s["resource_id"] for s in snaps if s["resource_type"] == "volume")
        server.delete_volume(gone)
        expected = [s["id"] for s in snaps if s["resource_id"] == gone]
        volumes = [s for s in snaps if s["resource_type"] == "volume"]
        run = run_cases(ansible, [Case("deleted volume", {"resource_id": gone})], sim=server)
        assert run.rc == 0, run.describe()
        pages = -(-len(volumes) // 200)
        for task in ("Module: ", "Query: ", "Lookup: "):
            result = run.result(task + "deleted volume")
            got = result["snapshots"] if task == "Module: " else lookup_value(result)
            assert ids(got) == expected, task
            requests = sorted(run.requests(task + "deleted volume"), key=lambda r: (r.path, r.query.get("page", "")))
            assert [(r.path, r.status) for r in requests][-1] == ("/v2/volumes/%s/snapshots" % gone, 404)
            assert [(r.path, r.query) for r in requests[:-1]] == [
                ("/v2/snapshots", {"resource_type": "volume", "page": str(n), "per_page": "200"})
                for n in range(1, pages + 1)]
    finally:
        server.stop()


def test_terms_and_list_options_as_playbooks_write_them(ansible: Ansible, sim: Simulator) -> None:
    """A list variable as the term (not its repr in the URL), nested lists, spaces, list options from variables.

    The lookup makes its options plain lists and dicts before the validator deep-copies them
    (plugin_utils/values.py): on ansible-core 2.19 a lazy container from a template that imports macros
    cannot be deep-copied, which test_report.py's test_region_list_filter shows.
    """
    snaps = sim.snapshots
    volume = next(s for s in reversed(snaps) if s["resource_type"] == "volume")
    droplets = [s for s in snaps if s["resource_type"] == "droplet"][:2]
    my_ids = [volume["id"]] + [s["id"] for s in droplets]
    run = ansible.run("terms.yml", sim=sim, extra_vars={"my_ids": my_ids, "my_regions": ["fra1", "ams3"]})
    assert run.rc == 0, run.describe()
    assert lookup_value(run.result("A list variable as the term")) == [{"id": i} for i in my_ids]
    assert sorted(r.path for r in run.requests("A list variable as the term")) == sorted(
        "/v2/snapshots/%s" % i for i in my_ids)
    assert lookup_value(run.result("Nested lists and spaces")) == [{"id": i} for i in my_ids]
    assert lookup_value(run.result("The resource_type option filters ids")) == [
        {"id": s["id"], "resource_type": "droplet"} for s in droplets]
    expected = [s["id"] for s in snaps if {"fra1", "ams3"} & set(s["regions"])
                and fnmatch.fnmatchcase(s["name"], "web-*") or ({"fra1", "ams3"} & set(s["regions"])
                                                                and fnmatch.fnmatchcase(s["name"], "db-*"))]
    assert lookup_value(run.result("List options from variables")) == expected and expected
    module = run.result("The module with snapshot_id and resource_type")
    assert module["_status"] == "ok" and module["snapshots"] == []  # a volume snapshot, asked with droplet
    assert [r.path for r in run.requests("The module with snapshot_id and resource_type")] == [
        "/v2/snapshots/%s" % volume["id"]]  # sent stripped
    refused = run.result("The module with snapshot_id and page")
    assert refused["_status"] == "failed" and refused["msg"] == "parameters are mutually exclusive: snapshot_id|page"
    assert run.requests("The module with snapshot_id and page") == []
