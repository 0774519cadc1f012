# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""snapshot_coverage_info's main(): its answer against the simulator's data, worked out here independently."""

from __future__ import annotations

import datetime
import time
import typing as t
from fractions import Fraction

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.modules import snapshot_coverage_info
from ansible_collections.snapfleet.digitalocean.tests.simulator import make_snapshots
from ansible_collections.snapfleet.digitalocean.tests.simulator.sources import make_sources
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import TOKEN, clear_connection_env, run_module

START = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=12)
SNAPSHOTS = make_snapshots(count=400, seed=23, droplets=30, volumes=12, start=START.strftime("%Y-%m-%dT%H:%M:%SZ"))
SOURCES = make_sources(SNAPSHOTS, seed=23, orphan_share=0.2, gpu_share=0.3, idle_droplets=3, idle_volumes=2)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_connection_env(monkeypatch)


def _epoch(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def _cost(size: float, price: str) -> Fraction:
    return max(Fraction(str(size)) * Fraction(price), Fraction("0.01"))


@pytest.mark.parametrize("resource_type", [None, "droplet", "volume"])
def test_every_number_against_the_data(make_sim: t.Any, resource_type: t.Optional[str]) -> None:
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=23, orphan_share=0.2, gpu_share=0.3,
                                                             idle_droplets=3, idle_volumes=2))
    args = {"token": TOKEN, "api_url": sim.url, "max_age": "5d", "price_per_gib_month": 0.05}
    if resource_type:
        args["resource_type"] = resource_type
    before = time.time()
    result, _raw = run_module(snapshot_coverage_info.main, args)
    after = time.time()
    assert result["changed"] is False and not result.get("failed"), result
    kinds = [resource_type] if resource_type else ["droplet", "volume"]
    # The API's order: the default Droplet listing, then type=gpus (the simulator lists ascending ids), then volumes.
    droplets = sorted(SOURCES.droplets, key=lambda d: (d in SOURCES.gpu_ids, int(d)))
    expected_ids = droplets if "droplet" in kinds else []
    expected_ids += sorted(SOURCES.volumes) if "volume" in kinds else []
    assert [entry["id"].lower() for entry in result["sources"]] == expected_ids
    stale_ids = []
    for entry in result["sources"]:
        mine = [s for s in SNAPSHOTS if s["resource_type"] == entry["resource_type"]
                and s["resource_id"].lower() == entry["id"].lower()]
        book = (SOURCES.droplets if entry["resource_type"] == "droplet" else SOURCES.volumes)[entry["id"].lower()]
        assert (entry["name"], entry["region"], entry["tags"]) == (book.name, book.region, book.tags)
        assert entry["snapshot_count"] == len(mine)
        assert entry["size_gigabytes"] == float(sum((Fraction(str(s["size_gigabytes"])) for s in mine), Fraction(0)))
        assert entry["monthly_cost"] == float(sum((_cost(s["size_gigabytes"], "0.05") for s in mine), Fraction(0)))
        if mine:
            newest = max(mine, key=lambda s: s["created_at"])
            assert entry["newest"] == dict(newest, tags=newest["tags"] or [])  # null tags as []
            age = entry["newest_age_seconds"]
            assert before - _epoch(newest["created_at"]) - 1 <= age <= after - _epoch(newest["created_at"]) + 1
            stale = age > 5 * 86400
        else:
            assert entry["newest"] is None and entry["newest_age_seconds"] is None
            stale = True
        assert entry["stale"] is stale
        if stale:
            stale_ids.append(entry["id"])
    assert [entry["id"] for entry in result["stale"]] == stale_ids
    assert any(not entry["stale"] for entry in result["sources"]) and stale_ids  # both kinds occur
    orphans = [s for s in SNAPSHOTS if s["resource_type"] in kinds and s["resource_id"].lower() in SOURCES.orphaned]
    assert [s["id"] for s in result["orphaned"]] == [s["id"] for s in orphans]
    assert [s["monthly_cost"] for s in result["orphaned"]] == [float(_cost(s["size_gigabytes"], "0.05")) for s in orphans]
    covered = [s for s in SNAPSHOTS if s["resource_type"] in kinds and s not in orphans]
    assert result["summary"] == {
        "sources": len(expected_ids), "snapshots": len(covered),
        "size_gigabytes": float(sum(Fraction(str(s["size_gigabytes"])) for s in covered)),
        "monthly_cost": float(sum(_cost(s["size_gigabytes"], "0.05") for s in covered)),
        "stale": len(stale_ids),
        "orphaned": {"snapshots": len(orphans),
                     "size_gigabytes": float(sum((Fraction(str(s["size_gigabytes"])) for s in orphans), Fraction(0))),
                     "monthly_cost": float(sum((_cost(s["size_gigabytes"], "0.05") for s in orphans), Fraction(0)))},
    }
    paths = sorted({(r.path, r.query.get("type")) for r in sim.requests}, key=str)
    wanted = {("/v2/snapshots", None)}
    if "droplet" in kinds:
        wanted |= {("/v2/droplets", None), ("/v2/droplets", "gpus")}
    if "volume" in kinds:
        wanted.add(("/v2/volumes", None))
    assert set(paths) == wanted


def test_tags_choose_the_sources_gpu_droplets_included(make_sim: t.Any) -> None:
    sim = make_sim(snapshots=SNAPSHOTS, sources=make_sources(SNAPSHOTS, seed=23, orphan_share=0.2, gpu_share=0.3,
                                                             idle_droplets=3, idle_volumes=2))
    result, _raw = run_module(snapshot_coverage_info.main, {"token": TOKEN, "api_url": sim.url,
                                                            "resource_type": "droplet", "tags": ["env:prod"]})
    expected = sorted((d.id for d in SOURCES.droplets.values() if "env:prod" in d.tags),
                      key=lambda d: (d in SOURCES.gpu_ids, int(d)))
    assert [entry["id"] for entry in result["sources"]] == expected
    assert set(expected) & SOURCES.gpu_ids


@pytest.mark.parametrize("args, words", [
    ({"price_per_gib_month": -0.01}, "price_per_gib_month: must be a finite number"),
    ({"price_per_gib_month": float("nan")}, "price_per_gib_month: must be a finite number"),
    ({"max_age": "6m"}, "mo for months or min for minutes"),
    ({"max_age": "soon"}, "max_age"),
])
def test_bad_options_fail_before_any_request(make_sim: t.Any, args: dict, words: str) -> None:
    sim = make_sim(snapshots=SNAPSHOTS)
    result, _raw = run_module(snapshot_coverage_info.main, dict(args, token=TOKEN, api_url=sim.url))
    assert result["failed"] is True and words in result["msg"], result["msg"]
    assert sim.requests == []


def test_a_forbidden_source_listing_fails_naming_the_scope(make_sim: t.Any) -> None:
    sim = make_sim(snapshots=SNAPSHOTS, denied_scopes={"volume-blind": ["block_storage:read"]})
    result, raw = run_module(snapshot_coverage_info.main, {"token": "volume-blind", "api_url": sim.url})
    assert result["failed"] is True and result["status"] == 403
    assert "block_storage:read" in result["msg"] and "/v2/volumes" in result["msg"]
    assert "volume-blind" not in raw
