# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``orphaned`` filter: keep the snapshots whose source is gone, or those whose source exists."""

from __future__ import annotations

import typing as t

from ..api.contract import Listing
from ..api.paging import STANDARD
from ..api.sources import list_sources
from .coverage import keep_orphaned, source_ids, types_named

if t.TYPE_CHECKING:  # pragma: no cover - for the type hints only
    from ..api.client import Client


def filter_listing(client: "Client", listing: Listing, orphaned: bool, per_page: int = 200,
                   consistency: str = STANDARD) -> Listing:
    """``listing`` with only its orphaned snapshots (``orphaned`` true) or only the others (false).

    The sources are read after the snapshots, so that a snapshot listed has a source that
    existed before it: a source that exists for the whole source listing is in it, and one
    deleted since the snapshots were read makes its snapshots orphans, as they are. Only the
    sources of the types the listing holds are read (Droplets for Droplet snapshots, volumes for
    volume snapshots). A source listing that fails raises; ``meta.total`` and ``links`` stay the
    listing's.
    """
    kinds = types_named(listing.snapshots)
    if not kinds:
        return Listing([], listing.total, listing.links)
    ids = source_ids(list_sources(client, kinds, per_page=per_page, consistency=consistency))
    return Listing(keep_orphaned(listing.snapshots, ids, orphaned), listing.total, listing.links)
