"""Which slice of time one reconciliation run looks at, per store.

Two clocks meet here. The shop lists orders by *update time* (an instant), so the shop side
pages through ``[start - overlap, end + overlap)``: a run reaching a little into the days
either side costs a few extra orders and guarantees that an order updated near midnight, or
stamped by a shop clock a minute off, is seen by one of two consecutive runs. The provider
lists invoices by *issue date* (a calendar day, the order's own date as the pipeline sends
it), so the provider side takes the whole days the core window covers, without overlap:
consecutive nightly runs cover consecutive days, and a day needs no margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DEFAULT_OVERLAP = timedelta(hours=2)


@dataclass(frozen=True)
class Window:
    start: datetime  # aware; the core window is [start, end)
    end: datetime
    zone: tzinfo  # the store's zone: days are the merchant's days
    overlap: timedelta = DEFAULT_OVERLAP

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a reconciliation window needs time-zone-aware bounds")
        if self.end <= self.start:
            raise ValueError(f"empty window: {self.start.isoformat()} .. {self.end.isoformat()}")
        if self.overlap < timedelta(0):
            raise ValueError("the overlap must not be negative")
        # Held in UTC: Python subtracts two datetimes of one zone by wall clock, which would
        # make a day across a DST change 24 hours long and shift the overlap by an hour.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def shop_start(self) -> datetime:
        return (self.start - self.overlap).astimezone(UTC)

    @property
    def shop_end(self) -> datetime:
        return (self.end + self.overlap).astimezone(UTC)

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.zone).date()

    @property
    def last_day(self) -> date:
        # The end is exclusive: a window ending at midnight does not include the next day.
        return (self.end - timedelta(microseconds=1)).astimezone(self.zone).date()

    def covers_day(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def describe(self) -> str:
        if self.first_day == self.last_day:
            return self.first_day.isoformat()
        return f"{self.first_day.isoformat()} .. {self.last_day.isoformat()}"


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def day_window(day: date, zone: tzinfo, overlap: timedelta = DEFAULT_OVERLAP) -> Window:
    """One calendar day in the store's zone (DST-safe: midnight to the next midnight)."""
    return Window(_midnight(day, zone), _midnight(day + timedelta(days=1), zone), zone, overlap)


def previous_day(now: datetime, zone: tzinfo, overlap: timedelta = DEFAULT_OVERLAP) -> Window:
    """The nightly default: yesterday, in the store's own zone."""
    today = now.astimezone(zone).date()
    return day_window(today - timedelta(days=1), zone, overlap)


def _parse_bound(text: str, zone: tzinfo) -> tuple[datetime, bool]:
    """(instant, was_a_date). A date is that day's midnight in the store's zone; a time
    without an offset is read in the store's zone too."""
    value = text.strip()
    try:
        return _midnight(date.fromisoformat(value), zone), True
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is neither a date (YYYY-MM-DD) nor an ISO date-time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)), False


def range_window(
    start: str, end: str, zone: tzinfo, overlap: timedelta = DEFAULT_OVERLAP
) -> Window:
    """``--from``/``--to``. Dates are whole days and ``--to`` is included (``--from
    2025-03-01 --to 2025-03-03`` is three days); date-times are taken exactly, ``--to``
    excluded."""
    low, _ = _parse_bound(start, zone)
    high, high_is_day = _parse_bound(end, zone)
    if high_is_day:
        high = _midnight(high.date() + timedelta(days=1), zone)
    return Window(low, high, zone, overlap)


def choose_window(
    *,
    zone: tzinfo,
    now: datetime,
    day: str | None = None,
    start: str | None = None,
    end: str | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> Window:
    """The window the CLI options ask for: ``--date``, ``--from``/``--to``, else yesterday."""
    if day is not None and (start is not None or end is not None):
        raise ValueError("give either --date or --from/--to, not both")
    if day is not None:
        try:
            return day_window(date.fromisoformat(day.strip()), zone, overlap)
        except ValueError:
            raise ValueError(f"--date {day!r} is not a date (YYYY-MM-DD)") from None
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValueError("--from and --to go together")
        return range_window(start, end, zone, overlap)
    return previous_day(now, zone, overlap)
