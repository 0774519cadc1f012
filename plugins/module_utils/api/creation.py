# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Making snapshots: the API's create operations, Droplet actions and tags.

- ``create_volume_snapshot``: ``POST /v2/volumes/{volume_id}/snapshots`` (name and tags in the body);
- ``start_droplet_snapshot``: ``POST /v2/droplets/{droplet_id}/actions`` with ``{"type": "snapshot"}``;
- ``wait_for_action``: ``GET /v2/actions/{action_id}`` with capped exponential backoff and jitter;
- ``tag_resources``: ``POST /v2/tags`` and ``POST /v2/tags/{tag}/resources``.

A POST is sent once (the transport never repeats it). When its answer is lost (no answer,
a cut-off body, a 5xx), ``AnswerLost`` says so: the caller looks for what it made before
anything is sent again. Creating a tag and tagging a resource are idempotent, so those two
are asked again after a lost answer. A 403 names the scope the token lacks.
"""

from __future__ import annotations

import random
import typing as t
from urllib.parse import quote

from ..errors import APIError, SnapfleetError, TransportError
from ..http.pacing import TimeBudget
from . import paths
from .contract import normalize_snapshot

if t.TYPE_CHECKING:  # pragma: no cover
    from .client import Client

DROPLET_ACTIONS_PATH = "/v2/droplets/%s/actions"
ACTION_PATH = "/v2/actions/%s"
TAGS_PATH = "/v2/tags"
TAG_RESOURCES_PATH = "/v2/tags/%s/resources"

#: The scopes each operation needs, as the contract names them (a 403 names them).
VOLUME_SNAPSHOT_SCOPE = "block_storage_snapshot:create"
DROPLET_ACTION_SCOPES = "droplet:update and image:create"
ACTION_SCOPE = "actions:read"
TAG_SCOPE = "tag:create"
ACTION_STATUSES = ("in-progress", "completed", "errored")

#: The words of the API's 429 for a second snapshot of one volume within 10 minutes.
VOLUME_RATE_LIMITED = "rate-limited"

# Polling an action: the first wait is about POLL_FIRST seconds, each next one doubles, up to POLL_CAP;
# each is drawn at random between half and all of that (jitter), so that many tasks do not poll in step.
POLL_FIRST = 1.0
POLL_CAP = 15.0


class AnswerLost(SnapfleetError):
    """A POST was sent, but its answer was lost: whether it took effect is not known."""

    def __init__(self, method: str, path: str, cause: SnapfleetError) -> None:
        self.path = path
        self.cause = cause
        super().__init__("%s %s was sent once but its answer was lost (%s)" % (method, path, cause.message))


class ActionError(SnapfleetError):
    """A Droplet action ended in ``errored``, or did not end within the wait; carries the action."""

    def __init__(self, message: str, action: dict) -> None:
        super().__init__(message)
        self.action = action

    def to_result(self) -> dict:
        return {"action": self.action}


def _task(client: "Client", task: t.Optional[TimeBudget]) -> TimeBudget:
    return task if task is not None else client.transport.task(client.total_max_wait)


def _send(client: "Client", method: str, path: str, body: t.Optional[dict], task: TimeBudget,
          scopes: str, parse: t.Optional[t.Callable[[t.Any], t.Any]] = None) -> t.Any:
    """Send one request; a 403 names ``scopes``; a POST's lost answer raises AnswerLost.

    ``parse`` checks the answer against the contract (the transport's ``get_json``): an answer
    that breaks it is an APIError with its real status and attempts, and for a POST, whose
    effect is then unknown, an AnswerLost.

    A POST the token's rate limit refused (429, not the 10 minutes of a volume) did not take
    effect, so it is sent again, up to ``retries`` times, when the pacer (which heeds the answer's
    ``Retry-After``) and a backoff let it, within the task's budget.
    """
    waits = poll_waits(first=client.transport.retry_backoff or 0.0, cap=client.transport.retry_max_wait)
    refusals = 0
    while True:
        try:
            return _send_once(client, method, path, body, task, scopes, parse)
        except APIError as exc:
            refusals += 1
            if (method != "POST" or exc.status != 429 or is_volume_rate_limit(exc)
                    or refusals > client.transport.retries or task.left() <= 0):
                raise
        client.transport.sleeper(min(next(waits), task.left()))


def _send_once(client: "Client", method: str, path: str, body: t.Optional[dict], task: TimeBudget,
               scopes: str, parse: t.Optional[t.Callable[[t.Any], t.Any]]) -> t.Any:
    try:
        with client.transport.quiet():
            answer, _attempts, _headers = client.transport.get_json(method, path, None, task, body=body, parse=parse)
        return answer
    except APIError as exc:
        if exc.status == 403:
            # The message was built (and redacted) by the transport; the scope is added to it as it is.
            words = "this needs a token with the %s scope%s" % (scopes, "s" if " and " in scopes else "")
            exc.detail = "; ".join(d for d in (exc.detail, words) if d)
            exc.message = "%s; %s" % (exc.message, words)
            raise
        if method == "POST" and (exc.status >= 500 or 200 <= exc.status < 300):
            raise AnswerLost(method, path, exc) from None
        raise
    except TransportError as exc:
        if method == "POST":
            raise AnswerLost(method, path, exc) from None
        raise


def is_volume_rate_limit(error: SnapfleetError) -> bool:
    """The API's 429 for a second snapshot of one volume within 10 minutes (not the token's rate limit)."""
    return isinstance(error, APIError) and error.status == 429 and VOLUME_RATE_LIMITED in (error.api_message or "")


def create_volume_snapshot(client: "Client", volume_id: str, name: str, tags: t.Sequence[str],
                           task: t.Optional[TimeBudget] = None) -> dict:
    """``POST /v2/volumes/{volume_id}/snapshots``: the new snapshot, normalised as the listings' are.

    Raises AnswerLost when the answer was lost, APIError for the API's refusals (a 429 for the
    10-minute limit included: ``is_volume_rate_limit``).
    """
    path = paths.VOLUME_SNAPSHOTS % quote(volume_id, safe="")
    body = {"name": name, "tags": list(tags) or None}
    scopes = VOLUME_SNAPSHOT_SCOPE + (" and " + TAG_SCOPE if tags else "")
    return _send(client, "POST", path, body, _task(client, task), scopes, parse=_created_snapshot)


def _created_snapshot(body: t.Any) -> dict:
    """The snapshot of ``{"snapshot": {...}}``, normalised as the listings' are; ValueError otherwise."""
    if not isinstance(body, dict) or not isinstance(body.get("snapshot"), dict):
        raise ValueError("the answer has no 'snapshot' object")
    return normalize_snapshot(body["snapshot"])


def start_droplet_snapshot(client: "Client", droplet_id: str, name: str,
                           task: t.Optional[TimeBudget] = None) -> dict:
    """``POST /v2/droplets/{droplet_id}/actions`` ``{"type": "snapshot", "name": name}``: the action it started."""
    path = DROPLET_ACTIONS_PATH % quote(droplet_id, safe="")
    return _send(client, "POST", path, {"type": "snapshot", "name": name}, _task(client, task),
                 DROPLET_ACTION_SCOPES, parse=parse_action)


def get_action(client: "Client", action_id: t.Any, task: t.Optional[TimeBudget] = None) -> dict:
    """``GET /v2/actions/{action_id}``: the action as it stands."""
    path = ACTION_PATH % quote(str(action_id), safe="")
    return _send(client, "GET", path, None, _task(client, task), ACTION_SCOPE, parse=parse_action)


def parse_action(body: t.Any) -> dict:
    """The ``action`` of ``{"action": {...}}``, checked: an integer ``id`` and a known ``status``."""
    action = body.get("action") if isinstance(body, dict) else None
    if not isinstance(action, dict):
        raise ValueError("the answer has no 'action' object")
    if not isinstance(action.get("id"), int) or isinstance(action.get("id"), bool):
        raise ValueError("the action has no integer 'id'")
    if action.get("status", "in-progress") not in ACTION_STATUSES:
        raise ValueError("action %s has 'status' %r, not one of %s"
                         % (action["id"], action.get("status"), ", ".join(ACTION_STATUSES)))
    action.setdefault("status", "in-progress")
    return action


def poll_waits(first: float = POLL_FIRST, cap: float = POLL_CAP,
               rng: t.Optional[random.Random] = None) -> t.Iterator[float]:
    """The waits between polls: capped exponential backoff, each drawn between half and all of its step."""
    draw = rng or random.Random()
    step = first
    while True:
        yield draw.uniform(step / 2, step)
        step = min(cap, step * 2)


def wait_for_action(client: "Client", action: dict, timeout: float, task: t.Optional[TimeBudget] = None) -> dict:
    """Poll the action until it is ``completed``; within ``timeout`` seconds and the task's budget.

    Raises ActionError for an ``errored`` action (naming its id) and for one still in progress
    when the wait is over (naming its id and status, so that a re-run can find its snapshot).
    """
    task = _task(client, task)
    transport = client.transport
    deadline = transport.clock() + max(0.0, timeout)
    waits = poll_waits()
    while True:
        status = action.get("status")
        if status == "completed":
            return action
        if status == "errored":
            raise ActionError("Droplet action %s (snapshot of Droplet %s) ended with status errored: no snapshot "
                              "was made" % (action["id"], action.get("resource_id")), action)
        left = min(deadline - transport.clock(), task.left())
        if left <= 0:
            bound = "wait_timeout (%g s)" % timeout if deadline - transport.clock() <= task.left() else task.limiting()
            raise ActionError("Droplet action %s (snapshot of Droplet %s) is still %s after %s; the snapshot "
                              "appears once the action completes: run the task again later (with min_age it "
                              "finds that snapshot instead of taking another)"
                              % (action["id"], action.get("resource_id"), status, bound), action)
        transport.sleeper(min(next(waits), left))
        action = get_action(client, action["id"], task)


def tag_resources(client: "Client", tags: t.Sequence[str], resources: t.Sequence[t.Tuple[str, str]],
                  task: t.Optional[TimeBudget] = None) -> None:
    """Create each tag if needed and put it on ``resources``, ``(resource_id, resource_type)`` pairs.

    Both requests are idempotent: a lost answer is asked again, up to the client's ``retries``.
    """
    task = _task(client, task)
    listed = [{"resource_id": str(rid), "resource_type": kind} for rid, kind in resources]
    for tag in tags:
        _idempotent(client, TAGS_PATH, {"name": tag}, task, tolerate=(409, 422))
        # Tag names hold only [A-Za-z0-9_:-] (checked before any request): nothing to quote, and the
        # API wants the name as written ("case stable").
        _idempotent(client, TAG_RESOURCES_PATH % quote(tag, safe=":"), {"resources": listed}, task)


def _idempotent(client: "Client", path: str, body: dict, task: TimeBudget, tolerate: t.Tuple[int, ...] = ()) -> None:
    waits = poll_waits(first=client.transport.retry_backoff or 0.0, cap=client.transport.retry_max_wait)
    attempt = 0
    while True:
        attempt += 1
        try:
            _send(client, "POST", path, body, task, TAG_SCOPE)
            return
        except AnswerLost:
            if attempt > client.transport.retries or task.left() <= 0:
                raise
        except APIError as exc:
            # A tag that exists already: what "create if needed" wants.
            if exc.status in tolerate and "exist" in (exc.api_message or "").lower():
                return
            raise
        client.transport.sleeper(min(next(waits), task.left()))
