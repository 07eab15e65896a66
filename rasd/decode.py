"""Bytes to text: byte-order marks, UTF-8, then charset-normalizer for legacy Arabic code pages.

Arabic files arrive as UTF-8 (with or without BOM), UTF-16 from Windows tools, and Windows-1256 or
ISO-8859-6 from older sites. Binary files (images, PDFs, office documents) are refused with a reason
that says what they look like, instead of being decoded into garbage.
"""
from __future__ import annotations

import codecs

from .article import InputError

__all__ = ["decode_bytes", "sniff_binary"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (use the .zip extension)"),
    (b"\x1f\x8b", "a gzip archive"), (b"RIFF", "a RIFF media file"), (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"), (b"BM", None), (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x00\x00\x01\x00", "an icon"), (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"), (b"SQLite format 3", "an SQLite database"),
)


def sniff_binary(data: bytes) -> str | None:
    """What a binary file looks like ("a PNG image"), or None when it may be text."""
    for magic, what in _MAGIC:
        if what and data.startswith(magic):
            return what
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    head = data[:8192]
    if b"\x00" in head:
        return "binary data (NUL bytes)"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    if head and controls / len(head) > 0.05:
        return "binary data (control bytes)"
    return None


def decode_bytes(data: bytes) -> str:
    """Decode a text file of unknown encoding; raises InputError when it is not text."""
    if not data.strip():
        raise InputError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as err:
                raise InputError(f"broken {encoding} text after its byte-order mark: {err.reason}") from None
    binary = sniff_binary(data)
    if binary:
        raise InputError(f"not a text file: looks like {binary}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError("cannot tell the text encoding (not UTF-8, UTF-16 or a known code page)")
    return str(best)
