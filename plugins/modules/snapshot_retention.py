#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: snapshot_retention
short_description: Prune DigitalOcean snapshots with a retention policy (keep the last 7 daily, 4 weekly, ...)
version_added: 1.1.0
description:
  - Lists the snapshots in scope (the same query and filter options as P(snapfleet.digitalocean.snapshot_info#module)),
    applies a retention policy with the rules of restic's C(forget) to each group (by default each Droplet or volume),
    and deletes the snapshots the policy does not keep.
  - The listing is always read with O(consistency=strict), so the plan is made from a listing two whole reads agreed
    on.
  - In check mode it only plans and sends no C(DELETE). With C(--diff) it shows what is kept, with its reasons, and
    what goes, per group.
  - A run that would delete more than O(max_delete) snapshots refuses to start, and says what it would have deleted.
  - The P(snapfleet.digitalocean.retention#filter) filter computes the same plan from any list of snapshots, without
    deleting anything.
author:
  - snapfleet developers (@snapfleet)
requirements:
  - python >= 3.9 (on the managed node)
  - requests >= 2.25
  - urllib3 >= 1.26.0
extends_documentation_fragment:
  - snapfleet.digitalocean.attributes
  - snapfleet.digitalocean.connection
  - snapfleet.digitalocean.query
  - snapfleet.digitalocean.retention
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  max_delete:
    description:
      - The most snapshots one run may delete. When the plan prunes more, the module fails before deleting anything,
        and its result lists the plan (O(max_delete) counts the plan's snapshots, also those already gone).
      - V(0) allows no deletion at all (a run whose plan prunes anything fails); V(-1) removes the bound.
      - Check mode applies the same bound, so that it predicts what the real run does.
    type: int
    default: 10
  consistency:
    description:
      - The listing a prune decides from is always read with V(strict) consistency, until two whole reads agree (see
        P(snapfleet.digitalocean.snapshot_info#module) for what that costs).
      - No other value is accepted.
    type: str
    choices: [strict]
    default: strict
  page:
    description:
      - Not accepted by this module, which plans from the whole listing (a plan from one page would see part of each
        group).
    type: int
  fields:
    description:
      - Not accepted by this module, which needs whole snapshots to plan and returns them whole.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    details:
      - Lists and plans, sends no C(DELETE), and returns what the run would delete in RV(prune).
      - C(changed) says whether a real run would delete something (when RV(prune) is not empty).
  diff_mode:
    support: full
    details: Shows each group's snapshots before and after, the kept ones with their reasons.
notes:
  - The token needs the C(snapshot:delete) scope (and C(snapshot:read)) for a real run; a read-only token is enough
    for check mode. A 403 names the missing scope.
  - C(DELETE) requests go out concurrently, up to O(concurrency) at once and within the API's rate limits. A snapshot
    the API answers 404 for is already gone and is listed in RV(gone). The others that fail are listed in RV(failed_deletes)
    with the API's answer, and the task fails after the rest were deleted; running it again lists what is left and
    finishes the job.
  - A run plans from what exists when it lists. After a partial failure, the next run plans again; when the oldest
    snapshots of a group were deleted, restic's oldest-snapshot rule of a C(keep_within_*) option can then keep a
    snapshot the first plan pruned.
  - O(sort_by), O(sort_order) and O(limit) choose which snapshots are in scope (O(limit) keeps the first N after
    sorting); the policy sees only those. RV(keep) and RV(prune) are always newest first.
seealso:
  - plugin: snapfleet.digitalocean.retention
    plugin_type: filter
  - module: snapfleet.digitalocean.snapshot_info
  - ref: ansible_collections.snapfleet.digitalocean.docsite.pruning
    description: The guide "Pruning snapshots safely".
  - name: restic forget
    description: The retention rules this module follows.
    link: https://restic.readthedocs.io/en/stable/060_forget.html
"""

EXAMPLES = r"""
- name: What 7 daily, 4 weekly and 12 monthly per volume would delete (check mode, with --diff for the reasons)
  snapfleet.digitalocean.snapshot_retention:
    resource_type: volume
    keep_daily: 7
    keep_weekly: 4
    keep_monthly: 12
  check_mode: true
  diff: true
  register: plan

- name: Prune them, at most 50 in this run
  snapfleet.digitalocean.snapshot_retention:
    resource_type: volume
    keep_daily: 7
    keep_weekly: 4
    keep_monthly: 12
    max_delete: 50

- name: Keep everything tagged keep, and a week of dailies of each Droplet, in Berlin's calendar
  snapfleet.digitalocean.snapshot_retention:
    resource_type: droplet
    keep_tags: [[keep]]
    keep_within_daily: 7d
    timezone: Europe/Berlin

- name: The token with the snapshot:delete scope, once for the block
  module_defaults:
    group/snapfleet.digitalocean.all:
      token: "{{ vault_digitalocean_pruning_token }}"
  block:
    - name: Keep the last 3 of the web Droplets' snapshots
      snapfleet.digitalocean.snapshot_retention:
        name: "web-*"
        keep_last: 3
"""

RETURN = r"""
keep:
  description: The snapshots the policy keeps, as the API describes them, newest first.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "6372321", "name": "web-01-1595954862243", "created_at": "2020-07-28T16:47:44Z"}]
prune:
  description: The snapshots the policy prunes (what a real run deletes), newest first.
  returned: always
  type: list
  elements: dict
reasons:
  description: Each kept snapshot's id, mapped to why it is kept.
  returned: always
  type: dict
  sample: {"6372321": ["last snapshot", "daily snapshot"], "6372009": ["oldest monthly snapshot"]}
groups:
  description: Each group's name (a resource id, a resource type, a region, or V(all)), mapped to the ids it keeps
    and prunes, newest first.
  returned: always
  type: dict
  sample: {"200776916": {"keep": ["6372321"], "prune": ["6371400"]}}
undated:
  description: The ids of the snapshots without a readable C(created_at); they are kept.
  returned: always
  type: list
  elements: str
policy:
  description: The policy in words.
  returned: always
  type: str
  sample: keep 7 daily, 4 weekly, 12 monthly, per resource_id
deleted:
  description: The ids this run deleted (the API answered 204). Empty in check mode.
  returned: always
  type: list
  elements: str
gone:
  description: The ids the API answered 404 for, already deleted by someone else. They do not make the task changed.
  returned: always
  type: list
  elements: str
failed_deletes:
  description:
    - The snapshots whose C(DELETE) failed, each with the API's answer; the task fails when there is any.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The snapshot's id.
      type: str
    status:
      description: The HTTP status, when the API answered.
      type: int
      sample: 403
    message:
      description: The error, as the task's C(msg) would say it (a 403 names the C(snapshot:delete) scope).
      type: str
    api_id:
      description: The API's error id.
      type: str
      sample: forbidden
    api_message:
      description: The API's error message.
      type: str
    request_id:
      description: The API's request id, to quote to DigitalOcean support.
      type: str
would_delete:
  description: The ids the plan would have deleted, when O(max_delete) refused the run (nothing was deleted).
  returned: when the plan prunes more than O(max_delete) allows
  type: list
  elements: str
meta:
  description: The listing's C(total), as the API counted it before the collection's filters.
  returned: always
  type: dict
  sample: {"total": 120}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import SnapfleetError
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.options import (
    INSECURE_WARNING,
    check_connection,
    insecure,
    make_client,
    spec_rules,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.query import fetch, plan
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention.policy import POLICY_OPTIONS, apply_policy, parse_policy
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention.pruning import (
    check_scope,
    delete_plan,
    diff_text,
    failure_message,
    module_spec,
    refuse_above,
)


def main() -> None:
    module = AnsibleModule(argument_spec=module_spec(), supports_check_mode=True, **spec_rules())
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    result = dict(changed=False, keep=[], prune=[], reasons={}, groups={}, undated=[], policy="", deleted=[],
                  gone=[], failed_deletes=[], meta={})
    try:
        # Everything the options can be refused for, before any request.
        check_scope(params)
        policy = parse_policy({name: params[name] for name in params if name in POLICY_OPTIONS})
        check_connection(params)
        query = plan(dict(params, consistency="strict"))
        if insecure(params):
            module.warn(INSECURE_WARNING % params["api_url"])
        # One task: the listing and the deletes share one total_max_wait.
        with make_client(params) as client, client.one_task():
            listing = fetch(client, query)
            snapshots = query.finish(listing)
            retention = apply_policy(snapshots, policy)
            result.update(retention.to_dict(), policy=policy.describe(), meta={"total": listing.total})
            if retention.undated:
                module.warn("%d snapshot%s without a readable created_at %s kept: %s" % (
                    len(retention.undated), "" if len(retention.undated) == 1 else "s",
                    "is" if len(retention.undated) == 1 else "are", ", ".join(retention.undated)))
            refuse_above(params["max_delete"], retention)
            outcome = delete_plan(client, retention) if not module.check_mode and retention.prune else None
    except SnapfleetError as exc:
        result.update(exc.to_result())
        module.fail_json(msg=exc.message, **result)
    if outcome is not None:
        result.update(deleted=outcome.deleted, gone=outcome.gone, failed_deletes=outcome.failed)
        result["changed"] = bool(outcome.deleted)
    elif module.check_mode:
        # As check mode does everywhere: changed says whether a real run would change something.
        result["changed"] = bool(retention.prune)
    if module._diff:
        result["diff"] = diff_text(retention, outcome)
    if outcome is not None and outcome.failed:
        module.fail_json(msg=failure_message(retention, outcome), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
