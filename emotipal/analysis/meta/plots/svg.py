"""A very small SVG writer: shapes and text as escaped XML elements, rendered to a standalone document."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr  # writes SVG, parses none  # nosec B406

FONT = "Helvetica, Arial, sans-serif"


def _fmt(value: float | str) -> str:
    # Two decimals are ample for pixel coordinates and keep the files small and diff-friendly.
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _attrs(attrs: dict[str, float | str | None]) -> str:
    # Python names use underscores; SVG attributes use hyphens (stroke_width -> stroke-width).
    parts = [
        f"{k.rstrip('_').replace('_', '-')}={quoteattr(_fmt(v))}" for k, v in attrs.items() if v is not None
    ]
    return (" " + " ".join(parts)) if parts else ""


class SvgCanvas:
    """Collects SVG elements in drawing order and renders a complete, valid SVG document."""

    def __init__(self, width: float, height: float, title: str) -> None:
        self.width = width
        self.height = height
        self.title = title
        self._elements: list[str] = []

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs: float | str | None) -> None:
        attrs.setdefault("stroke", "#222")
        self._elements.append(f"<line{_attrs({'x1': x1, 'y1': y1, 'x2': x2, 'y2': y2, **attrs})}/>")

    def rect(self, x: float, y: float, w: float, h: float, **attrs: float | str | None) -> None:
        self._elements.append(f"<rect{_attrs({'x': x, 'y': y, 'width': w, 'height': h, **attrs})}/>")

    def circle(self, cx: float, cy: float, r: float, **attrs: float | str | None) -> None:
        self._elements.append(f"<circle{_attrs({'cx': cx, 'cy': cy, 'r': r, **attrs})}/>")

    def polygon(self, points: list[tuple[float, float]], **attrs: float | str | None) -> None:
        pts = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
        self._elements.append(f"<polygon{_attrs({'points': pts, **attrs})}/>")

    def text(self, x: float, y: float, content: str, **attrs: float | str | None) -> None:
        attrs.setdefault("font_size", 12)
        self._elements.append(f"<text{_attrs({'x': x, 'y': y, **attrs})}>{escape(content)}</text>")

    def render(self) -> str:
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(self.width)}" height="{_fmt(self.height)}" '
            f'viewBox="0 0 {_fmt(self.width)} {_fmt(self.height)}" role="img" font-family={quoteattr(FONT)}>\n'
            f"<title>{escape(self.title)}</title>\n"
            f'<rect x="0" y="0" width="{_fmt(self.width)}" height="{_fmt(self.height)}" fill="white"/>\n'
        )
        return head + "\n".join(self._elements) + "\n</svg>\n"
