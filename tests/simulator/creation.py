# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Making snapshots: the create operations, Droplet actions and tags, as the contract describes them.

Routes (``Creations.route``; anything else goes on to routing.py):

- ``POST /v2/volumes/{uuid}/snapshots`` ``{"name", "tags"}``: 201 ``{"snapshot": ...}`` (the account
  model, string id, created now, with the tags); 400 without a string ``name`` or with a bad tag
  name; 404 for an unknown volume; 422 for a volume id that is not a UUID. The documented limits:
  a volume holding ``MAX_PER_VOLUME`` (25) snapshots answers 422 (what the API answers is not
  documented); a second snapshot of one volume within 10 minutes (``interval`` simulated seconds,
  shortened by ``time_scale``) answers 429 with the message DigitalOcean users report.
- ``POST /v2/droplets/{id}/actions`` ``{"type": "snapshot", "name"}``: 201 ``{"action": ...}``
  ``in-progress``; 404 for an unknown Droplet, 422 for a bad id or type. The action stays
  in progress for ``action_seconds`` real seconds, then completes (or errors: ``errored``
  counts the next actions that do), and ``appear_seconds`` after completing, its snapshot
  (named as asked, ``created_at`` the action's ``started_at``, no tags) appears in the listings.
- ``GET /v2/actions/{id}``: 200 ``{"action": ...}``; 404 unknown.
- ``POST /v2/tags`` ``{"name"}``: 201 ``{"tag": ...}`` (also for a tag that exists); 400 with the
  tags error body (``error``, ``messages``, ``root_causes``) for a bad name.
- ``POST /v2/tags/{tag}/resources`` ``{"resources": [{"resource_id", "resource_type"}]}``: 204,
  and the tag shows on the snapshot (``image``: a Droplet snapshot; ``volume_snapshot``); 404 for
  an unknown tag or resource; 422 for another resource type.

Scopes: the simulator's token has them all, a read-only token none of these, a token of
``denied_scopes`` all but those: a missing scope answers 403 before anything is done.
Actions settle on every request (``settle``), so a listing read after the time has passed
shows the snapshot whether or not anyone polled the action.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .data import format_time
from .routing import Answer, dumps, error

MAX_PER_VOLUME = 25
RATE_LIMITED = "failed to create snapshot: this operation is rate-limited - one request per 10m0s"
TAG_NAME = re.compile(r"^[a-zA-Z0-9_\-:]+$")
TAG_RESOURCE_TYPES = ("droplet", "image", "volume", "volume_snapshot")
FIRST_ACTION_ID = 36804745

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ID = re.compile(r"^\d+$")
_VOLUME_SNAPSHOTS = re.compile(r"^/v2/volumes/([^/]+)/snapshots$")
_DROPLET_ACTIONS = re.compile(r"^/v2/droplets/([^/]+)/actions$")
_ACTION = re.compile(r"^/v2/actions/([^/]+)$")
_TAG_RESOURCES = re.compile(r"^/v2/tags/([^/]+)/resources$")

VOLUME_SCOPE = "block_storage_snapshot:create"
ACTION_SCOPES = ("droplet:update", "image:create")
TAG_SCOPE = "tag:create"
WRITE_SCOPES = frozenset({VOLUME_SCOPE, TAG_SCOPE, *ACTION_SCOPES, "image:update", "block_storage_snapshot:update"})


class Creations:
    """The simulator's create operations and their state (``sim.creations``).

    Knobs (change them at any time): ``action_seconds`` (0.3), ``appear_seconds`` (0.0),
    ``errored`` (the next N actions error), ``interval`` (600 simulated seconds between two
    snapshots of one volume), ``time_scale`` (60.0: 10 minutes last 10 real seconds).
    ``before_next_create(callback)``: another actor acts at the moment the next create arrives.
    Read: ``actions`` (id -> the action as GET answers it), ``posts`` (every create that took
    effect: ``("volume" | "droplet", resource id, name)``).
    """

    def __init__(self, api: Any) -> None:
        self._api = api
        self._lock = threading.RLock()
        self.action_seconds = 0.3
        self.appear_seconds = 0.0
        self.errored = 0
        self.interval = 600.0
        self.time_scale = 60.0
        self.actions: dict[int, dict[str, Any]] = {}
        self.posts: list[tuple[str, str, str]] = []
        self.tags: dict[str, dict[str, Any]] = {}
        self._pending: list[dict[str, Any]] = []
        self._last_volume_snapshot: dict[str, float] = {}
        self._ids = itertools.count(FIRST_ACTION_ID)
        self._before_create: list[Callable[[Any, str], Any]] = []

    # -- time -------------------------------------------------------------------------------

    def settle(self) -> None:
        """Complete (or error) the actions whose time has come, and list the snapshots they made."""
        now = time.monotonic()
        with self._lock:
            waiting = []
            for entry in self._pending:
                action = self.actions[entry["id"]]
                if action["status"] == "in-progress" and now >= entry["done"]:
                    action["status"] = entry["outcome"]
                    action["completed_at"] = format_time(int(time.time()))
                if action["status"] == "completed" and now >= entry["done"] + self.appear_seconds:
                    self._api.store.create(resource_type="droplet", resource_id=entry["droplet"], name=entry["name"],
                                           tags=[], created_at=action["started_at"])
                elif action["status"] != "errored":
                    waiting.append(entry)
            self._pending = waiting

    def before_next_create(self, callback: Callable[[Any, str], Any]) -> None:
        """Run ``callback(sim, path)`` once, when the next create request arrives, before it is answered."""
        with self._lock:
            self._before_create.append(callback)

    def forget_volume_limit(self) -> None:
        """Let every volume be snapshotted again at once (as if 10 minutes had passed)."""
        with self._lock:
            self._last_volume_snapshot.clear()

    # -- routes -----------------------------------------------------------------------------

    def route(self, method: str, path: str, authorization: str | None, body: bytes,
              headers: dict[str, str]) -> Answer | None:
        """The answer to a create request, or None for a request that is not one."""
        routes = ((_VOLUME_SNAPSHOTS, "POST", self._volume_snapshot), (_DROPLET_ACTIONS, "POST", self._droplet_action),
                  (_ACTION, "GET", self._action), (_TAG_RESOURCES, "POST", self._tag_resources))
        found = [(match, handler) for pattern, verb, handler in routes
                 for match in [pattern.match(path)] if match and method == verb]
        if found:
            match, handler = found[0]
        elif path == "/v2/tags" and method == "POST":
            match, handler = None, self._tag
        else:
            return None
        if handler in (self._volume_snapshot, self._droplet_action) and self._before_create:
            # One-shot hooks: another actor's create, at the moment this one arrives.
            hooks, self._before_create = self._before_create, []
            for hook in hooks:
                hook(self._api, path)
        denied = self._denied(authorization)
        if denied is None:
            return error(401, headers=headers)
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else None
        except ValueError:
            return error(400, "the request body is not JSON", headers)
        with self._lock, self._api.store.lock:
            return handler(unquote(match.group(1)) if match else None, payload, denied, headers)

    def _denied(self, authorization: str | None) -> frozenset[str] | None:
        """The scopes the token lacks (None: not a token of this API)."""
        api = self._api
        if authorization is None or not authorization.startswith("Bearer "):
            return None
        token = authorization[7:]
        if token == api.token:
            return frozenset()
        if token in api.read_only_tokens:
            return WRITE_SCOPES
        if token in api.denied_scopes:
            return api.denied_scopes[token]
        return None

    def _volume_snapshot(self, volume_id: str, payload: Any, denied: frozenset[str], headers: dict[str, str]) -> Answer:
        if not _UUID.match(volume_id):
            return error(422, f"volume_id must be a UUID, got {volume_id!r}", headers)
        if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
            return error(400, "name is required", headers)
        tags = payload.get("tags") or []
        if VOLUME_SCOPE in denied or (tags and TAG_SCOPE in denied):
            return error(403, headers=headers)
        if not isinstance(tags, list) or not all(isinstance(t, str) and TAG_NAME.match(t) and len(t) <= 255
                                                 for t in tags):
            return error(400, "tags must be tag names: letters, numbers, colons, dashes and underscores", headers)
        volume_id = volume_id.lower()
        store = self._api.store
        if volume_id not in store.resource_ids("volume"):
            return error(404, headers=headers)
        held = sum(1 for s in store.snapshots if s["resource_type"] == "volume" and s["resource_id"] == volume_id)
        if held >= MAX_PER_VOLUME:
            return error(422, f"volume {volume_id} already has {held} snapshots, the most a volume can hold", headers)
        last = self._last_volume_snapshot.get(volume_id)
        now = time.monotonic()
        if last is not None and now - last < self.interval / self.time_scale:
            return error(429, RATE_LIMITED, headers)
        self._last_volume_snapshot[volume_id] = now
        snapshot = store.create(resource_type="volume", resource_id=volume_id, name=payload["name"], tags=list(tags),
                                created_at=format_time(int(time.time())))
        self.posts.append(("volume", volume_id, payload["name"]))
        return Answer(201, dumps({"snapshot": snapshot}), headers)

    def _droplet_action(self, droplet_id: str, payload: Any, denied: frozenset[str], headers: dict[str, str]) -> Answer:
        if not _ID.match(droplet_id) or int(droplet_id) < 1:
            return error(422, f"droplet_id must be an integer of at least 1, got {droplet_id!r}", headers)
        if not isinstance(payload, dict) or payload.get("type") != "snapshot":
            return error(422, "type must be snapshot", headers)
        if any(scope in denied for scope in ACTION_SCOPES):
            return error(403, headers=headers)
        droplet_id = str(int(droplet_id))
        if droplet_id not in self._api.store.resource_ids("droplet"):
            return error(404, headers=headers)
        name = payload.get("name")
        if not isinstance(name, str) or not name:
            name = f"droplet-{droplet_id}-{int(time.time() * 1000)}"
        action_id = next(self._ids)
        action = {"id": action_id, "status": "in-progress", "type": "snapshot", "started_at": format_time(int(time.time())),
                  "completed_at": None, "resource_id": int(droplet_id), "resource_type": "droplet",
                  "region": None, "region_slug": "nyc3"}
        self.actions[action_id] = action
        outcome = "completed"
        if self.errored > 0:
            self.errored -= 1
            outcome = "errored"
        self._pending.append({"id": action_id, "done": time.monotonic() + self.action_seconds, "outcome": outcome,
                              "droplet": droplet_id, "name": name})
        self.posts.append(("droplet", droplet_id, name))
        return Answer(201, dumps({"action": dict(action)}), headers)

    def _action(self, action_id: str, payload: Any, denied: frozenset[str], headers: dict[str, str]) -> Answer:
        if "actions:read" in denied:
            return error(403, headers=headers)
        if not _ID.match(action_id) or int(action_id) not in self.actions:
            return error(404, headers=headers)
        return Answer(200, dumps({"action": dict(self.actions[int(action_id)])}), headers)

    def _tag(self, _unused: None, payload: Any, denied: frozenset[str], headers: dict[str, str]) -> Answer:
        name = payload.get("name") if isinstance(payload, dict) else None
        if TAG_SCOPE in denied:
            return error(403, headers=headers)
        if not isinstance(name, str) or not TAG_NAME.match(name) or len(name) > 255:
            body = {"error": "InvalidCharacters",
                    "messages": ["only letters, numbers, colons, dashes and underscores are allowed in tags"],
                    "root_causes": [f"tag name {name!r} is not valid"]}
            return Answer(400, dumps(body), headers)
        tag = self.tags.setdefault(name, {"name": name, "resources": {"count": 0, "last_tagged_uri": ""}})
        return Answer(201, dumps({"tag": tag}), headers)

    def _tag_resources(self, tag: str, payload: Any, denied: frozenset[str], headers: dict[str, str]) -> Answer:
        resources = payload.get("resources") if isinstance(payload, dict) else None
        if not isinstance(resources, list) or not resources:
            return error(400, "resources is required", headers)
        if TAG_SCOPE in denied:
            return error(403, headers=headers)
        if tag not in self.tags:
            return error(404, headers=headers)
        store = self._api.store
        changes = []
        for resource in resources:
            kind = resource.get("resource_type") if isinstance(resource, dict) else None
            if kind not in TAG_RESOURCE_TYPES:
                return error(422, f"resource_type must be one of {', '.join(TAG_RESOURCE_TYPES)}", headers)
            if kind in ("image", "volume_snapshot"):
                if ("image:update" if kind == "image" else "block_storage_snapshot:update") in denied:
                    return error(403, headers=headers)
                snapshot = store.get(str(resource.get("resource_id")))
                wanted = "droplet" if kind == "image" else "volume"
                if snapshot is None or snapshot["resource_type"] != wanted:
                    return error(404, headers=headers)
                changes.append(snapshot)
        for snapshot in changes:
            if tag in (snapshot.get("tags") or []):
                continue
            # Snapshot dicts are never changed in place (pages are serialised outside the lock): replace it.
            position = next(i for i, s in enumerate(store.snapshots) if s["id"] == snapshot["id"])
            store.delete(position)
            store.create(at=position, **dict(snapshot, tags=[*(snapshot.get("tags") or []), tag]))
        self.tags[tag]["resources"]["count"] += len(changes)
        return Answer(204, b"", headers)


__all__ = ["MAX_PER_VOLUME", "RATE_LIMITED", "Creations"]
