"""The upload checks alone (media.files): type by content, size, pixels, re-encoding."""
import io

import pytest
from PIL import Image

from matchmaker.media import files
from tests.media.images import HTML, PDF, SVG, image_bytes, jpeg_with_exif, png_bomb

LIMITS = {"max_bytes": 1024 * 1024, "max_pixels": 4_000_000}


def check(data: bytes, allow_pdf: bool = True, **limits):
    return files.check_upload(data, allow_pdf=allow_pdf, **{**LIMITS, **limits})


def refusal(data: bytes, **kwargs) -> str:
    with pytest.raises(files.FileRefusedError) as caught:
        check(data, **kwargs)
    return caught.value.code


@pytest.mark.parametrize("fmt, content_type, ext", [
    ("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")])
def test_images_are_recognised_by_content(fmt, content_type, ext):
    checked = check(image_bytes(fmt))
    assert (checked.content_type, checked.extension) == (content_type, ext)
    assert Image.open(io.BytesIO(checked.main.data)).format == fmt


def test_a_pdf_is_recognised_by_its_magic_and_kept_as_sent():
    checked = check(PDF)
    assert checked.content_type == "application/pdf" and checked.main.data == PDF
    assert checked.thumb is None


def test_a_pdf_is_refused_where_only_images_are_accepted():
    assert refusal(PDF, allow_pdf=False) == "image_expected"


def test_html_is_refused_whatever_it_is_called():
    assert refusal(HTML) == "wrong_type"


def test_svg_is_refused():
    assert refusal(SVG) == "svg"


def test_a_gif_is_refused_though_pillow_reads_it():
    assert refusal(image_bytes("GIF")) == "wrong_type"


def test_too_large_is_refused():
    assert refusal(image_bytes("PNG"), max_bytes=100) == "too_large"


def test_empty_is_refused():
    assert refusal(b"") == "empty"


def test_a_decompression_bomb_is_refused_without_decoding():
    bomb = png_bomb()
    assert len(bomb) < 2000
    assert refusal(bomb) == "too_many_pixels"


def test_pillows_own_bomb_warning_refuses_too(monkeypatch):
    # Between Image.MAX_IMAGE_PIXELS and twice that Pillow only warns: the warning refuses.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert refusal(image_bytes("PNG", size=(40, 40))) == "too_many_pixels"


def test_an_image_over_our_pixel_limit_is_refused():
    assert refusal(image_bytes("PNG", size=(300, 300)), max_pixels=50_000) == "too_many_pixels"


def test_a_truncated_image_is_refused_as_damaged():
    data = image_bytes("JPEG", size=(400, 300))
    assert refusal(data[: len(data) // 2]) == "damaged"


def test_reencoding_turns_the_image_upright_and_drops_exif():
    checked = check(jpeg_with_exif(size=(80, 40)))
    kept = Image.open(io.BytesIO(checked.main.data))
    assert kept.size == (40, 80)  # orientation 6 applied: 80x40 becomes 40x80
    assert dict(kept.getexif()) == {}
    assert b"SecretCam" not in checked.main.data


def test_large_images_get_a_display_size_and_a_thumbnail():
    checked = check(image_bytes("PNG", size=(2400, 1200)))
    assert (checked.main.width, checked.main.height) == (files.DISPLAY_MAX, 800)
    assert max(checked.thumb.width, checked.thumb.height) == files.THUMB_MAX
    assert Image.open(io.BytesIO(checked.thumb.data)).size == (480, 240)


@pytest.mark.parametrize("given, shown", [
    ("../../etc/passwd.png", "passwd.png"),
    ("C:\\Users\\me\\brochure.pdf", "brochure.pdf"),
    ("..hidden.pdf", "hidden.pdf"),
    ("产品\x00手册\n.pdf", "产品手册.pdf"),
    ("", "file"),
    ("../", "file"),
])
def test_display_names_keep_no_folders_or_control_characters(given, shown):
    assert files.display_name(given) == shown


def test_display_names_are_shortened_keeping_the_extension():
    name = files.display_name("a" * 300 + ".pdf")
    assert len(name) == files.NAME_MAX and name.endswith(".pdf")
