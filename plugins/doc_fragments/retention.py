# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The retention policy: the same options for the snapshot_retention module and the retention filter."""

    DOCUMENTATION = r"""
options:
  keep_last:
    description:
      - Keep the newest N snapshots of each group.
      - V(-1) keeps every snapshot; V(0) (or not setting it) leaves the rule off.
    type: int
  keep_hourly:
    description:
      - For the last N hours that hold at least one snapshot, keep the newest snapshot of each hour.
      - Hours without a snapshot do not count. V(-1) keeps one for every such hour.
      - The repeated hour when clocks go back (DST) is two hours, and two periods.
    type: int
  keep_daily:
    description:
      - For the last N calendar days (in O(timezone)) that hold at least one snapshot, keep the newest snapshot of
        each day.
      - Days without a snapshot do not count. V(-1) keeps one for every such day.
    type: int
  keep_weekly:
    description:
      - For the last N ISO weeks (Monday 00:00 to Sunday 24:00, in O(timezone)) that hold at least one snapshot, keep
        the newest snapshot of each week. The week of 1 January can belong to the year before or after (ISO 8601).
      - Weeks without a snapshot do not count. V(-1) keeps one for every such week.
    type: int
  keep_monthly:
    description:
      - For the last N calendar months that hold at least one snapshot, keep the newest snapshot of each month.
      - Months without a snapshot do not count. V(-1) keeps one for every such month.
    type: int
  keep_yearly:
    description:
      - For the last N calendar years that hold at least one snapshot, keep the newest snapshot of each year.
      - Years without a snapshot do not count. V(-1) keeps one for every such year.
    type: int
  keep_within:
    description:
      - Keep every snapshot created strictly after this long before the B(newest snapshot of its group) (not before
        now, so a policy gives the same plan whenever it runs, and a resource that stopped taking snapshots keeps them).
      - "An age, in the one age grammar of every age option of the collection (the same as C(created_before)):
        one or more numbers each followed by a unit, V(y) years, V(mo) months, V(w) weeks, V(d) days, V(h) hours,
        V(min) minutes, V(s) seconds, such as V(7d), V(2w), V(6mo), V(1y), V(36h) or V(1y2mo3d); each unit at most once.
        A bare V(m) is refused as ambiguous (write V(mo) for months or V(min) for minutes)."
      - Years, months, weeks and days are calendar arithmetic on the date in O(timezone), as restic does it (Go's
        C(AddDate)); a day the month does not have rolls over into the next month, so one month before 31 March is
        3 March (2 March in a leap year). Hours, minutes and seconds are then taken off as elapsed time.
      - A snapshot exactly at the cut-off is not kept. An age reaching back before the year 1 (such as V(9999y)) keeps
        every snapshot of the group.
      - V(0d) leaves the rule off, and so does an empty string.
    type: str
  keep_within_hourly:
    description:
      - Within this duration of the newest snapshot of the group (as O(keep_within)), keep the newest snapshot of
        each hour.
    type: str
  keep_within_daily:
    description:
      - Within this duration of the newest snapshot of the group (as O(keep_within)), keep the newest snapshot of
        each day.
    type: str
  keep_within_weekly:
    description:
      - Within this duration of the newest snapshot of the group (as O(keep_within)), keep the newest snapshot of
        each ISO week.
    type: str
  keep_within_monthly:
    description:
      - Within this duration of the newest snapshot of the group (as O(keep_within)), keep the newest snapshot of
        each month.
    type: str
  keep_within_yearly:
    description:
      - Within this duration of the newest snapshot of the group (as O(keep_within)), keep the newest snapshot of
        each year.
    type: str
  keep_tags:
    description:
      - Keep every snapshot that carries all the tags of at least one of these lists.
      - "Each entry is a list of tags, or a string of tags separated by commas (as restic's C(--keep-tag a,b)):
        V([[keep], [env:prod, tier:db]]) and V([keep, 'env:prod,tier:db']) are the same policy."
      - The tag V('') matches snapshots without tags. An empty list is refused, as it would keep everything.
    type: list
    elements: list
  group_by:
    description:
      - The policy applies to each group of snapshots on its own.
      - V(resource_id) groups the snapshots of each Droplet or volume, V(resource_type) all Droplet snapshots and
        all volume snapshots, V(region) each region's snapshots, V(none) the whole list as one group.
      - With V(region), a snapshot available in several regions is in each of those groups, and is pruned only when
        every one of them prunes it, as deleting it deletes it in every region. Its reasons name the group that kept
        it, such as C(daily snapshot (region fra1)).
    type: str
    choices: [resource_id, resource_type, region, none]
    default: resource_id
  timezone:
    description:
      - The IANA time zone (such as V(Europe/Berlin)) whose calendar the hours, days, weeks, months and years of the
        rules follow, and in which O(keep_within) durations are counted.
      - Days on which clocks change are 23 or 25 hours long, as they are on the wall.
    type: str
    default: UTC
  allow_empty_group:
    description:
      - When V(false), a group whose snapshots the rules would all prune keeps its newest snapshot, with the reason
        saying so; a policy never deletes every snapshot of a Droplet or volume by accident.
      - P(snapfleet.digitalocean.snapshot_retention#module) also confirms, before each group's last delete, that the
        snapshots the plan keeps still exist, and stops deleting in a group where one was deleted meanwhile.
      - Set V(true) to let a policy prune every snapshot of a group, for example with only O(keep_tags).
    type: bool
    default: false
notes:
  - "The rules are those of restic's C(forget) command. The newest snapshot of each period is the one kept, each rule
    counts on its own (one snapshot can take a daily and a weekly slot at once), and a snapshot is kept when any rule
    keeps it. When a count rule still has count left after the oldest period, the oldest snapshot is kept too
    (C(oldest daily snapshot)), to keep the longest history the counts allow."
  - "Every kept snapshot has its reasons, in restic's words: C(last snapshot), C(daily snapshot),
    C(oldest monthly snapshot), C(within 7d), C(daily within 1mo), C(has tags [env:prod])."
  - A policy with no rule prunes nothing. A snapshot whose C(created_at) cannot be read is kept, with the reason
    C(no readable created_at), takes no slot of any rule, and is listed in C(undated).
  - "Where this differs from restic, and why: snapshots with a C(created_at) in the future count like the others
    (restic ignores them when it finds the newest snapshot), as the plan must not depend on the clock and DigitalOcean
    sets C(created_at) itself."
  - "Ages write months as V(mo) where restic writes C(m), so that no unit means minutes in one option and months in
    another; they also take V(w), V(min) and V(s). Each unit is given once and no number is negative (restic reads
    C(1d2d) as 2 days and accepts negative numbers), to refuse what is likely a typing mistake."
  - "One time zone, O(timezone), applies to every snapshot (restic uses the zone each backup recorded; the API gives
    UTC times). The repeated hour of a DST change is two hourly periods (restic buckets by wall-clock hour and would
    keep one snapshot for two hours)."
  - "A group the rules would empty keeps its newest snapshot unless O(allow_empty_group) is set (restic exits with an
    error when O(keep_tags) would empty a group; here the other groups still get their plan). An empty tag list is
    refused (restic matches every snapshot with it)."
  - "Snapshots with the same C(created_at) are ordered by id (restic keeps the listing's order), so that the plan
    does not depend on the order of the input. A snapshot id given twice counts once."
"""
