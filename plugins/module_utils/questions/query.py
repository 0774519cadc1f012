# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a query is: the options of a question, checked, as plain data.

``build_query(params)`` takes options the argument spec (``options.py``) has
already validated, checks the rules across options that a spec cannot express,
and returns a ``Query``: which endpoint to read, with which server-side
parameters, which snapshots by id, and which ``Filters`` to apply afterwards
(the filters parse their own options). ``routes.fetch(client, query)`` reads
it; ``Query.finish()`` filters, sorts, trims and groups what was read.
"""

from __future__ import annotations

import typing as t

from ..api import defaults, paths
from ..api.contract import Listing
from ..api.paging import STANDARD
from ..errors import OptionError
from .filters import Filters, group


class Query:
    """One question to the API: where to read, what to send, what to keep."""

    def __init__(self, path: str, params: dict, per_page: int, page: t.Optional[int], filters: Filters,
                 snapshot_ids: t.Sequence[str] = (), fallback_path: t.Optional[str] = None,
                 consistency: str = STANDARD, droplet_id: t.Optional[str] = None,
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

    def key(self) -> dict:
        """What decides the API's answer (not the filters, but for one Droplet's question): used to share one listing."""
        key = {"path": self.path, "params": self.params, "per_page": self.per_page, "page": self.page,
               "snapshot_ids": self.snapshot_ids, "fallback_path": self.fallback_path,
               "consistency": self.consistency, "orphaned": self.orphaned}
        if self.droplet_id is not None:
            # The Droplet route reads only what this question's filters keep (routes.py).
            key.update(droplet_id=self.droplet_id, answer=self._answer_key())
        return key

    def _answer_key(self) -> dict:
        """What besides the endpoint decides a Droplet question's listing: the filters and ``group_by`` (JSON)."""
        f = self.filters
        return {
            "regions": sorted(f.regions), "names": list(f.names),
            "name_regex": f.name_regex.pattern if f.name_regex is not None else None, "tags": list(f.tags),
            "created_after": f.created_after.isoformat() if f.created_after is not None else None,
            "created_before": f.created_before.isoformat() if f.created_before is not None else None,
            "sort_by": f.sort_by, "sort_order": f.sort_order, "limit": f.limit, "fields": list(f.fields),
            "group_by": self.group_by,
        }

    def finish(self, listing: Listing, group_by: t.Optional[str] = None) -> t.Any:
        """Apply the filters to a listing; group the snapshots when asked."""
        kept = self.filters.select(listing.snapshots)
        if group_by:
            return {name: self.filters.project(members) for name, members in group(kept, group_by).items()}
        return self.filters.project(kept)


def build_query(params: t.Mapping[str, t.Any], snapshot_ids: t.Sequence[str] = ()) -> Query:
    """Check the query options and decide how to answer them. Raises OptionError; sends nothing.

    ``params`` went through the argument spec (types, choices, mutually
    exclusive options); what is checked here spans options or values a spec
    cannot describe. ``snapshot_ids`` are the lookup's terms, already flat.
    """
    resource_type = params.get("resource_type")
    volume_id = params.get("volume_id")
    resource_id = params.get("resource_id")
    page = params.get("page")
    per_page = defaults.PER_PAGE if params.get("per_page") is None else params["per_page"]

    ids = [paths.snapshot_id("_terms", i) for i in snapshot_ids]
    if params.get("snapshot_id") is not None:
        ids = [paths.snapshot_id("snapshot_id", params["snapshot_id"])]
    if volume_id is not None:
        volume_id = str(volume_id).strip()
        if not paths.is_volume_id(volume_id):
            raise OptionError("volume_id", "volume_id: %r is not a volume UUID "
                              "(like 7724db7c-e098-11e5-b522-000f53304e51)" % volume_id)
        if resource_type == "droplet":
            raise OptionError("volume_id", "volume_id lists a volume's snapshots and cannot be combined with "
                              "resource_type: droplet")
    if not 1 <= per_page <= defaults.MAX_PER_PAGE:
        raise OptionError("per_page", "per_page: must be between 1 and %d, got %s" % (defaults.MAX_PER_PAGE, per_page))
    if page is not None and page < 1:
        raise OptionError("page", "page: must be 1 or more, got %s" % page)

    filters = Filters.from_params(params, by_id=bool(ids))
    consistency = params.get("consistency") or STANDARD
    if ids:
        # By id, resource_type and resource_id filter what comes back (a volume snapshot asked for
        # with resource_type: droplet is not returned): they cannot choose an endpoint.
        return Query(paths.ACCOUNT_SNAPSHOTS, {}, per_page, None, filters, snapshot_ids=ids, consistency=consistency,
                     orphaned=params.get("orphaned"))

    path, server = paths.ACCOUNT_SNAPSHOTS, {}
    fallback = droplet = None
    if resource_type:
        server["resource_type"] = resource_type
    if volume_id is not None:
        path, server = paths.VOLUME_SNAPSHOTS % volume_id.lower(), {}
        if resource_id is not None and filters.resource_id != volume_id.lower():
            raise OptionError("resource_id", "resource_id %r and volume_id %r name different volumes"
                              % (resource_id, volume_id))
    elif filters.resource_id is not None:
        if paths.is_volume_id(filters.resource_id):
            if resource_type == "droplet":
                raise OptionError("resource_id", "resource_id %r is a volume UUID, but resource_type is droplet"
                                  % resource_id)
            if page is not None:
                # The fallback would answer with another listing's meta.total and links.
                raise OptionError("page", "page cannot be combined with a volume UUID as resource_id (its "
                                  "snapshots may come from the account's listing when the volume is gone); "
                                  "use volume_id to page through one volume's snapshots")
            # Read only that volume's snapshots; fall back to the account's volume snapshots if the volume is gone.
            path, server, fallback = paths.VOLUME_SNAPSHOTS % filters.resource_id, {}, paths.ACCOUNT_SNAPSHOTS
        elif filters.resource_id.isdigit():
            if resource_type == "volume":
                raise OptionError("resource_id", "resource_id %r is a Droplet id, but resource_type is volume"
                                  % resource_id)
            server["resource_type"] = "droplet"
            if page is None and paths.is_droplet_id(filters.resource_id):
                droplet = filters.resource_id
    return Query(path, server, per_page, page, filters, fallback_path=fallback, consistency=consistency,
                 droplet_id=droplet, group_by=params.get("group_by"), orphaned=params.get("orphaned"))
