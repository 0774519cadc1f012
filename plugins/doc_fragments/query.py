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
      - Cannot be combined with O(volume_id).
    type: str
  page:
    description:
      - Read this page of the listing alone (numbered from 1), and return the API's C(links) for it.
      - When not set, every page is read and the whole listing is returned.
    type: int
  per_page:
    description:
      - How many snapshots to ask for per page, from 1 to 200.
      - The default, the API's maximum, needs the fewest requests.
    type: int
    default: 200
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
      - An ISO 8601 date or date-time (V(2024-05-01), V(2024-05-01T12:00:00Z); UTC when no offset is given),
        or an age counted back from now, a number followed by V(s), V(m), V(h), V(d) or V(w) (V(30d)).
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
notes:
  - Filters combine with AND. They are applied after the listing, by the collection, except O(resource_type),
    O(volume_id) and O(resource_id) which also choose what the API is asked for.
  - A listing is read with O(per_page) snapshots per page; the first page tells the total and the other pages
    are then requested at once (up to O(concurrency) at a time). A listing is consistent with the moment its
    first page was read. When snapshots created or deleted meanwhile shift the other pages (the total changes, a
    page has the wrong length, a snapshot is listed twice), the listing is read again from the start; it is never
    returned with gaps or duplicates, and fails clearly if it keeps changing.
"""
