"""Linear scales and 'nice' axis ticks for the SVG renderer."""

from __future__ import annotations

import math
from dataclasses import dataclass


def nice_step(span: float, target_ticks: int = 6) -> float:
    """A tick step of 1, 2, 2.5 or 5 times a power of ten giving about ``target_ticks`` ticks."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, target_ticks - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= mult * power:
            return mult * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def nice_ticks(lo: float, hi: float, target_ticks: int = 6) -> list[float]:
    """Ticks covering [lo, hi] on multiples of a nice step (the first <= lo, the last >= hi)."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(hi - lo, target_ticks)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    n = round((stop - start) / step)
    # round() removes binary noise such as 0.30000000000000004 from the printed labels
    return [round(start + i * step, 12) for i in range(n + 1)]


def tick_label(value: float, ticks: list[float]) -> str:
    """Format a tick with just enough decimals to tell neighbouring ticks apart."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    if step * 10**decimals % 1 > 1e-6:  # steps such as 2.5 need one more decimal
        decimals += 1
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text.replace("-", "\u2212")


@dataclass(frozen=True)
class LinearScale:
    """Maps a data interval onto a pixel interval (the pixel range may be reversed for inverted axes)."""

    domain_lo: float
    domain_hi: float
    range_lo: float
    range_hi: float

    def __call__(self, value: float) -> float:
        span = self.domain_hi - self.domain_lo
        frac = 0.5 if span == 0 else (value - self.domain_lo) / span
        return self.range_lo + frac * (self.range_hi - self.range_lo)
