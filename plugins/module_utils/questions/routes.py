# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How a ``Query`` is answered: the routes from a question to the requests, and the client they use.

``fetch(client, query)`` is the one path every plugin's question takes. The routes:

- **by id**: ``GET /v2/snapshots/{id}`` for each id, concurrently, in the order of the ids;
- **listing**: the listing the query names (the account's, with ``resource_type`` when asked, or
  a volume's through ``volume_id``), one page with ``page``;
- **volume**: a volume UUID as ``resource_id`` reads that volume's listing; when the volume is gone
  (404), the account's volume snapshots of that volume;
- **Droplet**: a question about one Droplet reads that Droplet's own listing and fetches by id the
  tags it lacks, unless reading the account's Droplet snapshots costs fewer requests (and it does
  so when the Droplet is gone).

``meta.total`` of a Droplet or volume question counts that resource's snapshots as read, before the
collection's filters. How the Droplet route decides, and what each route costs:
docs/developer/design.md.
"""

from __future__ import annotations

import typing as t

from ..api import paths
from ..api.client import Client
from ..api.contract import Listing
from ..api.paging import STANDARD, STRICT, Page, pages_for
from ..errors import APIError
from . import orphans
from .filters import Filters
from .options import client_arguments
from .query import Query

#: Completion GETs the Droplet route spends without first asking what the account listing would cost.
COMPLETION_ALLOWANCE = 2
DROPLET = "droplet"
ACCOUNT = "account"


def make_client(params: dict) -> Client:
    """The client for checked connection options. Sends nothing."""
    return Client(**client_arguments(params))


def fetch(client: Client, query: Query) -> Listing:
    """Read what ``query`` needs from the API, by the route that fits it.

    One task: every request of the route (a listing, a fallback listing, the snapshots it
    completes by id, the sources the ``orphaned`` filter reads) draws on one ``total_max_wait``,
    or on the caller's when it runs inside ``client.one_task()`` already.
    """
    with client.one_task():
        if query.snapshot_ids:
            listing = by_ids_route(client, query)
        elif query.droplet_id is not None:
            listing = droplet_route(client, query)
        elif query.fallback_path:
            listing = volume_route(client, query)
        else:
            listing = listing_route(client, query)
        if query.orphaned is not None:
            listing = orphans.filter_listing(client, listing, query.orphaned, query.per_page, query.consistency)
        return listing


def by_ids_route(client: Client, query: Query) -> Listing:
    """The snapshots asked for by id; ``meta.total`` is how many came back."""
    ids = query.snapshot_ids
    # Several ids are fetched concurrently, in the order of ids.
    snapshots = [client.get_snapshot(ids[0])] if len(ids) == 1 else list(client.get_snapshots(ids))
    return Listing(snapshots, len(snapshots), {})


def listing_route(client: Client, query: Query) -> Listing:
    """The listing the query names (the account's, or a volume's through ``volume_id``), one page with ``page``."""
    return client.list(query.path, query.params, per_page=query.per_page, page=query.page,
                       consistency=query.consistency)


def volume_route(client: Client, query: Query) -> Listing:
    """A volume's own listing; when the volume is gone (404), the account's volume snapshots of it."""
    try:
        return listing_route(client, query)
    except APIError as exc:
        if exc.status != 404 or not query.fallback_path:
            raise
    # Volume snapshots outlive their volume: meta.total stays the volume's count, as its endpoint would say.
    listing = client.list(query.fallback_path, {"resource_type": "volume"}, per_page=query.per_page,
                          consistency=query.consistency)
    return of_resource(listing, query.filters.resource_id)


def of_resource(listing: Listing, resource_id: t.Optional[str]) -> Listing:
    """The snapshots of one Droplet or volume out of a wider listing; ``meta.total`` counts them alone."""
    mine = [s for s in listing.snapshots if str(s.get("resource_id")) == resource_id]
    return Listing(mine, len(mine), {})


# -- the Droplet route ------------------------------------------------------------------------------------------

def shows_tags(filters: Filters, group_by: t.Optional[str] = None) -> bool:
    """The answer shows the snapshots' tags: no ``fields`` (all nine), ``fields`` with tags, or ``group_by: tag``."""
    return not filters.fields or "tags" in filters.fields or group_by == "tag"


class DropletListing:
    """A Droplet's own listing, read, filled and filtered: what the Droplet route knows before completing.

    ``snapshots``: the Droplet's snapshots in the endpoint's order, with ``resource_id`` and
    ``resource_type`` filled and no ``tags``; ``passed``: those that pass the filters that do not
    need tags (before sort and limit); ``total``: how many snapshots the Droplet has (``meta.total``).
    """

    def __init__(self, query: Query, listing: Listing) -> None:
        self.query = query
        droplet_id = t.cast(str, query.droplet_id)
        # The endpoint also lists the Droplet's backups (type backup): they are not snapshots.
        self.snapshots = [_filled(item, droplet_id) for item in listing.snapshots if item.get("type") != "backup"]
        self.total = len(self.snapshots)
        self._untagged = query.filters.without_tags()
        self.passed = [s for s in self.snapshots if self._untagged.matches(s)]

    @property
    def tag_filtered(self) -> bool:
        """The ``tags`` filter is set: completion comes before sort and limit."""
        return bool(self.query.filters.tags)

    @property
    def needs_tags(self) -> bool:
        """The answer cannot be given without the snapshots' tags."""
        return self.tag_filtered or shows_tags(self.query.filters, self.query.group_by)

    def completions(self) -> int:
        """The ``GET /v2/snapshots/{id}`` this answer needs: every snapshot that passed the other filters when
        the ``tags`` filter is set, those left after sort and ``limit`` when the answer shows tags, else none."""
        if self.tag_filtered:
            return len(self.passed)
        if self.needs_tags:
            return len(self._untagged.select(self.passed))
        return 0

    def finish(self, client: Client) -> Listing:
        """Complete what the answer needs and return the Droplet route's listing (filtered, sorted, limited)."""
        filters = self.query.filters
        if not self.needs_tags:
            return Listing(filters.select(self.passed), self.total, {})
        candidates = list(self.passed)
        got: t.Dict[str, t.Optional[dict]] = {}
        while True:
            chosen = candidates if self.tag_filtered else self._untagged.select(candidates)
            got.update(_complete(client, [s["id"] for s in chosen if s["id"] not in got]))
            gone = {s["id"] for s in chosen if got[s["id"]] is None}
            if not gone or self.tag_filtered:
                completed = [got[s["id"]] for s in chosen if got[s["id"]] is not None]
                return Listing(filters.select(t.cast(t.List[dict], completed)), self.total, {})
            # Deleted since the listing was read: the next candidates take their places within the limit.
            candidates = [s for s in candidates if s["id"] not in gone]


def read_droplet(client: Client, query: Query) -> t.Optional[DropletListing]:
    """Read the Droplet's own listing; None when its endpoint answers 404."""
    try:
        listing = client.list(paths.DROPLET_SNAPSHOTS % query.droplet_id, {}, per_page=query.per_page,
                              consistency=query.consistency)
    except APIError as exc:
        if exc.status != 404:
            raise
        return None
    return DropletListing(query, listing)


def account_route_for_droplet(client: Client, query: Query, first_page: t.Optional[Page] = None) -> Listing:
    """A Droplet question answered from the account's Droplet snapshots, kept for that Droplet.

    ``first_page``: page 1 of that listing already read (the probe), not read again.
    """
    listing = client.list(query.path, query.params, per_page=query.per_page, consistency=query.consistency,
                          first_page=first_page)
    return of_resource(listing, query.droplet_id)


def droplet_route(client: Client, query: Query) -> Listing:
    """A question about one Droplet: its own listing, completed by id, unless the account's costs fewer requests.

    Up to ``COMPLETION_ALLOWANCE`` completions are fetched without asking; for more, page 1 of the
    account listing is read, and the rest of it taken when fewer of its requests are left than
    completions (``choose``). A Droplet whose endpoint answers 404 takes the account listing.
    """
    read = read_droplet(client, query)
    if read is None:
        return account_route_for_droplet(client, query)
    needed = read.completions()
    if needed <= COMPLETION_ALLOWANCE:
        return read.finish(client)
    probe = client.list(query.path, query.params, per_page=query.per_page, page=1)
    if choose(needed, probe.total, query.per_page, query.consistency) == ACCOUNT:
        return account_route_for_droplet(client, query, first_page=Page(1, probe.snapshots, probe.total, probe.links))
    return read.finish(client)


def choose(completions: int, account_total: int, per_page: int, consistency: str = STANDARD) -> str:
    """Page 1 of the account listing read: ``ACCOUNT`` when fewer of its requests are left than ``completions``
    GETs, else ``DROPLET`` (a tie completes: the answer is read fresh by id). Strict reads a listing twice."""
    left = pages_for(account_total, per_page) * (2 if consistency == STRICT else 1) - 1
    return ACCOUNT if left < completions else DROPLET


def _filled(item: dict, droplet_id: str) -> dict:
    """A Droplet-scoped snapshot in the account's model, ``tags`` left out."""
    snapshot = dict(item)
    for key in ("resource_id", "resource_type", "tags"):
        # Not in this endpoint's model: anything here under those names was not the API's.
        snapshot.pop(key, None)
    snapshot.pop("type", None)  # this endpoint's own field: snapshot (backups are left out before)
    snapshot["id"] = str(snapshot["id"])
    snapshot["resource_id"] = droplet_id
    snapshot["resource_type"] = "droplet"
    return snapshot


def _complete(client: Client, ids: t.List[str]) -> t.Dict[str, t.Optional[dict]]:
    """``GET /v2/snapshots/{id}`` for each id, concurrently; None for one deleted since it was listed (404)."""
    if not ids:
        return {}
    try:
        return dict(zip(ids, client.get_snapshots(ids)))
    except APIError as exc:
        if exc.status != 404:
            raise
        if len(ids) == 1:
            return {ids[0]: None}
    # One of them is gone (get_snapshots raises the first error): ask one at a time, a 404 meaning gone.
    found: t.Dict[str, t.Optional[dict]] = {}
    for snapshot_id in ids:
        try:
            found[snapshot_id] = client.get_snapshot(snapshot_id)
        except APIError as exc:
            if exc.status != 404:
                raise
            found[snapshot_id] = None
    return found
