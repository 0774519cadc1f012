# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The snapshot_retention module's rules, apart from Ansible: its argument spec, the options a
prune refuses, what this run deletes of a plan (``approved_ids``, ``batch_size``), and the
``max_delete`` bound.

The plan comes from policy.py (pure), the deletes are carried out by deletes.py, and
report.py says what happened.
"""

from __future__ import annotations

import typing as t

from ..api.paging import STRICT
from ..errors import OptionError, SafetyBoundError
from ..questions.options import cost_argument_spec, module_argument_spec
from .policy import Plan, retention_argument_spec

DEFAULT_MAX_DELETE = 10
#: How many snapshots a refusal or failure message names before it says "and N more".
SHOWN = 20
#: Query options that change which snapshots the policy sees, so that it would plan from part of each group.
TRUNCATING = ("snapshot_id", "sort_by", "sort_order", "limit")
SCOPING = "resource_type, resource_id, volume_id, region, name, name_regex, tags, created_after or created_before"


def module_spec() -> dict:
    """snapshot_retention's spec: the connection and query options, the policy, and what a run may delete."""
    spec = module_argument_spec()
    # A prune decides from the strictest listing; nothing else is accepted.
    spec["consistency"] = dict(type="str", choices=[STRICT], default=STRICT)
    # Refused by check_scope; without a default, so that only a given value is refused.
    spec["sort_order"] = dict(type="str", choices=spec["sort_order"]["choices"])
    spec.update(retention_argument_spec())
    spec.update(cost_argument_spec())
    spec["max_delete"] = dict(type="int", default=DEFAULT_MAX_DELETE)
    spec["batch_size"] = dict(type="int")
    spec["approved_ids"] = dict(type="list", elements="str")
    return spec


def check_scope(params: t.Mapping[str, t.Any]) -> None:
    """Refuse the query options a prune cannot plan with, and bad ``max_delete`` and ``batch_size`` values."""
    if params.get("page") is not None:
        raise OptionError("page", "page: snapshot_retention plans from the whole listing and does not take page "
                          "(a plan from one page would see part of each group); narrow the scope with %s" % SCOPING)
    if params.get("fields"):
        raise OptionError("fields", "fields: snapshot_retention needs whole snapshots to plan and does not take fields")
    given = [option for option in TRUNCATING if params.get(option) is not None]
    if given:
        raise OptionError(given[0], "%s: snapshot_retention plans from every snapshot in scope and does not take %s, "
                          "which would make the policy see part of each group; narrow the scope with %s instead"
                          % (", ".join(given), " or ".join(given), SCOPING))
    bound = params.get("max_delete")
    if bound is not None and bound < -1:
        raise OptionError("max_delete", "max_delete: must be 0 or more, or -1 for no bound, got %s" % bound)
    batch = params.get("batch_size")
    if batch is not None and batch < 1:
        raise OptionError("batch_size", "batch_size: must be 1 or more (leave it unset to delete the whole plan), "
                          "got %s" % batch)
    for item in params.get("approved_ids") or ():
        if not str(item).strip():
            raise OptionError("approved_ids", "approved_ids: an id must not be empty")


def named(snapshots: t.Sequence[dict]) -> str:
    """Up to SHOWN snapshots as ``id (name, created_at)``, then "and N more"."""
    shown = ", ".join("%s (%s, %s)" % (s.get("id"), s.get("name"), s.get("created_at")) for s in snapshots[:SHOWN])
    if len(snapshots) > SHOWN:
        shown += ", and %d more" % (len(snapshots) - SHOWN)
    return shown


class Selection(t.NamedTuple):
    """What this run deletes of a plan, and why the rest of the plan's prune set waits.

    ``ids``: to delete now, oldest first. ``deferred``: left for a later run by ``batch_size``.
    ``not_approved``: pruned by the plan but not in ``approved_ids`` (kept). ``approved_kept``:
    in ``approved_ids`` but kept by this plan (never deleted). ``approved_absent``: in
    ``approved_ids`` but not in the listing (already gone, or out of scope).
    """

    ids: t.List[str]
    deferred: t.List[str]
    not_approved: t.List[str]
    approved_kept: t.List[str]
    approved_absent: t.List[str]


def select(plan: Plan, approved_ids: t.Optional[t.Sequence[str]], batch_size: t.Optional[int]) -> Selection:
    """The plan's prune set, restricted to ``approved_ids`` (None: all), then its oldest ``batch_size`` (None: all)."""
    oldest_first = [str(s.get("id")) for s in reversed(plan.prune)]
    not_approved: t.List[str] = []
    approved_kept: t.List[str] = []
    approved_absent: t.List[str] = []
    if approved_ids is not None:
        approved = list(dict.fromkeys(str(one).strip() for one in approved_ids))
        allowed = set(approved)
        not_approved = [snapshot_id for snapshot_id in oldest_first if snapshot_id not in allowed]
        oldest_first = [snapshot_id for snapshot_id in oldest_first if snapshot_id in allowed]
        pruned = set(oldest_first)
        approved_kept = [one for one in approved if one in plan.reasons]
        approved_absent = [one for one in approved if one not in plan.reasons and one not in pruned]
    if batch_size is not None:
        return Selection(oldest_first[:batch_size], oldest_first[batch_size:], not_approved, approved_kept,
                         approved_absent)
    return Selection(oldest_first, [], not_approved, approved_kept, approved_absent)


def over_bound(max_delete: int, plan: Plan, selection: Selection) -> t.Optional[SafetyBoundError]:
    """The refusal when this run would delete more than ``max_delete`` (-1: no bound), else None."""
    count = len(selection.ids)
    if max_delete == -1 or count <= max_delete:
        return None
    by_id = {str(s.get("id")): s for s in plan.prune}
    return SafetyBoundError(
        "max_delete: this run would delete %d snapshot%s, more than max_delete %d allows; nothing was deleted. "
        "Check the plan (check mode with --diff), then raise max_delete, delete it in batches with batch_size, "
        "or narrow the scope. It would have deleted (oldest first): %s"
        % (count, "" if count == 1 else "s", max_delete, named([by_id[one] for one in selection.ids])),
        selection.ids)
