"""Wall-clock arithmetic for generated logs: integer milliseconds, formatted like Python logging.

Every time in the demo is an int of milliseconds since 1970-01-01 in the machine's local time (the
logs carry no zone). Formatting a record prefix is on the hot path (millions of lines at full
scale), so it is three table look-ups instead of `strftime`:

>>> stamp(ms_of("2023-03-05 08:00:00") + 1234)
'2023-03-05 08:00:01,234 '
"""
from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from typing import Dict, List

_EPOCH = _dt.datetime(1970, 1, 1)
_DAY_MS = 86_400_000
_HMS: List[str] = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}," for s in range(86_400)]
_MS: List[str] = [f"{m:03d} " for m in range(1000)]
_DAYS: Dict[int, str] = {}
#: day number of 2020-01-01 and the date prefixes of the following ten years, for `stamp`
DAY0 = (_dt.datetime(2020, 1, 1) - _EPOCH).days
DAY_PREFIX: List[str] = [(_dt.datetime(2020, 1, 1) + _dt.timedelta(days=i)).strftime("%Y-%m-%d ")
                         for i in range(3660)]
HMS = _HMS
MILLIS = _MS
DAY_MS = _DAY_MS


class _DayPrefixes(dict):
    """`YYYY-MM-DD ` of a day number (days since 1970-01-01), filled on first use.

    The hot loops format a time as three look-ups, `DAYS[ms // DAY_MS] + HMS[ms // 1000 % 86400] +
    MILLIS[ms % 1000]`, with no function call and no range check.
    """

    def __missing__(self, day: int) -> str:
        text = _day(day)
        self[day] = text
        return text


DAYS: Dict[int, str] = _DayPrefixes((DAY0 + i, text) for i, text in enumerate(DAY_PREFIX))


@lru_cache(maxsize=1024)
def ms_of(text: str) -> int:
    """Milliseconds of a 'YYYY-MM-DD HH:MM:SS' local time."""
    moment = _dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    return int((moment - _EPOCH).total_seconds()) * 1000


def _day(day: int) -> str:
    text = _DAYS.get(day)
    if text is None:
        text = (_EPOCH + _dt.timedelta(days=day)).strftime("%Y-%m-%d ")
        _DAYS[day] = text
    return text


def stamp(ms: int, _divmod=divmod, _prefix=DAY_PREFIX, _hms=_HMS, _millis=_MS, _day0=DAY0) -> str:
    """The logging prefix `YYYY-MM-DD HH:MM:SS,mmm ` (with its trailing space) of a time."""
    day, rest = _divmod(ms, 86_400_000)
    sec, milli = _divmod(rest, 1000)
    day -= _day0
    if 0 <= day < 3660:
        return _prefix[day] + _hms[sec] + _millis[milli]
    return _day(day + _day0) + _hms[sec] + _millis[milli]


def seconds_text(ms: int) -> str:
    """'YYYY-MM-DD HH:MM:SS' of a time: the precision of `started_at` in the key file."""
    return stamp(ms)[:19]
