# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the execution-environment tests: README.md's examples, as the tests use them.

The README's execution environment definition and credential type are what users copy, so the
tests read them from there (each block follows an ``<!-- name: ... -->`` marker) instead of
keeping a second copy that could drift.
"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def readme_documents(marker: str) -> list[t.Any]:
    """The YAML documents of the first fenced ``yaml`` block after ``<!-- marker:`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- %s:.*?-->\s*```yaml\n(.*?)```" % re.escape(marker), text, re.S)
    assert found, "README.md has no yaml block after <!-- %s: ... -->" % marker
    return [doc for doc in yaml.safe_load_all(found.group(1)) if doc is not None]


@pytest.fixture(scope="session")
def readme() -> t.Callable[[str], list[t.Any]]:
    """``readme(marker)``: the YAML documents README.md shows after that marker."""
    return readme_documents
