"""Hostile and ordinary photos (issue 3, reliability.md Uploads): a clear 4xx or a clean JPEG, never a 500."""
import io
import os
import struct
import zlib

import pytest
from PIL import ExifTags, Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from domain.public import posters, uploads
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
    from domain.public.uploads import MAX_PHOTO_BYTES, MAX_PHOTOS

    assert Config.MAX_CONTENT_LENGTH > MAX_PHOTOS * MAX_PHOTO_BYTES


# --- memory and concurrency of image work (issue 11 item 5) --------------------------------------------------

def big_jpeg(width=6400, height=4800, orientation=None):
    """A large but cheap JPEG (grey, a gradient) made without holding a large image for long."""
    image = Image.linear_gradient("L").resize((width, height))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, exif=exif)
    return out.getvalue()


@pytest.fixture
def decodes(monkeypatch):
    """Every decode (ImageFile.load) of the test: how many ran at once at most, and the sizes decoded."""
    import threading
    import time

    from PIL import ImageFile

    seen = {"running": 0, "most": 0, "sizes": []}
    lock = threading.Lock()
    real_load = ImageFile.ImageFile.load

    def load(self):
        with lock:
            seen["running"] += 1
            seen["most"] = max(seen["most"], seen["running"])
        try:
            time.sleep(0.05)  # widen the window in which two decodes would overlap
            return real_load(self)
        finally:
            with lock:
                seen["running"] -= 1
                seen["sizes"].append(self.size)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def clean_at_once(photos):
    import threading

    errors = []

    def clean(data):
        try:
            uploads.clean_photo(data)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=clean, args=(data,)) for data in photos]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


@pytest.mark.parametrize("slots", [1, 2])
def test_a_process_decodes_at_most_the_configured_number_of_photos_at_once(make_app, decodes, slots):
    make_app(IMAGE_DECODE_SLOTS=slots)
    out = io.BytesIO()
    Image.new("RGB", (900, 700), "red").save(out, "PNG")
    clean_at_once([out.getvalue()] * 6)
    assert decodes["most"] == slots


def test_a_large_jpeg_is_decoded_already_shrunk(decodes):
    cleaned, width, height = uploads.clean_photo(big_jpeg())
    assert (width, height) == (uploads.MAX_SIDE, 1200)
    assert max(max(size) for size in decodes["sizes"]) <= 2 * uploads.MAX_SIDE


def test_the_phones_orientation_is_kept_on_the_shrunk_photo():
    cleaned, width, height = uploads.clean_photo(big_jpeg(3200, 2400, orientation=6))
    assert (width, height) == (1200, uploads.MAX_SIDE)
    assert not Image.open(io.BytesIO(cleaned)).getexif()


def test_a_photo_that_waits_too_long_for_its_turn_gets_a_message(monkeypatch):
    monkeypatch.setattr(uploads, "DECODE_WAIT", 0.1)
    uploads.limit_decoding(1)
    uploads._decoding.acquire()
    try:
        with pytest.raises(uploads.PhotoError, match="请稍后再提交"):
            uploads.clean_photo(jpeg_with_gps((20, 20)))
    finally:
        uploads._decoding.release()


MEMORY_SCRIPT = r"""
import io, re, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from PIL import Image
from app import create_app
from domain.public import uploads

create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///:memory:", "IMAGE_DECODE_SLOTS": 1})

def rss():
    with open("/proc/self/status") as fh:
        return int(re.search(r"VmRSS:\s+(\d+)", fh.read()).group(1)) / 1024

out = io.BytesIO()
Image.linear_gradient("L").resize((4000, 4000)).convert("RGB").save(out, "PNG")
data = out.getvalue()
uploads.clean_photo(data)  # warm up: imports, codecs
base, peak, running = rss(), [0.0], [True]

def sample():
    while running[0]:
        peak[0] = max(peak[0], rss())
        time.sleep(0.003)

sampler = threading.Thread(target=sample)
sampler.start()
# Threads that live on, as a server's do: memory freed in them must still go back to the system.
with ThreadPoolExecutor(6) as pool:
    for future in [pool.submit(uploads.clean_photo, data) for _ in range(6)]:
        future.result()
    time.sleep(0.2)
    running[0] = False
    sampler.join()
    print(base, peak[0], rss())
"""


def test_six_photos_at_once_cost_the_memory_of_one_and_it_is_given_back():
    """A 4000×4000 PNG decodes to 64 MB (Pillow keeps RGB as 4 bytes a pixel). Six threads at once must not
    hold six of them, and the memory must go back to the system afterwards (glibc kept it)."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    base, peak, after = map(float, done.stdout.split())
    assert peak - base < 2.2 * 64, (base, peak, after)
    assert after - base < 30, (base, peak, after)
