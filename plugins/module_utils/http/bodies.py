# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""JSON answer bodies as any DigitalOcean endpoint sends them: decoding, and the error body.

Knows nothing of snapshots. JSON has no NaN or Infinity: an answer holding them is refused,
never parsed into a number that would silently break sorting and comparisons.
"""

from __future__ import annotations

import json
import math
import re
import typing as t


class ContractError(ValueError):
    """An answer that does not match the API's contract; the transport reports it, it is not retried."""


class NonFiniteNumberError(ContractError):
    """The answer holds NaN, Infinity or -Infinity (or a number too large for a float), which JSON does not have."""


class _NonFinite(object):
    """Stands for a refused constant while the document is decoded, so that its place can be named."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def decode_json(content: t.Union[bytes, str]) -> t.Any:
    """Decode an answer body; refuse NaN, Infinity, -Infinity and numbers that overflow to infinity (1e999).

    Raises NonFiniteNumberError ("the answer holds NaN at snapshots[0].size_gigabytes")
    for those, ``ValueError`` (json's) when the body is not JSON, RecursionError when
    it is absurdly nested (as ``json.loads``).
    """
    found: t.List[_NonFinite] = []

    def constant(text: str) -> _NonFinite:
        found.append(_NonFinite(text))
        return found[-1]

    def number(text: str) -> t.Any:
        value = float(text)
        if math.isinf(value):
            return constant(text)
        return value

    body = json.loads(content, parse_constant=constant, parse_float=number)
    if found:
        where = _find(body, found[0]) or "?"
        raise NonFiniteNumberError("the answer holds %s at %s, which is not a JSON number; it breaks the API's contract"
                                   % (found[0].text, where))
    return body


def _find(node: t.Any, target: _NonFinite, path: str = "") -> t.Optional[str]:
    """The JSON path of ``target`` in ``node`` (``snapshots[3].size_gigabytes``), or None."""
    if node is target:
        return path or "the top level"
    if isinstance(node, dict):
        for key, value in node.items():
            found = _find(value, target, "%s.%s" % (path, key) if path else str(key))
            if found:
                return found
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found = _find(value, target, "%s[%d]" % (path, index))
            if found:
                return found
    return None


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def describe_non_json(response: t.Any) -> str:
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


def error_fields(body: t.Any) -> t.Tuple[t.Optional[str], t.Optional[str], t.Optional[str]]:
    """(id, message, request_id) of an error body, each None when absent or empty; all None if not an object."""
    if not isinstance(body, dict):
        return None, None, None

    def text(value: t.Any) -> t.Optional[str]:
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else json.dumps(value)

    return text(body.get("id")), text(body.get("message")), text(body.get("request_id"))
