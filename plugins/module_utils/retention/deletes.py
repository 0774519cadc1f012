# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Carrying out the deletes of a retention plan, and what each of them did.

Every id given to ``carry_out`` ends in exactly one outcome list: ``deleted``, ``gone``,
``failed``, ``unknown``, ``not_tried`` (the token cannot delete) or ``held`` (its group's kept
snapshots changed). Each group's last delete waits until a read has confirmed that the
snapshots the plan keeps for that group still exist, so that a concurrent change never lets
the plan empty a group.
"""

from __future__ import annotations

import typing as t

from ..errors import SnapfleetError
from .policy import Plan

#: Reads the ids that exist now in the prune's scope (a listing); raises SnapfleetError.
ReadIds = t.Callable[[], t.Set[str]]


def _check(snapshot_id: str) -> str:
    return "GET /v2/snapshots/%s answers 404 once it is deleted" % snapshot_id


class Outcome:
    """What the deletes did. ``to_result()`` gives the module's result keys."""

    def __init__(self) -> None:
        self.deleted: t.List[str] = []
        self.gone: t.List[str] = []
        self.failed: t.List[dict] = []
        self.unknown: t.List[dict] = []
        self.not_tried: t.List[str] = []
        self.held: t.List[str] = []
        #: group -> the kept ids the verifying read did not find, for each group whose last delete was held
        self.halted: t.Dict[str, t.List[str]] = {}
        #: why no further DELETE was sent (401, 403), or None
        self.stopped: t.Optional[str] = None
        #: why the verifying read failed (every group's last delete was held), or None
        self.verify_error: t.Optional[str] = None
        #: what the final read showed: kept ids it did not find, deleted ids it still found; None: no final read
        self.final: t.Optional[t.Dict[str, t.Any]] = None

    @property
    def may_have_deleted(self) -> bool:
        """Something may have been deleted: ``deleted`` or ``unknown`` is not empty."""
        return bool(self.deleted or self.unknown)

    def to_result(self) -> dict:
        """The outcome lists as the module returns them."""
        return {"deleted": self.deleted, "gone": self.gone, "failed_deletes": self.failed, "unknown": self.unknown,
                "not_tried": self.not_tried, "held": self.held, "halted_groups": self.halted,
                "final": self.final or {}}


def _failure(snapshot_id: str, error: t.Optional[SnapfleetError]) -> dict:
    return {
        "id": snapshot_id,
        "status": getattr(error, "status", None),
        "message": getattr(error, "message", str(error)),
        "api_id": getattr(error, "api_id", None),
        "api_message": getattr(error, "api_message", None),
        "request_id": getattr(error, "request_id", None),
    }


def _record(outcome: Outcome, results: t.Iterable[t.Any]) -> None:
    for one in results:
        if one.outcome == "deleted":
            outcome.deleted.append(one.id)
        elif one.outcome == "gone":
            outcome.gone.append(one.id)
        elif one.outcome == "not_tried":
            outcome.not_tried.append(one.id)
        elif one.outcome == "unknown":
            entry = _failure(one.id, one.error)
            entry["check"] = _check(one.id)
            outcome.unknown.append(entry)
        else:
            outcome.failed.append(_failure(one.id, one.error))


def _last_of_each_group(plan: Plan, ids: t.Sequence[str]) -> t.Dict[str, str]:
    """group -> the id of ``ids`` (oldest first) that group deletes last."""
    chosen = set(ids)
    last: t.Dict[str, str] = {}
    position = {snapshot_id: index for index, snapshot_id in enumerate(ids)}
    for name, members in plan.groups.items():
        mine = [snapshot_id for snapshot_id in members["prune"] if snapshot_id in chosen]
        if mine:
            last[name] = max(mine, key=lambda snapshot_id: position[snapshot_id])
    return last


def carry_out(client: t.Any, plan: Plan, ids: t.Sequence[str], read_ids: ReadIds) -> Outcome:
    """Delete ``ids`` (pruned ids of ``plan``, oldest first); every id ends in one outcome list.

    Each group's last delete is sent only after ``read_ids`` found every snapshot the plan
    keeps for that group; a group where one is missing keeps its last pruned snapshot (``held``)
    and is named in ``halted``. After a 401, or a 403 before any delete succeeded, nothing more
    is sent (``not_tried``). When something may have been deleted, a final ``read_ids`` fills
    ``final``: an ``unknown`` delete the final read still finds is ``failed`` (it did not take effect).
    """
    outcome = Outcome()
    ids = [str(snapshot_id) for snapshot_id in ids]
    if not ids:
        return outcome
    last = _last_of_each_group(plan, ids)
    held_back = set(last.values())
    _record(outcome, client.delete_snapshots([snapshot_id for snapshot_id in ids if snapshot_id not in held_back]))
    second = [snapshot_id for snapshot_id in ids if snapshot_id in held_back]
    if _hopeless(outcome):
        outcome.not_tried.extend(second)
    elif second:
        blocked = _verify(outcome, plan, last, read_ids)
        allowed = [snapshot_id for snapshot_id in second if snapshot_id not in blocked]
        outcome.held.extend(snapshot_id for snapshot_id in second if snapshot_id in blocked)
        _record(outcome, client.delete_snapshots(allowed))
    _hopeless(outcome)
    if outcome.may_have_deleted:  # otherwise this run changed nothing a read could show
        _final(outcome, plan, ids, read_ids)
    _in_plan_order(outcome, plan)
    return outcome


def _in_plan_order(outcome: Outcome, plan: Plan) -> None:
    """Every list newest first, as the plan's ``prune`` is (the deletes finish in any order)."""
    rank = {snapshot_id: index for index, snapshot_id in enumerate(plan.order)}
    for name in ("deleted", "gone", "not_tried", "held"):
        getattr(outcome, name).sort(key=lambda snapshot_id: rank.get(snapshot_id, -1))
    for name in ("failed", "unknown"):
        getattr(outcome, name).sort(key=lambda entry: rank.get(entry["id"], -1))


def _hopeless(outcome: Outcome) -> bool:
    """Whether the token cannot delete (the client's rule: a 401, or a 403 before any success); sets ``stopped``."""
    statuses = [entry["status"] for entry in outcome.failed]
    if outcome.not_tried or 401 in statuses or (403 in statuses and not (outcome.deleted or outcome.gone)):
        first = next((entry for entry in outcome.failed if entry["status"] in (401, 403)), None)
        outcome.stopped = first["message"] if first else outcome.stopped
        return True
    return False


def _verify(outcome: Outcome, plan: Plan, last: t.Dict[str, str], read_ids: ReadIds) -> t.Set[str]:
    """The held-back ids that must not be deleted: their group lost a kept snapshot, or the read failed."""
    try:
        present = read_ids()
    except SnapfleetError as exc:
        outcome.verify_error = exc.message
        return set(last.values())
    blocked: t.Set[str] = set()
    for name, snapshot_id in last.items():
        missing = [kept for kept in plan.groups[name]["keep"] if kept not in present]
        if missing:
            outcome.halted[name] = missing
            blocked.add(snapshot_id)
    return blocked


def _final(outcome: Outcome, plan: Plan, ids: t.Sequence[str], read_ids: ReadIds) -> None:
    try:
        present = read_ids()
    except SnapfleetError as exc:
        outcome.final = {"read": False, "error": exc.message}
        return
    kept = [str(snapshot.get("id")) for snapshot in plan.keep]
    unknown = []
    for entry in outcome.unknown:
        if entry["id"] in present:
            entry["message"] = ("%s; the final read still lists it, so the DELETE did not take effect"
                                % entry["message"])
            entry.pop("check", None)
            outcome.failed.append(entry)
        else:
            entry["message"] = ("%s; the final read no longer lists it: this run or someone else deleted it"
                                % entry["message"])
            unknown.append(entry)
    outcome.unknown = unknown
    outcome.final = {
        "read": True,
        "kept_missing": [snapshot_id for snapshot_id in kept if snapshot_id not in present],
        "deleted_present": [snapshot_id for snapshot_id in outcome.deleted if snapshot_id in present],
        "not_deleted": [snapshot_id for snapshot_id in ids if snapshot_id in present],
    }
