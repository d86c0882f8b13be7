"""Small server-side SVG charts for the admin: no JavaScript, no CDN, prints fine."""

from datetime import date
from decimal import Decimal
from math import ceil, log10

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from grocery.pdf import money_text


def _nice_step(top: Decimal, lines: int = 4) -> Decimal:
    """A round gridline step (1, 2, 2.5 or 5 times a power of ten) so labels read easily."""
    raw = float(top) / lines if top > 0 else 1.0
    magnitude = 10 ** int(log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return Decimal(str(factor * magnitude))
    return Decimal(str(10 * magnitude))


def daily_bars_svg(
    days: list[tuple[date, Decimal]],
    *,
    today: date,
    highlight_last: int = 7,
    width: int = 1100,
    height: int = 240,
) -> SafeString:
    """A bar per day; the last `highlight_last` days darker, today outlined. Values are money."""
    left, right, top_pad, bottom = 64, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = max((v for _, v in days), default=Decimal(0))
    step = _nice_step(peak)
    scale_top = step * max(ceil(peak / step), 1)
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.72, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sales-chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="Net sales per day, last {len(days)} days">'
    ]
    value = Decimal(0)
    while value <= scale_top:
        y = top_pad + plot_h - float(value / scale_top) * plot_h
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e6ea" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#666">{escape(money_text(value, grouped=True).replace(".00", ""))}</text>'
        )
        value += step
    for i, (day, amount) in enumerate(days):
        h = float(amount / scale_top) * plot_h if scale_top else 0
        x = left + i * slot + (slot - bar_w) / 2
        y = top_pad + plot_h - h
        recent = i >= len(days) - highlight_last
        colour = "#417690" if recent else "#a9c4d3"
        outline = ' stroke="#1f3c4d" stroke-width="1.5"' if day == today else ""
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" '
            f'fill="{colour}"{outline}><title>{escape(day.strftime("%a %d %b"))}: '
            f"{escape(money_text(amount, grouped=True))}</title></rect>"
        )
        if i % 5 == (len(days) - 1) % 5:  # a date under every fifth bar, always under today
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                f'font-size="11" fill="#666">{escape(day.strftime("%d %b"))}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
