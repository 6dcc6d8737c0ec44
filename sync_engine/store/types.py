"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no timestamp-with-time-zone and no decimal type; these decorators keep what the
application sees identical on both databases while the DDL stays the plain SQLAlchemy
types written in the migration (`DateTime(timezone=True)`, `Numeric(14, 2)`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

_CENT = Decimal("0.01")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out.

    SQLite stores the text without an offset, so every value is normalised to UTC before it
    is bound: comparisons (`lease_expires_at < :now`) are then plain string comparisons of
    UTC times, and PostgreSQL gets the same instants. Naive datetimes are refused rather than
    guessed at — a naive "now" from a local clock would silently shift leases by hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """`Numeric(14, 2)` that only ever hands out and accepts `Decimal` (never float).

    SQLite keeps NUMERIC values as REAL. Fourteen significant digits survive a double exactly,
    so reading the stored value back through `str()` and quantising to kuruş restores the
    Decimal that was written; the float never reaches application code.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(14, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(14, 2))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        # Rounding is the domain's job (round_kurus); a third decimal here is a bug upstream.
        if value != value.quantize(_CENT):
            raise ValueError(f"money {value} has more than two decimal places")
        value = value.quantize(_CENT)
        if dialect.name == "sqlite":
            return str(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(_CENT)
