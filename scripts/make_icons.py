"""Draw the app icons (PNG) for the web app manifest without an imaging library: Pillow is not a dependency,
and the icons are simple enough to compute pixel by pixel. Run once; the PNGs are committed under
static/icons/. Usage: python scripts/make_icons.py"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BRAND = (0x2F, 0x6F, 0x5E)  # --brand in static/css/emotipal.css
LIGHT = (0xF6, 0xF7, 0xF4)  # --bg
OUT = Path(__file__).resolve().parents[1] / "static" / "icons"


def chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(size: int, pixel: object) -> bytes:
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type "none"
        for x in range(size):
            row.extend(pixel(x, y))  # type: ignore[operator]
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def painter(size: int, maskable: bool) -> object:
    """A light ring (a calm "O", the brand mark) on the brand green. A maskable icon keeps its mark inside
    the central safe zone (radius 40% of the size), because launchers may crop it to a circle."""
    centre = (size - 1) / 2
    outer = size * (0.30 if maskable else 0.38)
    inner = outer * 0.62
    corner = 0 if maskable else size * 0.18  # rounded square for the plain icon, full bleed when maskable

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        dx, dy = x - centre, y - centre
        if corner:
            qx, qy = max(abs(dx) - (size / 2 - corner), 0), max(abs(dy) - (size / 2 - corner), 0)
            if qx * qx + qy * qy > corner * corner:
                return LIGHT
        distance = (dx * dx + dy * dy) ** 0.5
        return LIGHT if inner <= distance <= outer else BRAND

    return pixel


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),  # iOS rounds the corners itself and wants no transparency
    ):
        (OUT / name).write_bytes(png(size, painter(size, maskable)))
        print(OUT / name)


if __name__ == "__main__":
    main()
