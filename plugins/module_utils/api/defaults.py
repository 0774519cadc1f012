# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connection defaults and the API's page sizes: the option specs and the client read them here (no HTTP import)."""

from __future__ import annotations

API_URL = "https://api.digitalocean.com"
TIMEOUT = 30.0
PER_PAGE = 200
MAX_PER_PAGE = 200
# 50 pages at once: 10,000 snapshots (50 pages of 200) take page 1 then one wave of 49, two round
# trips (docs/developer/design.md). The pacer keeps every listing within the burst limit whatever
# this says; 50 in flight is a fifth of that minute.
CONCURRENCY = 50
RETRIES = 5
RETRY_MAX_WAIT = 60.0
TOTAL_MAX_WAIT = 600.0
# The API's documented burst limit: 250 requests a minute per token, reported by no header.
RATE_LIMIT_PER_MINUTE = 250
BURST_WINDOW = 60.0
