# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils is in layers that import one way, with no cycles; CONTRIBUTING.md maps every file of it.

The layers, lowest first: ``errors``, ``http``, ``api``, ``questions``, ``retention``. A module
imports from its own layer or a lower one, never a higher one; the import graph of the modules
has no cycle (imports under ``if TYPE_CHECKING`` count: they are knots too). module_utils never
imports controller-side code (``plugin_utils``, ``ansible.plugins``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE_UTILS = ROOT / "plugins" / "module_utils"
PREFIX = "ansible_collections.snapfleet.digitalocean.plugins.module_utils"
LAYERS = ("errors", "http", "api", "questions", "retention")


def _modules() -> dict:
    """Dotted name under module_utils ("api.client", "errors") -> path."""
    found = {}
    for path in sorted(MODULE_UTILS.rglob("*.py")):
        parts = list(path.relative_to(MODULE_UTILS).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            found[".".join(parts)] = path
    return found


def _resolve(name: str, level: int, module: str, is_package: bool) -> str:
    """The absolute dotted name (under module_utils) an import statement in ``module`` names."""
    if level == 0:
        return name[len(PREFIX) + 1:] if name.startswith(PREFIX + ".") else ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[:len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _imports(module: str, path: Path, known: dict) -> set:
    """The module_utils modules that ``module`` imports, and the foreign names it imports (prefixed '!')."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name, 0, module, is_package)
                found.add(target if target else "!" + alias.name)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module or "", node.level, module, is_package)
            if not target:
                found.add("!" + (node.module or ""))
                continue
            for alias in node.names:
                sub = target + "." + alias.name
                found.add(sub if sub in known else target)
    return {name for name in found if name != module}


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


MODULES = _modules()
GRAPH = {name: _imports(name, path, MODULES) for name, path in MODULES.items()}


def test_every_module_belongs_to_a_layer():
    assert {name.split(".")[0] for name in MODULES} <= set(LAYERS), sorted(MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_only(module):
    for target in sorted(GRAPH[module]):
        if target.startswith("!"):
            foreign = target[1:]
            assert not foreign.startswith(("ansible.plugins", "ansible_collections.snapfleet.digitalocean.plugins.plugin_utils")), (
                "%s imports controller-side code: %s" % (module, foreign))
            continue
        assert target in MODULES, "%s imports %s, which does not exist" % (module, target)
        assert _layer(target) <= _layer(module), (
            "%s (layer %s) imports %s (layer %s): imports point down only (%s)"
            % (module, LAYERS[_layer(module)], target, LAYERS[_layer(target)], " <- ".join(LAYERS)))


def test_the_imports_have_no_cycle():
    state = {}
    cycle = []

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(GRAPH[node]):
            if target.startswith("!") or target not in GRAPH:
                continue
            if state.get(target) == "open":
                cycle.extend(stack[stack.index(target):] + [target])
                return True
            if target not in state and visit(target, stack + [target]):
                return True
        state[node] = "done"
        return False

    for start in sorted(GRAPH):
        if start not in state and visit(start, [start]):
            break
    assert not cycle, "an import cycle: %s" % " -> ".join(cycle)


def test_the_layer_checks_can_fail():
    """The resolver reads relative imports as Python does, so a wrong-way import would be seen."""
    assert _resolve("errors", 2, "api.client", False) == "errors"
    assert _resolve("", 1, "api.client", False) == "api"
    assert _resolve("contract", 1, "api.client", False) == "api.contract"
    assert _resolve("pacing", 1, "http", True) == "http.pacing"
    assert _resolve(PREFIX + ".questions.options", 0, "retention.pruning", False) == "questions.options"


# ----------------------------------------------------------------------------- the map
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
_MAPPED = re.compile(r"plugins/module_utils/[A-Za-z0-9_/]+\.py")


def _mapped() -> set:
    return set(_MAPPED.findall(CONTRIBUTING.read_text(encoding="utf-8")))


def _files() -> set:
    return {path.relative_to(ROOT).as_posix() for path in MODULE_UTILS.rglob("*.py") if path.name != "__init__.py"}


def test_contributing_maps_every_module_utils_file():
    missing = sorted(_files() - _mapped())
    assert not missing, "CONTRIBUTING.md's map leaves out %s" % ", ".join(missing)


def test_contributing_names_no_file_that_does_not_exist():
    stale = sorted(_mapped() - _files())
    assert not stale, "CONTRIBUTING.md's map names files that do not exist: %s" % ", ".join(stale)


def test_contributing_names_every_layer():
    text = CONTRIBUTING.read_text(encoding="utf-8")
    for layer in LAYERS[1:]:
        assert "plugins/module_utils/%s/" % layer in text, "CONTRIBUTING.md does not map the %s layer" % layer
