# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``snapfleet.digitalocean.retention`` filter: a retention plan for a list of snapshots, read-only.

Its documentation is in ``retention.yml`` next to this file (ansible-core's sidecar format
for filter plugins), with the policy options from the ``snapfleet.digitalocean.retention``
doc fragment, shared with the ``snapshot_retention`` module.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.utils.display import Display

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import SnapfleetError, unexpected
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.retention.policy import (
    EMPTY_POLICY_WARNING,
    apply_policy,
    parse_policy,
    retention_argument_spec,
)
from ansible_collections.snapfleet.digitalocean.plugins.plugin_utils.values import plain

FILTER_NAME = "snapfleet.digitalocean.retention"


def _snapshots(value: t.Any) -> t.List[dict]:
    # A registered snapshot_info result is accepted as it is: its snapshots are the input.
    if isinstance(value, Mapping) and "snapshots" in value and not isinstance(value["snapshots"], (str, bytes, Mapping)):
        value = value["snapshots"]
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError("%s: expects a list of snapshot dictionaries (from the snapshots lookup or the "
                                 "snapshot_info module), got %s" % (FILTER_NAME, type(value).__name__))
    snapshots = plain(list(value))
    for item in snapshots:
        if not isinstance(item, dict):
            raise AnsibleFilterError("%s: every item must be a snapshot dictionary, got %s" % (FILTER_NAME, type(item).__name__))
    return snapshots


def retention(snapshots: t.Any, **policy: t.Any) -> dict:
    """``{keep, prune, reasons, groups, undated}`` for ``snapshots`` under ``policy`` (the module's option names)."""
    try:
        return _retention(snapshots, policy)
    except AnsibleFilterError:
        raise
    except Exception as exc:  # pylint: disable=broad-except  # the last resort: a message, never a traceback
        raise AnsibleFilterError(unexpected("%s filter" % FILTER_NAME, exc, [])) from None


def _retention(snapshots: t.Any, policy: t.Dict[str, t.Any]) -> dict:
    # None is "not given", as a Jinja caller passes it through (the spec would make a str option '').
    given = {name: value for name, value in policy.items() if value is not None}
    checked = ArgumentSpecValidator(retention_argument_spec()).validate(plain(given))
    if checked.error_messages:
        error = checked.errors[0]
        if isinstance(error, UnsupportedError):
            # AnsibleModule says which plugin did not know the option; say it the same way.
            raise AnsibleFilterError("Unsupported parameters for (%s) filter: %s" % (FILTER_NAME, error.msg))
        raise AnsibleFilterError(checked.errors.msg)
    try:
        policy_ = parse_policy(checked.validated_parameters)
    except SnapfleetError as exc:
        raise AnsibleFilterError(exc.message) from None
    if policy_.empty:
        Display().warning("%s: %s" % (FILTER_NAME, EMPTY_POLICY_WARNING))
    return apply_policy(_snapshots(snapshots), policy_).to_dict()


class FilterModule:
    """The collection's filters."""

    def filters(self) -> dict:
        return {"retention": retention}
