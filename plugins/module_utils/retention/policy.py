# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Retention policies: which snapshots a policy keeps, and why.

Pure logic, no I/O and no clock: the same snapshots and the same policy always
give the same plan. The rules follow the documented semantics of restic's
``forget`` (keep_last/hourly/daily/weekly/monthly/yearly, keep_within and
keep_within_<period>, keep tag lists, the oldest-snapshot rule); where this
engine differs, the module's documentation says so and why.

``parse_policy(options)`` checks the options and raises ``OptionError`` with
the words both the module and the filter show; ``apply_policy(snapshots,
policy)`` returns a ``Plan``.
"""

from __future__ import annotations

import datetime
import re
import typing as t

from ..errors import OptionError
from ..questions.ages import Age, parse_age
from ..questions.filters import parse_timestamp

try:
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover - Python < 3.9 is not supported, but importing must not fail
    ZoneInfo = None  # type: ignore[assignment,misc]

UTC = datetime.timezone.utc

#: The periods of the count and within rules, in restic's order.
PERIODS = ("hourly", "daily", "weekly", "monthly", "yearly")
#: Count rules: option -> period (None for keep_last: every snapshot is its own period).
COUNT_OPTIONS = (("keep_last", None),) + tuple(("keep_" + p, p) for p in PERIODS)
#: Age rules with a period (keep_within_<period>): option -> period.
WITHIN_PERIOD_OPTIONS = tuple(("keep_within_" + p, p) for p in PERIODS)
GROUP_BY = ("resource_id", "resource_type", "region", "none")
DEFAULT_GROUP_BY = "resource_id"
DEFAULT_TIMEZONE = "UTC"
#: Every option a policy takes, in the order they are documented.
POLICY_OPTIONS = (tuple(name for name, _period_name in COUNT_OPTIONS) + ("keep_within",)
                  + tuple(name for name, _period_name in WITHIN_PERIOD_OPTIONS)
                  + ("keep_tags", "group_by", "timezone", "allow_empty_group"))

REASON_UNDATED = "no readable created_at"
REASON_EMPTY_POLICY = "empty policy: nothing is pruned"
#: What a plugin warns when no rule is set (restic: "no policy was specified").
EMPTY_POLICY_WARNING = ("no policy was specified: no keep_* rule was given (or each was 0 or empty), so nothing is "
                        "pruned; give at least one, such as keep_daily: 7")
REASON_GUARD = "newest snapshot of the group, kept because the policy would prune every snapshot of it (allow_empty_group is false)"


def load_zone(option: str, name: t.Any) -> datetime.tzinfo:
    """The IANA time zone ``name``; OptionError when it is not one."""
    if not isinstance(name, str) or not name.strip():
        raise OptionError(option, "%s: %r is not an IANA time zone name (such as UTC, Europe/Berlin, America/New_York)"
                          % (option, name))
    if name.strip().upper() in ("UTC", "ETC/UTC"):
        # No tz database is needed for UTC.
        return UTC
    if ZoneInfo is None:  # pragma: no cover
        raise OptionError(option, "%s: time zones other than UTC need Python 3.9 or later" % option)
    try:
        return ZoneInfo(name.strip())
    except (ValueError, KeyError, OSError):
        # ZoneInfoNotFoundError is a KeyError; malformed keys raise ValueError.
        raise OptionError(option, "%s: %r is not a known IANA time zone name (such as UTC, Europe/Berlin, "
                          "America/New_York)" % (option, name)) from None


class Policy:
    """A checked retention policy. Build it with ``parse_policy``."""

    def __init__(self, counts: t.Dict[str, int], keep_within: t.Optional[Age],
                 within: t.Dict[str, Age], keep_tags: t.List[t.Tuple[str, ...]],
                 group_by: str, timezone: str, zone: datetime.tzinfo, allow_empty_group: bool) -> None:
        self.counts = counts
        self.keep_within = keep_within
        self.within = within
        self.keep_tags = keep_tags
        self.group_by = group_by
        self.timezone = timezone
        self.zone = zone
        self.allow_empty_group = allow_empty_group

    @property
    def empty(self) -> bool:
        """True when no rule is set: such a policy prunes nothing."""
        return not (any(self.counts.values()) or self.keep_within or self.within or self.keep_tags)

    def describe(self) -> str:
        """The policy in words, like restic's "Applying Policy" line."""
        words = []
        for option, period in COUNT_OPTIONS:
            count = self.counts.get(option, 0)
            if count:
                words.append("%s %s" % ("all" if count == -1 else count, period or "last"))
        for option, period in WITHIN_PERIOD_OPTIONS:
            if option in self.within:
                words.append("%s snapshots within %s" % (period, self.within[option]))
        if self.keep_within:
            words.append("all snapshots within %s of the newest" % (self.keep_within,))
        if self.keep_tags:
            words.append("all snapshots with tags %s" % " or ".join(_tag_list(tags) for tags in self.keep_tags))
        if not words:
            return "empty policy: keep everything"
        return "keep %s, per %s" % (", ".join(words), "account" if self.group_by == "none" else self.group_by)


def _count(option: str, value: t.Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.match(r"^\s*-?\d+\s*$", value):
            value = int(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise OptionError(option, "%s: must be a whole number of snapshots to keep (-1 for unlimited), got %r"
                              % (option, value))
    if value < -1:
        raise OptionError(option, "%s: must be 0 or more, or -1 for unlimited, got %d" % (option, value))
    return value


def _tags(option: str, value: t.Any) -> t.List[t.Tuple[str, ...]]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise OptionError(option, "%s: must be a list of tag lists, such as [[keep], [env:prod, tier:db]], got %r"
                          % (option, value))
    lists = []
    for item in value:
        if isinstance(item, str):
            # As restic's --keep-tag a,b: tags separated by commas must all be present.
            item = [part.strip() for part in item.split(",")]
        if not isinstance(item, (list, tuple)) or not all(isinstance(tag, str) for tag in item):
            raise OptionError(option, "%s: each entry must be a list of tags (strings), got %r" % (option, item))
        if not item:
            raise OptionError(option, "%s: an empty tag list would keep every snapshot; give at least one tag "
                              "(the tag '' matches snapshots without tags)" % option)
        lists.append(tuple(dict.fromkeys(item)))
    return list(dict.fromkeys(lists))


def parse_policy(options: t.Mapping[str, t.Any]) -> Policy:
    """Check the policy options and build a ``Policy``. Raises OptionError; ``None`` means not set."""
    unknown = sorted(set(options) - set(POLICY_OPTIONS))
    if unknown:
        raise OptionError(unknown[0], "unknown retention option%s %s; the options are %s"
                          % ("s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(POLICY_OPTIONS)))
    counts = {option: _count(option, options.get(option)) for option, _period_name in COUNT_OPTIONS}
    keep_within = None
    if options.get("keep_within") not in (None, ""):
        keep_within = parse_age("keep_within", options["keep_within"])
        if keep_within.is_zero():
            # As in restic, a zero duration leaves the rule off.
            keep_within = None
    within = {}
    for option, _period_name in WITHIN_PERIOD_OPTIONS:
        if options.get(option) not in (None, ""):
            age = parse_age(option, options[option])
            if not age.is_zero():
                within[option] = age
    keep_tags = _tags("keep_tags", options.get("keep_tags"))
    group_by = options.get("group_by")
    if group_by is None:
        group_by = DEFAULT_GROUP_BY
    if group_by not in GROUP_BY:
        raise OptionError("group_by", "group_by: must be one of %s, got %r" % (", ".join(GROUP_BY), group_by))
    timezone = options.get("timezone")
    if timezone is None:
        timezone = DEFAULT_TIMEZONE
    zone = load_zone("timezone", timezone)
    allow_empty = options.get("allow_empty_group")
    if allow_empty is None:
        allow_empty = False
    if not isinstance(allow_empty, bool):
        raise OptionError("allow_empty_group", "allow_empty_group: must be true or false, got %r" % (allow_empty,))
    return Policy(counts, keep_within, within, keep_tags, group_by, str(timezone).strip(), zone, allow_empty)


class Plan:
    """What a policy keeps and prunes, and why.

    ``keep`` and ``prune`` hold the input's snapshot dicts (not copies), newest first,
    snapshots without a readable ``created_at`` last. ``reasons`` maps each kept snapshot's id
    to its reasons. ``groups`` maps each group name to the ids it keeps and prunes.
    """

    def __init__(self, keep: t.List[dict], prune: t.List[dict], reasons: t.Dict[str, t.List[str]],
                 groups: t.Dict[str, t.Dict[str, t.List[str]]], undated: t.List[str], policy: Policy,
                 order: t.Sequence[str] = ()) -> None:
        self.keep = keep
        self.prune = prune
        self.reasons = reasons
        self.groups = groups
        self.undated = undated
        self.policy = policy
        # Every id, newest first (undated last): the order keep and prune are in.
        self.order = list(order)

    def to_dict(self) -> dict:
        """The plan as the filter and the module return it."""
        return {"keep": self.keep, "prune": self.prune, "reasons": self.reasons, "groups": self.groups,
                "undated": self.undated}


class _Dated(t.NamedTuple):
    when: datetime.datetime
    order: t.Tuple[int, int, str]
    id: str
    snapshot: dict


def _id_order(snapshot_id: str) -> t.Tuple[int, int, str]:
    # Droplet snapshot ids are numbers: compare them as numbers, and before UUIDs.
    if snapshot_id.isdigit():
        return (0, int(snapshot_id), "")
    return (1, 0, snapshot_id)


def _tag_list(tags: t.Sequence[str]) -> str:
    return "[%s]" % ", ".join(tags)


def _has_tags(snapshot: dict, tags: t.Sequence[str]) -> bool:
    carried = set(str(tag) for tag in (snapshot.get("tags") or ()))
    for tag in tags:
        # As restic: the tag '' matches a snapshot without tags.
        if tag == "" and not carried:
            continue
        if tag not in carried:
            return False
    return True


def _period(when: datetime.datetime, period: t.Optional[str], index: int, zone: datetime.tzinfo) -> t.Hashable:
    """The period (in ``zone``) that ``when`` falls in."""
    if period is None:
        return index
    local = when.astimezone(zone)
    if period == "hourly":
        # The UTC offset makes the repeated hour of a DST change its own period: two real hours, two periods.
        return (local.year, local.month, local.day, local.hour, local.utcoffset())
    if period == "daily":
        return local.date()
    if period == "weekly":
        iso = local.isocalendar()
        return (iso[0], iso[1])
    if period == "monthly":
        return (local.year, local.month)
    return local.year


def _group_names(snapshot: dict, group_by: str) -> t.List[str]:
    if group_by == "none":
        return ["all"]
    if group_by == "region":
        regions = [str(r) for r in (snapshot.get("regions") or [])]
        return list(dict.fromkeys(regions)) or [""]
    value = snapshot.get(group_by)
    return ["" if value is None else str(value)]


def _apply_group(members: t.List[_Dated], policy: Policy) -> t.Dict[str, t.List[str]]:
    """restic's algorithm over one group's dated snapshots (newest first): id -> reasons, kept ones only."""
    reasons: t.Dict[str, t.List[str]] = {}
    if not members:
        return reasons
    zone = policy.zone
    latest = members[0].when
    last_index = len(members) - 1
    left = dict(policy.counts)
    seen: t.Dict[str, t.Hashable] = {}
    seen_within: t.Dict[str, t.Hashable] = {}
    within_cutoff = policy.keep_within.before(latest, zone) if policy.keep_within else None
    # A cutoff of None: the age reaches back before the year 1, so every snapshot is within it.
    period_cutoffs = {option: age.before(latest, zone) for option, age in policy.within.items()}
    for index, item in enumerate(members):
        found: t.List[str] = []
        for tags in policy.keep_tags:
            if _has_tags(item.snapshot, tags):
                found.append("has tags %s" % _tag_list(tags))
        if policy.keep_within and (within_cutoff is None or item.when > within_cutoff):
            found.append("within %s" % (policy.keep_within,))
        for option, period in COUNT_OPTIONS:
            if left[option] == 0:
                continue
            value = _period(item.when, period, index, zone)
            new_period = option not in seen or seen[option] != value
            # restic's rule: a rule with count left at the end also keeps the oldest snapshot,
            # to keep the longest history the counts allow.
            if new_period or index == last_index:
                name = "%s snapshot" % (period or "last")
                found.append(name if new_period else "oldest " + name)
                seen[option] = value
                if left[option] > 0:
                    left[option] -= 1
        for option, period in WITHIN_PERIOD_OPTIONS:
            if option not in period_cutoffs:
                continue
            if period_cutoffs[option] is not None and not item.when > period_cutoffs[option]:
                continue
            value = _period(item.when, period, index, zone)
            new_period = option not in seen_within or seen_within[option] != value
            if new_period or index == last_index:
                name = "%s within %s" % (period, policy.within[option])
                found.append(name if new_period else "oldest " + name)
                seen_within[option] = value
        if found:
            reasons[item.id] = found
    return reasons


def apply_policy(snapshots: t.Iterable[dict], policy: Policy) -> Plan:
    """Apply ``policy`` to ``snapshots`` (the API's snapshot dicts); a ``Plan``.

    Each group is planned on its own. A snapshot in several groups (group_by region and a
    snapshot available in two regions) is pruned only when every one of its groups prunes
    it: deleting it deletes it everywhere. A snapshot whose ``created_at`` cannot be read
    is kept. Unless ``allow_empty_group``, a group the rules would empty keeps its newest
    snapshot. The result does not depend on the order of ``snapshots``; an id given twice
    counts once (its first dict).
    """
    unique: t.Dict[str, dict] = {}
    for snapshot in snapshots:
        unique.setdefault(str(snapshot.get("id")), snapshot)
    dated: t.List[_Dated] = []
    undated: t.List[t.Tuple[t.Tuple[int, int, str], str, dict]] = []
    for snapshot_id, snapshot in unique.items():
        try:
            when = parse_timestamp(str(snapshot.get("created_at") or ""))
        except (ValueError, TypeError, OverflowError):
            undated.append((_id_order(snapshot_id), snapshot_id, snapshot))
            continue
        dated.append(_Dated(when.astimezone(UTC), _id_order(snapshot_id), snapshot_id, snapshot))
    # Newest first; equal times by id, so that the input's order never matters.
    dated.sort(key=lambda d: (d.when, d.order), reverse=True)
    undated.sort(key=lambda u: u[0], reverse=True)

    groups: t.Dict[str, t.List[_Dated]] = {}
    member_of: t.Dict[str, t.List[str]] = {}
    for item in dated:
        names = _group_names(item.snapshot, policy.group_by)
        member_of[item.id] = names
        for name in names:
            groups.setdefault(name, []).append(item)
    for _order, snapshot_id, snapshot in undated:
        member_of[snapshot_id] = _group_names(snapshot, policy.group_by)

    reasons: t.Dict[str, t.List[str]] = {}

    def add(snapshot_id: str, group: str, found: t.List[str]) -> None:
        several = len(member_of[snapshot_id]) > 1
        target = reasons.setdefault(snapshot_id, [])
        for reason in found:
            # A snapshot in several groups says which group kept it.
            text = "%s (%s %s)" % (reason, policy.group_by, group) if several else reason
            if text not in target:
                target.append(text)

    for name, members in groups.items():
        if policy.empty:
            found = {item.id: [REASON_EMPTY_POLICY] for item in members}
        else:
            found = _apply_group(members, policy)
        for snapshot_id, why in found.items():
            add(snapshot_id, name, why)
    if not policy.allow_empty_group:
        # After every group is planned: a snapshot another group keeps already saves this one.
        for name, members in groups.items():
            if not any(item.id in reasons for item in members):
                add(members[0].id, name, [REASON_GUARD])
    for _order, snapshot_id, _snapshot in undated:
        reasons[snapshot_id] = [REASON_UNDATED]

    ordered = [(item.id, item.snapshot) for item in dated] + [(u[1], u[2]) for u in undated]
    keep = [snapshot for snapshot_id, snapshot in ordered if snapshot_id in reasons]
    prune = [snapshot for snapshot_id, snapshot in ordered if snapshot_id not in reasons]
    summary: t.Dict[str, t.Dict[str, t.List[str]]] = {}
    for snapshot_id, _snapshot in ordered:
        for name in member_of[snapshot_id]:
            entry = summary.setdefault(name, {"keep": [], "prune": []})
            entry["keep" if snapshot_id in reasons else "prune"].append(snapshot_id)
    return Plan(keep, prune, {sid: reasons[sid] for sid, _s in ordered if sid in reasons},
                dict(sorted(summary.items())), [u[1] for u in undated], policy, [sid for sid, _s in ordered])


def plan_retention(snapshots: t.Iterable[dict], options: t.Mapping[str, t.Any]) -> Plan:
    """``parse_policy`` then ``apply_policy``: the one call the filter and the module make."""
    return apply_policy(snapshots, parse_policy(options))


def retention_argument_spec() -> dict:
    """The policy options as an Ansible argument spec (module and filter). A fresh dict on each call."""
    spec: t.Dict[str, dict] = {}
    for option, _period_name in COUNT_OPTIONS:
        spec[option] = dict(type="int")
    spec["keep_within"] = dict(type="str")
    for option, _period_name in WITHIN_PERIOD_OPTIONS:
        spec[option] = dict(type="str")
    spec["keep_tags"] = dict(type="list", elements="list")
    spec["group_by"] = dict(type="str", choices=list(GROUP_BY), default=DEFAULT_GROUP_BY)
    spec["timezone"] = dict(type="str", default=DEFAULT_TIMEZONE)
    spec["allow_empty_group"] = dict(type="bool", default=False)
    return spec
