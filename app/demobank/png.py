"""A tiny PNG writer (zlib + struct, no Pillow) for the photoTAN challenge image."""

from __future__ import annotations

import hashlib
import struct
import zlib

# 3x5 bitmap digits, row by row, so the demo phone can show the TAN inside the image.
_DIGITS = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
}
_CELL = 6
_MOSAIC_CELL = 8


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with length and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_rgb(width: int, height: int, pixels: list[list[tuple[int, int, int]]], comment: str) -> bytes:
    """Encode an 8-bit RGB image; the comment goes into a tEXt chunk."""
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    text = b"Comment\x00" + comment.encode("latin-1", "replace")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"tEXt", text)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def phototan_png(order_key: str, tan: str, comment: str) -> bytes:
    """A photoTAN-like colour mosaic derived from the order, with the TAN drawn below it in digits."""
    width = len(tan) * 4 * _CELL + _CELL
    columns = width // _MOSAIC_CELL
    colours = hashlib.shake_256(order_key.encode()).digest(columns * 8 * 3)
    white, black = (255, 255, 255), (20, 20, 20)
    pixels: list[list[tuple[int, int, int]]] = []
    for y in range(8 * _MOSAIC_CELL):
        row = []
        for x in range(width):
            cell = (y // _MOSAIC_CELL) * columns + min(x // _MOSAIC_CELL, columns - 1)
            row.append((colours[3 * cell], colours[3 * cell + 1], colours[3 * cell + 2]))
        pixels.append(row)
    for _ in range(_CELL):
        pixels.append([white] * width)
    for glyph_row in range(5):
        row = [white] * _CELL
        for digit in tan:
            for bit in _DIGITS[digit][glyph_row] + "0":
                row += [black if bit == "1" else white] * _CELL
        row = (row + [white] * width)[:width]
        pixels += [row] * _CELL
    for _ in range(_CELL):
        pixels.append([white] * width)
    return encode_rgb(width, len(pixels), pixels, comment)
