# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Values handed to the controller-side plugins (the lookup, the filter), made plain before they are checked.

ansible-core 2.19 hands plugins lazy containers: lists and dicts that template their items
when read. ``ArgumentSpecValidator`` deep-copies the options it checks, and on 2.19 a lazy
container from a template that imports macros cannot be deep-copied ("Template.__new__()
missing 1 required positional argument: 'source'"). Read once into plain lists, dicts and
strings, they validate the same on every core.
"""

from __future__ import annotations

import typing as t
from collections.abc import Mapping


def plain(value: t.Any) -> t.Any:
    """``value`` with every mapping a dict, every list, tuple or set a list, every string a str; the rest as is."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
