# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Listings through the module and the lookup: exact ids in the API's order, paging, links, check mode.

One ``cases.yml`` run serves every test of this file (and one more run with ``--check``).
"""

from __future__ import annotations

import math
import typing as t

import pytest
from conftest import (
    EMPTY_VOLUME,
    NINE_FIELDS,
    Ansible,
    Case,
    PlaybookRun,
    as_returned,
    ids,
    lookup_value,
    run_cases,
)

from ansible_collections.snapfleet.digitalocean.tests.simulator import Simulator


def _data(sim: Simulator) -> dict[str, t.Any]:
    """Pick, from the simulator's data, the resources the cases are about."""
    snaps = sim.snapshots
    volume_counts: dict[str, int] = {}
    for snapshot in snaps:
        if snapshot["resource_type"] == "volume":
            volume_counts[snapshot["resource_id"]] = volume_counts.get(snapshot["resource_id"], 0) + 1
    return {
        "volume": max(volume_counts, key=lambda v: volume_counts[v]),
        "droplet_snapshot": next(s for s in snaps if s["resource_type"] == "droplet" and s["tags"] is None),
        "volume_snapshot": next(s for s in reversed(snaps) if s["resource_type"] == "volume"),
    }


def _cases(sim: Simulator) -> list[Case]:
    data = _data(sim)
    return [
        Case("all, per_page 200"),
        Case("all, per_page 7", {"per_page": 7}),
        Case("droplet", {"resource_type": "droplet"}),
        Case("volume", {"resource_type": "volume"}),
        Case("volume_id with snapshots", {"volume_id": data["volume"]}),
        Case("volume_id without snapshots", {"volume_id": EMPTY_VOLUME}),
        Case("snapshot_id droplet", {"snapshot_id": data["droplet_snapshot"]["id"]}),
        Case("snapshot_id volume", {"snapshot_id": data["volume_snapshot"]["id"]}),
        Case("page 2 of per_page 7", {"page": 2, "per_page": 7}),
    ]


@pytest.fixture(scope="module")
def listing_run(module_ansible: Ansible, sim: Simulator) -> PlaybookRun:
    run = run_cases(module_ansible, _cases(sim), sim=sim)
    assert run.rc == 0, run.describe()
    return run


@pytest.fixture(scope="module")
def check_run(module_ansible: Ansible, sim: Simulator) -> PlaybookRun:
    run = run_cases(module_ansible, _cases(sim), sim=sim, check=True)
    assert run.rc == 0, run.describe()
    return run


def _module(run: PlaybookRun, label: str) -> dict:
    result = run.result("Module: " + label)
    assert result["_status"] == "ok", result.get("msg")
    return result


def _all_three(run: PlaybookRun, label: str) -> dict[str, list[dict]]:
    """The snapshots the module, query() and lookup(wantlist=True) returned for one case."""
    return {
        "module": _module(run, label)["snapshots"],
        "query": lookup_value(run.result("Query: " + label)),
        "lookup": lookup_value(run.result("Lookup: " + label)),
    }


def _pages(run: PlaybookRun, task: str) -> list[tuple[str, dict]]:
    """(path, query) of each request the task sent, sorted by page."""
    return sorted(((r.path, r.query) for r in run.requests(task)), key=lambda pq: int(pq[1].get("page", 0)))


@pytest.mark.parametrize("label,per_page", [("all, per_page 200", 200), ("all, per_page 7", 7)])
def test_whole_account_in_api_order_every_page_once(listing_run: PlaybookRun, sim: Simulator, label: str,
                                                    per_page: int) -> None:
    expected = [as_returned(s) for s in sim.snapshots]
    pages = math.ceil(len(expected) / per_page)
    for plugin, snapshots in _all_three(listing_run, label).items():
        # Whole objects: the nine fields, values as the API gave them, tags null -> [].
        assert snapshots == expected, plugin
        assert all(set(s) == NINE_FIELDS for s in snapshots), plugin
    for task in ("Module: ", "Query: ", "Lookup: "):
        assert _pages(listing_run, task + label) == [
            ("/v2/snapshots", {"page": str(n), "per_page": str(per_page)}) for n in range(1, pages + 1)
        ], task
    module = _module(listing_run, label)
    assert module["changed"] is False
    assert module["meta"] == {"total": len(expected)}
    assert module["links"] == {}


def test_tags_null_is_an_empty_list(listing_run: PlaybookRun, sim: Simulator) -> None:
    nulls = [s["id"] for s in sim.snapshots if s["tags"] is None]
    assert nulls, "the data should have snapshots whose tags are null"
    for plugin, snapshots in _all_three(listing_run, "all, per_page 200").items():
        by_id = {s["id"]: s for s in snapshots}
        assert all(by_id[i]["tags"] == [] for i in nulls), plugin


@pytest.mark.parametrize("resource_type", ["droplet", "volume"])
def test_resource_type(listing_run: PlaybookRun, sim: Simulator, resource_type: str) -> None:
    expected = [s["id"] for s in sim.snapshots if s["resource_type"] == resource_type]
    for plugin, snapshots in _all_three(listing_run, resource_type).items():
        assert ids(snapshots) == expected, plugin
    pages = math.ceil(len(expected) / 200)
    for task in ("Module: ", "Query: ", "Lookup: "):
        assert _pages(listing_run, task + resource_type) == [
            ("/v2/snapshots", {"resource_type": resource_type, "page": str(n), "per_page": "200"})
            for n in range(1, pages + 1)
        ]
    assert _module(listing_run, resource_type)["meta"] == {"total": len(expected)}


def test_volume_id_with_snapshots(listing_run: PlaybookRun, sim: Simulator) -> None:
    volume = _data(sim)["volume"]
    expected = [s["id"] for s in sim.snapshots if s["resource_type"] == "volume" and s["resource_id"] == volume]
    assert len(expected) > 1
    for plugin, snapshots in _all_three(listing_run, "volume_id with snapshots").items():
        assert ids(snapshots) == expected, plugin
    for task in ("Module: ", "Query: ", "Lookup: "):
        assert [r.path for r in listing_run.requests(task + "volume_id with snapshots")] == [
            "/v2/volumes/%s/snapshots" % volume]


def test_volume_id_without_snapshots_is_empty(listing_run: PlaybookRun) -> None:
    for plugin, snapshots in _all_three(listing_run, "volume_id without snapshots").items():
        assert snapshots == [], plugin
    assert _module(listing_run, "volume_id without snapshots")["meta"] == {"total": 0}
    for task in ("Module: ", "Query: ", "Lookup: "):
        assert [(r.path, r.status) for r in listing_run.requests(task + "volume_id without snapshots")] == [
            ("/v2/volumes/%s/snapshots" % EMPTY_VOLUME, 200)]


@pytest.mark.parametrize("kind", ["droplet", "volume"])
def test_snapshot_id(listing_run: PlaybookRun, sim: Simulator, kind: str) -> None:
    wanted = _data(sim)["%s_snapshot" % kind]
    label = "snapshot_id %s" % kind
    for plugin, snapshots in _all_three(listing_run, label).items():
        # The API answers {"snapshot": {...}} (singular): the plugins still return a one-item list.
        assert snapshots == [as_returned(wanted)], plugin
    assert _module(listing_run, label)["meta"] == {"total": 1}
    for task in ("Module: ", "Query: ", "Lookup: "):
        assert [r.path for r in listing_run.requests(task + label)] == ["/v2/snapshots/%s" % wanted["id"]]


def test_one_page_with_links(listing_run: PlaybookRun, sim: Simulator) -> None:
    label = "page 2 of per_page 7"
    expected = [s["id"] for s in sim.snapshots[7:14]]
    for plugin, snapshots in _all_three(listing_run, label).items():
        assert ids(snapshots) == expected, plugin
    for task in ("Module: ", "Query: ", "Lookup: "):
        assert _pages(listing_run, task + label) == [("/v2/snapshots", {"page": "2", "per_page": "7"})]
    module = _module(listing_run, label)
    last = math.ceil(len(sim.snapshots) / 7)
    base = sim.url + "/v2/snapshots?page=%d&per_page=7"
    # The API's links, absolute URLs, as they came.
    assert module["links"] == {"pages": {"first": base % 1, "prev": base % 1, "next": base % 3, "last": base % last}}
    assert module["meta"] == {"total": len(sim.snapshots)}


def test_check_mode_gives_the_same_results(listing_run: PlaybookRun, check_run: PlaybookRun, sim: Simulator) -> None:
    for case in _cases(sim):
        module = _module(check_run, case.label)
        normal = _module(listing_run, case.label)
        assert module["changed"] is False
        for key in ("snapshots", "meta", "links"):
            assert module[key] == normal[key], (case.label, key)
        for prefix in ("Query: ", "Lookup: "):
            assert lookup_value(check_run.result(prefix + case.label)) == lookup_value(
                listing_run.result(prefix + case.label)), (case.label, prefix)
