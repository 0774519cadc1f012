# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How a ``Query`` is answered: the listing plans, and the cost model that picks one for a Droplet.

``answer(client, query)`` is what ``query.fetch`` hands every plugin's question to. The plans:

- **by id**: ``GET /v2/snapshots/{id}`` for each id (``snapshot_id``, the lookup's terms),
  concurrently, in the order of the ids;
- **account**: the account listing ``GET /v2/snapshots`` (with ``resource_type`` when asked);
- **volume**: ``GET /v2/volumes/{uuid}/snapshots`` for a volume UUID as ``resource_id``; a deleted
  volume's endpoint answers 404 while its snapshots live on, so a 404 lists the account's volume
  snapshots instead (``resource_id`` then filters them);
- **Droplet**: for a question about one Droplet (``resource_id`` a Droplet id, without snapshot ids,
  ``volume_id`` or ``page``), ``GET /v2/droplets/{id}/snapshots``, the Droplet's own listing.

The Droplet plan
----------------
The Droplet endpoint answers a smaller model: no ``resource_id``, ``resource_type`` or ``tags``.
The plan fills ``resource_id`` and ``resource_type`` (``droplet``) from the question, applies the
filters that do not need tags, then sorts and cuts to ``limit``. It completes the snapshots left
with ``GET /v2/snapshots/{id}`` (concurrently) only when the answer needs their tags:

- the answer shows tags (no ``fields``, ``fields`` with ``tags``, or the lookup's ``group_by: tag``):
  the snapshots left after the other filters, sort and ``limit`` are completed;
- the ``tags`` filter is set: every snapshot that passed the other filters is completed, before
  sorting and ``limit`` (a tag decides which ones are kept);
- otherwise nothing is completed: the answer is the Droplet's listing, filled.

The answer keeps the one shape: with no ``fields``, all nine fields with ``tags`` a list, as the
account listing gives them; in the API's order (the Droplet endpoint's) unless sorted.

The cost model
--------------
With ``p`` = ``per_page`` (200 by default), for a Droplet with ``n`` snapshots in an account with
``N`` Droplet snapshots:

- Droplet plan: ``D + C`` requests: ``D = ceil(n / p)`` pages of the Droplet's listing (at least 1)
  plus ``C`` completion GETs (the counts above);
- account plan: ``A = ceil(N / p)`` pages of ``GET /v2/snapshots?resource_type=droplet`` (at least 1),
  filtered on ``resource_id`` afterwards. ``N`` is unknown until page 1 is read.

With ``consistency: strict`` every whole listing is read twice (two reads must agree): ``2D`` and
``2A``; completion GETs are read once.

The rule (``choose``, in ``droplet_question``):

1. Read the Droplet's own listing (``D`` requests, 1 for up to ``p`` snapshots). If it answers 404
   (the Droplet was destroyed, or never existed), take the account plan: ``1 + A``; a destroyed
   Droplet's snapshots stay in the account listing, as a deleted volume's do.
2. If ``C <= 2`` (``COMPLETION_ALLOWANCE``), complete and finish: ``D + C``.
3. Otherwise read page 1 of the account listing (1 request: its ``meta.total`` gives ``N``). If the
   account pages left, ``A - 1`` (``2A - 1`` with strict), are fewer than ``C``, finish the account
   listing, page 1 not read again: ``D + A`` in all. Otherwise complete: ``D + 1 + C``.

Figures, for 2,000 Droplet snapshots in the account (``A = 10``), 40 of them this Droplet's
(``D = 1``), ``per_page`` 200:

- the newest snapshot of this Droplet (``sort_by: created_at``, ``sort_order: desc``, ``limit: 1``):
  2 requests, not 10 pages;
- its snapshots with ``fields: [id, name, created_at]``: 1 request;
- the 3 newest with their tags: 1 + 1 + 3 = 5 (the probe says 9 pages are left, more than 3 GETs);
- all 40 with their tags, or the ``tags`` filter alone (all 40 to complete): 1 + 10 = 11 (probe,
  then 9 pages; 40 GETs would cost more);
- a destroyed Droplet: 1 + 10 = 11.

The bound: beyond the cheaper of the two plans (``D + C`` or ``A``), the rule spends at most ``D``
requests once it has probed (1 for a Droplet listing of one page), and when it has not (``C <= 2``)
at most ``C - (A - D)``. So for a Droplet of at most ``p`` snapshots it never spends more than one
request beyond the cheaper plan, but in one case: an account whose Droplet snapshots fit on one page
(``A = 1``) and an answer needing exactly 2 GETs: 3 requests where the account listing costs 1.
``rule_cost`` computes what the rule spends for a quiet account; the unit tests check it against
this bound and the integration tests against the simulator's request log.

``meta.total``
--------------
For a question about one Droplet it counts that Droplet's snapshots as the plan read them (before
the collection's filters), whichever plan answered: the Droplet listing's snapshots, or the account
listing's snapshots whose ``resource_id`` is that Droplet. It is not the account's Droplet-snapshot
total, which the Droplet plan never reads. For every other question it is the API's ``meta.total``
of the listing read (1 per snapshot by id).

The Droplet plan's listing holds only what the question's filters keep, completed; ``Query.finish``
applies the same filters again (they keep what they kept) and projects it. So ``Query.key()``, which
shares listings between lookups, includes the filters for a Droplet question (``answer_key``).
"""

from __future__ import annotations

import re
import typing as t

from ..api.contract import Listing
from ..api.paging import STRICT, Page, pages_for
from ..errors import APIError
from .filters import Filters

if t.TYPE_CHECKING:  # pragma: no cover - for the type hints only: query.py imports this module
    from ..api.client import Client
    from .query import Query

ACCOUNT_PATH = "/v2/snapshots"
DROPLET_PATH = "/v2/droplets/%s/snapshots"
#: Completion GETs the Droplet plan spends without first asking what the account listing would cost.
COMPLETION_ALLOWANCE = 2
DROPLET = "droplet"
ACCOUNT = "account"

# A Droplet id as the API writes it: digits, no leading zero. ("0123" is not asked of the Droplet
# endpoint, which would read it as 123 while the account listing's resource_id "123" does not match it.)
_DROPLET_ID = re.compile(r"^[1-9][0-9]*$", re.ASCII)


def droplet_id_of(resource_id: t.Optional[str]) -> t.Optional[str]:
    """``resource_id`` when it is a Droplet id the Droplet endpoint can be asked about, else None."""
    if resource_id is not None and _DROPLET_ID.match(resource_id):
        return resource_id
    return None


def answer(client: "Client", query: "Query") -> Listing:
    """Read what ``query`` needs from the API, by the plan that fits it (see the module's docstring)."""
    if query.snapshot_ids:
        return by_ids(client, query)
    if query.droplet_id is not None:
        return droplet_question(client, query)
    if query.fallback_path:
        return volume(client, query)
    return account(client, query)


# -- the plans for every other question ------------------------------------------------------------------------

def by_ids(client: "Client", query: "Query") -> Listing:
    """The snapshots asked for by id; ``meta.total`` is how many came back."""
    ids = query.snapshot_ids
    # Several ids are fetched concurrently, in the order of ids.
    snapshots = [client.get_snapshot(ids[0])] if len(ids) == 1 else list(client.get_snapshots(ids))
    return Listing(snapshots, len(snapshots), {})


def account(client: "Client", query: "Query") -> Listing:
    """The listing the query names (the account's, or a volume's through ``volume_id``), one page with ``page``."""
    return client.list(query.path, query.params, per_page=query.per_page, page=query.page,
                       consistency=query.consistency)


def volume(client: "Client", query: "Query") -> Listing:
    """A volume's own listing; when the volume is gone (404), the account's volume snapshots."""
    try:
        return account(client, query)
    except APIError as exc:
        if exc.status != 404 or not query.fallback_path:
            raise
    # Volume snapshots outlive their volume: a deleted volume's endpoint answers 404 while its
    # snapshots are still listed. meta.total stays the volume's count, as its endpoint would say.
    listing = client.list(query.fallback_path, {"resource_type": "volume"}, per_page=query.per_page,
                          consistency=query.consistency)
    return of_resource(listing, query.filters.resource_id)


def of_resource(listing: Listing, resource_id: t.Optional[str]) -> Listing:
    """The snapshots of one Droplet or volume out of a wider listing; ``meta.total`` counts them alone."""
    mine = [s for s in listing.snapshots if str(s.get("resource_id")) == resource_id]
    return Listing(mine, len(mine), {})


# -- the Droplet plan and the cost model ------------------------------------------------------------------------

def shows_tags(filters: Filters, group_by: t.Optional[str] = None) -> bool:
    """The answer shows the snapshots' tags: no ``fields`` (all nine), ``fields`` with tags, or ``group_by: tag``."""
    return not filters.fields or "tags" in filters.fields or group_by == "tag"


class DropletListing:
    """A Droplet's own listing, read, filled and filtered: what the Droplet plan knows before completing.

    ``snapshots``: the Droplet's snapshots in the endpoint's order, with ``resource_id`` and
    ``resource_type`` filled and no ``tags``; ``passed``: those that pass the filters that do not
    need tags (before sort and limit); ``total``: how many snapshots the Droplet has (``meta.total``).
    """

    def __init__(self, query: "Query", listing: Listing) -> None:
        self.query = query
        droplet_id = t.cast(str, query.droplet_id)
        self.snapshots = [s for s in (_filled(item, droplet_id) for item in listing.snapshots) if s is not None]
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
        """``C``: the ``GET /v2/snapshots/{id}`` this answer needs (see the module's docstring)."""
        if self.tag_filtered:
            return len(self.passed)
        if self.needs_tags:
            return len(self._untagged.select(self.passed))
        return 0

    def finish(self, client: "Client") -> Listing:
        """Complete what the answer needs and return the Droplet plan's listing (filtered, sorted, limited)."""
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


def read_droplet(client: "Client", query: "Query") -> t.Optional[DropletListing]:
    """Read the Droplet's own listing (``D`` requests); None when its endpoint answers 404."""
    try:
        listing = client.list(DROPLET_PATH % query.droplet_id, {}, per_page=query.per_page,
                              consistency=query.consistency)
    except APIError as exc:
        if exc.status != 404:
            raise
        return None
    return DropletListing(query, listing)


def droplet_plan(client: "Client", query: "Query") -> Listing:
    """The Droplet plan whatever it costs (no cost model): the Droplet's listing, completed as needed.

    A 404 (a destroyed Droplet) still takes the account listing: nothing else can answer.
    """
    read = read_droplet(client, query)
    if read is None:
        return account_plan(client, query)
    return read.finish(client)


def account_plan(client: "Client", query: "Query", first_page: t.Optional[Page] = None) -> Listing:
    """A Droplet question answered from the account's Droplet snapshots (``A`` pages), kept for that Droplet.

    ``first_page``: page 1 of that listing already read (the probe), not read again.
    """
    listing = client.list(query.path, query.params, per_page=query.per_page, consistency=query.consistency,
                          first_page=first_page)
    return of_resource(listing, query.droplet_id)


def droplet_question(client: "Client", query: "Query") -> Listing:
    """A question about one Droplet, by the rule of the cost model (the module's docstring)."""
    read = read_droplet(client, query)
    if read is None:
        return account_plan(client, query)
    needed = read.completions()
    if needed <= COMPLETION_ALLOWANCE:
        return read.finish(client)
    probe = client.list(query.path, query.params, per_page=query.per_page, page=1)
    if choose(needed, probe.total, query.per_page, query.consistency) == ACCOUNT:
        return account_plan(client, query, first_page=Page(1, probe.snapshots, probe.total, probe.links))
    return read.finish(client)


def account_requests(total: int, per_page: int, consistency: str = "standard") -> int:
    """``A``: what the account listing of ``total`` snapshots costs when quiet (twice its pages with strict)."""
    return pages_for(total, per_page) * (2 if consistency == STRICT else 1)


def choose(completions: int, account_total: int, per_page: int, consistency: str = "standard") -> str:
    """Step 3 of the rule, page 1 of the account listing read: ``ACCOUNT`` when fewer of its requests are
    left than ``completions`` GETs, else ``DROPLET`` (a tie completes: the answer is read fresh by id)."""
    left = account_requests(account_total, per_page, consistency) - 1
    return ACCOUNT if left < completions else DROPLET


def rule_cost(droplet_snapshots: int, completions: int, account_snapshots: int, per_page: int = 200,
              consistency: str = "standard") -> t.Tuple[str, int]:
    """(plan taken, requests sent) by the rule for a quiet account (no changes, no retries), for tests and docs."""
    droplet_pages = account_requests(droplet_snapshots, per_page, consistency)
    if completions <= COMPLETION_ALLOWANCE:
        return DROPLET, droplet_pages + completions
    if choose(completions, account_snapshots, per_page, consistency) == ACCOUNT:
        return ACCOUNT, droplet_pages + account_requests(account_snapshots, per_page, consistency)
    return DROPLET, droplet_pages + 1 + completions


def answer_key(query: "Query") -> dict:
    """What besides the endpoint decides a Droplet question's listing: the filters and ``group_by`` (JSON)."""
    f = query.filters
    return {
        "regions": sorted(f.regions), "names": list(f.names),
        "name_regex": f.name_regex.pattern if f.name_regex is not None else None, "tags": list(f.tags),
        "created_after": f.created_after.isoformat() if f.created_after is not None else None,
        "created_before": f.created_before.isoformat() if f.created_before is not None else None,
        "sort_by": f.sort_by, "sort_order": f.sort_order, "limit": f.limit, "fields": list(f.fields),
        "group_by": query.group_by,
    }


def _filled(item: dict, droplet_id: str) -> t.Optional[dict]:
    """A Droplet-scoped snapshot in the account's model, ``tags`` left out; None for a backup."""
    snapshot = dict(item)
    # The contract drops ``type``; should it come through, a backup is not a snapshot /v2/snapshots lists.
    if snapshot.pop("type", "snapshot") == "backup":
        return None
    for key in ("resource_id", "resource_type", "tags"):
        # Not in this endpoint's model: anything here under those names was not the API's.
        snapshot.pop(key, None)
    snapshot["id"] = str(snapshot["id"])
    snapshot["resource_id"] = droplet_id
    snapshot["resource_type"] = "droplet"
    return snapshot


def _complete(client: "Client", ids: t.List[str]) -> t.Dict[str, t.Optional[dict]]:
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
