# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Deterministic, realistic snapshot data for the simulator.

The generator is seeded so a test can ask for "500 snapshots, seed 1" and get the same
list every time, and it is cheap (a handful of ``random`` calls per snapshot) so that
benchmarks can build 100,000 snapshots in well under a second or two.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

Snapshot = dict[str, Any]

#: Region slugs used when the caller gives none (real DigitalOcean slugs).
REGIONS: tuple[str, ...] = (
    "nyc1", "nyc3", "sfo3", "ams3", "fra1", "lon1", "sgp1", "tor1", "blr1", "syd1",
)

#: Numeric id of the first Droplet snapshot; the spec's own example id.
FIRST_DROPLET_SNAPSHOT_ID = 6372321

_DROPLET_ROLES = ("web", "api", "db", "worker", "cache", "lb", "app", "batch", "ci-runner", "mail")
_DROPLET_DISKS = (25, 50, 60, 80, 100, 160, 320)
_VOLUME_BASES = ("db-data", "pgdata", "media", "logs", "backups", "uploads", "pvc", "es-data", "redis")
_VOLUME_SIZES = (10, 50, 100, 250, 500, 1000)
_CADENCES = ("daily", "weekly", "monthly", "manual")
_ENVS = ("env:prod", "env:staging", "env:dev")
_TEAMS = ("team:web", "team:data", "team:platform", "team:ml")
_EXTRA_TAGS = ("backup", "k8s", "pci", "critical")


def parse_time(value: str) -> int:
    """Return epoch seconds for an ISO 8601 time such as ``2024-01-01T00:00:00Z``."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def format_time(epoch: int) -> str:
    """Return the API's time format, ``YYYY-MM-DDTHH:MM:SSZ``, for epoch seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def droplet_view(snapshot: Snapshot) -> Snapshot:
    """Return ``snapshot`` in the model of ``GET /v2/droplets/{id}/snapshots``.

    That endpoint answers an integer ``id`` and a ``type``, and no ``resource_id``,
    ``resource_type`` or ``tags`` (the Droplet is in the path).
    """
    return {
        "id": int(snapshot["id"]),
        "name": snapshot["name"],
        "created_at": snapshot["created_at"],
        "regions": snapshot["regions"],
        "min_disk_size": snapshot["min_disk_size"],
        "size_gigabytes": snapshot["size_gigabytes"],
        "type": "snapshot",
    }


def new_uuid(rng: random.Random) -> str:
    """A version 4 UUID drawn from ``rng`` (deterministic for a seeded ``rng``)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class SnapshotFactory:
    """Makes snapshots one at a time, each newer than the previous one.

    Resources (Droplets and volumes) are drawn once, with their home region, disk size,
    name and tags, so that snapshots of the same resource look alike, as they do in a
    real account.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        droplet_share: float = 0.5,
        volumes: int | Sequence[str] = 20,
        droplets: int | Sequence[str] = 50,
        regions: Sequence[str] | None = None,
        clock: int = 0,
        first_droplet_snapshot_id: int = FIRST_DROPLET_SNAPSHOT_ID,
    ) -> None:
        """Draw the resource pools.

        ``volumes`` and ``droplets`` are either pool sizes or existing resource ids to reuse
        (the simulator's mutations reuse the resources already in the list).
        """
        if not 0.0 <= droplet_share <= 1.0:
            raise ValueError("droplet_share must be between 0 and 1")
        self._rng = rng = random.Random(seed)
        self._regions = tuple(regions) if regions else REGIONS
        if not self._regions:
            raise ValueError("regions must not be empty")
        volume_ids = (
            [new_uuid(rng) for _index in range(volumes)] if isinstance(volumes, int) else list(volumes)
        )
        droplet_ids = (
            [str(i) for i in rng.sample(range(100_000_000, 400_000_000), droplets)]
            if isinstance(droplets, int)
            else list(droplets)
        )
        self._volumes = [self._volume(rid, i) for i, rid in enumerate(volume_ids)]
        self._droplets = [self._droplet(rid, i) for i, rid in enumerate(droplet_ids)]
        if droplet_share > 0 and not self._droplets and not self._volumes:
            raise ValueError("need at least one Droplet or one volume")
        # With an empty pool on one side every snapshot goes to the other side.
        if not self._volumes:
            droplet_share = 1.0
        elif not self._droplets:
            droplet_share = 0.0
        self._droplet_share = droplet_share
        self._clock = clock
        self._next_droplet_snapshot_id = first_droplet_snapshot_id

    def _tags(self) -> list[str] | None:
        rng = self._rng
        roll = rng.random()
        if roll < 0.15:
            return None
        if roll < 0.22:
            return []
        tags = [rng.choice(_ENVS), rng.choice(_TEAMS)]
        if rng.random() < 0.3:
            tags.append(rng.choice(_EXTRA_TAGS))
        return tags

    def _droplet(self, resource_id: str, index: int) -> tuple[Any, ...]:
        rng = self._rng
        name = f"{_DROPLET_ROLES[index % len(_DROPLET_ROLES)]}-{index // len(_DROPLET_ROLES) + 1:02d}"
        return (resource_id, name, rng.choice(_DROPLET_DISKS), rng.choice(self._regions), self._tags())

    def _volume(self, resource_id: str, index: int) -> tuple[Any, ...]:
        rng = self._rng
        base = _VOLUME_BASES[index % len(_VOLUME_BASES)]
        if index >= len(_VOLUME_BASES):
            base = f"{base}-{index // len(_VOLUME_BASES) + 1:02d}"
        name = f"{base}-{rng.choice(_CADENCES)}"
        return (resource_id, name, rng.choice(_VOLUME_SIZES), rng.choice(self._regions), self._tags())

    def _snapshot_regions(self, home: str) -> list[str]:
        rng = self._rng
        roll = rng.random()
        if roll < 0.8:
            return [home]
        extra = 1 if roll < 0.95 else 2
        others = [r for r in self._regions if r != home]
        return [home, *rng.sample(others, min(extra, len(others)))]

    @property
    def volume_ids(self) -> list[str]:
        """The volume pool's UUIDs."""
        return [v[0] for v in self._volumes]

    def make(self) -> Snapshot:
        """Return the next snapshot, created 1 to 90 minutes after the previous one."""
        rng = self._rng
        self._clock += rng.randint(60, 5400)
        created = self._clock
        created_at = format_time(created)
        if rng.random() < self._droplet_share:
            resource_id, base, disk, home, tags = rng.choice(self._droplets)
            self._next_droplet_snapshot_id += rng.randint(1, 5000)
            snapshot_id = str(self._next_droplet_snapshot_id)
            name = f"{base}-{created * 1000 + rng.randrange(1000)}"
            resource_type = "droplet"
            size = round(rng.uniform(0.5, disk * 0.6), 2)
        else:
            resource_id, base, disk, home, tags = rng.choice(self._volumes)
            snapshot_id = new_uuid(rng)
            name = f"{base}-{created_at[:10]}"
            resource_type = "volume"
            size = round(rng.uniform(0.01, disk * 0.8), 2)
        return {
            "id": snapshot_id,
            "name": name,
            "created_at": created_at,
            "regions": self._snapshot_regions(home),
            "resource_id": resource_id,
            "resource_type": resource_type,
            "min_disk_size": disk,
            "size_gigabytes": size,
            # A fresh list per snapshot: callers may edit one snapshot's tags.
            "tags": None if tags is None or rng.random() < 0.05 else list(tags),
        }


def make_snapshots(
    count: int = 500,
    seed: int = 1,
    droplet_share: float = 0.5,
    volumes: int = 20,
    droplets: int = 50,
    regions: Sequence[str] | None = None,
    start: str = "2024-01-01T00:00:00Z",
) -> list[Snapshot]:
    """Return ``count`` snapshots in the API's order, oldest first, deterministic for ``seed``.

    Oldest first because every published example of these endpoints (the OpenAPI
    description's, godo's, doctl's, pydo's) lists ascending ids, and Droplet snapshot ids
    grow over time: here they grow with ``created_at`` too, so creation order is id order.

    Droplet snapshots have numeric string ids and names like ``web-01-1704068403123``;
    volume snapshots have UUID ids, a ``resource_id`` from a pool of ``volumes`` volume
    UUIDs and names like ``db-data-weekly-2024-03-02``. ``created_at`` strictly increases
    through the list, starting after ``start``.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    factory = SnapshotFactory(
        seed=seed,
        droplet_share=droplet_share,
        volumes=volumes,
        droplets=droplets,
        regions=regions,
        clock=parse_time(start),
    )
    return [factory.make() for _index in range(count)]
