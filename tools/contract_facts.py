# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API contract as facts: DigitalOcean's OpenAPI subset without its prose.

The project carries ``tests/contract/api/snapshots.openapi.yaml``, made by this
script from ``../shared/api/digitalocean-snapshots.openapi.yaml``: the same
operations, parameters, schemas, headers and examples, with every ``description``
and ``summary`` (DigitalOcean's prose) removed. ``tests/meta`` checks that the
two still agree wherever the shared file exists.

    python tools/contract_facts.py ../shared/api/digitalocean-snapshots.openapi.yaml > tests/contract/api/snapshots.openapi.yaml
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
# Made by tools/contract_facts.py; do not edit by hand. tests/meta/test_contract_facts.py keeps it
# equal to ../shared/api/digitalocean-snapshots.openapi.yaml where that file exists.
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


def main(argv: t.List[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    sys.stdout.write(HEADER)
    yaml.safe_dump(facts(spec), sys.stdout, sort_keys=False, allow_unicode=True, width=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
