# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The price snapshot costs are computed at: the same for every module that reports a cost."""

    DOCUMENTATION = r"""
options:
  price_per_gib_month:
    description:
      - What one GiB of snapshot costs a month, in US dollars. DigitalOcean's documented price is V(0.06) for Droplet
        and volume snapshots alike; set it when the price changes.
      - A snapshot costs C(size_gigabytes) times this price a month, and at least V(0.01), DigitalOcean's minimum
        charge. Sums are exact (no rounding); round them only to show them.
      - Must be a finite number of 0 or more.
    type: float
    default: 0.06
"""
