# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one age grammar: every option that takes an age or a duration parses it here.

An age is one or more numbers, each followed by a unit, each unit at most once:
``y`` (years), ``mo`` (months), ``w`` (weeks), ``d`` (days), ``h`` (hours),
``min`` (minutes) and ``s`` (seconds); for example ``30d``, ``26h``, ``6mo``,
``90min`` or ``1y2mo3d``. A bare ``m`` is refused: it meant minutes in some
options and months in others.

Going back by an age follows restic (Go's ``time.AddDate``): years, months, weeks
and days come off the wall-clock date, the month first, a day the month lacks
rolling over (31 March less ``1mo`` is 3 March, 2 March in a leap year); hours,
minutes and seconds then come off as elapsed time. An age that reaches back
before the year 1 means "everything is within": ``Age.before()`` returns None.
"""

from __future__ import annotations

import datetime
import re
import typing as t

from ..errors import OptionError

UTC = datetime.timezone.utc

#: The units, in the order an age is written back (``str(age)``).
UNITS = ("y", "mo", "w", "d", "h", "min", "s")
HELP = ("an age is one or more numbers each followed by a unit: y (years), mo (months), w (weeks), d (days), "
        "h (hours), min (minutes) or s (seconds), such as 30d, 26h, 6mo, 90min or 1y2mo3d")

# Longest unit first, so that "min" and "mo" are not read as "m".
_PART = re.compile(r"([0-9]+)(min|mo|y|w|d|h|s|m)", re.ASCII)


class Age(t.NamedTuple):
    """An age or duration: calendar years, months, weeks and days, then elapsed hours, minutes, seconds."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def is_zero(self) -> bool:
        """True when every part is 0 (``0d``)."""
        return not any(self)

    def __str__(self) -> str:
        return "".join("%d%s" % (n, unit) for n, unit in zip(self, UNITS) if n) or "0d"

    def before(self, instant: datetime.datetime, zone: datetime.tzinfo = UTC) -> t.Optional[datetime.datetime]:
        """The instant this age before ``instant`` (aware), in UTC; None when that is before the year 1.

        The calendar parts are taken off the wall-clock date in ``zone``.
        """
        local = instant.astimezone(zone)
        try:
            months = local.year * 12 + (local.month - 1) - self.years * 12 - self.months
            year, month = divmod(months, 12)
            first = datetime.date(year, month + 1, 1)
            date = first + datetime.timedelta(days=local.day - 1 - self.days - 7 * self.weeks)
            wall = datetime.datetime.combine(date, local.time().replace(tzinfo=None)).replace(tzinfo=zone)
            elapsed = datetime.timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds)
            return wall.astimezone(UTC) - elapsed
        except (OverflowError, ValueError):
            # A year below 1 (ValueError from date()), or beyond what datetime holds (OverflowError).
            return None


def parse_age(option: str, value: t.Any) -> Age:
    """Parse an age of the grammar above; raise OptionError naming ``option`` for anything else."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise OptionError(option, "%s: %r is not an age; %s" % (option, value, HELP))
    text = value.strip().lower()
    parts = _PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise OptionError(option, "%s: %r is not an age; %s" % (option, value, HELP))
    found: t.Dict[str, int] = {}
    for number, unit in parts:
        if unit == "m":
            raise OptionError(option, "%s: %r uses the unit m, which is ambiguous: write mo for months or min for "
                                      "minutes (%s)" % (option, value, HELP))
        if unit in found:
            raise OptionError(option, "%s: %r gives the unit %r twice; %s" % (option, value, unit, HELP))
        found[unit] = int(number)
    return Age(*(found.get(unit, 0) for unit in UNITS))
