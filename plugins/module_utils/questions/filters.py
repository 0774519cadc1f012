# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters, sorting, field selection and grouping of API snapshot objects.

``Filters.from_params(params)`` reads and checks the filter options itself
(dates, ages, regular expressions, limit), raising ``OptionError`` naming the
option before any request is sent. ``Query.finish()`` applies them with
``select()`` then ``project()``, after the listing and before anything is
returned, so the module and the lookup always agree.

Dates have one grammar, parsed by the regular expressions below and never by
``datetime.fromisoformat`` (which accepts more on Python 3.11 than on 3.9, so
the module on a managed node and the lookup on the controller would disagree):

- a date ``YYYY-MM-DD`` (midnight UTC);
- a date-time ``YYYY-MM-DDTHH:MM:SS``, ``T`` or a space (either case), optional
  fractional seconds of any length (kept to the microsecond, cut, not
  rounded), then ``Z`` or ``+HH:MM`` / ``-HH:MM``; without an offset it is UTC;
- an age of the collection's one age grammar (``ages.py``: ``30d``, ``26h``,
  ``6mo``, ``90min``, ``1y2mo``), that long before now; an age reaching back
  before the year 1 is the earliest instant a datetime holds.

That is RFC 3339's ``full-date`` and ``date-time`` (plus the UTC default).
ISO 8601's other forms (``+0000``, ``20240501``, ``2024-05-01T12:00``, week
dates) are refused everywhere, on every Python.
"""

from __future__ import annotations

import copy
import datetime
import fnmatch
import re
import typing as t

from ..api import paths
from ..errors import OptionError
from .ages import HELP as AGE_HELP
from .ages import parse_age

SNAPSHOT_FIELDS = (
    "id", "name", "created_at", "regions", "resource_id", "resource_type", "min_disk_size", "size_gigabytes", "tags",
)
SORT_KEYS = ("created_at", "name", "size_gigabytes", "min_disk_size")
SORT_ORDERS = ("asc", "desc")
GROUP_KEYS = ("region", "resource_type", "resource_id", "tag")

# What is written as an age (digits, then letters), so that parse_age's own message explains what is wrong with it.
_AGE_SHAPED = re.compile(r"^([0-9]+[a-zA-Z]+)+$", re.ASCII)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$", re.ASCII)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
_GRAMMAR = ("an RFC 3339 date or date-time (2024-05-01, 2024-05-01T12:00:00Z, 2024-05-01T12:00:00.5+02:00) "
            "or an age (%s)" % AGE_HELP)


def parse_instant(option: str, value: t.Any, now: t.Optional[datetime.datetime] = None) -> datetime.datetime:
    """Parse a date, a date-time or an age (the grammar above) into an aware datetime.

    An age reaching back before the year 1 gives the earliest aware datetime
    (everything is created after it, nothing before it). Raises OptionError
    naming ``option`` for anything else.
    """
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            parsed = parse_timestamp(text)
        except ValueError:
            if not _AGE_SHAPED.match(text):
                raise OptionError(option, "%s: %r is not %s" % (option, value, _GRAMMAR)) from None
            age = parse_age(option, text)
            return age.before(now or datetime.datetime.now(datetime.timezone.utc)) or _EARLIEST
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def parse_timestamp(text: str) -> datetime.datetime:
    """Parse a date or date-time of the grammar above (the API's ``created_at`` too); raise ValueError."""
    text = text.strip()
    match = _DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return datetime.datetime(year, month, day, tzinfo=datetime.timezone.utc)
    match = _DATE_TIME.match(text)
    if not match:
        raise ValueError("not an RFC 3339 date or date-time: %r" % text)
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, _zulu, sign, off_hours, off_minutes = match.group(7, 8, 9, 10, 11)
    microsecond = int((fraction or "")[:6].ljust(6, "0"))
    offset = datetime.timezone.utc
    if sign:
        hours, minutes = int(off_hours), int(off_minutes)
        if hours > 23 or minutes > 59:
            raise ValueError("offset out of range: %r" % text)
        delta = datetime.timedelta(hours=hours, minutes=minutes)
        offset = datetime.timezone(-delta if sign == "-" else delta)
    # The constructor refuses month 13, February 30, hour 24 and second 60 (a leap second cannot be held).
    return datetime.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=offset)


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

    @classmethod
    def from_params(cls, params: t.Mapping[str, t.Any], by_id: bool = False) -> "Filters":
        """Build the filters from the options (validated by the spec), checking what the spec cannot.

        ``by_id``: the snapshots are fetched by id, so ``resource_type`` (which
        otherwise chooses what the API lists) filters them here.
        """
        limit = params.get("limit")
        if limit is not None and limit < 1:
            raise OptionError("limit", "limit: must be 1 or more, got %s" % limit)
        name_regex = params.get("name_regex")
        resource_id = params.get("resource_id")
        if resource_id is not None:
            resource_id = str(resource_id).strip()
            if paths.is_volume_id(resource_id):
                resource_id = resource_id.lower()
        return cls(
            regions=_strings(params.get("region")),
            names=_strings(params.get("name")),
            name_regex=compile_regex("name_regex", name_regex) if name_regex is not None else None,
            tags=_strings(params.get("tags")),
            resource_id=resource_id,
            resource_type=params.get("resource_type") if by_id else None,
            created_after=_instant(params, "created_after"),
            created_before=_instant(params, "created_before"),
            sort_by=params.get("sort_by"),
            sort_order=params.get("sort_order") or "asc",
            limit=limit,
            fields=_strings(params.get("fields")),
        )

    def __init__(
        self,
        regions: t.Sequence[str] = (),
        names: t.Sequence[str] = (),
        name_regex: t.Optional[t.Pattern] = None,
        tags: t.Sequence[str] = (),
        resource_id: t.Optional[str] = None,
        resource_type: t.Optional[str] = None,
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
        self.resource_type = resource_type
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
        if self.resource_type is not None and snapshot.get("resource_type") != self.resource_type:
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

    def without_tags(self) -> "Filters":
        """A copy without the ``tags`` filter (sorting, limit and fields kept): what can be checked on a
        snapshot listed without its tags (the Droplet endpoint's model); see routes.py."""
        clone = copy.copy(self)
        clone.tags = ()
        return clone

    @property
    def selective(self) -> bool:
        """True when some filter is set, so that ``matches`` can refuse a snapshot."""
        return bool(self.regions or self.names or self.name_regex is not None or self.tags
                    or self.resource_id is not None or self.resource_type is not None
                    or self.created_after is not None or self.created_before is not None)

    def select(self, snapshots: t.Iterable[dict]) -> t.List[dict]:
        """Filter, then sort (stable; without ``sort_by`` the API's order stays), then cut to ``limit``."""
        kept = [s for s in snapshots if self.matches(s)] if self.selective else list(snapshots)
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


def _instant(params: t.Mapping[str, t.Any], option: str) -> t.Optional[datetime.datetime]:
    value = params.get(option)
    return None if value in (None, "") else parse_instant(option, value)


def _strings(value: t.Any) -> t.List[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        value = [value]
    return [str(v) for v in value]


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
