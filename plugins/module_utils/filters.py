# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters, sorting, field selection and grouping of API snapshot objects.

Both plugins apply them through ``Filters.apply`` after the listing and before
anything is returned, so the module and the lookup always agree. Parsing of
the user's values (dates, ages, regular expressions) lives here too, and
raises ``OptionError`` naming the option, before any request is sent.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
import typing as t

from .errors import OptionError

SNAPSHOT_FIELDS = (
    "id", "name", "created_at", "regions", "resource_id", "resource_type", "min_disk_size", "size_gigabytes", "tags",
)
SORT_KEYS = ("created_at", "name", "size_gigabytes", "min_disk_size")
SORT_ORDERS = ("asc", "desc")
GROUP_KEYS = ("region", "resource_type", "resource_id", "tag")

_AGE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_AGE_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_instant(option: str, value: t.Any, now: t.Optional[datetime.datetime] = None) -> datetime.datetime:
    """Parse an ISO 8601 date or date-time, or an age such as ``30d`` / ``12h`` (that long before now).

    Naive values are taken as UTC.
    """
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        age = _AGE.match(text)
        if age:
            now = now or datetime.datetime.now(datetime.timezone.utc)
            return now - datetime.timedelta(seconds=int(age.group(1)) * _AGE_SECONDS[age.group(2)])
        try:
            parsed = parse_timestamp(text)
        except ValueError:
            raise OptionError(
                option,
                "%s: %r is neither an ISO 8601 date or date-time (2024-05-01, 2024-05-01T12:00:00Z) "
                "nor an age such as 30d, 12h, 45m, 2w" % (option, value),
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def parse_timestamp(text: str) -> datetime.datetime:
    """Parse the API's ``created_at`` (ISO 8601, ``Z`` allowed on every Python); raise ValueError."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        parsed = datetime.datetime.strptime(text, "%Y-%m-%d")
    else:
        parsed = datetime.datetime.fromisoformat(text.replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def compile_regex(option: str, pattern: str) -> t.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise OptionError(option, "%s: %r is not a valid Python regular expression: %s" % (option, pattern, exc)) from None


def _created(snapshot: dict) -> datetime.datetime:
    try:
        return parse_timestamp(str(snapshot.get("created_at") or ""))
    except ValueError:
        # A snapshot without a readable date sorts first and matches no date filter.
        return _EPOCH


class Filters:
    """The client-side part of a query: which snapshots to keep and how to shape them."""

    def __init__(
        self,
        regions: t.Sequence[str] = (),
        names: t.Sequence[str] = (),
        name_regex: t.Optional[t.Pattern] = None,
        tags: t.Sequence[str] = (),
        resource_id: t.Optional[str] = None,
        created_after: t.Optional[datetime.datetime] = None,
        created_before: t.Optional[datetime.datetime] = None,
        sort_by: t.Optional[str] = None,
        sort_order: str = "asc",
        limit: t.Optional[int] = None,
        fields: t.Sequence[str] = (),
    ) -> None:
        self.regions = frozenset(regions)
        self.names = tuple(names)
        self.name_regex = name_regex
        self.tags = tuple(tags)
        self.resource_id = resource_id
        self.created_after = created_after
        self.created_before = created_before
        self.sort_by = sort_by
        self.sort_order = sort_order
        self.limit = limit
        self.fields = tuple(fields)

    def matches(self, snapshot: dict) -> bool:
        """True when the snapshot passes every filter that is set (they combine with AND)."""
        if self.regions and not self.regions.intersection(snapshot.get("regions") or ()):
            return False
        name = str(snapshot.get("name") or "")
        if self.names and not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.names):
            return False
        if self.name_regex is not None and not self.name_regex.search(name):
            return False
        if self.tags:
            carried = set(snapshot.get("tags") or ())
            if not all(tag in carried for tag in self.tags):
                return False
        if self.resource_id is not None and str(snapshot.get("resource_id")) != self.resource_id:
            return False
        if self.created_after is not None or self.created_before is not None:
            created = _created(snapshot)
            if created is _EPOCH:
                return False
            if self.created_after is not None and created < self.created_after:
                return False
            if self.created_before is not None and created >= self.created_before:
                return False
        return True

    def select(self, snapshots: t.Iterable[dict]) -> t.List[dict]:
        """Filter, then sort (stable; without ``sort_by`` the API's order stays), then cut to ``limit``."""
        kept = [s for s in snapshots if self.matches(s)]
        if self.sort_by:
            key = _created if self.sort_by == "created_at" else _sort_key(self.sort_by)
            kept.sort(key=key, reverse=self.sort_order == "desc")
        if self.limit is not None:
            kept = kept[: self.limit]
        return kept

    def project(self, snapshots: t.List[dict]) -> t.List[dict]:
        """Keep only ``fields`` of each snapshot (all of them when ``fields`` is empty)."""
        if not self.fields:
            return snapshots
        return [{f: s.get(f) for f in self.fields} for s in snapshots]

    def apply(self, snapshots: t.Iterable[dict]) -> t.List[dict]:
        """``select`` then ``project``."""
        return self.project(self.select(snapshots))


def _sort_key(field: str) -> t.Callable[[dict], t.Any]:
    if field == "name":
        return lambda s: str(s.get("name") or "")
    # Numbers: a missing value sorts as the smallest.
    return lambda s: s.get(field) if isinstance(s.get(field), (int, float)) else float("-inf")


def group(snapshots: t.Iterable[dict], by: str) -> t.Dict[str, t.List[dict]]:
    """Group snapshots the way an inventory groups hosts.

    A snapshot available in two regions (or carrying two tags) is in both
    groups; one with no region (or no tag) is in none. Groups keep the order of
    ``snapshots``; group names come in order of first appearance.
    """
    groups: t.Dict[str, t.List[dict]] = {}
    for snapshot in snapshots:
        if by == "region":
            keys = snapshot.get("regions") or []
        elif by == "tag":
            keys = snapshot.get("tags") or []
        else:
            value = snapshot.get(by)
            keys = [] if value is None else [value]
        for key in dict.fromkeys(str(k) for k in keys):
            groups.setdefault(key, []).append(snapshot)
    return groups
