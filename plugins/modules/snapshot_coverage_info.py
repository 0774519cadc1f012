#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: snapshot_coverage_info
short_description: How well each DigitalOcean Droplet and volume is covered by snapshots, and what they cost
version_added: 2.0.0
description:
  - Answers, per source (a Droplet or a volume of the account), how many snapshots it has, how big they are, what they
    cost a month, which is the newest and how old it is, and whether it is stale.
  - Also lists the orphaned snapshots, those whose Droplet or volume is gone (DigitalOcean keeps billing them), with
    what each costs.
  - Reads every snapshot of the types asked (C(GET /v2/snapshots)), then every source of those types
    (C(GET /v2/droplets), both its default listing and C(type=gpus), and C(GET /v2/volumes)), with the collection's
    paging, retries, rate limits, time budget and listing guarantee. GPU Droplets count as Droplets.
  - A listing that fails, or that the token may not read (a 403 names the scope it lacks, C(droplet:read) or
    C(block_storage:read)), fails the task; it is never taken for "no sources".
author:
  - snapfleet developers (@snapfleet)
extends_documentation_fragment:
  - snapfleet.digitalocean.attributes
  - snapfleet.digitalocean.connection
  - snapfleet.digitalocean.cost
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  resource_type:
    description:
      - Only Droplets and Droplet snapshots, or only volumes and volume snapshots. Both when not set.
      - Only what is asked is read.
    type: str
    choices: [droplet, volume]
  tags:
    description:
      - Only the sources carrying every one of these tags (the tags of the Droplet or volume, not of its snapshots).
      - Filtered after the whole listings are read, so that GPU Droplets are included.
      - RV(orphaned) is not filtered by it, since a gone source's tags cannot be read.
    type: list
    elements: str
    default: []
  max_age:
    description:
      - A source is stale when its newest snapshot is older than this. An age in the collection's one grammar, a
        number and a unit, V(y), V(mo), V(w), V(d), V(h), V(min) or V(s), combined as in V(1d12h); V(26h) for a
        nightly backup with some slack.
      - A source with no snapshot is always stale; without O(max_age) only those are.
    type: str
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
notes:
  - RV(summary) counts the sources returned and their snapshots; the orphans are counted apart, in RV(summary.orphaned).
  - Every number is an exact sum of what the API reported; C(size_gigabytes) is the snapshots' billable size.
seealso:
  - module: snapfleet.digitalocean.snapshot_info
  - module: snapfleet.digitalocean.snapshot_retention
  - name: DigitalOcean snapshot pricing
    description: The documented price and minimum charge.
    link: https://docs.digitalocean.com/products/images/snapshots/details/pricing/
"""

EXAMPLES = r"""
- name: Every Droplet and volume has a snapshot newer than 26 hours
  snapfleet.digitalocean.snapshot_coverage_info:
    max_age: 26h
  register: coverage
  failed_when: coverage.stale | length > 0

- name: The production volumes without a fresh snapshot
  snapfleet.digitalocean.snapshot_coverage_info:
    resource_type: volume
    tags: ["env:prod"]
    max_age: 7d
  register: prod

- name: Say which they are
  ansible.builtin.debug:
    msg: "{{ prod.stale | map(attribute='name') | list }}"

- name: What the orphaned snapshots cost a month
  snapfleet.digitalocean.snapshot_coverage_info:
  register: costs

- name: Show it, rounded for display
  ansible.builtin.debug:
    msg: >-
      {{ costs.summary.orphaned.snapshots }} orphaned snapshots,
      {{ costs.summary.orphaned.size_gigabytes | round(2) }} GB,
      {{ costs.summary.orphaned.monthly_cost | round(2) }} USD a month
"""

RETURN = r"""
sources:
  description: One entry per Droplet or volume of the account (of O(resource_type), carrying O(tags)), in the API's
    order, Droplets first (those of the default listing, then the GPU Droplets), then volumes.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The Droplet's id (digits) or the volume's UUID, as a string.
      type: str
      sample: "3164444"
    name:
      description: The Droplet's or volume's name.
      type: str
      sample: web-01
    resource_type:
      description: V(droplet) or V(volume).
      type: str
      sample: droplet
    region:
      description: The slug of its region.
      type: str
      sample: nyc3
    tags:
      description: Its tags.
      type: list
      elements: str
      sample: ["env:prod"]
    snapshot_count:
      description: How many snapshots it has.
      type: int
      sample: 7
    size_gigabytes:
      description: The sum of its snapshots' C(size_gigabytes).
      type: float
      sample: 16.38
    monthly_cost:
      description: What its snapshots cost a month, in US dollars (each at least 0.01).
      type: float
      sample: 0.9828
    newest:
      description: Its newest snapshot (by C(created_at)), as M(snapfleet.digitalocean.snapshot_info) returns one;
        null when it has none.
      type: dict
      sample: {id: "6372321", name: web-01-1595954862243, created_at: "2020-07-28T16:47:44Z", regions: [nyc3],
               resource_id: "3164444", resource_type: droplet, min_disk_size: 25, size_gigabytes: 2.34, tags: []}
    newest_age_seconds:
      description: Seconds since its newest snapshot was created; null when it has none.
      type: float
      sample: 3600.0
    stale:
      description: True when it has no snapshot, or O(max_age) is set and its newest snapshot is older.
      type: bool
      sample: false
stale:
  description: The entries of RV(sources) whose C(stale) is true, in the same order.
  returned: success
  type: list
  elements: dict
  sample: []
orphaned:
  description: The snapshots (of O(resource_type)) whose Droplet or volume is gone, in the API's order, each as
    M(snapfleet.digitalocean.snapshot_info) returns it plus C(monthly_cost).
  returned: success
  type: list
  elements: dict
  sample: [{id: "6372321", name: old-web-1595954862243, created_at: "2020-07-28T16:47:44Z", regions: [nyc3],
            resource_id: "200776916", resource_type: droplet, min_disk_size: 25, size_gigabytes: 2.34, tags: [],
            monthly_cost: 0.1404}]
summary:
  description: Totals over RV(sources) and their snapshots, and over RV(orphaned) apart.
  returned: success
  type: dict
  contains:
    sources:
      description: How many sources are returned.
      type: int
      sample: 12
    snapshots:
      description: How many snapshots those sources have.
      type: int
      sample: 80
    size_gigabytes:
      description: The sum of their C(size_gigabytes).
      type: float
      sample: 201.5
    monthly_cost:
      description: What they cost a month, in US dollars.
      type: float
      sample: 12.09
    stale:
      description: How many sources are stale.
      type: int
      sample: 1
    orphaned:
      description: C(snapshots), C(size_gigabytes) and C(monthly_cost) of the orphaned snapshots.
      type: dict
      sample: {snapshots: 3, size_gigabytes: 7.5, monthly_cost: 0.45}
"""

import datetime

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.sources import snapshots_and_sources
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import SnapfleetError, unexpected
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.ages import parse_age
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.coverage import coverage
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.options import (
    INSECURE_WARNING,
    check_connection,
    check_price,
    connection_argument_spec,
    coverage_argument_spec,
    insecure,
    module_argument_spec,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.routes import make_client


def argument_spec() -> dict:
    """The connection options (with their environment fallbacks) and the coverage options."""
    connection = connection_argument_spec()
    spec = {name: option for name, option in module_argument_spec().items() if name in connection}
    spec.update(coverage_argument_spec())
    return spec


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    token = params.get("token")  # as given; redact() also finds it stripped or escaped
    try:
        check_connection(params)
        check_price(params)
        max_age = parse_age("max_age", params["max_age"]) if params["max_age"] not in (None, "") else None
        if insecure(params):
            module.warn(INSECURE_WARNING % params["api_url"])
        with make_client(params) as client:
            snapshots, sources = snapshots_and_sources(client, params["resource_type"])
        now = datetime.datetime.now(datetime.timezone.utc)
        result = coverage(snapshots, sources, now, max_age, params["price_per_gib_month"], params["tags"] or [])
    except SnapfleetError as exc:
        exc.redact([token])
        module.fail_json(msg=exc.message, **exc.to_result())
    except Exception as exc:  # pylint: disable=broad-except  # the last resort: a message, never a traceback
        module.fail_json(msg=unexpected("snapfleet.digitalocean.snapshot_coverage_info", exc, [token]))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
