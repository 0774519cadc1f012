# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sources of snapshots: the account's Droplets (``GET /v2/droplets``) and volumes (``GET /v2/volumes``).

Read through the same client as snapshots: paging, pacing, retries, the time budget and the
listing guarantee. ``GET /v2/droplets`` lists only non-GPU Droplets unless asked for
``type=gpus``, which lists only GPU Droplets, so the Droplets are always both listings.

A source is returned as ``{"id", "name", "resource_type", "region", "tags"}``: ``id`` a string
(a Droplet's integer id in decimal, a volume's UUID as the API wrote it), ``region`` the region's
slug (None when the API gave none), ``tags`` a list (null as ``[]``).
"""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor

from ..errors import APIError
from ..http.bodies import ContractError
from .paging import STANDARD
from .paths import ACCOUNT_SNAPSHOTS, DROPLETS, VOLUMES

if t.TYPE_CHECKING:  # pragma: no cover - for the type hints only
    from .client import Client

DROPLET = "droplet"
VOLUME = "volume"
RESOURCE_TYPES = (DROPLET, VOLUME)
#: The Droplet listings that together hold every Droplet: the default one (no GPU Droplets) and type=gpus.
DROPLET_LISTINGS = ({}, {"type": "gpus"})
#: The scope each listing needs (the contract's security requirements).
SCOPES = {DROPLET: "droplet:read", VOLUME: "block_storage:read"}


def _is_int(value: t.Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _source(item: t.Any, resource_type: str) -> dict:
    key = "a Droplet" if resource_type == DROPLET else "a volume"
    if not isinstance(item, dict):
        raise ContractError("%s is not a JSON object" % key)
    sid = item.get("id")
    if resource_type == DROPLET and not _is_int(sid):
        raise ContractError("%s has no integer 'id' (%r)" % (key, sid))
    if resource_type == VOLUME and not (isinstance(sid, str) and sid.strip()):
        raise ContractError("%s has no string 'id' (%r)" % (key, sid))
    name = item.get("name", "")
    if not isinstance(name, str):
        raise ContractError("%s %s has 'name' %r, not a string" % (key, sid, name))
    tags = item.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)):
        raise ContractError("%s %s has 'tags' that are not a list of strings or null" % (key, sid))
    region = item.get("region")
    slug = region.get("slug") if isinstance(region, dict) else None
    if region is not None and not isinstance(region, dict):
        raise ContractError("%s %s has 'region' %r, not an object" % (key, sid, region))
    if slug is not None and not isinstance(slug, str):
        raise ContractError("%s %s has 'region.slug' %r, not a string" % (key, sid, slug))
    return {"id": str(sid), "name": name, "resource_type": resource_type, "region": slug, "tags": list(tags or [])}


def _parser(resource_type: str) -> t.Callable[[t.Any], t.Tuple[t.List[dict], int, dict]]:
    key = "droplets" if resource_type == DROPLET else "volumes"

    def parse(body: t.Any) -> t.Tuple[t.List[dict], int, dict]:
        """Check a ``{"droplets"|"volumes": [...], "links", "meta"}`` body; return (sources, meta.total, links)."""
        if not isinstance(body, dict):
            raise ContractError("the answer is not a JSON object")
        items = body.get(key)
        if not isinstance(items, list):
            raise ContractError("the answer has no '%s' list" % key)
        meta = body.get("meta")
        total = meta.get("total") if isinstance(meta, dict) else None
        if not _is_int(total) or total < 0:
            raise ContractError("the answer has no valid 'meta.total'")
        links = body.get("links")
        if links is not None and not isinstance(links, dict):
            raise ContractError("the answer's 'links' is not an object")
        return [_source(item, resource_type) for item in items], total, links or {}

    return parse


parse_droplets_body = _parser(DROPLET)
parse_volumes_body = _parser(VOLUME)


def _scoped(exc: APIError, resource_type: str) -> APIError:
    """A 403 on a source listing, saying which scope the token lacks."""
    what = "Droplets" if resource_type == DROPLET else "volumes"
    detail = ("listing %s needs a token with the %s scope; this token lacks it, so no snapshot's source can be "
              "told apart from a gone one" % (what, SCOPES[resource_type]))
    return APIError(exc.status, exc.path, exc.attempts, exc.api_id, exc.api_message, exc.request_id,
                    exc.content_type, "; ".join(d for d in (exc.detail, detail) if d), method=exc.method)


def _one_listing(client: "Client", resource_type: str, params: dict, per_page: int, consistency: str) -> t.List[dict]:
    path = DROPLETS if resource_type == DROPLET else VOLUMES
    parse = parse_droplets_body if resource_type == DROPLET else parse_volumes_body
    try:
        return client.list(path, params, per_page=per_page, consistency=consistency, parse=parse).snapshots
    except APIError as exc:
        if exc.status == 403:
            raise _scoped(exc, resource_type) from None
        raise


def list_sources(client: "Client", resource_types: t.Iterable[str], per_page: int = 200,
                 consistency: str = STANDARD) -> t.Dict[str, t.List[dict]]:
    """Every Droplet and/or volume of the account: ``{resource_type: [source, ...]}`` for each type asked.

    Droplets are the union of the default listing and ``type=gpus`` (each Droplet once), in that
    order. The listings run at the same time, in one task of the client. Any failure raises: an
    APIError (a 403 names the scope the token lacks), a TransportError, an IncompleteListingError;
    a listing that failed is never taken for an empty one.
    """
    wanted = [kind for kind in RESOURCE_TYPES if kind in set(resource_types)]
    jobs = [(kind, params) for kind in wanted for params in (DROPLET_LISTINGS if kind == DROPLET else ({},))]
    result: t.Dict[str, t.List[dict]] = {kind: [] for kind in wanted}
    if not jobs:
        return result
    with client.one_task(), ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="snapfleet-sources") as pool:
        futures = [pool.submit(_one_listing, client, kind, params, per_page, consistency) for kind, params in jobs]
        # In job order: the first failure is raised, after every listing has ended.
        listings = [future.result() for future in futures]
    seen: t.Dict[str, t.Set[str]] = {kind: set() for kind in wanted}
    for (kind, _params), items in zip(jobs, listings):
        for item in items:
            key = item["id"].lower()
            if key not in seen[kind]:
                seen[kind].add(key)
                result[kind].append(item)
    return result


def snapshots_and_sources(client: "Client", resource_type: t.Optional[str] = None, per_page: int = 200,
                          consistency: str = STANDARD) -> t.Tuple[t.List[dict], t.Dict[str, t.List[dict]]]:
    """Every snapshot of ``resource_type`` (both types when None), then every source of that type, in one task.

    The sources are read after the snapshots: a snapshot listed has a source that existed before it.
    """
    kinds = [resource_type] if resource_type else list(RESOURCE_TYPES)
    with client.one_task():
        listing = client.list(ACCOUNT_SNAPSHOTS, {"resource_type": resource_type} if resource_type else {},
                              per_page=per_page, consistency=consistency)
        return listing.snapshots, list_sources(client, kinds, per_page=per_page, consistency=consistency)
