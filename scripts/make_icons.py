#!/usr/bin/env python3
"""Draw the extension's toolbar icons (extension/icons/icon-{16,32,48,128}.png) with the standard library only.

The design: a dark rounded square with a newspaper front page on it — a bold masthead bar and three lines
of text, the last one short. Run it again after changing the shapes; the PNGs are committed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZES = (16, 32, 48, 128)
OUT = Path(__file__).resolve().parent.parent / "extension" / "icons"
BACKGROUND = (30, 41, 59)  # slate-800
INK = (248, 250, 252)
ACCENT = (220, 38, 38)  # the red rule under the masthead
SAMPLES = 4  # supersampling per axis for smooth edges


def rounded_rect(x, y, left, top, right, bottom, radius):
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def shapes(size):
    """(colour, left, top, right, bottom, radius) in a 0..1 square, drawn in order; fewer lines when small."""
    items = [(BACKGROUND, 0.0, 0.0, 1.0, 1.0, 0.2)]
    items.append((INK, 0.18, 0.18, 0.82, 0.36, 0.03))  # masthead
    items.append((ACCENT, 0.18, 0.42, 0.82, 0.47, 0.0))  # rule
    lines = [(0.56, 0.82), (0.70, 0.62)] if size <= 16 else [(0.55, 0.82), (0.65, 0.82), (0.75, 0.62)]
    height = 0.08 if size <= 16 else 0.055
    for top, right in lines:
        items.append((INK, 0.18, top, right, top + height, 0.0))
    return items


def render(size):
    rows = []
    drawn = shapes(size)
    for py in range(size):
        row = bytearray([0])  # PNG filter: none
        for px in range(size):
            totals = [0.0, 0.0, 0.0, 0.0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    colour = None
                    for fill, left, top, right, bottom, radius in drawn:
                        if rounded_rect(x, y, left, top, right, bottom, radius):
                            colour = fill
                    if colour is not None:
                        totals[0] += colour[0]
                        totals[1] += colour[1]
                        totals[2] += colour[2]
                        totals[3] += 1
            covered = totals[3]
            if covered:
                row += bytes([round(totals[0] / covered), round(totals[1] / covered), round(totals[2] / covered),
                              round(255 * covered / SAMPLES ** 2)])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width, height, raw):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        (OUT / f"icon-{size}.png").write_bytes(render(size))
        print(OUT / f"icon-{size}.png")


if __name__ == "__main__":
    main()
