# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """What to list and how to filter it: the same for the module and the lookup."""

    DOCUMENTATION = r"""
options:
  resource_type:
    description:
      - List only the snapshots of Droplets or only those of volumes. Both when not set.
      - Sent to the API, so that no more is read than needed.
      - With O(snapshot_id) (or snapshot ids given to the lookup as terms) it filters what comes back; a snapshot
        of the other type is not returned.
    type: str
    choices: [droplet, volume]
  volume_id:
    description:
      - A volume's UUID. Lists that volume's snapshots through the API's volume endpoint.
      - Cannot be combined with O(resource_type=droplet) or with O(snapshot_id).
    type: str
  snapshot_id:
    description:
      - Return this one snapshot (its id is a number for a Droplet snapshot, a UUID for a volume snapshot).
      - Leading and trailing spaces are removed before it is sent.
      - The filters still apply to it (O(resource_type), O(resource_id), O(name) and the others), so the result
        is empty when it does not match them.
      - Cannot be combined with O(volume_id) or O(page).
    type: str
  page:
    description:
      - Read this page of the listing alone (numbered from 1), and return the API's C(links) for it.
      - When not set, every page is read and the whole listing is returned.
      - Cannot be combined with O(snapshot_id), nor with a volume UUID in O(resource_id) (whose snapshots may come
        from the account's listing when the volume is gone); use O(volume_id) to page through one volume.
    type: int
  per_page:
    description:
      - How many snapshots to ask for per page, from 1 to 200.
      - The default, the API's maximum, needs the fewest requests.
    type: int
    default: 200
  consistency:
    description:
      - How hard to try for a listing that is exactly one moment of the account while it changes.
      - V(standard) gives the listing guarantee stated in the notes at little extra cost.
      - V(strict) reads the whole listing again until two reads in a row give the same ids in the same order, so
        creations and deletions that cancel out can hide a snapshot only if they hide it from both reads; it fails,
        saying the account kept changing, after 5 reads. It costs at least twice the requests of V(standard).
    type: str
    choices: [standard, strict]
    default: standard
  region:
    description:
      - Keep the snapshots available in at least one of these region slugs (such as V(fra1)).
    type: list
    elements: str
  name:
    description:
      - Keep the snapshots whose name matches at least one of these shell-style globs (such as V(db-*)).
      - Matching is case-sensitive.
    type: list
    elements: str
  name_regex:
    description:
      - Keep the snapshots whose name contains a match of this Python regular expression.
    type: str
  tags:
    description:
      - Keep the snapshots that carry every one of these tags.
    type: list
    elements: str
  resource_id:
    description:
      - Keep the snapshots taken of this Droplet (its numeric id) or volume (its UUID).
      - For a volume UUID only that volume's snapshots are read, through the volume endpoint
        (and the account's volume snapshots if the volume itself is gone).
      - For a Droplet id only Droplet snapshots are read.
    type: str
  created_after:
    description:
      - Keep the snapshots created at or after this moment.
      - An RFC 3339 date (V(2024-05-01), midnight UTC) or date-time (V(2024-05-01T12:00:00Z),
        V(2024-05-01T12:00:00.123456789+02:00); C(T) or a space between date and time, fractional seconds of any
        length kept to the microsecond, C(Z) or an offset C(+HH:MM)/C(-HH:MM), UTC when no offset is given),
        or an age counted back from now.
      - "An age is in the one age grammar of every age option of the collection (the same as C(keep_within)):
        one or more numbers each followed by a unit, V(y) years, V(mo) months, V(w) weeks, V(d) days, V(h) hours,
        V(min) minutes, V(s) seconds, such as V(30d), V(26h), V(6mo), V(90min) or V(1y2mo3d); each unit at most once.
        Months and years are calendar arithmetic on today's date in UTC. A bare V(m) is refused as ambiguous (write
        V(mo) for months or V(min) for minutes). An age reaching back before the year 1 (such as V(9999y)) is the
        earliest moment: every snapshot is created after it, none before it."
      - Other ISO 8601 forms (V(20240501), V(+0000) offsets, times without seconds) are refused. The same grammar is
        read the same way on every Python version, on the controller and on managed nodes.
    type: str
  created_before:
    description:
      - Keep the snapshots created strictly before this moment. Same formats as O(created_after).
      - V(30d) keeps the snapshots older than 30 days.
    type: str
  sort_by:
    description:
      - Sort the snapshots by this key. Without it the API's order is kept.
    type: str
    choices: [created_at, name, size_gigabytes, min_disk_size]
  sort_order:
    description:
      - Sort ascending or descending. Used with O(sort_by).
    type: str
    choices: [asc, desc]
    default: asc
  limit:
    description:
      - Return at most this many snapshots, counted after filtering and sorting.
      - With O(sort_by=created_at), O(sort_order=desc) and O(limit=1), the newest snapshot.
    type: int
  fields:
    description:
      - Return only these keys of each snapshot, to keep big results small.
      - Any of V(id), V(name), V(created_at), V(regions), V(resource_id), V(resource_type), V(min_disk_size),
        V(size_gigabytes), V(tags). All of them when not set.
    type: list
    elements: str
    choices: [id, name, created_at, regions, resource_id, resource_type, min_disk_size, size_gigabytes, tags]
  orphaned:
    description:
      - V(true) keeps only the snapshots whose source (their C(resource_id)) is neither a Droplet nor a volume of the
        account any more; V(false) keeps only those whose source exists. Every snapshot when not set.
      - The sources are read after the snapshots, and only those of the types listed (C(GET /v2/droplets), both
        its default listing and C(type=gpus), for Droplet snapshots; C(GET /v2/volumes) for volume snapshots), with the
        same paging, retries, time budget, O(consistency) and listing guarantee. A Droplet that exists, GPU Droplets
        included, never makes its snapshots look orphaned.
      - A source listing that fails fails the task; so does a token without the scope to read it (C(droplet:read),
        C(block_storage:read)), and the message names that scope. It is never taken for "no sources".
      - A snapshot that names no C(resource_type) or C(resource_id) is kept by neither value.
    type: bool
notes:
  - Filters combine with AND. They are applied after the listing, by the collection, except O(resource_type),
    O(volume_id) and O(resource_id) which also choose what the API is asked for.
  - A listing is read with O(per_page) snapshots per page; the first page tells the total and the other pages
    are then requested at once (up to O(concurrency) at a time), within the API's rate limits.
  - "The listing guarantee: every snapshot that exists for the whole listing appears exactly once, no snapshot appears
    twice, and one created or deleted while the listing is read may or may not appear. It holds while snapshots
    are only created (at the end of the list or anywhere) or only deleted (anywhere), however many: when they change
    faster than the listing can read them, it fails and says so instead of returning a partial list. At the defaults
    (O(per_page=200), O(concurrency=50)) that takes more than about one change per request."
  - "The cost: a quiet listing of C(T) snapshots takes exactly C(ceil(T / per_page)) requests (at least 1). While
    the account changes, the pages that could hide a snapshot are read again, at most 2N+4 requests in all (N the
    pages of the largest C(meta.total) seen); a listing that would need more fails, saying the account changed
    faster than it could be read."
  - "The order is the API's, oldest first; after changes during the listing, two neighbours across a page boundary
    can come out swapped. Use O(sort_by) when the order matters."
  - "What O(consistency=standard) cannot see: C(meta.total) is its only clock, so a snapshot can be missed only when,
    between two page reads, creations and deletions cancel out in C(meta.total), wholly or partly, such as a rotation
    (the oldest snapshot deleted after page 1 was read and a new one created at the end: the snapshot that slid from
    page 2 onto page 1 is never read). O(consistency=strict) reads the whole listing until two reads in a row agree,
    so such a change must hide a snapshot from both reads to hide it."
"""
