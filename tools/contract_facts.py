# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API contract as facts: DigitalOcean's OpenAPI subset without its prose.

The project carries ``tests/contract/api/snapshots.openapi.yaml``, made by this
script from ``../shared/api/digitalocean-snapshots.openapi.yaml``: the same
operations, parameters, schemas, headers and examples, with every ``description``
and ``summary`` (DigitalOcean's prose) removed. ``make meta`` checks that the
two still agree wherever the shared file exists (``--check``).

    python tools/contract_facts.py ../shared/api/digitalocean-snapshots.openapi.yaml > tests/contract/api/snapshots.openapi.yaml
    python tools/contract_facts.py --check ../shared/api/digitalocean-snapshots.openapi.yaml tests/contract/api/snapshots.openapi.yaml
"""

from __future__ import annotations

import sys
import typing as t

import yaml

PROSE = frozenset(("description", "summary", "termsOfService", "contact", "x-codeSamples"))
HEADER = """\
# The DigitalOcean snapshot API contract, as data: operations, parameters, schemas, headers and
# examples of DigitalOcean's OpenAPI description (github.com/digitalocean/openapi, Apache-2.0;
# see LICENSES/Apache-2.0.txt and tests/contract/api/NOTICE), with its prose left out.
# Made by tools/contract_facts.py; do not edit by hand. `make meta` (contract_facts.py --check) keeps
# it equal to ../shared/api/digitalocean-snapshots.openapi.yaml where that file exists.
"""


def facts(node: t.Any, key: t.Optional[str] = None, parent: t.Optional[str] = None) -> t.Any:
    """Return ``node`` without prose keys.

    A schema property named like a prose key is kept. A response object's
    ``description`` is required by OpenAPI 3.0, so it stays, emptied: the
    document remains valid for openapi-core and Prism.
    """
    if isinstance(node, dict):
        if key == "properties":
            return {k: facts(v, k, key) for k, v in node.items()}
        result = {k: facts(v, k, key) for k, v in node.items() if k not in PROSE}
        if parent == "responses" and "description" in node:
            result = {"description": "", **result}
        return result
    if isinstance(node, list):
        return [facts(v) for v in node]
    return node


def first_difference(one: t.Any, other: t.Any, where: str = "") -> t.Optional[str]:
    """Where two documents first differ (a path like ``paths./v2/tags.post``), or None when they are equal."""
    if isinstance(one, dict) and isinstance(other, dict):
        for key in list(one) + [k for k in other if k not in one]:
            if key not in one or key not in other:
                return "%s.%s" % (where, key) if where else str(key)
            found = first_difference(one[key], other[key], "%s.%s" % (where, key) if where else str(key))
            if found is not None:
                return found
        return None
    if isinstance(one, list) and isinstance(other, list):
        if len(one) != len(other):
            return "%s (length %d, not %d)" % (where, len(one), len(other))
        for index, (a, b) in enumerate(zip(one, other, strict=True)):
            found = first_difference(a, b, "%s[%d]" % (where, index))
            if found is not None:
                return found
        return None
    return None if one == other else (where or "(the whole document)")


def _load(path: str) -> t.Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def main(argv: t.List[str]) -> int:
    if argv[1:2] == ["--check"]:
        source, carried = argv[2], argv[3]
        where = first_difference(facts(_load(source)), _load(carried))
        if where is not None:
            sys.stderr.write("%s is not %s less its prose: they differ at %s; make it again with\n"
                             "  python tools/contract_facts.py %s > %s\n" % (carried, source, where, source, carried))
            return 1
        print("%s is %s less its prose" % (carried, source))
        return 0
    sys.stdout.write(HEADER)
    yaml.safe_dump(facts(_load(argv[1])), sys.stdout, sort_keys=False, allow_unicode=True, width=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
