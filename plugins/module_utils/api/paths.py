# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The snapshot listings' paths and the shapes of the ids in them: one owner for each (no HTTP import)."""

from __future__ import annotations

import re
import typing as t
from urllib.parse import quote

from ..errors import OptionError

ACCOUNT_SNAPSHOTS = "/v2/snapshots"
VOLUME_SNAPSHOTS = "/v2/volumes/%s/snapshots"
DROPLET_SNAPSHOTS = "/v2/droplets/%s/snapshots"
# The sources of snapshots (api/sources.py).
DROPLETS = "/v2/droplets"
VOLUMES = "/v2/volumes"

# A volume id: a UUID, in either case.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", re.ASCII)
# A Droplet id as the API writes it: digits, no leading zero ("0123" is not 123 to the account listing).
_DROPLET_ID = re.compile(r"^[1-9][0-9]*$", re.ASCII)


def is_volume_id(text: str) -> bool:
    """True for a UUID (a volume's id)."""
    return bool(_UUID.match(text))


def is_droplet_id(text: str) -> bool:
    """True for a Droplet id as the API writes it (digits, no leading zero)."""
    return bool(_DROPLET_ID.match(text))


def snapshot_id(option: str, value: t.Any) -> str:
    """A snapshot id given by the user, stripped; OptionError naming ``option`` when it is empty."""
    text = str(value).strip()
    if not text:
        raise OptionError(option, "snapshot_id: must not be empty" if option == "snapshot_id"
                          else "a snapshot id given as a term must not be empty")
    return text


def snapshot(value: t.Any) -> str:
    """``/v2/snapshots/{id}``, the id stripped and sent as one path segment (OptionError when empty)."""
    return "%s/%s" % (ACCOUNT_SNAPSHOTS, quote(snapshot_id("snapshot_id", value), safe=""))
