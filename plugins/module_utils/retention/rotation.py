# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Whether a snapshot is due, and the limits a new one must respect: pure decisions, no I/O.

``decide`` applies ``min_age`` (the collection's age grammar) to a resource's snapshots;
``check_room`` refuses a volume that already holds the 25 snapshots DigitalOcean allows;
``made_by`` picks the snapshot a Droplet action made out of a listing read after it, never
one that was there before. Tag and name checks run before any request: the API's mock does
not check tag names, and the API itself would refuse them only after the snapshot is made.
"""

from __future__ import annotations

import datetime
import re
import typing as t

from ..errors import OptionError, SnapfleetError
from ..questions.ages import Age
from ..questions.filters import parse_timestamp

#: DigitalOcean's documented limits (Snapshots Limits): 25 snapshots per volume, one every 10 minutes.
MAX_VOLUME_SNAPSHOTS = 25
VOLUME_INTERVAL_MINUTES = 10
#: Tag names, as the contract's ``tags`` model gives them.
TAG_PATTERN = re.compile(r"^[a-zA-Z0-9_\-:]+$")
TAG_MAX_LENGTH = 255


class LimitError(SnapfleetError):
    """A documented limit of the API would refuse this snapshot; nothing was sent."""


class Decision(t.NamedTuple):
    """Whether a snapshot is due, why (a sentence), and the resource's newest snapshot (None: it has none)."""

    due: bool
    reason: str
    newest: t.Optional[dict]


def check_tags(option: str, tags: t.Optional[t.Sequence[t.Any]]) -> t.List[str]:
    """The tags, each checked against the API's pattern and length; duplicates dropped, order kept."""
    found: t.List[str] = []
    for tag in tags or []:
        text = tag if isinstance(tag, str) else str(tag)
        if len(text) > TAG_MAX_LENGTH:
            raise OptionError(option, "%s: the tag %r... is %d characters long; a tag holds at most %d"
                              % (option, text[:40], len(text), TAG_MAX_LENGTH))
        if not TAG_PATTERN.match(text):
            raise OptionError(option, "%s: %r is not a tag name the API takes: letters, digits, colons, dashes and "
                                      "underscores only" % (option, text))
        if text not in found:
            found.append(text)
    return found


def check_name(name: t.Any) -> str:
    """The snapshot's name, which must not be empty."""
    text = "" if name is None else str(name).strip()
    if not text:
        raise OptionError("name", "name: the snapshot's name must not be empty")
    return text


def created(snapshot: dict) -> datetime.datetime:
    """When a snapshot was created (its ``created_at``, aware)."""
    return parse_timestamp(str(snapshot["created_at"]))


def newest(snapshots: t.Iterable[dict]) -> t.Optional[dict]:
    """The snapshot created last (the later listed among equal times), or None."""
    best: t.Optional[dict] = None
    for snapshot in snapshots:
        if best is None or created(snapshot) >= created(best):
            best = snapshot
    return best


def decide(snapshots: t.Sequence[dict], min_age: t.Optional[Age], now: datetime.datetime) -> Decision:
    """Due unless ``min_age`` is set and the newest snapshot was created less than ``min_age`` before ``now``."""
    last = newest(snapshots)
    if last is None:
        return Decision(True, "the resource has no snapshot", None)
    if min_age is None:
        return Decision(True, "min_age is not set: a snapshot is taken on every run", last)
    since = min_age.before(now)
    age = now - created(last)
    shown = _age_words(age)
    if since is None or created(last) > since:
        return Decision(False, "not due: the newest snapshot, %s (%s, created %s), is %s old, younger than "
                               "min_age %s" % (last["id"], last.get("name"), last["created_at"], shown, min_age), last)
    return Decision(True, "due: the newest snapshot, %s (%s, created %s), is %s old, not younger than min_age %s"
                    % (last["id"], last.get("name"), last["created_at"], shown, min_age), last)


def check_room(volume_id: str, count: int) -> None:
    """Raise LimitError when the volume already holds the most snapshots DigitalOcean allows."""
    if count >= MAX_VOLUME_SNAPSHOTS:
        raise LimitError(
            "volume %s holds %d snapshots, and DigitalOcean allows at most %d per volume: no snapshot was "
            "taken. Delete old ones first, for example with snapfleet.digitalocean.snapshot_retention "
            "(resource_id: %s, keep_last: %d or fewer)" % (volume_id, count, MAX_VOLUME_SNAPSHOTS, volume_id,
                                                           MAX_VOLUME_SNAPSHOTS - 1))


def made_by(before_ids: t.Collection[str], after: t.Iterable[dict], name: str,
            started_at: t.Optional[str]) -> t.List[dict]:
    """The snapshots of ``after`` an action named ``name`` can have made: new since ``before_ids``, that name.

    When several qualify, those created at or after the action's ``started_at`` are kept (if any).
    """
    found = [s for s in after if str(s["id"]) not in before_ids and s.get("name") == name]
    if len(found) > 1 and started_at:
        try:
            start = parse_timestamp(started_at).replace(microsecond=0)
        except ValueError:
            return found
        later = [s for s in found if created(s) >= start]
        return later or found
    return found


def _age_words(age: datetime.timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 0:
        return "0s (its created_at is ahead of this host's clock)"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
    return "".join("%d%s" % (n, unit) for n, unit in parts if n) or "0s"
