"""A town's logo: what a guide uploads is decoded and written again as a PNG of ours.

Only PNG and JPEG are taken (no SVG: it can carry scripts and links), at most
MAX_BYTES, and at most MAX_PIXELS before decoding (a small file can unpack into an
enormous image). Re-encoding keeps nothing of the upload but its pixels: no metadata,
no trailing data, no polyglot. Scaled down to fit the pages' header.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from treffpunkt.errors import InvalidInput

MAX_BYTES = 512 * 1024
MAX_PIXELS = 4096 * 4096
BOX = (480, 160)  # the largest the header shows (twice its CSS size, for sharp screens)
ACCEPTED = {"PNG", "JPEG"}


@dataclass(frozen=True)
class Logo:
    png: bytes
    digest: str


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput(f"The logo {reason}.", {"logo": reason})


def prepare_logo(data: bytes) -> Logo:
    """The upload as our own PNG, or InvalidInput naming `logo`. CPU work: run it in a
    thread (asyncio.to_thread)."""
    if not data:
        raise _refuse("is empty: choose a PNG or JPEG file")
    if len(data) > MAX_BYTES:
        raise _refuse(f"is larger than {MAX_BYTES // 1024} kB")
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise _refuse("must be a PNG or JPEG file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ACCEPTED:
                    raise _refuse("must be a PNG or JPEG file")
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise _refuse("has too many pixels")
                image.load()
                picture = image.convert("RGBA")
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse("could not be read as a picture") from None
    except Image.DecompressionBombWarning:
        raise _refuse("has too many pixels") from None
    picture.thumbnail(BOX)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    return Logo(png, hashlib.sha256(png).hexdigest())
