"""The simulator's snapshot list: lookups, pages and mutations under one lock."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable

from .data import FIRST_DROPLET_SNAPSHOT_ID, Snapshot, SnapshotFactory, parse_time
from .models import Mutation


class SnapshotStore:
    """A list of snapshots in the API's order, safe to read and mutate from many threads.

    Filtered views (by resource type, by volume, by id) are built on first use and
    dropped on every change, so a page of 200 out of 100,000 snapshots is a slice.
    Snapshot dicts are never modified in place, only inserted or removed, so a page
    taken under the lock can be serialized outside it.
    """

    def __init__(self, snapshots: Iterable[Snapshot], extra_volumes: Iterable[str] = ()) -> None:
        """Hold ``snapshots``; ``extra_volumes`` are volumes known to exist without snapshots."""
        self._lock = threading.Lock()
        self._extra_volumes = {v.lower() for v in extra_volumes}
        self._items: list[Snapshot] = []
        self._known_volumes: set[str] = set()
        self._by_type: dict[str, list[Snapshot]] = {}
        self._by_volume: dict[str, list[Snapshot]] | None = None
        self._by_id: dict[str, Snapshot] | None = None
        self._mutation: Mutation | None = None
        self._mutation_rng = random.Random(0)
        self._factory: SnapshotFactory | None = None
        self._served_lists = 0
        self.mutation_rounds = 0
        self.replace(snapshots)

    # -- whole-list access -------------------------------------------------------------

    @property
    def snapshots(self) -> list[Snapshot]:
        """A copy of the current list (the dicts themselves are shared)."""
        with self._lock:
            return list(self._items)

    def replace(self, snapshots: Iterable[Snapshot]) -> None:
        """Serve ``snapshots`` from now on."""
        items = list(snapshots)
        with self._lock:
            self._items = items
            # Volumes outlive their snapshots, so the known set only grows until replaced.
            self._known_volumes = {
                s["resource_id"].lower() for s in items if s.get("resource_type") == "volume"
            } | self._extra_volumes
            self._factory = None
            self._invalidate()

    def delete_volume(self, volume_id: str) -> None:
        """Forget a volume but keep its snapshots, as DigitalOcean does when a volume is deleted."""
        with self._lock:
            self._known_volumes.discard(volume_id.lower())
            self._extra_volumes = self._extra_volumes - {volume_id.lower()}
            self._invalidate()

    def _invalidate(self) -> None:
        self._by_type = {}
        self._by_volume = None
        self._by_id = None

    # -- reads ---------------------------------------------------------------------------

    def get(self, snapshot_id: str) -> Snapshot | None:
        """Return the snapshot with this id, or None."""
        with self._lock:
            if self._by_id is None:
                self._by_id = {s["id"]: s for s in self._items}
            return self._by_id.get(snapshot_id)

    def page(
        self,
        page: int,
        per_page: int,
        resource_type: str | None = None,
        volume_id: str | None = None,
    ) -> tuple[list[Snapshot], int] | None:
        """Return ``(items, total)`` for one page, or None for an unknown ``volume_id``.

        A served page counts towards the configured :class:`Mutation`, which is applied
        right after the page was cut, so each answer is a consistent view.
        """
        with self._lock:
            if volume_id is not None:
                volume_id = volume_id.lower()
                if volume_id not in self._known_volumes:
                    return None
                if self._by_volume is None:
                    self._by_volume = {}
                    for s in self._items:
                        if s["resource_type"] == "volume":
                            self._by_volume.setdefault(s["resource_id"].lower(), []).append(s)
                source = self._by_volume.get(volume_id, [])
            elif resource_type is not None:
                source = self._by_type.get(resource_type)
                if source is None:
                    source = [s for s in self._items if s["resource_type"] == resource_type]
                    self._by_type[resource_type] = source
            else:
                source = self._items
            start = (page - 1) * per_page
            items = source[start:start + per_page]
            total = len(source)
            self._count_list_request()
            return items, total

    # -- mutations ----------------------------------------------------------------------

    @property
    def mutation(self) -> Mutation | None:
        """The active :class:`Mutation`, or None."""
        return self._mutation

    @mutation.setter
    def mutation(self, mutation: Mutation | None) -> None:
        with self._lock:
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
        self._mutate(mutation)

    def _new_factory(self, mutation: Mutation) -> SnapshotFactory:
        # New snapshots belong to resources already in the list, with ids and times past
        # the existing ones, so they look like the account's next backups.
        volumes = sorted(self._known_volumes)
        droplets = sorted({s["resource_id"] for s in self._items if s["resource_type"] == "droplet"})
        numeric = [int(s["id"]) for s in self._items if s["id"].isdigit()]
        newest = max((s["created_at"] for s in self._items), default="2024-01-01T00:00:00Z")
        total = len(self._items)
        share = sum(1 for s in self._items if s["resource_type"] == "droplet") / total if total else 0.5
        return SnapshotFactory(
            seed=mutation.seed,
            droplet_share=share,
            volumes=volumes or 1,
            droplets=droplets or 1,
            clock=parse_time(newest),
            first_droplet_snapshot_id=max(numeric, default=FIRST_DROPLET_SNAPSHOT_ID),
        )

    def _mutate(self, mutation: Mutation) -> None:
        if self._factory is None:
            self._factory = self._new_factory(mutation)
        created = [self._factory.make() for _index in range(mutation.create)]
        # Newest first: the batch is reversed so the latest snapshot leads the list.
        created.reverse()
        rng = self._mutation_rng
        # Delete among the snapshots that existed before this round.
        old = self._items
        for _index in range(min(mutation.delete, len(old))):
            old.pop(rng.randrange(len(old)))
        self._items = created + old
        for s in created:
            if s["resource_type"] == "volume":
                self._known_volumes.add(s["resource_id"].lower())
        self.mutation_rounds += 1
        self._invalidate()
