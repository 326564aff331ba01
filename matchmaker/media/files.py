"""What an uploaded file is, judged by its content alone, and the files we keep of it.

No Flask and no ORM: bytes in, checked and re-encoded bytes out (Pillow does the images).
The browser's file name and Content-Type are never trusted: a PDF is a PDF by its `%PDF-`
magic, an image is one that Pillow opens as PNG, JPEG or WebP. SVG is refused (it is a
document that can carry scripts). Images are decoded under a pixel limit (decompression
bombs), turned upright (EXIF orientation) and re-encoded, which drops EXIF, ICC and text
chunks, into a display size and a thumbnail.
"""
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

PDF = "application/pdf"
# Pillow format -> (content type, the fixed extension of our stored file).
IMAGE_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"),
                 "WEBP": ("image/webp", "webp")}
EXTENSIONS = {PDF: "pdf", **{ctype: ext for ctype, ext in IMAGE_FORMATS.values()}}
DISPLAY_MAX = 1600  # the longest side of the image shown on a page, in pixels
THUMB_MAX = 480  # the longest side of a thumbnail
NAME_MAX = 120  # characters of the display name kept from the user's file name
_SVG = re.compile(rb"<svg[\s>]|<!DOCTYPE\s+svg", re.IGNORECASE)


class FileRefusedError(Exception):
    """The upload is refused; code names why (media.labels.REFUSAL)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Rendition:
    """One encoded image (or the PDF as it came)."""

    data: bytes
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class CheckedFile:
    """An accepted upload: its type, the file to keep and, for an image, its thumbnail."""

    content_type: str
    main: Rendition
    thumb: Rendition | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    @property
    def is_image(self) -> bool:
        return self.content_type != PDF


def check_upload(data: bytes, *, allow_pdf: bool, max_bytes: int,
                 max_pixels: int) -> CheckedFile:
    """Return the checked, re-encoded file; raise FileRefusedError saying why not.

    Parameters
    ----------
    data: the uploaded bytes (read with a limit a little above max_bytes).
    allow_pdf: whether a PDF is accepted (attachments) or only images (stories).
    max_bytes: the largest upload accepted.
    max_pixels: the largest width x height an image may declare.
    """
    if not data:
        raise FileRefusedError("empty")
    if len(data) > max_bytes:
        raise FileRefusedError("too_large")
    if data.startswith(b"%PDF-"):
        if not allow_pdf:
            raise FileRefusedError("image_expected")
        return CheckedFile(PDF, Rendition(data))
    if _SVG.search(data[:4096]):
        raise FileRefusedError("svg")
    image, fmt = _decode(data, max_pixels)
    content_type = IMAGE_FORMATS[fmt][0]
    return CheckedFile(content_type, _encode(image, fmt, DISPLAY_MAX),
                       _encode(image, fmt, THUMB_MAX))


def _decode(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    """Open and fully decode an image, upright; refuse bombs, other types and damage."""
    with warnings.catch_warnings():
        # Pillow warns past Image.MAX_IMAGE_PIXELS and raises past twice that: both refuse.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=tuple(IMAGE_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FileRefusedError("too_many_pixels") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise FileRefusedError("wrong_type") from None
        if image.width * image.height > max_pixels:
            raise FileRefusedError("too_many_pixels")
        fmt = image.format
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FileRefusedError("too_many_pixels") from None
        except Exception:  # noqa: BLE001  (hostile input: Pillow raises many kinds)
            raise FileRefusedError("damaged") from None
    return upright, fmt


def _encode(image: Image.Image, fmt: str, longest: int) -> Rendition:
    """Return image re-encoded in fmt, at most longest pixels on its longest side, with no
    metadata (EXIF, ICC profile, text chunks are not carried over)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG":
        copy = image.convert("RGB")
    else:
        copy = image.convert("RGBA" if has_alpha else "RGB")
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    copy.info = {}
    out = io.BytesIO()
    if fmt == "JPEG":
        copy.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "PNG":
        copy.save(out, "PNG", optimize=True)
    else:
        copy.save(out, "WEBP", quality=85)
    return Rendition(out.getvalue(), copy.width, copy.height)


def display_name(filename: str | None) -> str:
    """Return the user's file name as safe display text: no folders, control characters or
    leading dots, at most NAME_MAX characters ("file" when nothing is left)."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:NAME_MAX - len(ext) - 1] + dot + ext) if dot and len(ext) <= 8 \
            else name[:NAME_MAX]
    return name or "file"
