"""Draw the console's icon, a closed loop (闭环) on the brand blue, as web/static/favicon.svg and favicon.ico.

The .ico holds one 32x32 PNG, drawn here pixel by pixel (4x4 supersampled), so no image library is needed.
Run ``python tools/favicon.py`` after changing the design; both files are committed.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "src" / "aftersales" / "web" / "static"
BRAND = (0x0B, 0x5C, 0xAB)
SIZE = 32
CORNER = 6.0
RING_OUTER = 10.5
RING_INNER = 6.5
SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}">
<rect width="{SIZE}" height="{SIZE}" rx="{CORNER:g}" fill="#{BRAND[0]:02x}{BRAND[1]:02x}{BRAND[2]:02x}"/>
<circle cx="16" cy="16" r="{(RING_OUTER + RING_INNER) / 2:g}" fill="none" stroke="#fff" stroke-width="{RING_OUTER - RING_INNER:g}"/>
</svg>
"""


def _inside_square(x: float, y: float) -> bool:
    nearest_x = min(max(x, CORNER), SIZE - CORNER)
    nearest_y = min(max(y, CORNER), SIZE - CORNER)
    return math.hypot(x - nearest_x, y - nearest_y) <= CORNER


def _pixel(px: int, py: int) -> tuple[int, int, int, int]:
    samples = [((px + (i + 0.5) / 4), (py + (j + 0.5) / 4)) for i in range(4) for j in range(4)]
    covered = [s for s in samples if _inside_square(*s)]
    if not covered:
        return (0, 0, 0, 0)
    white = sum(1 for x, y in covered if RING_INNER <= math.hypot(x - 16, y - 16) <= RING_OUTER) / len(covered)
    colour = tuple(round(c + (255 - c) * white) for c in BRAND)
    return (*colour, round(255 * len(covered) / len(samples)))


def _png() -> bytes:
    rows = b"".join(b"\x00" + b"".join(bytes(_pixel(x, y)) for x in range(SIZE)) for y in range(SIZE))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _ico(png: bytes) -> bytes:
    directory = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(png), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + directory + png


def main() -> None:
    (STATIC / "favicon.svg").write_text(SVG, encoding="utf-8")
    (STATIC / "favicon.ico").write_bytes(_ico(_png()))


if __name__ == "__main__":
    main()
