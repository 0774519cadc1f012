#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: snapshot_info
short_description: List DigitalOcean Droplet and volume snapshots
version_added: 1.0.0
description:
  - Lists the snapshots of a DigitalOcean account, of one resource type, of one volume, or one snapshot by id.
  - Reads every page of a listing, requesting them concurrently within the API's rate budget,
    and retries the API's transient faults.
  - Filters, sorts and trims the result with the same options as the P(snapfleet.digitalocean.snapshots#lookup) lookup.
author:
  - snapfleet developers (@snapfleet)
extends_documentation_fragment:
  - snapfleet.digitalocean.attributes
  - snapfleet.digitalocean.connection
  - snapfleet.digitalocean.query
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
seealso:
  - plugin: snapfleet.digitalocean.snapshots
    plugin_type: lookup
  - name: DigitalOcean API, snapshots
    description: The API this module reads.
    link: https://docs.digitalocean.com/reference/api/digitalocean/#tag/Snapshots
"""

EXAMPLES = r"""
- name: Every volume snapshot in the account
  snapfleet.digitalocean.snapshot_info:
    resource_type: volume
  register: found

- name: Show how many there are
  ansible.builtin.debug:
    msg: "{{ found.meta.total }} volume snapshots"

- name: The snapshots of one volume
  snapfleet.digitalocean.snapshot_info:
    volume_id: 7724db7c-e098-11e5-b522-000f53304e51

- name: One snapshot by id
  snapfleet.digitalocean.snapshot_info:
    snapshot_id: "6372321"

- name: The newest snapshot of a volume, to restore from
  snapfleet.digitalocean.snapshot_info:
    resource_id: 7724db7c-e098-11e5-b522-000f53304e51
    sort_by: created_at
    sort_order: desc
    limit: 1
  register: newest

- name: Droplet snapshots in fra1 older than 30 days, only their ids and names
  snapfleet.digitalocean.snapshot_info:
    resource_type: droplet
    region: fra1
    created_before: 30d
    fields: [id, name]
  register: old

- name: Set the token once for every task of the collection
  module_defaults:
    group/snapfleet.digitalocean.all:
      token: "{{ vault_digitalocean_token }}"
  block:
    - name: Snapshots tagged env:prod
      snapfleet.digitalocean.snapshot_info:
        tags: ["env:prod"]
"""

RETURN = r"""
snapshots:
  description:
    - The snapshots, as the API describes them, in the API's order unless O(sort_by) is set.
    - Only the keys in O(fields) when it is set.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The snapshot's id (digits for a Droplet snapshot, a UUID for a volume snapshot).
      type: str
      sample: "6372321"
    name:
      description: The snapshot's name.
      type: str
      sample: web-01-1595954862243
    created_at:
      description: When the snapshot was created, ISO 8601 in UTC.
      type: str
      sample: "2020-07-28T16:47:44Z"
    regions:
      description: The region slugs where the snapshot is available.
      type: list
      elements: str
      sample: [nyc3, sfo3]
    resource_id:
      description: The id of the Droplet or volume the snapshot was taken of.
      type: str
      sample: "200776916"
    resource_type:
      description: What the snapshot was taken of.
      type: str
      sample: droplet
    min_disk_size:
      description: The smallest disk, in GB, a Droplet or volume made from it needs.
      type: int
      sample: 25
    size_gigabytes:
      description: The billable size of the snapshot in GB.
      type: float
      sample: 2.34
    tags:
      description: The snapshot's tags; an empty list when it has none (where the API says null).
      type: list
      elements: str
      sample: [web, env:prod]
meta:
  description: The API's C(meta) of the listing.
  returned: success
  type: dict
  contains:
    total:
      description:
        - How many snapshots the API reports for the query it was asked (before the collection's own filters).
        - V(1) when O(snapshot_id) is set.
        - For a question about one Droplet (O(resource_id) a Droplet id, without O(page)), how many snapshots that
          Droplet has (before the collection's other filters), whether its own endpoint or the account listing
          answered; not the account's count of Droplet snapshots.
        - For a volume UUID as O(resource_id), how many snapshots that volume has, also when the volume is gone and
          the account's listing answered.
      type: int
      sample: 2
links:
  description:
    - The API's C(links) of the page, when O(page) is set; otherwise an empty dict, as every page was read.
  returned: success
  type: dict
  sample:
    pages:
      next: https://api.digitalocean.com/v2/snapshots?page=3&per_page=200
      prev: https://api.digitalocean.com/v2/snapshots?page=1&per_page=200
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import SnapfleetError, unexpected
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.options import (
    INSECURE_WARNING,
    check_connection,
    insecure,
    module_argument_spec,
    spec_rules,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.query import build_query
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.routes import fetch, make_client


def main() -> None:
    module = AnsibleModule(
        argument_spec=module_argument_spec(),
        supports_check_mode=True,
        **spec_rules()
    )
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    token = module.params.get("token")  # as given; redact() also finds it stripped or escaped
    try:
        check_connection(module.params)
        query = build_query(module.params)
        if insecure(module.params):
            module.warn(INSECURE_WARNING % module.params["api_url"])
        with make_client(module.params) as client:
            listing = fetch(client, query)
    except SnapfleetError as exc:
        exc.redact([token])
        module.fail_json(msg=exc.message, **exc.to_result())
    except Exception as exc:  # pylint: disable=broad-except  # the last resort: a message, never a traceback
        module.fail_json(msg=unexpected("snapfleet.digitalocean.snapshot_info", exc, [token]))
    module.exit_json(
        changed=False,
        snapshots=query.finish(listing),
        meta={"total": listing.total},
        links=listing.links,
    )


if __name__ == "__main__":
    main()
