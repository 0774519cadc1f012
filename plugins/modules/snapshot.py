#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: snapshot
short_description: Take a snapshot of a DigitalOcean Droplet or volume when one is due
version_added: 2.0.0
description:
  - Takes a snapshot of one Droplet or one volume, with a name and tags.
  - With O(min_age), takes it only when the newest snapshot of that resource is older than O(min_age); otherwise it
    changes nothing and returns that newest snapshot. That makes a nightly rotation idempotent.
  - A volume snapshot is made with C(POST /v2/volumes/{volume_id}/snapshots), which takes the tags too.
  - A Droplet snapshot is made by the Droplet action C(snapshot). The module waits for the action
    (C(GET /v2/actions/{action_id}), with capped exponential backoff and jitter), finds the snapshot the action made
    (new since the module read the Droplet's listing, with that name; never an older snapshot of the same name), and
    tags it through the tags API, where a Droplet snapshot is an C(image).
  - "The module respects DigitalOcean's documented limits: a volume holds at most 25 snapshots (the module refuses
    before sending anything, and says how to make room), and a volume can be snapshotted once every 10 minutes (the
    API's refusal is reported at once with its message, not retried)."
  - A C(POST) is sent once. When its answer is lost (a timeout, a dropped connection, a 5xx), the module does not
    send it again; it reads the listing to find what it made, and fails saying so if it cannot know. A C(POST) that
    the token's rate limit refused (a C(429) other than the volume's 10 minutes) did not take effect; it is sent again
    after the wait the API asks for, up to O(retries) times.
author:
  - snapfleet developers (@snapfleet)
extends_documentation_fragment:
  - snapfleet.digitalocean.attributes
  - snapfleet.digitalocean.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  token:
    description:
      - The DigitalOcean API token (a personal access token or an OAuth token).
      - A read-only token is not enough. Taking a volume snapshot needs C(block_storage_snapshot:create); a Droplet
        snapshot needs C(droplet:update) and C(image:create), and C(actions:read) to wait for it; tags need
        C(tag:create). Reading the resource's snapshots needs the read scopes. A 403 names the missing scope.
      - If not set, the first of these environment variables that is set is used, in this order
        E(DIGITALOCEAN_ACCESS_TOKEN), E(DIGITALOCEAN_TOKEN), E(DO_API_TOKEN), E(DO_API_KEY), E(DO_OAUTH_TOKEN),
        E(OAUTH_TOKEN).
    type: str
    aliases: [api_token, oauth_token]
  resource_id:
    description:
      - The Droplet id (digits, such as V(3164444)) or the volume id (a UUID) to snapshot.
      - Told apart as P(snapfleet.digitalocean.snapshot_info#module) tells them apart.
    type: str
    required: true
  resource_type:
    description:
      - What O(resource_id) names, to be explicit. A mismatch (a UUID with V(droplet)) is refused.
      - By default, the form of O(resource_id) decides.
    type: str
    choices: [droplet, volume]
  name:
    description:
      - The new snapshot's name. Names need not be unique; a date in the name (V({{ now(utc=true, fmt='%Y-%m-%d') }}))
        tells snapshots apart for people.
    type: str
    required: true
  tags:
    description:
      - Tags for the new snapshot. Each is checked before any request against the API's rule for tag names
        (letters, digits, colons, dashes and underscores, at most 255 characters).
      - A tag that does not exist yet is created.
      - A Droplet snapshot is tagged after its action has completed, so tags on a Droplet snapshot need O(wait=true).
    type: list
    elements: str
    default: []
  min_age:
    description:
      - Take the snapshot only when the newest snapshot of the resource is at least this old; otherwise change
        nothing and return that newest snapshot.
      - When that newest snapshot has this O(name) but lacks some of O(tags) (a Droplet snapshot whose wait ran out
        before it could be tagged), it gets them, and the task reports C(changed) with RV(created=false).
      - The collection's age grammar, such as V(23h), V(1d), V(6d12h) or V(90min) (units y, mo, w, d, h, min, s; a
        bare V(m) is refused as ambiguous).
      - For a nightly run, a little less than a day (V(23h)) keeps a run that starts a few minutes early from being
        skipped.
      - Not set, a snapshot is taken on every run.
    type: str
  wait:
    description:
      - For a Droplet, wait for the snapshot action to complete, find the snapshot and tag it.
      - With V(false), the module returns the action as soon as it started, and RV(snapshot) is null.
      - A volume snapshot is returned by the API at once; this option does not change it.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for a Droplet's snapshot action, and then for its snapshot to be listed.
      - The task's O(total_max_wait) bounds the wait as well.
      - When the wait is over and the action is still in progress, the module fails with the action's id and status;
        the snapshot appears when the action completes, and a re-run with O(min_age) finds it (and tags it) instead
        of taking another.
    type: float
    default: 600
attributes:
  check_mode:
    support: full
    details: Check mode reads the resource's snapshots, sends no C(POST), and says what it would take, or why no
      snapshot is due. A volume that already holds 25 snapshots does not fail the task in check mode; it warns that a
      real run would refuse, so that the rest of a play (the prune that would make room) still shows.
  diff_mode:
    support: full
    details: The diff shows the resource's newest snapshot before and after the task.
notes:
  - DigitalOcean does not say how long a Droplet snapshot takes; a large disk can take many minutes. Raise
    O(wait_timeout) and O(total_max_wait) together for those.
  - Snapshots are full disk images, billed by size; pair this module with
    P(snapfleet.digitalocean.snapshot_retention#module) to keep only what a policy asks for.
seealso:
  - module: snapfleet.digitalocean.snapshot_retention
  - module: snapfleet.digitalocean.snapshot_info
  - name: DigitalOcean snapshot limits
    description: 25 snapshots per volume, one every 10 minutes.
    link: https://docs.digitalocean.com/products/snapshots/details/limits/
"""

EXAMPLES = r"""
- name: Snapshot a volume once a day at most, tagged for the rotation
  snapfleet.digitalocean.snapshot:
    resource_id: 7724db7c-e098-11e5-b522-000f53304e51
    name: "pgdata-{{ now(utc=true, fmt='%Y-%m-%d') }}"
    tags: [backup, "env:prod"]
    min_age: 23h
  register: taken

- name: Show what happened (msg says why no snapshot was due, when none was)
  ansible.builtin.debug:
    msg: "{{ taken.snapshot.id }}: {{ taken.msg }}"

- name: Snapshot a Droplet, wait up to 30 minutes for the action, then tag the snapshot
  snapfleet.digitalocean.snapshot:
    resource_id: "3164444"
    name: "web-01-{{ now(utc=true, fmt='%Y-%m-%dT%H%M') }}"
    tags: [backup]
    min_age: 23h
    wait_timeout: 1800
    total_max_wait: 1800

- name: Start a Droplet snapshot without waiting for it
  snapfleet.digitalocean.snapshot:
    resource_id: "3164444"
    name: web-01-before-upgrade
    wait: false
  register: started

- name: The action to follow
  ansible.builtin.debug:
    msg: "action {{ started.action.id }} is {{ started.action.status }}"
"""

RETURN = r"""
created:
  description: Whether this task made a snapshot (or, with O(wait=false), started the action that makes one).
  returned: always
  type: bool
  sample: true
snapshot:
  description:
    - The snapshot made, or when none was due, the resource's newest snapshot, in the shape
      P(snapfleet.digitalocean.snapshot_info#module) returns, with its tags.
    - Null in check mode when a snapshot is due, and with O(wait=false) for a Droplet.
  returned: success
  type: dict
  contains:
    id:
      description: The snapshot's id (digits for a Droplet snapshot, a UUID for a volume snapshot).
      type: str
      sample: "6372321"
    name:
      description: The snapshot's name.
      type: str
      sample: web-01-2026-12-02
    created_at:
      description: When the snapshot was created, ISO 8601 in UTC.
      type: str
      sample: "2026-12-02T03:00:12Z"
    regions:
      description: The region slugs where the snapshot is available.
      type: list
      elements: str
      sample: [nyc3]
    resource_id:
      description: The id of the Droplet or volume the snapshot was taken of.
      type: str
      sample: "3164444"
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
      description: The snapshot's tags.
      type: list
      elements: str
      sample: [backup]
action:
  description:
    - The Droplet action that made the snapshot, as C(GET /v2/actions/{action_id}) last answered.
    - Also in the result of a task that failed because the action errored or the wait ran out.
  returned: when a Droplet snapshot was started
  type: dict
  sample:
    id: 36804807
    status: completed
    type: snapshot
    started_at: "2026-12-02T03:00:10Z"
    completed_at: "2026-12-02T03:02:41Z"
    resource_id: 3164444
    resource_type: droplet
    region_slug: nyc3
would_create:
  description: In check mode, the snapshot a real run would take.
  returned: in check mode, when a snapshot is due
  type: dict
  sample:
    name: pgdata-2026-12-02
    tags: [backup]
    resource_id: 7724db7c-e098-11e5-b522-000f53304e51
    resource_type: volume
msg:
  description: What the task did, or would do in check mode, and why (for instance why no snapshot was due).
  returned: always
  type: str
  sample: "not due: the newest snapshot, 6372321 (web-01-2026-12-01, created 2026-12-01T03:00:12Z), is 20h5min
    old, younger than min_age 23h"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import SnapfleetError, unexpected
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.options import (
    INSECURE_WARNING,
    check_connection,
    insecure,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.questions.routes import make_client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention.snapshotting import (
    module_spec,
    read_request,
    take,
)


def main() -> None:
    module = AnsibleModule(argument_spec=module_spec(), supports_check_mode=True)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    token = module.params.get("token")  # as given; make_client strips it: both forms are redacted
    try:
        check_connection(module.params)
        request = read_request(module.params)
        if insecure(module.params):
            module.warn(INSECURE_WARNING % module.params["api_url"])
        with make_client(module.params) as client:
            result = take(client, request, module.check_mode)
    except SnapfleetError as exc:
        exc.redact([token, module.params.get("token")])
        module.fail_json(msg=exc.message, **dict(dict(changed=False, created=False), **exc.to_result()))
    except Exception as exc:  # pylint: disable=broad-except  # the last resort: a message, never a traceback
        module.fail_json(msg=unexpected("snapfleet.digitalocean.snapshot", exc, [token, module.params.get("token")]),
                         changed=False, created=False)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    diff = result.pop("diff", None)
    if module._diff and diff is not None and result["changed"]:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
