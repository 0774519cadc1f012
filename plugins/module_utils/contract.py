# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The API's contract: parse, check and normalise the bodies the snapshot endpoints answer.

Pure functions over decoded JSON (and the raw bytes for decoding); no HTTP,
no Ansible imports. The facts come from tests/contract/api/snapshots.openapi.yaml.
"""

from __future__ import annotations

import re
import typing as t


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


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _describe_non_json(response: t.Any) -> str:
    """Say what came back instead of the API's JSON, for an error message."""
    content_type = response.headers.get("Content-Type") or "no content type"
    text = response.text or ""
    title = _TITLE.search(text)
    if "html" in content_type.lower() or text.lstrip().startswith("<"):
        what = "an HTML page (%s)" % content_type
        if title:
            what += " titled %r" % " ".join(title.group(1).split())[:120]
        return "the answer was %s, not the API's JSON; a proxy or load balancer may be in the way" % what
    return "the answer was cut off or is not valid JSON (%s, %d bytes)" % (content_type, len(response.content or b""))


def parse_list_body(body: t.Any) -> t.Tuple[t.List[dict], int, dict]:
    """Check a list answer against the contract and return (snapshots, meta.total, links).

    Raises ``ValueError`` with what is wrong; the caller turns it into an APIError.
    """
    if not isinstance(body, dict):
        raise ValueError("the answer is not a JSON object")
    snapshots = body.get("snapshots")
    if not isinstance(snapshots, list):
        raise ValueError("the answer has no 'snapshots' list")
    meta = body.get("meta")
    total = meta.get("total") if isinstance(meta, dict) else None
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError("the answer has no valid 'meta.total'")
    links = body.get("links")
    if links is None:
        links = {}
    if not isinstance(links, dict):
        raise ValueError("the answer's 'links' is not an object")
    return [normalize_snapshot(item) for item in snapshots], total, links


def parse_snapshot_body(body: t.Any) -> dict:
    """Check a GET-by-id answer (``{"snapshot": {...}}``) and return the snapshot."""
    if not isinstance(body, dict) or not isinstance(body.get("snapshot"), dict):
        raise ValueError("the answer has no 'snapshot' object")
    return normalize_snapshot(body["snapshot"])


def normalize_snapshot(item: t.Any) -> dict:
    """Return the API's snapshot object, with ``tags`` always a list (the API may say null)."""
    if not isinstance(item, dict):
        raise ValueError("a snapshot is not a JSON object")
    if not isinstance(item.get("id"), (str, int)) or isinstance(item.get("id"), bool):
        raise ValueError("a snapshot has no valid 'id'")
    if item.get("tags") is None:
        item["tags"] = []
    elif not isinstance(item["tags"], list):
        raise ValueError("snapshot %s has 'tags' that are not a list" % item["id"])
    if item.get("regions") is not None and not isinstance(item["regions"], list):
        raise ValueError("snapshot %s has 'regions' that are not a list" % item["id"])
    item["id"] = str(item["id"])
    return item
