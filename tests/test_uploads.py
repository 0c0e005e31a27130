"""Hostile and ordinary photos (issue 3, reliability.md Uploads): a clear 4xx or a clean JPEG, never a 500."""
import io
import os
import struct
import zlib

import pytest
from PIL import ExifTags, Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from domain import posters, uploads
from models import Report, ReportPhoto
from tests.conftest import COMMUNITY


def jpeg_with_gps(size=(800, 600)):
    image = Image.new("RGB", size, (200, 60, 60))
    exif = image.getexif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 12.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 25.0, 10.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header claims width × height pixels: decoding it would need gigabytes."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def real_png_bomb():
    """A real 7200 × 7200 image (52 Mpx, just over the limit) that compresses to a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", (7200, 7200)).save(out, "PNG")
    return out.getvalue()


def test_gps_and_every_other_exif_tag_are_gone_from_the_stored_photo():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the phone's GPS is there
    cleaned, width, height = uploads.clean_photo(original)
    image = Image.open(io.BytesIO(cleaned))
    assert image.format == "JPEG" and (width, height) == (800, 600)
    assert not image.getexif() and "exif" not in image.info
    assert b"Exif" not in cleaned and b"PhoneMaker" not in cleaned


def test_big_photos_are_resized_and_transparent_ones_flattened():
    out = io.BytesIO()
    Image.new("RGBA", (4000, 3000), (0, 0, 0, 0)).save(out, "PNG")
    cleaned, width, height = uploads.clean_photo(out.getvalue())
    assert max(width, height) == uploads.MAX_SIDE and Image.open(io.BytesIO(cleaned)).mode == "RGB"
    webp = io.BytesIO()
    Image.new("RGB", (300, 200), "blue").save(webp, "WEBP")
    assert uploads.clean_photo(webp.getvalue())[1:] == (300, 200)


@pytest.mark.parametrize("data, message", [
    (png_claiming(30000, 30000), "像素太多"),
    (png_claiming(8000, 8000), "像素太多"),
    (b"<html><script>alert(1)</script></html>", "只能上传 JPEG、PNG 或 WebP"),
    (b"GIF89a" + b"\x00" * 100, "只能上传 JPEG、PNG 或 WebP"),
    (b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, "无法识别或已损坏"),
    (b"", "空文件"),
    (b"\xff\xd8\xff" + b"\x00" * (uploads.MAX_PHOTO_BYTES + 1), "照片太大"),
])
def test_hostile_files_are_refused_with_a_reason(data, message):
    with pytest.raises(uploads.PhotoError, match=message):
        uploads.clean_photo(data)


def test_a_real_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(uploads.PhotoError, match="像素太多"):
        uploads.clean_photo(real_png_bomb())


def test_at_most_three_photos():
    small = jpeg_with_gps((20, 20))
    assert len(uploads.clean_photos([small, small, small])) == 3
    with pytest.raises(uploads.PhotoError, match="最多上传 3 张"):
        uploads.clean_photos([small] * 4)
    with pytest.raises(uploads.PhotoError, match="第 2 张照片"):
        uploads.clean_photos([small, b"GIF89a"])


# --- through the public report page ------------------------------------------------------------------------

@pytest.fixture
def poster(app, world):
    with app.app_context():
        return posters.create_poster(None, COMMUNITY, "3号楼门厅")


def report_with(client, poster, *files):
    # Encoded in memory: the test client would spool a big body to a temporary file it never closes.
    data = MultiDict([("description", "有人上门推销灭火器"), ("kinds", "sells_products")]
                     + [("photos", FileStorage(io.BytesIO(content), name)) for content, name in files])
    boundary, body = encode_multipart(data)
    return client.post(f"/r/{poster.code}", data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("content, name, message", [
    (png_claiming(30000, 30000), "bomb.png", "像素太多"),
    (b"#!/bin/sh\nrm -rf /\n", "photo.jpg", "只能上传 JPEG、PNG 或 WebP"),
    (b"\xff\xd8\xff" + os.urandom(uploads.MAX_PHOTO_BYTES), "huge.jpg", "照片太大"),
])
def test_hostile_uploads_get_a_clear_422_and_nothing_is_stored(client, app, poster, content, name, message):
    response = report_with(client, poster, (content, name))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert Report.select().count() == 0
    assert not os.listdir(app.config["UPLOAD_DIR"]) if os.path.isdir(app.config["UPLOAD_DIR"]) else True


def test_a_body_over_the_request_limit_gets_413(client, poster, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = report_with(client, poster, (b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024), "big.jpg"))
    assert response.status_code == 413 and "太大" in response.get_data(as_text=True)


def test_a_photo_with_gps_is_stored_clean_under_a_random_name_outside_static(client, app, poster):
    response = report_with(client, poster, (jpeg_with_gps(), "IMG_0001.jpg"))
    assert response.status_code == 303
    photo = ReportPhoto.get()
    assert photo.filename != "IMG_0001.jpg" and len(photo.filename) == 36
    path = os.path.join(app.config["UPLOAD_DIR"], photo.filename)
    assert not os.path.abspath(path).startswith(os.path.abspath(app.static_folder))
    with open(path, "rb") as fh:
        stored = fh.read()
    assert b"Exif" not in stored and not Image.open(io.BytesIO(stored)).getexif()


def test_three_photos_at_the_per_photo_limit_fit_in_one_request():
    from config import Config
    from domain.uploads import MAX_PHOTO_BYTES, MAX_PHOTOS

    assert Config.MAX_CONTENT_LENGTH > MAX_PHOTOS * MAX_PHOTO_BYTES
