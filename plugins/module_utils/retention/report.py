# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What snapshot_retention says: the ``--diff``, the ``summary``, the message and the warnings.

Every line of the diff names its snapshot, and a note about a snapshot is on that snapshot's
own line, so the diff reads true in whatever order Ansible prints its hunks.
"""

from __future__ import annotations

import typing as t

from .deletes import Outcome
from .policy import Plan
from .pruning import SHOWN, Selection

#: How many ids each list of ``summary`` shows.
SUMMARY_IDS = 5


def _line(snapshot: dict, note: str = "") -> str:
    text = "  %s  %s  %s" % (snapshot.get("id"), snapshot.get("created_at"), snapshot.get("name"))
    return "%s  %s\n" % (text, note) if note else text + "\n"


def _notes(plan: Plan, selection: Selection, outcome: t.Optional[Outcome]) -> t.Dict[str, str]:
    """id -> why a snapshot the policy prunes stays (on both sides of the diff)."""
    notes = {one: "pruned, not deleted: left for a later run by batch_size" for one in selection.deferred}
    notes.update((one, "pruned, not deleted: not in approved_ids") for one in selection.not_approved)
    if outcome is not None:
        for entry in outcome.failed:
            notes[entry["id"]] = "delete failed: %s" % entry["message"]
        for entry in outcome.unknown:
            notes[entry["id"]] = "delete outcome unknown: %s" % entry["message"]
        notes.update((one, "not deleted: no DELETE sent after the token was refused") for one in outcome.not_tried)
        notes.update((one, "not deleted: kept snapshots of its group are gone") for one in outcome.held)
    return notes


def diff_text(plan: Plan, selection: Selection, outcome: t.Optional[Outcome] = None) -> dict:
    """``--diff``: each group's snapshots before, and after this run (check mode: after a real run).

    A kept snapshot's line carries its reasons, the same on both sides. A snapshot this run
    deletes (or found gone) appears only before. A pruned one that stays has the same line on
    both sides, saying why it stays. A group's header counts its snapshots, and differs between
    the sides only when something in the group goes.
    """
    by_id = {str(s.get("id")): s for s in plan.keep + plan.prune}
    notes = _notes(plan, selection, outcome)
    before, after = [], []
    going_word = "to delete" if outcome is None else "deleted or gone"
    for name, members in plan.groups.items():
        title = "%s %s" % (plan.policy.group_by, name or "(none)") if plan.policy.group_by != "none" else "all snapshots"
        lines_before, lines_after = [], []
        mine = set(members["keep"]) | set(members["prune"])
        for sid in (one for one in plan.order if one in mine):
            if sid in plan.reasons:
                line = _line(by_id[sid], "kept: %s" % "; ".join(plan.reasons[sid]))
            elif sid in notes:
                line = _line(by_id[sid], notes[sid])
            else:
                lines_before.append(_line(by_id[sid]))
                continue
            lines_before.append(line)
            lines_after.append(line)
        # A group with changes has a different header on each side, so that Ansible's diff always
        # shows the header above the group's changes, however far down they are.
        going = len(lines_before) - len(lines_after)
        if going:
            before.append("%s: %d snapshots\n" % (title, len(lines_before)))
            after.append("%s: %d left, %d %s\n" % (title, len(lines_after), going, going_word))
        else:
            before.append("%s: %d snapshots, none deleted\n" % (title, len(lines_before)))
            after.append(before[-1])
        before.extend(lines_before)
        after.extend(lines_after)
    kept, pruned = len(plan.keep), len(plan.prune)
    going = len(selection.ids) if outcome is None else len(outcome.deleted) + len(outcome.gone)
    return {
        "before_header": "snapshots in scope: %d" % (kept + pruned),
        "after_header": "%s: %d kept, %d pruned, %d %s" % (plan.policy.describe(), kept, pruned, going, going_word),
        "before": "".join(before),
        "after": "".join(after),
    }


def _ids(entries: t.Iterable[t.Any]) -> t.List[str]:
    return [entry["id"] if isinstance(entry, dict) else entry for entry in entries]


def summary(plan: Plan, selection: Selection, outcome: t.Optional[Outcome]) -> dict:
    """Counts, and the first SUMMARY_IDS ids of each non-empty list: what a person reads first."""
    lists: t.Dict[str, t.List[str]] = {
        "keep": _ids(plan.reasons), "prune": [str(s.get("id")) for s in plan.prune], "to_delete": selection.ids,
        "deferred": selection.deferred, "not_approved": selection.not_approved,
        "approved_kept": selection.approved_kept, "approved_absent": selection.approved_absent,
    }
    if outcome is not None:
        lists.update(deleted=outcome.deleted, gone=outcome.gone, failed=_ids(outcome.failed),
                     unknown=_ids(outcome.unknown), not_tried=outcome.not_tried, held=outcome.held)
    counts = {name: len(ids) for name, ids in lists.items()}
    shown = {name: ids[:SUMMARY_IDS] for name, ids in lists.items() if ids}
    return {"counts": counts, "groups": len(plan.groups), "ids": shown}


def _count(number: int, what: str) -> str:
    return "%d %s%s" % (number, what, "" if number == 1 else "s")


def message(plan: Plan, selection: Selection, outcome: t.Optional[Outcome], check_mode: bool,
            refused: bool = False) -> str:
    """One line that says what was (check mode: would be) done; its counts are those of the lists.

    ``refused``: the plan is over ``max_delete``, so a real run would refuse (check mode only).
    """
    parts = ["%s: %s kept, %d pruned in %s" % (plan.policy.describe(), len(plan.keep), len(plan.prune),
                                               _count(len(plan.groups), "group"))]
    if outcome is None and check_mode and refused:
        parts.append("a real run would refuse, as it would delete %d, more than max_delete allows" % len(selection.ids))
    elif outcome is None:
        parts.append("%s %s" % ("a real run would delete" if check_mode else "deleted", len(selection.ids)))
    else:
        parts.append("%d deleted, %d already gone, %d failed, %d unknown, %d not tried, %d held" % (
            len(outcome.deleted), len(outcome.gone), len(outcome.failed), len(outcome.unknown),
            len(outcome.not_tried), len(outcome.held)))
    if selection.deferred:
        parts.append("%d left for later runs by batch_size" % len(selection.deferred))
    if selection.not_approved:
        parts.append("%d pruned but not in approved_ids (kept)" % len(selection.not_approved))
    if selection.approved_kept:
        parts.append("%d of approved_ids kept by this plan (not deleted)" % len(selection.approved_kept))
    return "; ".join(parts)


def bound_warning(max_delete: int, selection: Selection) -> str:
    """Check mode's warning for a plan over ``max_delete`` (the diff and ``summary`` show the plan itself)."""
    return ("a real run would refuse and delete nothing: it would delete %s, more than max_delete %d allows. "
            "Review the plan, then raise max_delete, delete it in batches with batch_size, or narrow the scope"
            % (_count(len(selection.ids), "snapshot"), max_delete))


def _listed(ids: t.Sequence[str]) -> str:
    return ", ".join(ids[:SHOWN]) + (", and %d more" % (len(ids) - SHOWN) if len(ids) > SHOWN else "")


def warnings(outcome: Outcome) -> t.List[str]:
    """What the user must see even when the task fails (Ansible then prints no diff, but prints warnings)."""
    found = []
    if outcome.stopped:
        found.append("no further DELETE was sent after the token was refused; %s not tried: %s. %s"
                     % (_count(len(outcome.not_tried), "snapshot"), _listed(outcome.not_tried), outcome.stopped))
    for entry in outcome.failed[:SHOWN]:
        found.append("delete failed: %s: %s" % (entry["id"], entry["message"]))
    if len(outcome.failed) > SHOWN:
        found.append("%d more deletes failed (failed_deletes lists them all)" % (len(outcome.failed) - SHOWN))
    for entry in outcome.unknown[:SHOWN]:
        found.append("delete outcome unknown: %s: %s; to check: %s" % (entry["id"], entry["message"], entry["check"]))
    for name, missing in outcome.halted.items():
        found.append("stopped deleting in group %s: the plan keeps %s, which a read before its last delete did not "
                     "find (deleted by someone else?); its last pruned snapshot was not deleted, so the group is not "
                     "left empty" % (name or "(none)", ", ".join(missing)))
    if outcome.verify_error:
        found.append("the read that confirms each group's kept snapshots failed, so no group's last delete was sent "
                     "(%s held): %s" % (len(outcome.held), outcome.verify_error))
    final = outcome.final or {}
    if final.get("read") is False:
        found.append("the final read after the deletes failed: %s" % final.get("error"))
    elif final.get("kept_missing"):
        found.append("the final read does not find %s the plan keeps: %s"
                     % (_count(len(final["kept_missing"]), "snapshot"), _listed(final["kept_missing"])))
    return found


def failure_message(plan: Plan, selection: Selection, outcome: Outcome) -> t.Optional[str]:
    """The task's message when it must fail (a delete failed, was not tried or held), else None."""
    if not (outcome.failed or outcome.unknown or outcome.not_tried or outcome.held):
        return None
    text = message(plan, selection, outcome, check_mode=False)
    if outcome.stopped:
        return "%s. Stopped sending DELETEs: %s" % (text, outcome.stopped)
    if outcome.failed or outcome.unknown:
        first = (outcome.failed or outcome.unknown)[0]["message"]
        return "%s. Run the task again to finish: it lists what is left and plans again. First error: %s" % (
            text, first)
    if outcome.verify_error:
        return "%s. The read that confirms each group's kept snapshots failed, so no group's last delete was sent: %s" % (
            text, outcome.verify_error)
    return "%s. The kept snapshots of %s changed during the run; run the task again to plan from what is left" % (
        text, _count(len(outcome.halted), "group"))
