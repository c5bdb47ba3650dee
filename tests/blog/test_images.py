"""Photos: bad uploads refused with nothing stored; sizes made once, named by content hash."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from blog import images
from blog.models import Image
from tests.factories import make_image, photo_bytes

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def stored_files(media) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.exists() else []


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming a huge size, with a tiny body: a decompression bomb."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def gps_exif() -> PILImage.Exif:
    exif = PILImage.Exif()
    exif[0x010F] = "TestCam"  # Make: kept
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 40.0)})
    return exif


class TestBadInput:
    @pytest.mark.parametrize("data, code", [
        (b"<?php echo 'hi'; ?>", "not_an_image"),
        (b"", "empty"),
        (photo_bytes()[:3000], "damaged"),
    ])
    def test_refused_with_a_reason_and_nothing_stored(self, media, data, code):
        with pytest.raises(ValidationError) as error:
            Image.objects.create(file=upload(data), alt_text="x")
        assert error.value.code == code
        assert Image.objects.count() == 0 and stored_files(media) == []

    def test_a_file_named_jpg_is_judged_by_its_bytes(self, media):
        bmp = io.BytesIO()
        PILImage.new("RGB", (10, 10)).save(bmp, format="BMP")
        with pytest.raises(ValidationError) as error:
            images.decode(upload(bmp.getvalue(), "innocent.jpg"))
        assert error.value.code == "format" and "BMP" in error.value.message

    def test_oversized_upload(self, media, settings):
        settings.UPLOAD_MAX_MB = 1
        with pytest.raises(ValidationError) as error:
            images.decode(upload(b"\xff\xd8" + b"\0" * (1024 * 1024 + 10)))
        assert error.value.code == "too_large" and "at most 1 MB" in error.value.message

    def test_decompression_bomb(self, media):
        with pytest.raises(ValidationError) as error:
            Image.objects.create(file=upload(png_bomb(60_000, 60_000), "bomb.png"))
        assert error.value.code == "too_many_pixels"
        assert stored_files(media) == []


class TestStoring:
    def test_sizes_in_webp_and_own_format_named_by_hash(self, media):
        image = make_image(2000, 1000)
        digest = image.content_hash[:images.HASH_LENGTH]
        assert image.file.name == f"images/{digest}.jpg"
        assert (image.width, image.height) == (2000, 1000)
        made = {(item["width"], item["format"]) for item in image.renditions}
        assert made == {(w, f) for w in (480, 960, 1600) for f in ("image/webp", "image/jpeg")}
        for item in image.renditions:
            assert item["name"].startswith(f"images/{digest}-{item['width']}w.")
            with PILImage.open(media / item["name"]) as stored:
                assert stored.width == item["width"]
                assert stored.format == ("WEBP" if item["format"] == "image/webp" else "JPEG")
                assert abs(stored.height - item["width"] / 2) <= 1

    def test_small_photo_is_never_enlarged(self, media):
        image = make_image(300, 200)
        assert {item["width"] for item in image.renditions} == {300}

    def test_same_bytes_are_stored_once(self, media):
        data = photo_bytes(800, 600)
        first, second = make_image(data=data), make_image(data=data)
        assert first.file.name == second.file.name
        assert len(stored_files(media)) == 1 + 2 * 2  # the original; webp and jpeg at 480 and 800 px

    def test_location_removed_and_photo_turned_upright(self, media):
        exif = gps_exif()
        exif[0x0112] = 6  # "rotate 90° clockwise to view"
        image = make_image(data=photo_bytes(400, 300, exif=exif))
        with PILImage.open(media / image.file.name) as stored:
            kept = stored.getexif()
            assert 0x8825 not in kept and not kept.get_ifd(0x8825)
            assert kept.get(0x010F) == "TestCam"
            assert stored.size == (300, 400) and kept.get(0x0112, 1) == 1
        assert (image.width, image.height) == (300, 400)
        for item in image.renditions:
            assert b"TestCam" not in (media / item["name"]).read_bytes()  # sizes carry no metadata

    def test_png_transparency_survives_in_webp(self, media):
        buffer = io.BytesIO()
        PILImage.new("RGBA", (600, 400), (10, 20, 30, 0)).save(buffer, format="PNG")
        image = make_image(data=buffer.getvalue(), name="logo.png")
        webp = next(item for item in image.renditions if item["format"] == "image/webp")
        with PILImage.open(media / webp["name"]) as stored:
            assert stored.mode == "RGBA"

    def test_replacing_and_deleting_remove_unshared_files(self, media, django_capture_on_commit_callbacks):
        image = make_image(800, 600)
        old = set(stored_files(media))
        with django_capture_on_commit_callbacks(execute=True):
            image.file = upload(photo_bytes(640, 480, color=(1, 2, 3)))
            image.save()
        assert not old & set(stored_files(media))
        with django_capture_on_commit_callbacks(execute=True):
            image.delete()
        assert stored_files(media) == []


class TestAdmin:
    def test_upload_through_the_admin_and_insert_buttons_on_the_post_form(self, client, media, django_user_model):
        from tests.factories import make_post

        client.force_login(django_user_model.objects.create_superuser("ed", "e@x.io", "pw-unused"))
        answer = client.post("/admin/blog/image/add/", {
            "file": upload(photo_bytes(900, 600)), "alt_text": "Arcade", "caption": "", "credit": ""})
        assert answer.status_code == 302
        image = Image.objects.get()
        assert image.uploaded_by.username == "ed" and image.renditions
        post = make_post("Story")
        form = client.get(f"/admin/blog/post/{post.pk}/change/").content.decode()
        assert 'class="button blog-insert"' in form and image.file.url in form and "blog/js/admin.js" in form

    def test_a_bad_upload_is_a_form_error_and_stores_nothing(self, client, media, django_user_model):
        client.force_login(django_user_model.objects.create_superuser("ed", "e@x.io", "pw-unused"))
        answer = client.post("/admin/blog/image/add/", {"file": upload(b"GIF89a not really"), "alt_text": "x"})
        assert answer.status_code == 200
        assert "not an image Pillow can read" in answer.content.decode() or "damaged" in answer.content.decode()
        assert not Image.objects.exists() and stored_files(media) == []
