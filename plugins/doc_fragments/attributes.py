# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The attributes every module of the collection shares; each module adds check_mode and diff_mode."""

    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/snapfleet.digitalocean.all) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - snapfleet.digitalocean.all
    details:
      - Set O(token) and O(api_url) once for every module of the collection with
        C(module_defaults) and C(group/snapfleet.digitalocean.all).
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
"""
