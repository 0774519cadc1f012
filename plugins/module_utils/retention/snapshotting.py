# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Taking a snapshot when one is due: the snapshot module's logic, apart from Ansible.

``read_request`` checks every option before any request. ``take`` reads the resource's
snapshots (through the query layer, as snapshot_info would), decides with rotation.py,
and creates through api/creation.py: a volume snapshot in one POST, a Droplet snapshot by
its action, waited for, found and tagged. A POST whose answer was lost is never sent again:
the listing is read to find what it made.
"""

from __future__ import annotations

import datetime
import math
import typing as t

from ..api import creation, paths
from ..errors import APIError, OptionError, SnapfleetError
from ..questions.ages import Age, parse_age
from ..questions.options import connection_argument_spec, module_argument_spec
from ..questions.query import build_query
from ..questions.routes import fetch
from . import rotation

DEFAULT_WAIT_TIMEOUT = 600.0
#: What the resource's listing is read with: enough to decide, and cheap (no tag completions).
_FIELDS = ["id", "name", "created_at"]


class Request(t.NamedTuple):
    """A checked snapshot request."""

    resource_id: str
    resource_type: str
    name: str
    tags: t.List[str]
    min_age: t.Optional[Age]
    wait: bool
    wait_timeout: float


class CreatedError(SnapfleetError):
    """The snapshot (or its action) was made, and a later step failed: the result still names what was made."""

    def __init__(self, message: str, made: dict) -> None:
        super().__init__(message)
        self.made = made

    def to_result(self) -> dict:
        return dict(self.made, changed=True)


def module_spec() -> dict:
    """The snapshot module's spec: the connection options (with their environment variables) and its own."""
    connection = connection_argument_spec()
    spec = {name: option for name, option in module_argument_spec().items() if name in connection}
    spec.update(
        resource_id=dict(type="str", required=True),
        resource_type=dict(type="str", choices=["droplet", "volume"]),
        name=dict(type="str", required=True),
        tags=dict(type="list", elements="str", default=[]),
        min_age=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="float", default=DEFAULT_WAIT_TIMEOUT),
    )
    return spec


def read_request(params: t.Mapping[str, t.Any]) -> Request:
    """Check the module's own options (OptionError); sends nothing."""
    resource_id = str(params.get("resource_id") or "").strip()
    if not resource_id:
        raise OptionError("resource_id", "resource_id: must not be empty")
    _query(resource_id, params.get("resource_type"))
    kind = "volume" if paths.is_volume_id(resource_id) else "droplet"
    if kind == "volume":
        resource_id = resource_id.lower()
    name = rotation.check_name(params.get("name"))
    tags = rotation.check_tags("tags", params.get("tags"))
    min_age = None if params.get("min_age") in (None, "") else parse_age("min_age", params["min_age"])
    wait = bool(params.get("wait", True))
    timeout = params.get("wait_timeout")
    timeout = DEFAULT_WAIT_TIMEOUT if timeout is None else timeout
    if math.isnan(timeout) or timeout < 0:
        raise OptionError("wait_timeout", "wait_timeout: must be 0 or more seconds, got %s" % timeout)
    if kind == "droplet" and tags and not wait:
        raise OptionError("tags", "tags: a Droplet snapshot is tagged once its action has completed and the "
                                  "snapshot is known, so tags need wait: true")
    return Request(resource_id, kind, name, tags, min_age, wait, float(timeout))


def _query(resource_id: str, resource_type: t.Optional[str]) -> t.Any:
    # paths.py owns the one rule that tells a Droplet id from a volume UUID; the query refuses a
    # resource_type that contradicts it.
    query = build_query({"resource_id": resource_id, "resource_type": resource_type, "fields": _FIELDS})
    if not (paths.is_volume_id(resource_id) or paths.is_droplet_id(resource_id)):
        raise OptionError("resource_id", "resource_id: %r is neither a Droplet id (digits, such as 3164444) nor a "
                                         "volume UUID (such as 7724db7c-e098-11e5-b522-000f53304e51)" % resource_id)
    return query


def _listed(client: t.Any, request: Request) -> t.List[dict]:
    query = _query(request.resource_id, request.resource_type)
    return query.finish(fetch(client, query))


def _shown(request: Request) -> str:
    return "%s %s" % ("Droplet" if request.resource_type == "droplet" else "volume", request.resource_id)


def _diff(request: Request, before: t.Optional[dict], after: t.Optional[dict]) -> dict:
    def line(snapshot: t.Optional[dict]) -> str:
        if snapshot is None:
            return "newest snapshot of %s: none\n" % _shown(request)
        # The listing read to decide has no tags (it is read without them): only the new snapshot shows its own.
        tags = ", tags [%s]" % ", ".join(snapshot["tags"]) if "tags" in snapshot else ""
        return "newest snapshot of %s: %s %s (created %s%s)\n" % (
            _shown(request), snapshot.get("id") or "(new)", snapshot.get("name"), snapshot.get("created_at") or "now",
            tags)
    return {"before": line(before), "after": line(after)}


def take(client: t.Any, request: Request, check_mode: bool) -> dict:
    """Take the snapshot when it is due; return the module's result (``changed``, ``created``, ``snapshot``...)."""
    with client.one_task() as task:
        existing = _listed(client, request)
        decision = rotation.decide(existing, request.min_age, datetime.datetime.now(datetime.timezone.utc))
        if not decision.due:
            return _not_due(client, request, decision, check_mode)
        if request.resource_type == "volume":
            try:
                rotation.check_room(request.resource_id, len(existing))
            except rotation.LimitError as full:
                if not check_mode:
                    raise
                # Check mode shows the rest of the play (the prune that would make room) instead of stopping it.
                return dict(changed=False, created=False, snapshot=None, msg="a real run would refuse: %s" % full,
                            warnings=["a real run would refuse: %s" % full])
        wanted = {"name": request.name, "tags": request.tags, "resource_id": request.resource_id,
                  "resource_type": request.resource_type}
        if check_mode:
            return dict(changed=True, created=False, snapshot=None, would_create=wanted,
                        msg="would take snapshot %r of %s (%s)" % (request.name, _shown(request), decision.reason),
                        diff=_diff(request, decision.newest, wanted))
        before = {str(s["id"]) for s in existing}
        if request.resource_type == "volume":
            return _volume(client, request, decision, before, task)
        return _droplet(client, request, decision, before, task)


def _not_due(client: t.Any, request: Request, decision: rotation.Decision, check_mode: bool = False) -> dict:
    """The newest snapshot, not due for another; tagged first when it is this task's and lacks its tags.

    That completes a run whose Droplet snapshot was made after its wait ran out (never tagged):
    the same name and missing tags say it is the one this task asked for.
    """
    newest = client.get_snapshot(str(t.cast(dict, decision.newest)["id"]))
    missing = [tag for tag in request.tags if tag not in (newest.get("tags") or [])]
    if not missing or newest.get("name") != request.name:
        return dict(changed=False, created=False, snapshot=newest, msg=decision.reason)
    words = "%s; it is named %r but lacks the tags %s" % (decision.reason, request.name, ", ".join(missing))
    if check_mode:
        return dict(changed=True, created=False, snapshot=newest, msg="%s: would tag it" % words)
    kind = "image" if request.resource_type == "droplet" else "volume_snapshot"
    creation.tag_resources(client, missing, [(str(newest["id"]), kind)])
    return dict(changed=True, created=False, snapshot=client.get_snapshot(str(newest["id"])),
                msg="%s: tagged it" % words)


def _volume(client: t.Any, request: Request, decision: rotation.Decision, before: t.Set[str], task: t.Any) -> dict:
    try:
        snapshot = creation.create_volume_snapshot(client, request.resource_id, request.name, request.tags, task)
    except creation.AnswerLost as lost:
        found = rotation.made_by(before, _listed(client, request), request.name, None)
        if len(found) != 1:
            raise SnapfleetError(
                "%s; %s has %s new snapshot named %r since this task read its listing, so whether it was made is "
                "not known. Nothing was sent again: run the task again later (with min_age it finds that snapshot "
                "instead of taking another)" % (lost.message, _shown(request), len(found) or "no", request.name)
            ) from None
        snapshot = client.get_snapshot(str(found[0]["id"]))
        result = _made(request, decision, snapshot)
        result["warnings"] = ["%s; the snapshot it made was found in the volume's listing: %s"
                              % (lost.message, snapshot["id"])]
        return result
    except APIError as exc:
        if not creation.is_volume_rate_limit(exc):
            raise
        again = _read_again(client, request) if request.min_age is not None else None
        if again is not None and not again.due:
            return _not_due(client, request, again)
        raise SnapfleetError(
            "DigitalOcean API error: POST %s answered HTTP %s; %s: %s; request_id %s. DigitalOcean takes at most one "
            "snapshot of a volume every %d minutes, and this is not retried: run the task later, or set min_age to "
            "%dmin or more so that a run this soon is not due" % (
                exc.path, exc.status, exc.api_id or "error", exc.api_message, exc.request_id or "none",
                rotation.VOLUME_INTERVAL_MINUTES, rotation.VOLUME_INTERVAL_MINUTES)) from None
    return _made(request, decision, snapshot)


def _read_again(client: t.Any, request: Request) -> t.Optional[rotation.Decision]:
    """After the 10-minute refusal: someone took a snapshot since the listing was read, and min_age may now say it
    is not due. None when the listing cannot be read now (the pacer may hold after a 429): the refusal is reported."""
    try:
        listed = _listed(client, request)
    except SnapfleetError:
        return None
    return rotation.decide(listed, request.min_age, datetime.datetime.now(datetime.timezone.utc))


def _made(request: Request, decision: rotation.Decision, snapshot: dict, action: t.Optional[dict] = None) -> dict:
    result = dict(changed=True, created=True, snapshot=snapshot,
                  msg="took snapshot %s (%s) of %s (%s)" % (snapshot["id"], snapshot.get("name"), _shown(request),
                                                            decision.reason),
                  diff=_diff(request, decision.newest, snapshot))
    if action is not None:
        result["action"] = action
    return result


def _droplet(client: t.Any, request: Request, decision: rotation.Decision, before: t.Set[str], task: t.Any) -> dict:
    try:
        action = creation.start_droplet_snapshot(client, request.resource_id, request.name, task)
    except creation.AnswerLost as lost:
        raise SnapfleetError(
            "%s: a snapshot action of %s may have started. Nothing was sent again: run the task again once it had "
            "time to complete (with min_age it finds that snapshot instead of taking another)"
            % (lost.message, _shown(request))) from None
    if not request.wait:
        return dict(changed=True, created=True, snapshot=None, action=action,
                    msg="started Droplet action %s, a snapshot %r of %s; not waited for (wait: false)"
                        % (action["id"], request.name, _shown(request)),
                    diff=_diff(request, decision.newest, {"name": request.name, "tags": []}))
    try:
        started = client.transport.clock()
        action = creation.wait_for_action(client, action, request.wait_timeout, task)
        snapshot_id = _find(client, request, before, action, request.wait_timeout - (client.transport.clock() - started),
                            task)
        if request.tags:
            creation.tag_resources(client, request.tags, [(snapshot_id, "image")], task)
        snapshot = client.get_snapshot(snapshot_id)
    except creation.ActionError as exc:
        if exc.action.get("status") == "errored":
            raise  # nothing was made
        raise CreatedError(exc.message, {"action": exc.action, "created": True}) from None
    except SnapfleetError as exc:
        raise CreatedError("Droplet action %s (snapshot %r of %s) was started, then: %s"
                           % (action["id"], request.name, _shown(request), exc.message),
                           {"action": action, "created": True}) from None
    return _made(request, decision, snapshot, action)


def _find(client: t.Any, request: Request, before: t.Set[str], action: dict, left: float, task: t.Any) -> str:
    """The id of the snapshot the completed action made: new since ``before``, of its name.

    The API does not say when the snapshot appears in the listings relative to ``completed``,
    so the listing is read again, with the action's backoff, until it shows or the wait is over.
    """
    waits = creation.poll_waits()
    deadline = client.transport.clock() + max(0.0, left)
    while True:
        found = rotation.made_by(before, _listed(client, request), request.name, action.get("started_at"))
        if len(found) == 1:
            return str(found[0]["id"])
        if len(found) > 1:
            raise SnapfleetError("%d new snapshots of %s are named %r (%s): another run took one at the same time, "
                                 "so which one action %s made is not known" % (
                                     len(found), _shown(request), request.name, ", ".join(s["id"] for s in found),
                                     action["id"]))
        wait = min(next(waits), deadline - client.transport.clock(), task.left())
        if wait <= 0:
            raise SnapfleetError("action %s completed, but no new snapshot named %r is listed for %s yet; run the "
                                 "task again later (with min_age it finds that snapshot instead of taking another)"
                                 % (action["id"], request.name, _shown(request)))
        client.transport.sleeper(wait)
