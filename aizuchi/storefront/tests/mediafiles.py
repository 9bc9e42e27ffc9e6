"""Real media files made in memory for the media tests (photos with Pillow, audio headers)."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color=(200, 80, 40), **save
) -> bytes:
    mode = "RGBA" if fmt in ("PNG", "WEBP") and save.pop("alpha", False) else "RGB"
    im = Image.new(mode, size, color if mode == "RGB" else (*color, 128))
    out = io.BytesIO()
    im.save(out, fmt, **save)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def photo(name: str = "photo.jpg", **kwargs) -> SimpleUploadedFile:
    return upload(image_bytes(**kwargs), name)


def jpeg_with_gps_and_orientation(size=(200, 100)) -> bytes:
    """A photo taken "sideways" (orientation 6): left half red, right half blue, GPS set."""
    w, h = size
    im = Image.new("RGB", size, (255, 0, 0))
    im.paste((0, 0, 255), (w // 2, 0, w, h))
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # displayed rotated 90° clockwise
    exif[0x010F] = "AizuchiCam"
    exif[GPS_IFD] = {1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 44.0, 28.0)}
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb)."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    ihdr = bytearray(data[12:29])  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


# --- Audio: the first bytes of real files, enough for sniffing ------------------------------
def mp3_bytes(size: int = 4096, id3: bool = True) -> bytes:
    frame = bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\x00" * 413  # MPEG-1 layer III 128k 44.1k
    head = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 if id3 else b""
    body = head + frame * (size // len(frame) + 1)
    return body[:size]


def wav_bytes(size: int = 4096) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    data = b"\x00" * (size - 44)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def ogg_opus_bytes() -> bytes:
    head = b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
    page = b"OggS\x00\x02" + b"\x00" * 8 + b"\x01\x00\x00\x00" + b"\x00" * 8 + b"\x01"
    return page + bytes([len(head)]) + head + b"\x00" * 64


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(handlers=(b"soun",), brand: bytes = b"M4A ") -> bytes:
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x00\x00" + brand + b"isom")
    traks = b"".join(
        _box(b"trak", _box(b"mdia", _box(b"hdlr", b"\x00" * 8 + h + b"\x00" * 12)))
        for h in handlers
    )
    return ftyp + _box(b"moov", traks) + _box(b"mdat", b"\x00" * 64)


def _ebml(element_id: bytes, payload: bytes, unknown: bool = False) -> bytes:
    size = b"\x01\xff\xff\xff\xff\xff\xff\xff" if unknown else struct.pack(">Q", len(payload))
    if not unknown:
        size = b"\x01" + size[1:]  # 8-byte size
    return element_id + size + payload


def webm_bytes(track_types=(2,)) -> bytes:
    header = _ebml(b"\x1a\x45\xdf\xa3", _ebml(b"\x42\x82", b"webm"))
    tracks = _ebml(
        b"\x16\x54\xae\x6b",
        b"".join(_ebml(b"\xae", _ebml(b"\x83", bytes([t]))) for t in track_types),
    )
    cluster = _ebml(b"\x1f\x43\xb6\x75", b"\x00" * 32)
    return header + _ebml(b"\x18\x53\x80\x67", tracks + cluster, unknown=True)
