# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Carrying out a retention plan: the snapshot_retention module's logic, apart from Ansible.

The plan itself comes from retention.py (pure). Here: the module's argument spec,
the options a prune refuses, the ``max_delete`` bound, the deletes (through the
client's ``delete_snapshots``), and the ``--diff`` text.
"""

from __future__ import annotations

import typing as t

from ..errors import OptionError, SafetyBoundError
from ..questions.options import module_argument_spec
from .policy import Plan, retention_argument_spec

DEFAULT_MAX_DELETE = 10
#: How many snapshots a refusal or failure message names before it says "and N more".
SHOWN = 20


def module_spec() -> dict:
    """snapshot_retention's spec: the connection and query options, the policy, ``max_delete``."""
    spec = module_argument_spec()
    # A prune decides from the strictest listing; nothing else is accepted.
    spec["consistency"] = dict(type="str", choices=["strict"], default="strict")
    spec.update(retention_argument_spec())
    spec["max_delete"] = dict(type="int", default=DEFAULT_MAX_DELETE)
    return spec


def check_scope(params: t.Mapping[str, t.Any]) -> None:
    """Refuse the query options a prune cannot plan with, and a bad ``max_delete``."""
    if params.get("page") is not None:
        raise OptionError("page", "page: snapshot_retention plans from the whole listing and does not take page "
                          "(a plan from one page would see part of each group)")
    if params.get("fields"):
        raise OptionError("fields", "fields: snapshot_retention needs whole snapshots to plan and does not take fields")
    bound = params.get("max_delete")
    if bound is not None and bound < -1:
        raise OptionError("max_delete", "max_delete: must be 0 or more, or -1 for no bound, got %s" % bound)


def _named(snapshots: t.Sequence[dict]) -> str:
    shown = ", ".join("%s (%s, %s)" % (s.get("id"), s.get("name"), s.get("created_at")) for s in snapshots[:SHOWN])
    if len(snapshots) > SHOWN:
        shown += ", and %d more" % (len(snapshots) - SHOWN)
    return shown


def refuse_above(max_delete: int, plan: Plan) -> None:
    """Raise SafetyBoundError, before any DELETE, when the plan prunes more than ``max_delete`` (-1: no bound)."""
    if max_delete == -1 or len(plan.prune) <= max_delete:
        return
    raise SafetyBoundError(
        "max_delete: the plan would delete %d snapshot%s, more than max_delete %d allows; nothing was deleted. "
        "Check the plan (check mode with --diff, or the snapfleet.digitalocean.retention filter), then raise "
        "max_delete or narrow the scope. It would have deleted: %s"
        % (len(plan.prune), "" if len(plan.prune) == 1 else "s", max_delete, _named(plan.prune)),
        [str(s.get("id")) for s in plan.prune])


class Outcome(t.NamedTuple):
    """What the deletes did: ids ``deleted`` (204), ids ``gone`` (404), and ``failed`` entries."""

    deleted: t.List[str]
    gone: t.List[str]
    failed: t.List[dict]


def delete_plan(client: t.Any, plan: Plan) -> Outcome:
    """Delete the plan's prune set with ``client.delete_snapshots`` (concurrent, within the rate limits)."""
    results = client.delete_snapshots([str(s.get("id")) for s in plan.prune])
    deleted, gone, failed = [], [], []
    for one in results:
        if one.outcome == "deleted":
            deleted.append(one.id)
        elif one.outcome == "gone":
            gone.append(one.id)
        else:
            error = one.error
            failed.append({
                "id": one.id,
                "status": getattr(error, "status", None),
                "message": getattr(error, "message", str(error)),
                "api_id": getattr(error, "api_id", None),
                "api_message": getattr(error, "api_message", None),
                "request_id": getattr(error, "request_id", None),
            })
    return Outcome(deleted, gone, failed)


def failure_message(plan: Plan, outcome: Outcome) -> str:
    """The task's message when some deletes failed."""
    first = outcome.failed[0]["message"]
    return ("%d of %d snapshot deletes failed (%d deleted, %d already gone); run the task again to finish: "
            "it lists what is left and plans again. Failed: %s. First error: %s"
            % (len(outcome.failed), len(plan.prune), len(outcome.deleted), len(outcome.gone),
               ", ".join(f["id"] for f in outcome.failed[:SHOWN]) + (", ..." if len(outcome.failed) > SHOWN else ""),
               first))


def _line(snapshot: dict) -> str:
    return "  %s  %s  %s\n" % (snapshot.get("id"), snapshot.get("created_at"), snapshot.get("name"))


def diff_text(plan: Plan, outcome: t.Optional[Outcome] = None) -> dict:
    """``--diff``: each group's snapshots before, and after with the kept ones' reasons.

    Kept snapshots have the same line on both sides, followed after by a ``kept:`` line;
    pruned ones appear only before. A failed delete stays after, with its error.
    """
    by_id = {str(s.get("id")): s for s in plan.keep + plan.prune}
    failed = {f["id"]: f for f in (outcome.failed if outcome else [])}
    before, after = [], []
    for name, members in plan.groups.items():
        header = "%s %s:\n" % (plan.policy.group_by, name or "(none)") if plan.policy.group_by != "none" else "all snapshots:\n"
        before.append(header)
        after.append(header)
        mine = set(members["keep"]) | set(members["prune"])
        ordered = [sid for sid in plan.order if sid in mine]
        for sid in ordered:
            snapshot = by_id[sid]
            before.append(_line(snapshot))
            if sid in plan.reasons:
                after.append(_line(snapshot))
                after.append("      kept: %s\n" % "; ".join(plan.reasons[sid]))
            elif sid in failed:
                after.append(_line(snapshot))
                after.append("      delete failed: %s\n" % failed[sid]["message"])
    kept, pruned = len(plan.keep), len(plan.prune)
    return {
        "before_header": "snapshots in scope: %d" % (kept + pruned),
        "after_header": "%s: %d kept, %d pruned" % (plan.policy.describe(), kept, pruned - len(failed)),
        "before": "".join(before),
        "after": "".join(after),
    }
