# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Sources and snapshots together: which snapshots are orphaned, how well each source is covered, what it costs.

Pure functions over snapshots (the contract's normalised model) and sources (api/sources.py's
model); no I/O. Money and sizes are summed as decimals of the numbers the API wrote, then given
as floats: the sums are exact, never rounded (round only to show them).
"""

from __future__ import annotations

import datetime
import typing as t
from decimal import Decimal

from .ages import Age
from .filters import parse_timestamp

#: DigitalOcean's documented snapshot price, US dollars per GiB and month.
DEFAULT_PRICE_PER_GIB_MONTH = 0.06
#: DigitalOcean's documented minimum charge of a snapshot, US dollars per month.
MINIMUM_CHARGE = Decimal("0.01")

SourceIds = t.Dict[str, t.Set[str]]  # resource_type -> lower-cased ids of the sources that exist


def _decimal(value: t.Any) -> Decimal:
    # str() of a float is the shortest text that reads back as it: the number the API wrote.
    return Decimal(str(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else Decimal(0)


def snapshot_cost(snapshot: dict, price_per_gib_month: float) -> Decimal:
    """What one snapshot costs a month: ``size_gigabytes`` times the price, at least the minimum charge."""
    return max(_decimal(snapshot.get("size_gigabytes")) * _decimal(price_per_gib_month), MINIMUM_CHARGE)


def source_ids(sources: t.Mapping[str, t.Iterable[dict]]) -> SourceIds:
    """The ids of the sources read, by resource type (lower-cased: the API's UUIDs compare case-insensitively)."""
    return {kind: {str(source["id"]).lower() for source in items} for kind, items in sources.items()}


def types_named(snapshots: t.Iterable[dict]) -> t.Set[str]:
    """The resource types whose sources decide whether these snapshots are orphaned."""
    return {s.get("resource_type") for s in snapshots if s.get("resource_type") in ("droplet", "volume")}


def is_orphaned(snapshot: dict, ids: SourceIds) -> t.Optional[bool]:
    """True when the snapshot's source is not among the sources of its type, False when it is.

    None when the snapshot names no resource type or id (nothing to look up), or when the
    sources of its type were not read: such a snapshot is neither orphaned nor not.
    """
    kind, resource_id = snapshot.get("resource_type"), snapshot.get("resource_id")
    if kind not in ids or resource_id is None or not str(resource_id).strip():
        return None
    return str(resource_id).strip().lower() not in ids[kind]


def keep_orphaned(snapshots: t.Iterable[dict], ids: SourceIds, orphaned: bool) -> t.List[dict]:
    """The snapshots whose source is gone (``orphaned`` true) or exists (false), in their order."""
    return [s for s in snapshots if is_orphaned(s, ids) is orphaned]


def totals(snapshots: t.Iterable[dict], price_per_gib_month: float) -> dict:
    """``{snapshots, size_gigabytes, monthly_cost}`` of these snapshots (what a prune of them saves)."""
    count, size, cost = 0, Decimal(0), Decimal(0)
    for snapshot in snapshots:
        count += 1
        size += _decimal(snapshot.get("size_gigabytes"))
        cost += snapshot_cost(snapshot, price_per_gib_month)
    return {"snapshots": count, "size_gigabytes": float(size), "monthly_cost": float(cost)}


def _created(snapshot: dict) -> t.Optional[datetime.datetime]:
    try:
        return parse_timestamp(str(snapshot.get("created_at") or ""))
    except ValueError:
        return None


def coverage(snapshots: t.Sequence[dict], sources: t.Mapping[str, t.Sequence[dict]], now: datetime.datetime,
             max_age: t.Optional[Age] = None, price_per_gib_month: float = DEFAULT_PRICE_PER_GIB_MONTH,
             tags: t.Sequence[str] = ()) -> dict:
    """How well each source is covered by its snapshots; what they and the orphans cost.

    ``sources``: every source of each resource type asked (api/sources.py), before ``tags``;
    ``snapshots``: every snapshot of those types. Returns ``{sources, stale, orphaned, summary}``
    as snapshot_coverage_info documents them. A source is stale when it has no snapshot, or when
    ``max_age`` is given and its newest snapshot was created before ``now`` minus ``max_age``
    (a snapshot without a readable ``created_at`` counts as no snapshot for that). Orphans are
    the snapshots of those types whose source is not among ``sources``, whatever ``tags``.
    """
    ids = source_ids(sources)
    by_source: t.Dict[t.Tuple[str, str], t.List[dict]] = {}
    orphans: t.List[dict] = []
    for snapshot in snapshots:
        state = is_orphaned(snapshot, ids)
        if state is None:
            continue
        if state:
            orphans.append(dict(snapshot, monthly_cost=float(snapshot_cost(snapshot, price_per_gib_month))))
        else:
            key = (snapshot["resource_type"], str(snapshot["resource_id"]).strip().lower())
            by_source.setdefault(key, []).append(snapshot)
    cutoff = max_age.before(now) if max_age is not None else None
    wanted = set(tags)
    entries: t.List[dict] = []
    all_size, all_cost, all_count = Decimal(0), Decimal(0), 0
    for kind in ("droplet", "volume"):
        for source in sources.get(kind, ()):
            if not wanted.issubset(source.get("tags") or ()):
                continue
            mine = by_source.get((kind, str(source["id"]).lower()), [])
            dated = [(created, s) for created, s in ((_created(s), s) for s in mine) if created is not None]
            newest = max(dated, key=lambda pair: pair[0]) if dated else None
            size = sum((_decimal(s.get("size_gigabytes")) for s in mine), Decimal(0))
            cost = sum((snapshot_cost(s, price_per_gib_month) for s in mine), Decimal(0))
            stale = newest is None or (max_age is not None and cutoff is not None and newest[0] < cutoff)
            entries.append({
                "id": str(source["id"]), "name": source.get("name"), "resource_type": kind,
                "region": source.get("region"), "tags": list(source.get("tags") or []),
                "snapshot_count": len(mine), "size_gigabytes": float(size), "monthly_cost": float(cost),
                "newest": newest[1] if newest else None,
                "newest_age_seconds": (now - newest[0]).total_seconds() if newest else None,
                "stale": stale,
            })
            all_size += size
            all_cost += cost
            all_count += len(mine)
    stale_entries = [entry for entry in entries if entry["stale"]]
    orphan_totals = totals(orphans, price_per_gib_month)
    return {
        "sources": entries,
        "stale": stale_entries,
        "orphaned": orphans,
        "summary": {
            "sources": len(entries), "snapshots": all_count, "size_gigabytes": float(all_size),
            "monthly_cost": float(all_cost), "stale": len(stale_entries),
            "orphaned": orphan_totals,
        },
    }
