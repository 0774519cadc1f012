#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: snapshot_retention
short_description: Prune DigitalOcean snapshots with a retention policy (keep the last 7 daily, 4 weekly, ...)
version_added: 2.0.0
description:
  - Lists the snapshots in scope (the same query and filter options as P(snapfleet.digitalocean.snapshot_info#module)),
    applies a retention policy with the rules of restic's C(forget) to each group (by default each Droplet or volume),
    and deletes the snapshots the policy does not keep.
  - The listing is always read with O(consistency=strict), so the plan is made from a listing two whole reads agreed
    on.
  - In check mode it only plans and sends no C(DELETE). With C(--diff) it shows what is kept, with its reasons, and
    what goes, per group, whatever the size of the plan.
  - A run that would delete more than O(max_delete) snapshots refuses to start, and says what it would have deleted.
    Check mode then succeeds, shows the plan, and warns that a real run would refuse.
  - O(batch_size) deletes the oldest N of the plan per run; O(approved_ids) deletes only the ids a person reviewed.
  - Every id the run sets out to delete ends in exactly one of RV(deleted), RV(gone), RV(failed_deletes), RV(unknown),
    RV(not_tried) and RV(held). Before the last delete of each group, a read confirms that the snapshots the plan keeps
    for that group still exist; a final read after the deletes is reported in RV(final).
  - The P(snapfleet.digitalocean.retention#filter) filter computes the same plan from any list of snapshots, without
    deleting anything.
author:
  - snapfleet developers (@snapfleet)
extends_documentation_fragment:
  - snapfleet.digitalocean.attributes
  - snapfleet.digitalocean.connection
  - snapfleet.digitalocean.cost
  - snapfleet.digitalocean.query
  - snapfleet.digitalocean.retention
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  token:
    description:
      - The DigitalOcean API token (a personal access token or an OAuth token).
      - A real run needs the C(snapshot:delete) scope, and C(snapshot:read) for the listing. Check mode needs only
        C(snapshot:read). A 403 names the missing scope, and no further C(DELETE) is sent.
      - When not given, the first of these environment variables that is set is used, in this order
        E(DIGITALOCEAN_ACCESS_TOKEN), E(DIGITALOCEAN_TOKEN), E(DO_API_TOKEN), E(DO_API_KEY), E(DO_OAUTH_TOKEN),
        E(OAUTH_TOKEN).
    type: str
    aliases: [api_token, oauth_token]
  max_delete:
    description:
      - A safety bound, not a batch size. The most snapshots one run may delete (after O(approved_ids) and
        O(batch_size) chose what this run deletes). When the run would delete more, it fails before deleting
        anything, and RV(would_delete) lists what it would have deleted.
      - Check mode does not fail; it shows the plan and warns that a real run would refuse.
      - V(0) allows no deletion at all; V(-1) removes the bound.
      - To delete a long plan a few at a time, use O(batch_size).
    type: int
    default: 10
  batch_size:
    description:
      - Delete at most this many of the plan in this run, the oldest first. The rest are listed in RV(deferred),
        and the next run plans again and goes on.
      - Not a safety bound; O(max_delete) still refuses a run that would delete more than it allows.
      - Unset (the default) deletes the whole plan.
    type: int
  approved_ids:
    description:
      - Delete only snapshots with these ids, such as the RV(prune) ids of a check run someone reviewed, or of the
        P(snapfleet.digitalocean.retention#filter) filter.
      - The plan is made again from what exists now. An id it prunes that is not listed is kept, and listed in
        RV(not_approved). A listed id it keeps is never deleted, and is listed in RV(approved_kept). A listed id
        that is no longer in scope is listed in RV(approved_absent).
      - An empty list deletes nothing. Unset (the default) deletes the whole plan.
    type: list
    elements: str
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
  snapshot_id:
    description:
      - Not accepted by this module, as the policy would see one snapshot of a group. Choose the scope with
        O(resource_type), O(resource_id), O(volume_id), O(region), O(name), O(name_regex), O(tags),
        O(created_after) and O(created_before).
    type: str
  sort_by:
    description:
      - Not accepted by this module, which plans from every snapshot in scope (RV(keep) and RV(prune) are always
        newest first).
    type: str
    choices: [created_at, name, size_gigabytes, min_disk_size]
  sort_order:
    description:
      - Not accepted by this module (see O(sort_by)).
    type: str
    choices: [asc, desc]
    default: null
  limit:
    description:
      - Not accepted by this module; with O(limit), the policy would see only the first N snapshots, part of each
        group. Narrow the scope with the options named in O(snapshot_id).
    type: int
attributes:
  check_mode:
    support: full
    details:
      - Lists and plans, sends no C(DELETE), and returns the plan; RV(summary) says what a real run would delete.
      - C(changed) says whether a real run would delete something.
      - A plan over O(max_delete) does not fail in check mode; a warning says that a real run would refuse.
  diff_mode:
    support: full
    details:
      - Shows each group's snapshots, newest first. A kept snapshot's line ends with its reasons (C(kept:)) and is the
        same before and after. A snapshot the run deletes (or, in check mode, would delete) is only before. A pruned
        snapshot that stays says why on its own line, on both sides (left for a later batch, not approved, delete
        failed).
      - Ansible prints no diff for a failed task, so every failed or unknown delete is also a warning.
notes:
  - C(DELETE) requests go out concurrently, up to O(concurrency) at once and within the API's rate limits. The first
    goes alone; after a 401, or a 403 before any delete succeeded, no further C(DELETE) is sent (RV(not_tried)).
  - "Each group's last delete waits for a read that confirms the snapshots the plan keeps for the group. When one is
    missing (deleted by someone else during the run), that group's last pruned snapshot is not deleted (RV(held),
    RV(halted_groups)), so O(allow_empty_group=false) never leaves a group empty. The read and the final read are
    listings of the scope (O(consistency=strict)), a few requests per 200 snapshots."
  - "A C(DELETE) whose answer was lost (a timeout, a dropped connection, a 5xx) is retried; a 404 on that retry means
    this run deleted it (RV(deleted)). When no answer says what happened, the id is in RV(unknown), unless the final
    read still lists it: then the delete did not take effect and it is in RV(failed_deletes)."
  - The task fails when a delete failed, was not tried, was held, or has an unknown outcome; running it again lists
    what is left and plans again. C(changed) is true when something may have been deleted (RV(deleted) or RV(unknown)
    is not empty).
  - A run plans from what exists when it lists. After a partial failure, the next run plans again; when the oldest
    snapshots of a group were deleted, restic's oldest-snapshot rule of a C(keep_within_*) option can then keep a
    snapshot the first plan pruned.
  - A policy with no rule (or only V(0) and empty values) prunes nothing, and says so in a warning.
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

- name: Show the counts and the first ids of each list
  ansible.builtin.debug:
    var: plan.summary

- name: Prune them; the run refuses, deleting nothing, if it would delete more than 50
  snapfleet.digitalocean.snapshot_retention:
    resource_type: volume
    keep_daily: 7
    keep_weekly: 4
    keep_monthly: 12
    max_delete: 50

- name: Apply the reviewed plan only, whatever changed since (new snapshots are kept until reviewed)
  snapfleet.digitalocean.snapshot_retention:
    resource_type: volume
    keep_daily: 7
    keep_weekly: 4
    keep_monthly: 12
    approved_ids: "{{ plan.prune | map(attribute='id') | list }}"
    max_delete: -1

- name: A long history, 20 of the oldest per run (the next run goes on)
  snapfleet.digitalocean.snapshot_retention:
    resource_type: volume
    keep_daily: 7
    batch_size: 20
    max_delete: 20

- name: Keep everything tagged keep, and a week of dailies of each Droplet, in Berlin's calendar
  snapfleet.digitalocean.snapshot_retention:
    resource_type: droplet
    keep_tags: [[keep]]
    keep_within_daily: 7d
    timezone: Europe/Berlin

- name: Orphans (their Droplet or volume is gone) older than 90 days, keeping none; what it would save
  snapfleet.digitalocean.snapshot_retention:
    orphaned: true
    created_before: 90d
    keep_tags: [keep]
    allow_empty_group: true
    max_delete: 100
  check_mode: true
  register: orphans

- name: Show what pruning them saves a month
  ansible.builtin.debug:
    msg: "{{ orphans.savings.snapshots }} snapshots, {{ orphans.savings.monthly_cost | round(2) }} USD a month"

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
  returned: when the task does not fail (a failed task's result, which Ansible prints whole, leaves out the plan
    - RV(keep), RV(prune), RV(reasons), RV(groups) - and says what happened in RV(summary) and the outcome lists)
  type: list
  elements: dict
  sample: [{"id": "6372321", "name": "web-01-1595954862243", "created_at": "2020-07-28T16:47:44Z"}]
prune:
  description: The snapshots the policy prunes, newest first. A real run deletes them, within O(approved_ids) and
    O(batch_size).
  returned: when the task does not fail
  type: list
  elements: dict
reasons:
  description: Each kept snapshot's id, mapped to why it is kept.
  returned: when the task does not fail
  type: dict
  sample: {"6372321": ["last snapshot", "daily snapshot"], "6372009": ["oldest monthly snapshot"]}
groups:
  description: Each group's name (a resource id, a resource type, a region, or V(all)), mapped to the ids it keeps
    and prunes, newest first.
  returned: when the task does not fail
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
msg:
  description: What the run did (check mode, what a real run would do), in one line; its counts are those of the lists.
  returned: always
  type: str
  sample: "keep 7 daily, per resource_id: 12 kept, 35 pruned in 4 groups; 35 deleted, 0 already gone, 0 failed,
    0 unknown, 0 not tried, 0 held"
summary:
  description:
    - Counts of every list, the number of groups, and the first five ids of each non-empty list, newest first
      (C(to_delete) and C(deferred) oldest first). Read this first; the other keys hold the full lists.
    - The counts are C(keep), C(prune), C(to_delete) (what this run deletes, or would in check mode), C(deferred),
      C(not_approved), C(approved_kept), C(approved_absent) and, after a real run, C(deleted), C(gone), C(failed),
      C(unknown), C(not_tried) and C(held).
  returned: always
  type: dict
  sample: {"counts": {"keep": 12, "prune": 35, "to_delete": 35, "deferred": 0, "deleted": 35}, "groups": 4,
           "ids": {"prune": ["6372310", "6372305"], "deleted": ["6372310", "6372305"]}}
deleted:
  description:
    - The ids this run deleted, newest first. A 204, or a 404 on a retry after an attempt whose answer was lost
      (a timeout, a dropped connection, a 5xx), since that attempt took effect. Empty in check mode.
  returned: always
  type: list
  elements: str
gone:
  description: The ids whose first C(DELETE) answered 404, already absent before this run. They do not make the task
    changed.
  returned: always
  type: list
  elements: str
failed_deletes:
  description:
    - The snapshots whose C(DELETE) failed and did not take effect, each with the API's answer; the task fails when
      there is any.
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
unknown:
  description:
    - The snapshots whose C(DELETE) may or may not have taken effect (every answer was lost or a 5xx) and that the
      final read no longer lists; this run or someone else deleted them. The task fails when there is any.
    - Each has the keys of RV(failed_deletes), and C(check), the request that tells whether it is gone.
  returned: always
  type: list
  elements: dict
not_tried:
  description: The ids no C(DELETE) was sent for, after a 401 or after a 403 for the missing C(snapshot:delete) scope.
  returned: always
  type: list
  elements: str
held:
  description: The ids not deleted because a snapshot the plan keeps in their group was gone before the group's last
    delete (see RV(halted_groups)).
  returned: always
  type: list
  elements: str
halted_groups:
  description: Each group whose last delete was held, mapped to the kept ids the confirming read did not find.
  returned: always
  type: dict
  sample: {"5e11f00d-0000-4000-8000-00000000beef": ["6372321"]}
deferred:
  description: The ids the plan prunes that O(batch_size) left for later runs, oldest first.
  returned: always
  type: list
  elements: str
not_approved:
  description: The ids the plan prunes that are not in O(approved_ids); they are kept.
  returned: always
  type: list
  elements: str
approved_kept:
  description: The ids of O(approved_ids) this plan keeps; they are never deleted.
  returned: always
  type: list
  elements: str
approved_absent:
  description: The ids of O(approved_ids) that are not in the listing (already gone, or outside the scope).
  returned: always
  type: list
  elements: str
final:
  description:
    - What a read after the deletes showed (empty in check mode, and when no delete may have taken effect).
    - C(read) is false when that read failed (C(error) says why). C(kept_missing) lists the kept ids it does not
      find, C(deleted_present) the deleted ids it still finds, C(not_deleted) the ids this run set out to delete that
      it still finds.
  returned: always
  type: dict
  sample: {"read": true, "kept_missing": [], "deleted_present": [], "not_deleted": []}
would_delete:
  description: The ids this run would have deleted, oldest first, when O(max_delete) refused it (nothing was deleted).
  returned: when this run would delete more than O(max_delete) allows
  type: list
  elements: str
savings:
  description:
    - What the prune saves, at O(price_per_gib_month) (each snapshot at least 0.01 a month), as exact sums.
    - In check mode, over the snapshots this run would delete (the plan within O(approved_ids) and O(batch_size));
      after a real run, over those it deleted (RV(deleted)).
  returned: always
  type: dict
  contains:
    snapshots:
      description: How many snapshots.
      type: int
    size_gigabytes:
      description: The sum of their C(size_gigabytes).
      type: float
    monthly_cost:
      description: What they cost a month, in US dollars.
      type: float
  sample: {"snapshots": 35, "size_gigabytes": 412.6, "monthly_cost": 24.756}
meta:
  description: The listing's C(total), as the API counted it before the collection's filters.
  returned: always
  type: dict
  sample: {"total": 120}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import SnapfleetError, unexpected
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.coverage import totals
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.options import (
    INSECURE_WARNING,
    check_connection,
    check_price,
    insecure,
    spec_rules,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.query import build_query
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.routes import fetch, make_client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention.deletes import carry_out
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention.policy import (
    EMPTY_POLICY_WARNING,
    POLICY_OPTIONS,
    apply_policy,
    parse_policy,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention.pruning import (
    check_scope,
    module_spec,
    over_bound,
    select,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention.report import (
    bound_warning,
    diff_text,
    failure_message,
    message,
    summary,
    warnings,
)

#: Ansible prints a failed task's result whole: the plan (an entry per snapshot) stays out of it. Check mode
#: shows the plan; summary and the outcome lists say what a failed run did.
PLAN_KEYS = ("keep", "prune", "reasons", "groups")


def _fail(module: AnsibleModule, msg: str, result: dict) -> None:
    module.fail_json(msg=msg, **{key: value for key, value in result.items() if key not in PLAN_KEYS})


def main() -> None:
    module = AnsibleModule(argument_spec=module_spec(), supports_check_mode=True, **spec_rules())
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    result = dict(changed=False, keep=[], prune=[], reasons={}, groups={}, undated=[], policy="", deleted=[],
                  gone=[], failed_deletes=[], unknown=[], not_tried=[], held=[], halted_groups={}, deferred=[],
                  not_approved=[], approved_kept=[], approved_absent=[], final={}, summary={}, savings={}, meta={})
    outcome = None
    token = params.get("token")  # as given; redact() also finds it stripped or escaped
    try:
        # Everything the options can be refused for, before any request.
        check_scope(params)
        check_price(params)
        policy = parse_policy({name: params[name] for name in params if name in POLICY_OPTIONS})
        check_connection(params)
        query = build_query(dict(params, consistency="strict"))
        if insecure(params):
            module.warn(INSECURE_WARNING % params["api_url"])
        if policy.empty:
            module.warn(EMPTY_POLICY_WARNING)
        # One task: the listing, the deletes and the reads around them share one total_max_wait.
        with make_client(params) as client, client.one_task():
            listing = fetch(client, query)
            retention = apply_policy(query.finish(listing), policy)
            selection = select(retention, params["approved_ids"], params["batch_size"])
            result.update(retention.to_dict(), policy=policy.describe(), meta={"total": listing.total},
                          deferred=selection.deferred, not_approved=selection.not_approved,
                          approved_kept=selection.approved_kept, approved_absent=selection.approved_absent,
                          summary=summary(retention, selection, None))
            chosen = set(selection.ids)
            result["savings"] = totals((s for s in retention.prune if str(s.get("id")) in chosen),
                                       params["price_per_gib_month"])
            if retention.undated:
                module.warn("%d snapshot%s without a readable created_at %s kept: %s" % (
                    len(retention.undated), "" if len(retention.undated) == 1 else "s",
                    "is" if len(retention.undated) == 1 else "are", ", ".join(retention.undated)))
            refusal = over_bound(params["max_delete"], retention, selection)
            if refusal is not None and not module.check_mode:
                raise refusal
            if refusal is not None:
                module.warn(bound_warning(params["max_delete"], selection))
            if not module.check_mode and selection.ids:
                # Raw listings (no filters): a kept snapshot whose tags changed still counts as present.
                outcome = carry_out(client, retention, selection.ids,
                                    lambda: {str(s.get("id")) for s in fetch(client, query).snapshots})
    except SnapfleetError as exc:
        exc.redact([token])
        result.update(exc.to_result())
        _fail(module, exc.message, result)
    except Exception as exc:  # pylint: disable=broad-except  # the last resort: a message, never a traceback
        _fail(module, unexpected("snapfleet.digitalocean.snapshot_retention", exc, [token]), result)
    if outcome is not None:
        result.update(outcome.to_result(), changed=outcome.may_have_deleted,
                      summary=summary(retention, selection, outcome))
        deleted = set(result["deleted"])
        result["savings"] = totals((s for s in retention.prune if str(s.get("id")) in deleted),
                                   params["price_per_gib_month"])
        for text in warnings(outcome):
            module.warn(text)
    elif module.check_mode:
        # As check mode does everywhere: changed says whether a real run would change something.
        result["changed"] = bool(selection.ids)
    result["msg"] = message(retention, selection, outcome, module.check_mode, refused=refusal is not None)
    if module._diff:
        result["diff"] = diff_text(retention, selection, outcome)
    failed = failure_message(retention, selection, outcome) if outcome is not None else None
    if failed:
        result.pop("msg")
        _fail(module, failed, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
