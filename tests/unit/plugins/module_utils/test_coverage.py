# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""questions/coverage.py: staleness, orphans and costs, against numbers worked out here with fractions."""

from __future__ import annotations

import datetime
import typing as t
from fractions import Fraction

import pytest

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.ages import parse_age
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.coverage import (
    coverage,
    is_orphaned,
    snapshot_cost,
    totals,
)

NOW = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def _snap(sid: str, rid: str, kind: str, created: str, size: float, tags: t.Optional[list] = None) -> dict:
    return {"id": sid, "name": "s-" + sid, "created_at": created, "regions": ["nyc1"], "resource_id": rid,
            "resource_type": kind, "min_disk_size": 25, "size_gigabytes": size, "tags": tags or []}


def _source(sid: str, kind: str, tags: t.Sequence[str] = (), region: str = "nyc1") -> dict:
    return {"id": sid, "name": "n-" + sid, "resource_type": kind, "region": region, "tags": list(tags)}


SNAPSHOTS = [
    _snap("1", "100", "droplet", "2026-02-28T12:00:00Z", 0.1),     # 24 h old; 0.1 * 0.06 = 0.006 -> 0.01
    _snap("2", "100", "droplet", "2026-03-01T10:00:00Z", 2.34),    # 2 h old, the newest of 100
    _snap("3", "200", "droplet", "2026-02-20T00:00:00Z", 40.5),    # the only one of 200: 9.5 days old
    _snap("4", "999", "droplet", "2025-01-01T00:00:00Z", 7.25),    # Droplet 999 is gone
    _snap("5", "AAAAAAAA-0000-4000-8000-000000000001", "volume", "2026-03-01T11:30:00Z", 100),
    _snap("6", "aaaaaaaa-0000-4000-8000-000000000002", "volume", "2026-01-01T00:00:00Z", 0.01),  # gone volume
    _snap("7", "300", "droplet", "not a date", 1.0),               # 300's only snapshot has no readable date
    {"id": "8", "name": "no source", "created_at": "2026-03-01T00:00:00Z", "size_gigabytes": 3.0},
]
SOURCES = {
    "droplet": [_source("100", "droplet", ["env:prod", "web"]), _source("200", "droplet", ["env:prod"]),
                _source("300", "droplet"), _source("400", "droplet", ["env:prod", "web"], "fra1")],
    "volume": [_source("aaaaaaaa-0000-4000-8000-000000000001", "volume", ["env:prod"], "ams3")],
}
PRICE = Fraction("0.06")


def _cost(size: float, price: Fraction = PRICE) -> Fraction:
    return max(Fraction(str(size)) * price, Fraction("0.01"))


def test_costs_have_the_minimum_charge_and_are_exact() -> None:
    assert snapshot_cost({"size_gigabytes": 0.1}, 0.06) == _cost(0.1) == Fraction("0.01")
    assert float(snapshot_cost({"size_gigabytes": 2.34}, 0.06)) == 0.1404  # not 0.14040000000000002
    assert float(snapshot_cost({"size_gigabytes": 10}, 0)) == 0.01
    sizes = [0.1, 0.2, 0.7, 2.34, 100]
    got = totals([{"size_gigabytes": s} for s in sizes], 0.06)
    assert got == {"snapshots": 5, "size_gigabytes": float(sum(Fraction(str(s)) for s in sizes)),
                   "monthly_cost": float(sum(_cost(s) for s in sizes))}
    assert got["size_gigabytes"] == 103.34  # 0.1 + 0.2 + ... in floats would not be


def test_coverage_with_max_age() -> None:
    result = coverage(SNAPSHOTS, SOURCES, NOW, parse_age("max_age", "1d"), 0.06)
    by_id = {entry["id"]: entry for entry in result["sources"]}
    order = ["100", "200", "300", "400", "aaaaaaaa-0000-4000-8000-000000000001"]
    assert [entry["id"] for entry in result["sources"]] == order
    hundred = by_id["100"]
    assert hundred["snapshot_count"] == 2 and hundred["newest"]["id"] == "2"
    assert hundred["newest_age_seconds"] == 2 * 3600.0 and hundred["stale"] is False
    assert hundred["size_gigabytes"] == float(Fraction("0.1") + Fraction("2.34"))
    assert hundred["monthly_cost"] == float(_cost(0.1) + _cost(2.34))
    assert by_id["200"]["stale"] is True and by_id["200"]["newest_age_seconds"] == 9.5 * 86400
    # No readable date: counted and costed, but no newest, so stale.
    assert by_id["300"]["snapshot_count"] == 1 and by_id["300"]["newest"] is None and by_id["300"]["stale"] is True
    assert by_id["400"]["snapshot_count"] == 0 and by_id["400"]["monthly_cost"] == 0.0 and by_id["400"]["stale"]
    volume = by_id["aaaaaaaa-0000-4000-8000-000000000001"]
    assert volume["snapshot_count"] == 1 and volume["region"] == "ams3" and not volume["stale"]  # case-insensitive
    assert [entry["id"] for entry in result["stale"]] == ["200", "300", "400"]
    assert [s["id"] for s in result["orphaned"]] == ["4", "6"]  # "8" names no source: neither
    assert [s["monthly_cost"] for s in result["orphaned"]] == [float(_cost(7.25)), 0.01]
    summary = result["summary"]
    mine = [0.1, 2.34, 40.5, 100, 1.0]
    assert summary == {
        "sources": 5, "snapshots": 5, "size_gigabytes": float(sum(Fraction(str(s)) for s in mine)),
        "monthly_cost": float(sum(_cost(s) for s in mine)), "stale": 3,
        "orphaned": {"snapshots": 2, "size_gigabytes": float(Fraction("7.25") + Fraction("0.01")),
                     "monthly_cost": float(_cost(7.25) + _cost(0.01))},
    }


def test_coverage_without_max_age_only_sources_without_a_dated_snapshot_are_stale() -> None:
    result = coverage(SNAPSHOTS, SOURCES, NOW)
    assert [entry["id"] for entry in result["stale"]] == ["300", "400"]


def test_an_age_beyond_the_year_one_makes_nothing_with_a_snapshot_stale() -> None:
    result = coverage(SNAPSHOTS, SOURCES, NOW, parse_age("max_age", "3000y"))
    assert [entry["id"] for entry in result["stale"]] == ["300", "400"]


def test_tags_keep_the_sources_carrying_all_of_them_and_not_the_orphans() -> None:
    result = coverage(SNAPSHOTS, SOURCES, NOW, None, 0.12, tags=["env:prod", "web"])
    assert [entry["id"] for entry in result["sources"]] == ["100", "400"]
    assert result["summary"]["snapshots"] == 2
    assert result["summary"]["monthly_cost"] == float(_cost(0.1, Fraction("0.12")) + _cost(2.34, Fraction("0.12")))
    assert [s["id"] for s in result["orphaned"]] == ["4", "6"]


@pytest.mark.parametrize("snapshot, expected", [
    ({"resource_type": "droplet", "resource_id": "100"}, False),
    ({"resource_type": "droplet", "resource_id": "999"}, True),
    ({"resource_type": "volume", "resource_id": "AAAAAAAA-0000-4000-8000-000000000001"}, False),
    ({"resource_type": "droplet", "resource_id": " "}, None),
    ({"resource_type": "droplet"}, None),
    ({"resource_id": "100"}, None),
])
def test_is_orphaned(snapshot: dict, expected: t.Optional[bool]) -> None:
    ids = {"droplet": {"100"}, "volume": {"aaaaaaaa-0000-4000-8000-000000000001"}}
    assert is_orphaned(snapshot, ids) is expected


def test_a_type_whose_sources_were_not_read_decides_nothing() -> None:
    assert is_orphaned({"resource_type": "volume", "resource_id": "x"}, {"droplet": set()}) is None
