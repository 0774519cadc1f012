# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's snapshot list: lookups, pages and changes under one lock."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Union

from .data import FIRST_DROPLET_SNAPSHOT_ID, Snapshot, SnapshotFactory, droplet_view, format_time, new_uuid, parse_time
from .models import Mutation

Position = Union[str, int]  # "end", "head" or a list index (list.insert rules)


class SnapshotStore:
    """A list of snapshots in the API's order, safe to read and change from many threads.

    The order is creation order, oldest first, and new snapshots go to the end unless told
    otherwise: the API's likeliest order, since every published example lists ascending ids
    and Droplet snapshot ids grow over time (mixed with volume snapshots' UUIDs, "ascending"
    can only mean creation order). Filtered views (by resource type, volume, Droplet, id) are
    built on first use and dropped on every change, so a page of 200 out of 100,000 is a
    slice. Snapshot dicts are never modified in place, only inserted or removed, so a page
    taken under the lock can be serialized outside it. The lock is re-entrant: hooks that
    run under it (``before_page``) may call the change methods.
    """

    def __init__(self, snapshots: Iterable[Snapshot], extra_volumes: Iterable[str] = (),
                 extra_droplets: Iterable[str | int] = ()) -> None:
        """Hold ``snapshots``; the extras are resources known to exist without snapshots."""
        self.lock = threading.RLock()
        self._extra_volumes = {v.lower() for v in extra_volumes}
        self._extra_droplets = {str(d) for d in extra_droplets}
        self._items: list[Snapshot] = []
        self._mutation: Mutation | None = None
        self._served_lists = 0
        self.mutation_rounds = 0
        self.list_pages_served = 0
        #: Ids removed by API DELETEs (routing.py), in order: what a test checks outcomes against.
        self.api_deletes: list[str] = []
        #: ``before_page(path, page_number)``, called under the lock before a page is computed.
        self.before_page: Callable[[str, int], None] | None = None
        self.replace(snapshots)

    # -- whole-list access -------------------------------------------------------------

    @property
    def snapshots(self) -> list[Snapshot]:
        """A copy of the current list (the dicts themselves are shared)."""
        with self.lock:
            return list(self._items)

    def replace(self, snapshots: Iterable[Snapshot]) -> None:
        """Serve ``snapshots`` from now on."""
        items = list(snapshots)
        with self.lock:
            self._items = items
            # Resources outlive their snapshots, so the known sets only grow until replaced.
            self._volumes = {s["resource_id"].lower() for s in items if s.get("resource_type") == "volume"}
            self._volumes |= self._extra_volumes
            self._droplets = {str(s["resource_id"]) for s in items if s.get("resource_type") == "droplet"}
            self._droplets |= self._extra_droplets
            # Ids are never reused: new Droplet snapshot ids go above every id seen so far.
            self._max_id = max((int(s["id"]) for s in items if str(s["id"]).isdigit()),
                               default=FIRST_DROPLET_SNAPSHOT_ID)
            self._newest = max((parse_time(s["created_at"]) for s in items), default=0)
            self._rng = random.Random(0)
            self._factory: SnapshotFactory | None = None
            self._invalidate()

    def delete_volume(self, volume_id: str) -> None:
        """Forget a volume but keep its snapshots, as DigitalOcean does when a volume is deleted."""
        with self.lock:
            self._volumes.discard(volume_id.lower())
            self._extra_volumes.discard(volume_id.lower())
            self._factory = None
            self._invalidate()

    def destroy_droplet(self, droplet_id: str | int) -> None:
        """Forget a Droplet but keep its snapshots, as DigitalOcean does when a Droplet is destroyed."""
        with self.lock:
            self._droplets.discard(str(droplet_id))
            self._extra_droplets.discard(str(droplet_id))
            self._factory = None
            self._invalidate()

    def resource_ids(self, kind: str) -> list[str]:
        """The ids of the Droplets (``"droplet"``) or volumes (lower-cased) that exist."""
        with self.lock:
            return list(self._droplets if kind == "droplet" else self._volumes)

    def add_resources(self, kind: str, ids: Iterable[str]) -> None:
        """Make these Droplets or volumes exist (with or without snapshots)."""
        with self.lock:
            known = {str(i) if kind == "droplet" else str(i).lower() for i in ids}
            (self._extra_droplets if kind == "droplet" else self._extra_volumes).update(known)
            (self._droplets if kind == "droplet" else self._volumes).update(known)
            self._factory = None
            self._invalidate()

    def _invalidate(self) -> None:
        self._by_type: dict[str, list[Snapshot]] = {}
        self._by_volume: dict[str, list[Snapshot]] | None = None
        self._by_droplet: dict[str, list[Snapshot]] | None = None
        self._by_id: dict[str, Snapshot] | None = None

    # -- reads ---------------------------------------------------------------------------

    def get(self, snapshot_id: str) -> Snapshot | None:
        """Return the snapshot with this id, or None."""
        with self.lock:
            if self._by_id is None:
                self._by_id = {str(s["id"]): s for s in self._items}
            return self._by_id.get(snapshot_id)

    def _source(self, resource_type: str | None, volume_id: str | None, droplet_id: str | None) -> list[Snapshot] | None:
        if volume_id is not None:
            if volume_id.lower() not in self._volumes:
                return None
            if self._by_volume is None:
                self._by_volume = {}
                for s in self._items:
                    if s["resource_type"] == "volume":
                        self._by_volume.setdefault(s["resource_id"].lower(), []).append(s)
            return self._by_volume.get(volume_id.lower(), [])
        if droplet_id is not None:
            if droplet_id not in self._droplets:
                return None
            if self._by_droplet is None:
                self._by_droplet = {}
                for s in self._items:
                    if s["resource_type"] == "droplet":
                        self._by_droplet.setdefault(str(s["resource_id"]), []).append(droplet_view(s))
            return self._by_droplet.get(droplet_id, [])
        if resource_type is not None:
            source = self._by_type.get(resource_type)
            if source is None:
                source = self._by_type[resource_type] = [s for s in self._items if s["resource_type"] == resource_type]
            return source
        return self._items

    def page(self, page: int, per_page: int, resource_type: str | None = None, volume_id: str | None = None,
             droplet_id: str | None = None, path: str = "/v2/snapshots") -> tuple[list[Snapshot], int] | None:
        """Return ``(items, total)`` for one page, or None for an unknown volume or Droplet.

        ``before_page`` runs first (changes it makes are in this page); a configured
        :class:`Mutation` is applied right after the page was cut. Each answer is a
        consistent view.
        """
        with self.lock:
            if self.before_page is not None:
                self.before_page(path, page)
            self.list_pages_served += 1
            source = self._source(resource_type, volume_id, droplet_id)
            if source is None:
                return None
            start = (page - 1) * per_page
            items, total = source[start:start + per_page], len(source)
            self._count_list_request()
            return items, total

    # -- changes --------------------------------------------------------------------------

    def _new_factory(self, seed: int) -> SnapshotFactory:
        # New snapshots belong to resources that exist, so they look like the account's next backups.
        droplets = sorted(self._droplets)
        volumes = sorted(self._volumes)
        total = len(self._items)
        share = sum(1 for s in self._items if s["resource_type"] == "droplet") / total if total else 0.5
        return SnapshotFactory(seed=seed, droplet_share=share, volumes=volumes or 1, droplets=droplets or 1,
                               clock=self._newest, first_droplet_snapshot_id=self._max_id)

    def _new_snapshot(self, fields: dict[str, object], seed: int = 0) -> Snapshot:
        if self._factory is None:
            self._factory = self._new_factory(seed)
        snapshot = self._factory.make()
        kind = fields.get("resource_type", snapshot["resource_type"])
        if kind != snapshot["resource_type"]:
            pool = sorted(self._droplets if kind == "droplet" else self._volumes)
            snapshot["resource_type"] = kind
            snapshot["resource_id"] = self._rng.choice(pool) if pool else (
                str(self._rng.randrange(100_000_000, 400_000_000)) if kind == "droplet" else new_uuid(self._rng))
        snapshot.update(fields)
        if "id" not in fields:
            if kind == "droplet":
                snapshot["id"] = str(max(int(snapshot["id"]) if str(snapshot["id"]).isdigit() else 0, self._max_id + 1))
            elif str(snapshot["id"]).isdigit():
                snapshot["id"] = new_uuid(self._rng)
        if "created_at" not in fields:
            # "Now", but never before the newest snapshot: generated data may lie in the future.
            snapshot["created_at"] = format_time(max(int(time.time()), self._newest + 1))
        return snapshot

    def _add(self, snapshot: Snapshot, at: Position) -> None:
        if at == "end":
            self._items.append(snapshot)
        elif at == "head":
            self._items.insert(0, snapshot)
        elif isinstance(at, int) and not isinstance(at, bool):
            self._items.insert(at, snapshot)
        else:
            raise ValueError(f"at must be 'end', 'head' or an index, got {at!r}")
        if str(snapshot["id"]).isdigit():
            self._max_id = max(self._max_id, int(snapshot["id"]))
        self._newest = max(self._newest, parse_time(snapshot["created_at"]))
        bucket = self._droplets if snapshot["resource_type"] == "droplet" else self._volumes
        bucket.add(str(snapshot["resource_id"]).lower() if snapshot["resource_type"] == "volume" else str(snapshot["resource_id"]))
        self._invalidate()

    def create(self, at: Position = "end", **fields: object) -> Snapshot:
        """Create one snapshot ``at`` the end, the head or an index; ``fields`` override generated ones."""
        with self.lock:
            snapshot = self._new_snapshot(dict(fields))
            self._add(snapshot, at)
            return snapshot

    def delete(self, id_or_index: Position) -> Snapshot:
        """Delete the snapshot with this id (str; KeyError) or at this list position (int; IndexError)."""
        with self.lock:
            if isinstance(id_or_index, int) and not isinstance(id_or_index, bool):
                snapshot = self._items.pop(id_or_index)
            else:
                position = next((i for i, s in enumerate(self._items) if str(s["id"]) == str(id_or_index)), None)
                if position is None:
                    raise KeyError(id_or_index)
                snapshot = self._items.pop(position)
            self._invalidate()
            return snapshot

    def rotate(self) -> tuple[Snapshot, Snapshot]:
        """A backup rotation: delete the oldest snapshot, create one at the end; return both."""
        with self.lock:
            deleted = self.delete(0)
            return deleted, self.create()

    # -- legacy mutations -------------------------------------------------------------------

    @property
    def mutation(self) -> Mutation | None:
        """The active :class:`Mutation`, or None."""
        return self._mutation

    @mutation.setter
    def mutation(self, mutation: Mutation | None) -> None:
        with self.lock:
            self._mutation = mutation
            self._mutation_rng = random.Random(mutation.seed if mutation else 0)
            self._factory = None
            self._served_lists = 0
            self.mutation_rounds = 0

    def _count_list_request(self) -> None:
        mutation = self._mutation
        if mutation is None:
            return
        self._served_lists += 1
        if self._served_lists % mutation.every:
            return
        if mutation.stop_after is not None and self.mutation_rounds >= mutation.stop_after:
            return
        # Delete among the snapshots that existed before this round, then create.
        rng = self._mutation_rng
        for _index in range(min(mutation.delete, len(self._items))):
            self._items.pop(rng.randrange(len(self._items)))
        for _index in range(mutation.create):
            # At the head, each newer one goes in front: the newest leads, as in a newest-first list.
            self._add(self._new_snapshot({}, mutation.seed), mutation.at)
        self.mutation_rounds += 1
        self._invalidate()
