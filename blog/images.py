"""Photo files: checking an upload, cleaning it, storing it once with its sizes, deleting files.

An upload is decoded with Pillow before anything is stored (the extension proves
nothing); files that are not JPEG, PNG, GIF or WebP, that are larger than
``UPLOAD_MAX_MB`` (Nginx's ``client_max_body_size`` is rendered from the same setting),
that decode to more than ``IMAGE_MAX_PIXELS`` pixels (a decompression bomb) or are
damaged are refused with a sentence an editor understands, and nothing is written.

A photo that passes is turned upright (EXIF orientation), its EXIF location (GPS) and XMP
removed, and stored once under its content hash; copies at ``WIDTHS`` (never wider than
the photo) are made once, in WebP and in the photo's own format, named by the same
hash. Names never change for the same bytes, so Nginx serves ``/media/`` with a year's
``immutable`` caching. Everything goes through Django's storage API, so the files may
live on the local disk (``MEDIA_ROOT``) or on an S3-compatible store.

Nothing here reads the database: ``blog.models.Image`` calls ``store`` on save and forgets
the files no photo uses any more; what pages make of a photo is ``blog.photos``.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

WIDTHS = (480, 960, 1600)
# Pillow's format name -> (extension, MIME type). GIFs are kept, but their sizes are PNG:
# resizing a GIF's palette looks poor.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
RENDITION_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "PNG", "WEBP": "WEBP"}
QUALITY = {"JPEG": 82, "WEBP": 80}
FOLDER = "images"  # in the storage: every library photo and its sizes
HASH_LENGTH = 20  # hex digits in a file name: 80 bits, no collision in any library
_GPS_IFD = 0x8825
_ORIENTATION = 0x0112


def max_upload_bytes() -> int:
    return settings.UPLOAD_MAX_MB * 1024 * 1024


@dataclass
class Decoded:
    """A checked upload: the decoded picture and its format."""

    picture: PILImage.Image
    format: str


def decode(upload) -> Decoded:
    """Decode ``upload`` (a file object) fully, or raise ValidationError saying why not."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_upload_bytes():
        raise ValidationError(
            f"This file is {size / 1024 / 1024:.1f} MB; a photo may be at most {settings.UPLOAD_MAX_MB} MB.",
            code="too_large",
        )
    upload.seek(0)
    data = upload.read(max_upload_bytes() + 1)
    if len(data) > max_upload_bytes():
        raise ValidationError(f"A photo may be at most {settings.UPLOAD_MAX_MB} MB.", code="too_large")
    if not data:
        raise ValidationError("The file is empty.", code="empty")
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; ours is stricter and an error.
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            picture = PILImage.open(io.BytesIO(data))
            if picture.format not in FORMATS:
                raise ValidationError(
                    f"{picture.format} files are not accepted: upload a JPEG, PNG, GIF or WebP photo.",
                    code="format",
                )
            width, height = picture.size
            if width * height > settings.IMAGE_MAX_PIXELS:
                raise _too_many_pixels(width, height)
            picture.load()  # decodes every pixel: a truncated or damaged file fails here
    except ValidationError:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as error:
        raise ValidationError(
            f"This image is too large to open safely ({error}).", code="too_many_pixels"
        ) from error
    except UnidentifiedImageError as error:
        raise ValidationError(
            "This file is not an image Pillow can read: upload a JPEG, PNG, GIF or WebP photo.",
            code="not_an_image",
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(f"This image is damaged or incomplete ({error}).", code="damaged") from error
    return Decoded(picture, picture.format)


def _too_many_pixels(width: int, height: int) -> ValidationError:
    return ValidationError(
        f"This image is {width}×{height} pixels; photos may have at most "
        f"{settings.IMAGE_MAX_PIXELS / 1e6:.0f} million pixels.",
        code="too_many_pixels",
    )


def clean_original(decoded: Decoded) -> tuple[bytes, PILImage.Image]:
    """Return the photo to store (upright, without location data) and its upright picture."""
    source = decoded.picture
    exif = source.getexif()
    upright = ImageOps.exif_transpose(source)
    turned = upright is not source and exif.get(_ORIENTATION, 1) != 1
    exif.pop(_ORIENTATION, None)
    exif.pop(_GPS_IFD, None)  # latitude, longitude, altitude: where the photographer was
    params: dict = {"exif": exif.tobytes()} if len(exif) else {}
    icc = source.info.get("icc_profile")
    if icc:
        params["icc_profile"] = icc
    fmt = decoded.format
    if fmt == "JPEG":
        # "keep" re-uses the photo's own quantisation: no visible loss when nothing moved.
        params["quality"] = "keep" if not turned else 92
        picture = source if not turned else upright
        if picture.mode not in ("RGB", "L", "CMYK"):
            picture = picture.convert("RGB")
            params["quality"] = 92
    elif fmt == "GIF":
        params = {"save_all": True} if getattr(source, "is_animated", False) else {}
        picture = source if not turned else upright
    else:
        picture = upright
        if fmt == "WEBP":
            params.update(lossless=False, quality=90)
        else:
            params["optimize"] = True
    buffer = io.BytesIO()
    # A fresh info dict: Pillow would otherwise carry the upload's XMP (which may hold GPS).
    picture.info = {}
    picture.save(buffer, format=fmt, **params)
    return buffer.getvalue(), upright


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def original_name(digest: str, fmt: str) -> str:
    return f"{FOLDER}/{digest[:HASH_LENGTH]}.{FORMATS[fmt][0]}"


def rendition_name(digest: str, width: int, fmt: str) -> str:
    return f"{FOLDER}/{digest[:HASH_LENGTH]}-{width}w.{FORMATS[fmt][0]}"


def rendition_widths(width: int) -> list[int]:
    """The widths to make for a photo ``width`` pixels wide: never wider than the photo."""
    widths = [w for w in WIDTHS if w < width]
    if width <= WIDTHS[-1]:
        widths.append(width)
    return widths or [width]


def make_renditions(upright: PILImage.Image, digest: str, fmt: str, storage: Storage) -> list[dict]:
    """Write every size in WebP and the photo's own format (once: existing names are kept)."""
    made = []
    base = upright.convert("RGBA") if upright.mode in ("P", "LA", "PA") else upright
    formats = ["WEBP"] + ([RENDITION_FORMAT[fmt]] if RENDITION_FORMAT[fmt] != "WEBP" else [])
    for width in rendition_widths(upright.width):
        height = max(1, round(upright.height * width / upright.width))
        resized = base if width == base.width else base.resize((width, height), PILImage.Resampling.LANCZOS)
        for out in formats:
            name = rendition_name(digest, width, out)
            data = _encode(resized, out)
            if not storage.exists(name):
                storage.save(name, ContentFile(data))
            made.append({"width": width, "height": height, "format": FORMATS[out][1], "name": name,
                         "bytes": len(data)})
    return made


def _encode(picture: PILImage.Image, fmt: str) -> bytes:
    if fmt == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = _flatten(picture)
    buffer = io.BytesIO()
    options = {"quality": QUALITY[fmt]} if fmt in QUALITY else {"optimize": True}
    if fmt == "JPEG":
        options.update(optimize=True, progressive=True)
    if fmt == "WEBP":
        options["method"] = 4
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _flatten(picture: PILImage.Image) -> PILImage.Image:
    """JPEG has no transparency: put the picture on white."""
    rgba = picture.convert("RGBA")
    background = PILImage.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


@dataclass
class Stored:
    name: str
    digest: str
    width: int
    height: int
    renditions: list[dict]


def store(upload, storage: Storage) -> Stored:
    """Check, clean and store ``upload`` with its sizes; raise ValidationError and store nothing if bad."""
    decoded = decode(upload)
    data, upright = clean_original(decoded)
    digest = content_hash(data)
    name = original_name(digest, decoded.format)
    renditions = make_renditions(upright, digest, decoded.format, storage)
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(data))
        assert saved == name, f"storage renamed {name} to {saved}"
    return Stored(name, digest, upright.width, upright.height, renditions)


def files_of(name: str, renditions: list[dict]) -> list[str]:
    return [name, *(item["name"] for item in renditions)]


def delete_files(names: list[str], storage: Storage) -> None:
    for name in names:
        if name and storage.exists(name):
            storage.delete(name)
