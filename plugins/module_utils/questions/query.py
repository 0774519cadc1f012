# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a query is, and how it is answered: the one path every plugin takes.

``plan(params)`` takes options the argument spec (``options.py``) has already
validated, checks the rules across options that a spec cannot express, and
turns them into a ``Query``: which endpoint to read, with which server-side
parameters, which snapshots by id, and which ``Filters`` to apply afterwards
(the filters parse their own options). ``fetch(client, query)`` reads it;
``Query.finish()`` filters, sorts, trims and groups it.
"""

from __future__ import annotations

import re
import typing as t

from ..api import client as api
from ..errors import OptionError
from . import orphans, routes
from .filters import Filters, group

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Query:
    """One question to the API: where to read, what to send, what to keep."""

    def __init__(self, path: str, params: dict, per_page: int, page: t.Optional[int], filters: Filters,
                 snapshot_ids: t.Sequence[str] = (), fallback_path: t.Optional[str] = None,
                 consistency: str = "standard", droplet_id: t.Optional[str] = None,
                 group_by: t.Optional[str] = None, orphaned: t.Optional[bool] = None) -> None:
        self.path = path
        self.params = params
        self.per_page = per_page
        self.page = page
        self.filters = filters
        # Snapshots asked for by id (snapshot_id, or the lookup's terms), fetched in this order.
        self.snapshot_ids = list(snapshot_ids)
        # When a volume may be gone while its snapshots live on, list the account instead.
        self.fallback_path = fallback_path
        self.consistency = consistency
        # A question about this one Droplet: routes.py may answer it from the Droplet's own endpoint.
        self.droplet_id = droplet_id
        # The lookup's group_by: group_by: tag needs the tags a Droplet listing lacks.
        self.group_by = group_by
        # The orphaned filter (orphans.py): it needs the sources, read after the snapshots.
        self.orphaned = orphaned

    @property
    def snapshot_id(self) -> t.Optional[str]:
        """The one id asked for, when exactly one was."""
        return self.snapshot_ids[0] if len(self.snapshot_ids) == 1 else None

    def key(self) -> dict:
        """What decides the API's answer (not the filters, but for one Droplet's question): used to share one listing."""
        key = {"path": self.path, "params": self.params, "per_page": self.per_page, "page": self.page,
               "snapshot_ids": self.snapshot_ids, "fallback_path": self.fallback_path,
               "consistency": self.consistency, "orphaned": self.orphaned}
        if self.droplet_id is not None:
            # The Droplet plan reads only what this question's filters keep (routes.py).
            key.update(droplet_id=self.droplet_id, answer=routes.answer_key(self))
        return key

    def finish(self, listing: api.Listing, group_by: t.Optional[str] = None) -> t.Any:
        """Apply the filters to a listing; group the snapshots when asked."""
        kept = self.filters.select(listing.snapshots)
        if group_by:
            return {name: self.filters.project(members) for name, members in group(kept, group_by).items()}
        return self.filters.project(kept)


def fetch(client: api.Client, query: Query) -> api.Listing:
    """Read what ``query`` needs from the API: the one path every plugin goes through (routes.py chooses how).

    One task: every request the plan sends (a listing, a fallback listing, the snapshots it
    completes by id, the sources the ``orphaned`` filter reads) draws on one ``total_max_wait``,
    or on the caller's when it runs inside ``client.one_task()`` already.
    """
    with client.one_task():
        listing = routes.answer(client, query)
        if query.orphaned is not None:
            listing = orphans.filter_listing(client, listing, query.orphaned, query.per_page, query.consistency)
        return listing


def plan(params: t.Mapping[str, t.Any], snapshot_ids: t.Sequence[str] = ()) -> Query:
    """Check the query options and decide how to answer them. Raises OptionError; sends nothing.

    ``params`` went through the argument spec (types, choices, mutually
    exclusive options); what is checked here spans options or values a spec
    cannot describe. ``snapshot_ids`` are the lookup's terms, already flat.
    """
    resource_type = params.get("resource_type")
    volume_id = params.get("volume_id")
    resource_id = params.get("resource_id")
    page = params.get("page")
    per_page = api.DEFAULT_PER_PAGE if params.get("per_page") is None else params["per_page"]

    ids = [_snapshot_id("_terms", i) for i in snapshot_ids]
    if params.get("snapshot_id") is not None:
        ids = [_snapshot_id("snapshot_id", params["snapshot_id"])]
    if volume_id is not None:
        volume_id = str(volume_id).strip()
        if not _UUID.match(volume_id):
            raise OptionError("volume_id", "volume_id: %r is not a volume UUID "
                              "(like 7724db7c-e098-11e5-b522-000f53304e51)" % volume_id)
        if resource_type == "droplet":
            raise OptionError("volume_id", "volume_id lists a volume's snapshots and cannot be combined with "
                              "resource_type: droplet")
    if not 1 <= per_page <= api.MAX_PER_PAGE:
        raise OptionError("per_page", "per_page: must be between 1 and %d, got %s" % (api.MAX_PER_PAGE, per_page))
    if page is not None and page < 1:
        raise OptionError("page", "page: must be 1 or more, got %s" % page)

    filters = Filters.from_params(params, by_id=bool(ids))
    consistency = params.get("consistency") or "standard"
    if ids:
        # By id, resource_type and resource_id filter what comes back (a volume snapshot asked for
        # with resource_type: droplet is not returned): they cannot choose an endpoint.
        return Query("/v2/snapshots", {}, per_page, None, filters, snapshot_ids=ids, consistency=consistency,
                     orphaned=params.get("orphaned"))

    path, server = "/v2/snapshots", {}
    fallback = droplet = None
    if resource_type:
        server["resource_type"] = resource_type
    if volume_id is not None:
        path, server = "/v2/volumes/%s/snapshots" % volume_id.lower(), {}
        if resource_id is not None and filters.resource_id != volume_id.lower():
            raise OptionError("resource_id", "resource_id %r and volume_id %r name different volumes"
                              % (resource_id, volume_id))
    elif filters.resource_id is not None:
        if _UUID.match(filters.resource_id):
            if resource_type == "droplet":
                raise OptionError("resource_id", "resource_id %r is a volume UUID, but resource_type is droplet"
                                  % resource_id)
            if page is not None:
                # The fallback would answer with another listing's meta.total and links.
                raise OptionError("page", "page cannot be combined with a volume UUID as resource_id (its "
                                  "snapshots may come from the account's listing when the volume is gone); "
                                  "use volume_id to page through one volume's snapshots")
            # Read only that volume's snapshots; fall back to the account's volume snapshots if the volume is gone.
            path, server, fallback = "/v2/volumes/%s/snapshots" % filters.resource_id, {}, "/v2/snapshots"
        elif filters.resource_id.isdigit():
            if resource_type == "volume":
                raise OptionError("resource_id", "resource_id %r is a Droplet id, but resource_type is volume"
                                  % resource_id)
            server["resource_type"] = "droplet"
            if page is None:
                droplet = routes.droplet_id_of(filters.resource_id)
    return Query(path, server, per_page, page, filters, fallback_path=fallback, consistency=consistency,
                 droplet_id=droplet, group_by=params.get("group_by"), orphaned=params.get("orphaned"))


def _snapshot_id(option: str, value: t.Any) -> str:
    text = str(value).strip()
    if not text:
        raise OptionError(option, "snapshot_id: must not be empty" if option == "snapshot_id"
                          else "a snapshot id given as a term must not be empty")
    return text
