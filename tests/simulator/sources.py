# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sources of snapshots: ``GET /v2/droplets`` and ``GET /v2/volumes``, with the contract's models.

Which Droplets and volumes exist is the store's (``SnapshotStore.resource_ids``): a Droplet
destroyed with ``sim.destroy_droplet`` leaves both its own snapshot endpoint and this listing.
What they look like (name, region, tags, GPU or not) is a :class:`Sources` book, made by
:func:`make_sources` from the snapshots: a deterministic share of the snapshots' resources is
left out (their snapshots are orphans), a share of the Droplets are GPU Droplets (listed only
with ``type=gpus``), and some Droplets and volumes have no snapshot at all.

``GET /v2/droplets``: ``type`` (``gpus``: only GPU Droplets; ``droplets`` or none: only the
others), ``name`` (exact, case-insensitive), ``tag_name`` (the others carrying that tag: the
spec does not say it lists GPU Droplets, so the simulator does not), ``tag_name`` with ``name``
or ``type`` is a 422. ``GET /v2/volumes``: ``name``, ``region``. Both page as the snapshot
listings do, in ascending id order, and run the list-page hooks (the path is the listing's).
A token of ``denied_scopes`` that lacks ``droplet:read`` or ``block_storage:read`` gets a 403.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .data import Snapshot, new_uuid

#: The scope each listing needs (the contract's security requirements).
SCOPES = {"/v2/droplets": "droplet:read", "/v2/volumes": "block_storage:read"}
#: The region slugs GET /v2/volumes accepts as ``region`` (the contract's enum).
VOLUME_REGIONS = ("ams1", "ams2", "ams3", "blr1", "fra1", "lon1", "nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3",
                  "sgp1", "tor1", "syd1")
_DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{10,})$")
_CREATED = "2023-06-01T00:00:00Z"


@dataclass
class Source:
    """What the simulator knows of one Droplet or volume besides whether it exists."""

    id: str
    name: str
    region: str
    tags: list[str]
    gpu: bool = False
    size_gigabytes: int = 100


@dataclass
class Sources:
    """The book of sources: ``droplets`` and ``volumes`` by id (volume ids lower-cased).

    ``orphaned``: the resource ids the snapshots name that are not sources (gone).
    """

    droplets: dict[str, Source] = field(default_factory=dict)
    volumes: dict[str, Source] = field(default_factory=dict)
    orphaned: set[str] = field(default_factory=set)

    @property
    def gpu_ids(self) -> set[str]:
        """The ids of the GPU Droplets."""
        return {d.id for d in self.droplets.values() if d.gpu}

    def get(self, kind: str, resource_id: str) -> Source:
        """The source's record; one made up from its id when the book has none (a resource created later)."""
        book = self.droplets if kind == "droplet" else self.volumes
        key = resource_id.lower()
        if key not in book:
            book[key] = Source(resource_id, f"{kind}-{resource_id[:8]}", "nyc1", [])
        return book[key]


def _base_name(snapshot: Snapshot) -> str:
    return _DATED.sub("", str(snapshot.get("name") or "")) or str(snapshot["resource_id"])


def make_sources(snapshots: Iterable[Snapshot], *, seed: int = 1, orphan_share: float = 0.0,
                 gpu_share: float = 0.0, idle_droplets: int = 0, idle_volumes: int = 0) -> Sources:
    """Return the sources of ``snapshots``, deterministic for ``seed``.

    ``orphan_share`` of the resources the snapshots name (by type, rounded down) are left out of
    ``sources``; ``gpu_share`` of the Droplets left are GPU Droplets; ``idle_*`` more Droplets and
    volumes exist with no snapshot. A resource's name, home region and tags come from its first
    snapshot (its tags from the first snapshot whose tags are not null).
    """
    rng = random.Random(seed)
    firsts: dict[tuple[str, str], Snapshot] = {}
    tags: dict[tuple[str, str], list[str]] = {}
    for snapshot in snapshots:
        key = (snapshot["resource_type"], str(snapshot["resource_id"]))
        firsts.setdefault(key, snapshot)
        if key not in tags and snapshot.get("tags") is not None:
            tags[key] = list(snapshot["tags"])
    orphaned: set[str] = set()
    for kind in ("droplet", "volume"):
        ids = sorted(rid for k, rid in firsts if k == kind)
        orphaned.update(rng.sample(ids, int(len(ids) * orphan_share)))
    sources = Sources(orphaned=orphaned)
    for (kind, rid), snapshot in firsts.items():
        if rid in orphaned:
            continue
        record = Source(rid, _base_name(snapshot), (snapshot.get("regions") or ["nyc1"])[0], tags.get((kind, rid), []),
                        size_gigabytes=int(snapshot.get("min_disk_size") or 100))
        (sources.droplets if kind == "droplet" else sources.volumes)[rid.lower()] = record
    droplets = sorted(sources.droplets)
    for rid in rng.sample(droplets, int(len(droplets) * gpu_share)):
        sources.droplets[rid].gpu = True
    taken = set(sources.droplets) | {rid for k, rid in firsts if k == "droplet"}
    for index in range(idle_droplets):
        rid = str(rng.randrange(400_000_000, 500_000_000))
        while rid in taken:
            rid = str(rng.randrange(400_000_000, 500_000_000))
        taken.add(rid)
        sources.droplets[rid] = Source(rid, f"idle-{index + 1:02d}", "fra1", ["env:dev"], gpu=index % 3 == 2)
    named = {rid.lower() for k, rid in firsts if k == "volume"}
    for index in range(idle_volumes):
        rid = new_uuid(rng)
        while rid in named or rid in sources.volumes:  # the snapshot generator draws its UUIDs from the same seeds
            rid = new_uuid(rng)
        sources.volumes[rid] = Source(rid, f"scratch-{index + 1:02d}", "ams3", [])
    return sources


def _region(slug: str) -> dict[str, Any]:
    return {"name": slug.upper(), "slug": slug, "features": ["backups", "ipv6", "metadata", "storage"],
            "available": True, "sizes": ["s-1vcpu-1gb", "s-2vcpu-4gb"]}


def droplet_model(source: Source, snapshot_ids: Sequence[int]) -> dict[str, Any]:
    """A Droplet in the contract's model (every required field)."""
    slug = "gpu-h100x1-80gb" if source.gpu else "s-2vcpu-4gb"
    model: dict[str, Any] = {
        "id": int(source.id), "name": source.name, "memory": 4096, "vcpus": 2, "disk": source.size_gigabytes,
        "locked": False, "status": "active", "kernel": None, "created_at": _CREATED, "features": ["monitoring"],
        "backup_ids": [], "next_backup_window": None, "snapshot_ids": list(snapshot_ids),
        "image": {"id": 6918990, "name": "24.04 (LTS) x64", "distribution": "Ubuntu", "slug": "ubuntu-24-04-x64",
                  "public": True, "regions": [source.region], "created_at": _CREATED, "type": "base",
                  "min_disk_size": 20, "size_gigabytes": 2.36, "description": "", "tags": [], "status": "available"},
        "volume_ids": [], "size": {"slug": slug, "memory": 4096, "vcpus": 2, "disk": source.size_gigabytes,
                                   "transfer": 4.0, "price_monthly": 24.0, "price_hourly": 0.03571,
                                   "regions": [source.region], "available": True, "description": "Basic"},
        "size_slug": slug,
        "networks": {"v4": [], "v6": []},
        "region": _region(source.region),
        "tags": list(source.tags),
        "vpc_uuid": "760e09ef-dc84-11e8-981e-3cfdfeaae000",
    }
    if source.gpu:
        model["gpu_info"] = {"count": 1, "vram": {"amount": 80, "unit": "gib"}, "model": "nvidia_h100"}
    return model


def volume_model(source: Source) -> dict[str, Any]:
    """A volume in the contract's model."""
    return {"id": source.id, "droplet_ids": [], "name": source.name, "description": "", "region": _region(source.region),
            "size_gigabytes": source.size_gigabytes, "created_at": _CREATED, "tags": list(source.tags),
            "filesystem_type": "ext4", "filesystem_label": source.name[:16]}


def listing(api: Any, path: str, query: dict[str, str], page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of ``path`` (``/v2/droplets`` or ``/v2/volumes``) and its total; raises ValueError for a 422."""
    if path == "/v2/droplets":
        kind = query.get("type")
        if kind is not None and kind not in ("droplets", "gpus"):
            raise ValueError(f"type must be droplets or gpus, got {kind!r}")
        if "tag_name" in query and ("name" in query or kind is not None):
            raise ValueError("tag_name cannot be combined with name or type")
    else:
        region = query.get("region")
        if region is not None and region not in VOLUME_REGIONS:
            raise ValueError(f"region must be one of {', '.join(VOLUME_REGIONS)}, got {region!r}")
    store = api.store
    with store.lock:
        if store.before_page is not None:
            store.before_page(path, page)
        store.list_pages_served += 1
        book: Sources = api.sources
        if path == "/v2/droplets":
            ids = sorted(store.resource_ids("droplet"), key=int)
            records = [book.get("droplet", rid) for rid in ids]
            gpus = query.get("type") == "gpus"
            records = [r for r in records if r.gpu == gpus]
            if "name" in query:
                records = [r for r in records if r.name.lower() == query["name"].lower()]
            if "tag_name" in query:
                records = [r for r in records if query["tag_name"] in r.tags]
            chosen = records[(page - 1) * per_page:page * per_page]
            wanted = {r.id for r in chosen}
            snapshot_ids: dict[str, list[int]] = {}
            for snapshot in store.snapshots:
                if snapshot["resource_type"] == "droplet" and str(snapshot["resource_id"]) in wanted:
                    snapshot_ids.setdefault(str(snapshot["resource_id"]), []).append(int(snapshot["id"]))
            return [droplet_model(r, snapshot_ids.get(r.id, [])) for r in chosen], len(records)
        ids = sorted(store.resource_ids("volume"))
        records = [book.get("volume", rid) for rid in ids]
        if "name" in query:
            records = [r for r in records if r.name == query["name"]]
        if "region" in query:
            records = [r for r in records if r.region == query["region"]]
        return [volume_model(r) for r in records[(page - 1) * per_page:page * per_page]], len(records)


def apply(sources: Sources, store: Any) -> None:
    """Make the store's resources those of ``sources``: the orphans' resources are gone, the idle ones exist."""
    for rid in sources.orphaned:
        if rid.isdigit():
            store.destroy_droplet(rid)
        else:
            store.delete_volume(rid)
    store.add_resources("droplet", [s.id for s in sources.droplets.values()])
    store.add_resources("volume", [s.id for s in sources.volumes.values()])


__all__ = ["SCOPES", "Source", "Sources", "apply", "droplet_model", "listing", "make_sources", "volume_model"]
