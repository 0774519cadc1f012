# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The API's contract: decode, check and normalise the bodies the snapshot endpoints answer.

Pure functions over bytes and decoded JSON; no HTTP, no Ansible imports. The
facts come from the contract the project carries (tests/contract/api/snapshots.openapi.yaml):

- list bodies ``{"snapshots": [...], "links": {...}, "meta": {"total": N}}``; GET by id ``{"snapshot": {...}}``;
- the account model (``/v2/snapshots``, ``/v2/volumes/{id}/snapshots``): ``id`` string, ``name``,
  ``created_at`` (string), ``regions`` (list of strings), ``min_disk_size`` (integer),
  ``size_gigabytes`` (number), ``resource_id`` (string), ``resource_type`` (droplet, volume),
  ``tags`` (list of strings or null);
- the Droplet-scoped model (``/v2/droplets/{id}/snapshots``): integer ``id``, ``type``
  (snapshot, backup), no ``resource_id``, ``resource_type`` or ``tags``;
- error bodies ``{"id", "message", "request_id"?}``.

Fields are checked for their type when present (published answers leave many out);
what is wrong raises ContractError (a ValueError) naming the snapshot and the field.
JSON has no NaN or Infinity: an answer holding them is refused, never parsed into
a number that would silently break sorting and comparisons.
"""

from __future__ import annotations

import json
import math
import typing as t

from ..http.bodies import ContractError


class Listing:
    """What one query read from the API: the snapshots in the API's order, ``meta`` and ``links``."""

    __slots__ = ("snapshots", "total", "links")

    def __init__(self, snapshots: t.List[dict], total: int, links: dict) -> None:
        self.snapshots = snapshots
        self.total = total
        self.links = links

    def to_dict(self) -> dict:
        return {"snapshots": self.snapshots, "total": self.total, "links": self.links}

    @classmethod
    def from_dict(cls, data: dict) -> "Listing":
        return cls(list(data["snapshots"]), int(data["total"]), dict(data.get("links") or {}))


def parse_list_body(body: t.Any, droplet_scoped: bool = False) -> t.Tuple[t.List[dict], int, dict]:
    """Check a list answer against the contract and return (snapshots, meta.total, links).

    ``droplet_scoped``: the answer of ``GET /v2/droplets/{id}/snapshots`` (see ``normalize_snapshot``).
    Raises ContractError (a ValueError) with what is wrong; the caller turns it into an APIError.
    """
    if not isinstance(body, dict):
        raise ContractError("the answer is not a JSON object")
    snapshots = body.get("snapshots")
    if not isinstance(snapshots, list):
        raise ContractError("the answer has no 'snapshots' list")
    meta = body.get("meta")
    total = meta.get("total") if isinstance(meta, dict) else None
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ContractError("the answer has no valid 'meta.total'")
    links = body.get("links")
    if links is None:
        links = {}
    if not isinstance(links, dict):
        raise ContractError("the answer's 'links' is not an object")
    return [normalize_snapshot(item, droplet_scoped) for item in snapshots], total, links


def parse_snapshot_body(body: t.Any) -> dict:
    """Check a GET-by-id answer (``{"snapshot": {...}}``) and return the snapshot."""
    if not isinstance(body, dict) or not isinstance(body.get("snapshot"), dict):
        raise ContractError("the answer has no 'snapshot' object")
    return normalize_snapshot(body["snapshot"])


def _is_int(value: t.Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: t.Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))  # an int is finite


def _is_str_list(value: t.Any) -> bool:
    return isinstance(value, list) and all(isinstance(one, str) for one in value)


# field: (check, what the contract says it is); checked when present.
_FIELDS: t.Dict[str, t.Tuple[t.Callable[[t.Any], bool], str]] = {
    "name": (lambda v: isinstance(v, str), "a string"),
    "created_at": (lambda v: isinstance(v, str), "a string (an ISO 8601 date-time)"),
    "regions": (_is_str_list, "a list of strings"),
    "min_disk_size": (_is_int, "an integer"),
    "size_gigabytes": (_is_number, "a number"),
}
_ACCOUNT_FIELDS: t.Dict[str, t.Tuple[t.Callable[[t.Any], bool], str]] = {
    "resource_id": (lambda v: isinstance(v, str) or _is_int(v), "a string"),
    "resource_type": (lambda v: v in ("droplet", "volume"), "droplet or volume"),
    "tags": (lambda v: v is None or _is_str_list(v), "a list of strings or null"),
}


def _shown(value: t.Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _all_str(value: t.Any) -> bool:
    """True for a list of strings, as ``_is_str_list``, at C speed (``join`` refuses anything else)."""
    if not isinstance(value, list):
        return False
    try:
        "".join(value)
    except TypeError:
        return False
    return True


def _plain_account_snapshot(item: t.Any) -> bool:
    """True when an account-model snapshot needs no more than the normalising: every field as the contract says.

    The same rules as ``_FIELDS`` and ``_ACCOUNT_FIELDS``, written for the answer the API
    nearly always gives (10,000 snapshots are checked in milliseconds); anything this does
    not accept goes through the field-by-field check, which names what is wrong.
    """
    if not isinstance(item, dict):
        return False
    get = item.get
    sid, disk, size, rid, tags = (get("id"), get("min_disk_size", 0), get("size_gigabytes", 0),
                                  get("resource_id", ""), get("tags"))
    return ((isinstance(sid, str) or (isinstance(sid, int) and not isinstance(sid, bool)))
            and isinstance(get("name", ""), str) and isinstance(get("created_at", ""), str)
            and _all_str(get("regions", []))
            and isinstance(disk, int) and not isinstance(disk, bool)
            # finite: inf - inf and nan - nan are nan
            and not isinstance(size, bool) and (isinstance(size, int) or (isinstance(size, float) and size - size == 0.0))
            and (isinstance(rid, str) or (isinstance(rid, int) and not isinstance(rid, bool)))
            and get("resource_type", "droplet") in ("droplet", "volume")
            and (tags is None or _all_str(tags)))


def normalize_snapshot(item: t.Any, droplet_scoped: bool = False) -> dict:
    """Check one snapshot object and return it normalised: ``id`` a string, ``tags`` null as ``[]``.

    ``droplet_scoped`` (the Droplet-scoped model of ``GET /v2/droplets/{id}/snapshots``):
    the integer ``id`` becomes a string, ``type`` (snapshot or backup) is kept for the Droplet route,
    which leaves the backups out, and ``resource_id``, ``resource_type`` and ``tags`` are not invented
    (the Droplet route completes them).
    """
    if not droplet_scoped and _plain_account_snapshot(item):
        if item.get("tags") is None:
            item["tags"] = []
        if isinstance(item.get("resource_id"), int):
            item["resource_id"] = str(item["resource_id"])
        item["id"] = str(item["id"])
        return item
    return checked_snapshot(item, droplet_scoped)


def checked_snapshot(item: t.Any, droplet_scoped: bool = False) -> dict:
    """``normalize_snapshot`` field by field, the rules as the contract states them; names what is wrong."""
    if not isinstance(item, dict):
        raise ContractError("a snapshot is not a JSON object")
    sid = item.get("id")
    if not (isinstance(sid, str) or _is_int(sid)):
        raise ContractError("a snapshot has no valid 'id' (%s)" % _shown(sid))
    checks = dict(_FIELDS)
    if droplet_scoped:
        if "type" in item and item["type"] not in ("snapshot", "backup"):
            raise ContractError("snapshot %s has 'type' %s, not snapshot or backup" % (sid, _shown(item["type"])))
    else:
        checks.update(_ACCOUNT_FIELDS)
    for field, (check, what) in checks.items():
        if field in item and not check(item[field]):
            raise ContractError("snapshot %s has '%s' %s, not %s as the API's contract says"
                                % (sid, field, _shown(item[field]), what))
    if not droplet_scoped:
        if item.get("tags") is None:
            item["tags"] = []
        if _is_int(item.get("resource_id")):
            item["resource_id"] = str(item["resource_id"])
    item["id"] = str(sid)
    return item
