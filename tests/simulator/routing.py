# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The API's routes: authentication, routing, parameter checks and the answers' bodies.

Rate limits and faults come before this (server.py); everything here is what the API
answers to a request that got through them.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlencode

from .models import error_for
from .sources import SCOPES as SOURCE_SCOPES
from .sources import listing as source_listing
from .store import SnapshotStore

JSON_TYPE = "application/json; charset=utf-8"
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 20
RESOURCE_TYPES = ("droplet", "volume")
#: The API's words for an id that names something other than a snapshot (the contract's example).
NOT_A_SNAPSHOT = "the resource is not a snapshot"

_INT = re.compile(r"^[+-]?\d+$")
_ID = re.compile(r"^\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_VOLUME_SNAPSHOTS = re.compile(r"^/v2/volumes/([^/]+)/snapshots$")
_DROPLET_SNAPSHOTS = re.compile(r"^/v2/droplets/([^/]+)/snapshots$")
_SNAPSHOT = re.compile(r"^/v2/snapshots/([^/]+)$")


class Answer(NamedTuple):
    """A complete HTTP answer before it is written (and possibly damaged by a fault)."""

    status: int
    body: bytes
    headers: dict[str, str]


class Api(Protocol):
    """What the routes need from the simulator."""

    url: str
    token: str
    read_only_tokens: frozenset[str]
    images: frozenset[str]
    store: SnapshotStore
    sources: Any
    denied_scopes: dict[str, frozenset[str]]


def dumps(body: Any) -> bytes:
    """Compact JSON, as the API sends it."""
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def error(status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Answer:
    """The API's error answer: ``{"id", "message", "request_id"}`` and an ``X-Request-Id`` header."""
    error_id, default_message = error_for(status)
    request_id = str(uuid.uuid4())
    body = {"id": error_id, "message": message or default_message, "request_id": request_id}
    return Answer(status, dumps(body), {"X-Request-Id": request_id, **(headers or {})})


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _INT.match(raw.strip()):
        raise ValueError(f"{name} must be an integer, got {raw!r}")
    value = int(raw)
    if value < low or (high is not None and value > high):
        upper = f" and at most {high}" if high is not None else ""
        raise ValueError(f"{name} must be at least {low}{upper}, got {value}")
    return value


def page_of(query: dict[str, str]) -> int | None:
    """The ``page`` a request asks for (absent: 1; not a number: None), for fault matching."""
    raw = query.get("page", "1").strip()
    return int(raw) if _INT.match(raw) else None


def _not_allowed(method: str, path: str, allow: str, headers: dict[str, str]) -> Answer:
    return error(405, f"The {method} method is not allowed for {path}.", {**headers, "Allow": allow})


def route(api: Api, method: str, path: str, query: dict[str, str], authorization: str | None,
          headers: dict[str, str]) -> Answer:
    """Answer one request as the API would; ``headers`` (the rate limit's) go on every answer."""
    read_only = authorization is not None and authorization.startswith("Bearer ") and \
        authorization[7:] in api.read_only_tokens
    denied = api.denied_scopes.get(authorization[7:], frozenset()) if authorization else frozenset()
    if authorization != f"Bearer {api.token}" and not read_only and not denied:
        return error(401, headers=headers)
    try:
        if path in SOURCE_SCOPES:
            if method != "GET":
                return _not_allowed(method, path, "GET", headers)
            if SOURCE_SCOPES[path] in denied:
                return error(403, headers=headers)
            return _source_list(api, path, query, headers)
        if path == "/v2/snapshots":
            if method != "GET":
                return _not_allowed(method, path, "GET", headers)
            return _list(api, path, query, headers, resource_type=query.get("resource_type"))
        for pattern, key in ((_VOLUME_SNAPSHOTS, "volume_id"), (_DROPLET_SNAPSHOTS, "droplet_id")):
            match = pattern.match(path)
            if match:
                if method != "GET":
                    return _not_allowed(method, path, "GET", headers)
                return _list(api, path, query, headers, **{key: match.group(1)})
        match = _SNAPSHOT.match(path)
        if match:
            if method == "GET":
                snapshot = api.store.get(match.group(1))
                if snapshot is not None:
                    return Answer(200, dumps({"snapshot": snapshot}), headers)
                return error(404, headers=headers)
            if method == "DELETE":
                return _delete(api, match.group(1), read_only, headers)
            return _not_allowed(method, path, "GET, DELETE", headers)
    except ValueError as exc:
        return error(422, str(exc), headers)
    return error(404, headers=headers)


def _delete(api: Api, snapshot_id: str, read_only: bool, headers: dict[str, str]) -> Answer:
    if read_only:
        return error(403, headers=headers)
    if not (_ID.match(snapshot_id) or _UUID.match(snapshot_id)) or snapshot_id in api.images:
        return error(400, NOT_A_SNAPSHOT, headers)
    with api.store.lock:
        try:
            api.store.delete(snapshot_id)
        except KeyError:
            return error(404, headers=headers)
        api.store.api_deletes.append(snapshot_id)
    return Answer(204, b"", headers)


def _list(api: Api, path: str, query: dict[str, str], headers: dict[str, str], *,
          resource_type: str | None = None, volume_id: str | None = None, droplet_id: str | None = None) -> Answer:
    page = _int_param(query, "page", 1, 1, None)
    per_page = _int_param(query, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    if resource_type is not None and resource_type not in RESOURCE_TYPES:
        raise ValueError(f"resource_type must be one of {', '.join(RESOURCE_TYPES)}, got {resource_type!r}")
    if volume_id is not None and not _UUID.match(volume_id):
        raise ValueError(f"volume_id must be a UUID, got {volume_id!r}")
    if droplet_id is not None:
        if not _ID.match(droplet_id) or int(droplet_id) < 1:
            raise ValueError(f"droplet_id must be an integer of at least 1, got {droplet_id!r}")
        droplet_id = str(int(droplet_id))
    result = api.store.page(page, per_page, resource_type=resource_type, volume_id=volume_id,
                            droplet_id=droplet_id, path=path)
    if result is None:
        return error(404, headers=headers)
    items, total = result
    body = {"snapshots": items, "links": _links(api.url, path, query, page, per_page, total), "meta": {"total": total}}
    return Answer(200, dumps(body), headers)


def _source_list(api: Api, path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
    page = _int_param(query, "page", 1, 1, None)
    per_page = _int_param(query, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    items, total = source_listing(api, path, query, page, per_page)
    key = "droplets" if path == "/v2/droplets" else "volumes"
    body = {key: items, "links": _links(api.url, path, query, page, per_page, total), "meta": {"total": total}}
    return Answer(200, dumps(body), headers)


def _links(base: str, path: str, query: dict[str, str], page: int, per_page: int, total: int) -> dict[str, Any]:
    last = max(1, math.ceil(total / per_page))
    # Keep the caller's parameters (besides page) in the caller's order, page first.
    rest = [(k, v) for k, v in query.items() if k != "page"]

    def url(number: int) -> str:
        return f"{base}{path}?{urlencode([('page', str(number)), *rest])}"

    pages: dict[str, str] = {}
    if page > 1:
        pages["first"] = url(1)
        pages["prev"] = url(min(page - 1, last))
    if page < last:
        pages["next"] = url(page + 1)
        pages["last"] = url(last)
    return {"pages": pages} if pages else {}
