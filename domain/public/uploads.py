"""Residents' photos, made safe before they are kept (reliability.md, Uploads).

A photo is accepted by its content (JPEG, PNG or WebP), never by its name or declared type; it must be
under a size limit and a pixel limit (a decompression bomb is refused before it is decoded); it is
verified, opened again, re-encoded as a fresh JPEG no larger than MAX_SIDE, and saved without any
metadata, so the GPS position a phone writes into EXIF (a resident's home) never reaches the disk.
Files get random names under UPLOAD_DIR, which is outside static/: only staff in scope are served them.
"""
import ctypes
import ctypes.util
import io
import math
import os
import secrets
import threading
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 50_000_000
MAX_SIDE = 1600
MAX_PHOTOS = 3
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# The first bytes of each accepted format: checked before Pillow sees the file at all.
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")

# Set once for the process (changing them per call would race between threads): Pillow's own bomb
# check then refuses above MAX_PIXELS instead of only warning up to twice its default of 89.5 Mpx.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)


# Memory (issue 11): a photo under the pixel cap still decodes to up to 200 MB (50 Mpx × 4 bytes), and every
# thread of every worker decoding at once took two workers to 2.5 GB. So, per process, at most DECODE_SLOTS
# photos are decoded at a time (others wait up to DECODE_WAIT seconds, then get a "try again"); a JPEG is
# decoded already shrunk (libjpeg's DCT scaling by 1/2, 1/4 or 1/8 via Image.draft) to no less than the size
# it is stored at; EXIF rotation is applied to the small image; and after each photo the C allocator returns
# freed memory to the system (glibc keeps freed image blocks in per-thread arenas otherwise).
DECODE_SLOTS = 1
DECODE_WAIT = 30
_decoding = threading.BoundedSemaphore(DECODE_SLOTS)
_libc = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None


def limit_decoding(slots):
    """How many photos this process decodes at once (IMAGE_DECODE_SLOTS); set when the app is made."""
    global _decoding
    _decoding = threading.BoundedSemaphore(max(1, int(slots)))


def _return_memory():
    if _libc is not None and hasattr(_libc, "malloc_trim"):
        _libc.malloc_trim(0)


class PhotoError(ValueError):
    """A photo that cannot be accepted; the message says why, in words a resident understands."""


def _looks_like_image(data):
    return data.startswith(SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _open(data):
    image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoError(f"照片像素太多（{width}×{height}），请换一张或截图后上传")
    return image


def clean_photo(data):
    """(JPEG bytes, width, height) of a photo made safe, or PhotoError."""
    if not data:
        raise PhotoError("照片是空文件")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"照片太大，每张不能超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    if not _looks_like_image(data):
        raise PhotoError("只能上传 JPEG、PNG 或 WebP 格式的照片")
    if not _decoding.acquire(timeout=DECODE_WAIT):
        raise PhotoError("现在上传照片的人很多，请稍后再提交")
    try:
        return _decode_and_save(data)
    finally:
        _decoding.release()
        _return_memory()


def _decode_and_save(data):
    try:
        _open(data).verify()
        image = _open(data)
        width, height = image.size
        scale = min(1.0, MAX_SIDE / max(width, height))
        # JPEG only (other formats ignore it): decode at 1/2, 1/4 or 1/8 scale, never below the stored size.
        image.draft(None, (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))))
        # Decodes, then shrinks: first by a whole factor to no less than the stored size (reduce(), a box
        # filter: small intermediate copy), then the rest with a good filter.
        image.thumbnail((MAX_SIDE, MAX_SIDE), reducing_gap=1.0)
        image = ImageOps.exif_transpose(image)  # keep the orientation the phone meant, then drop EXIF
        if image.mode != "RGB":
            image = _flatten(image)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82, optimize=True)  # no exif= argument: nothing is carried over
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("照片像素太多，请换一张或截图后上传")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise PhotoError("照片无法识别或已损坏，请换一张")
    return out.getvalue(), image.width, image.height


def _flatten(image):
    """Transparent or palette images on white (JPEG has no alpha)."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def clean_photos(blobs):
    """Each uploaded photo made safe: [(jpeg, width, height)], or PhotoError naming the photo at fault."""
    blobs = [b for b in blobs if b]
    if len(blobs) > MAX_PHOTOS:
        raise PhotoError(f"最多上传 {MAX_PHOTOS} 张照片")
    cleaned = []
    for number, data in enumerate(blobs, start=1):
        try:
            cleaned.append(clean_photo(data))
        except PhotoError as exc:
            raise PhotoError(f"第 {number} 张照片：{exc}" if len(blobs) > 1 else str(exc)) from None
    return cleaned


def save_photo(upload_dir, jpeg):
    """Write a cleaned photo under a new random name in `upload_dir`; the name."""
    os.makedirs(upload_dir, exist_ok=True)
    filename = secrets.token_hex(16) + ".jpg"
    with open(os.open(os.path.join(upload_dir, filename), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "wb") as fh:
        fh.write(jpeg)
    return filename


def photo_path(upload_dir, filename):
    """The file of a stored photo; names are ours (hex + .jpg), so nothing can point outside upload_dir."""
    if not filename or os.path.basename(filename) != filename:
        raise PhotoError("bad photo name")
    return os.path.join(upload_dir, filename)


def remove_photo(upload_dir, filename):
    try:
        os.remove(photo_path(upload_dir, filename))
    except (OSError, PhotoError):
        pass
