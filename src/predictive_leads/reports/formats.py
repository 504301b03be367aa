"""How the reports write numbers: the Jinja2 filters of every page, so a figure reads the same everywhere.

Each format writes a missing value (None or NaN) as ``missing`` (an en dash unless told), so a template never
prints ``None`` or ``nan``. The templates choose which format a figure gets; the formats decide how it looks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

DASH = "–"
_MIDNIGHTS = ("T00:00:00+00:00", "T00:00:00Z", " 00:00:00+00:00", "T00:00:00")


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def num(x, digits: int = 3, *, trim: bool = False, missing: str = DASH) -> str:
    """``0.812``; with ``trim`` trailing zeros dropped (``0.5`` not ``0.5000``)."""
    if _missing(x):
        return missing
    text = f"{x:.{digits}f}"
    return text.rstrip("0").rstrip(".") if trim and "." in text else text


def pct(x, digits: int = 1, *, missing: str = DASH) -> str:
    """A share as a percentage: ``0.123`` → ``12.3 %``."""
    return missing if _missing(x) else f"{100 * x:.{digits}f} %"


def signed(x, *, missing: str = DASH) -> str:
    """A difference with its sign: ``+0.042``."""
    return missing if _missing(x) else f"{x:+.3f}"


def times(x, *, missing: str = DASH) -> str:
    """A ratio (lift): ``2.31×``."""
    return missing if _missing(x) else f"{x:.2f}×"


def count(x, *, missing: str = DASH) -> str:
    """A whole number with thousands separators: ``12,345``."""
    return missing if _missing(x) else f"{x:,}"


def money(x, *, missing: str = DASH) -> str:
    """An amount, whole units with thousands separators: ``12,345``; unbounded: ``∞``."""
    if _missing(x):
        return missing
    return ("−" if x < 0 else "") + "∞" if math.isinf(x) else f"{x:,.0f}"


def plain(value) -> str:
    """A value of a free-form table: floats to four significant digits, None as nothing, the rest as text."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


FORMATS: dict[str, Callable[..., str]] = {"num": num, "pct": pct, "signed": signed, "times": times, "count": count,
                                          "money": money}  # fmt: skip


def fmt(x, name: str = "num", *args) -> str:
    """``x`` in the format named ``name`` (extra arguments go to it): for templates that pick the format by name."""
    return FORMATS[name](x, *args)


def interval(low, high, fmt: str = "num", *args) -> str:
    """``low – high`` in the format named ``fmt`` (extra arguments go to it); empty when either end is missing."""
    if _missing(low) or _missing(high):
        return ""
    write = FORMATS[fmt]
    return f"{write(low, *args)} – {write(high, *args)}"


def with_ci(entry: Mapping, fmt: str = "num", label: str = "CI ") -> str:
    """``estimate (CI low – high)`` of an ``{estimate, low, high}`` mapping; the estimate alone without an interval."""
    estimate = FORMATS[fmt](entry.get("estimate"))
    span = interval(entry.get("low"), entry.get("high"), fmt)
    return f"{estimate} ({label}{span})" if span else estimate


def when(value) -> str:
    """A date or timestamp as text; UTC midnights (as_of dates) shown as the date alone."""
    text = str(value)
    for suffix in _MIDNIGHTS:
        text = text.removesuffix(suffix)
    return text


def span(value) -> str:
    """A ``[from, to]`` pair as ``from to to``, a single value as itself (dates as :func:`when`)."""
    return " to ".join(when(x) for x in value) if isinstance(value, (list, tuple)) else when(value)


FILTERS: dict[str, Callable[..., str]] = {**FORMATS, "fmt": fmt, "plain": plain, "range": interval, "ci": with_ci,
                                          "span": span}  # fmt: skip
