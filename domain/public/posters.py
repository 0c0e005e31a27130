"""Warning posters: short codes, QR codes and the shareable poster image (design sections 2 and 7).

A poster's QR code encodes exactly `<base URL>/r/<code>` (BASE_URL, or the address the staff page was asked
at); that URL must answer for as long as the poster hangs, so a code is never reused and a retired poster
keeps its code. Codes are short, read aloud easily (no 0/O, 1/I/L) and drawn at random, so nobody can walk
through the posters by guessing.
"""
import glob
import io
import os
import secrets

import qrcode
import qrcode.image.svg
from peewee import IntegrityError
from PIL import Image, ImageDraw, ImageFont

from domain.common.clock import now_local
from domain.org.permissions import can_see_community, community_codes
from models import Org, Poster, audit, db

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: 6 of them give ~890 million codes
CODE_LENGTH = 6
# Paths under /r/ that are pages, not posters: a code must never shadow one.
RESERVED_CODES = {"STATUS", "GUIDE"}
MAX_LOCATION = 100

# The plan's three warnings, word for word, as every poster shows them.
WARNINGS = (
    "凡是推销消防产品的培训都是假培训",
    "凡是上门收费的培训都是假培训",
    "凡是以培训为名接洽消防工程的都是假培训",
)

# Fonts tried in order when POSTER_FONT is not configured: Noto CJK (fonts-noto-cjk), then common others.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/**/NotoSansCJK*.ttc",
    "/usr/share/fonts/**/NotoSansSC*.otf",
    "/usr/share/fonts/**/NotoSerifCJK*.ttc",
)


class PosterError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.errors = {field: message}


class FontMissing(RuntimeError):
    """No font that can draw Chinese: the shareable poster cannot be drawn."""


def new_code():
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in RESERVED_CODES:
            return code


def normalise_code(text):
    """What a resident types or a scanner reads, as a stored code (case and spaces do not matter)."""
    return "".join((text or "").split()).upper()


def report_url(base_url, code):
    """The contract of design section 7: exactly what a poster's QR code encodes."""
    return f"{base_url.rstrip('/')}/r/{code}"


def create_poster(user, community_code, location):
    community = Org.get_or_none((Org.code == community_code) & (Org.kind == "community"))
    if community is None or (user is not None and not can_see_community(user, community_code)):
        raise PosterError("community", "没有这个居委，或它不在您负责的范围内")
    location = " ".join((location or "").split())
    if not location:
        raise PosterError("location", "请填写张贴位置，例如 3号楼门厅")
    if len(location) > MAX_LOCATION:
        raise PosterError("location", f"张贴位置最多 {MAX_LOCATION} 个字")
    for _ in range(10):  # a clash of random codes is rare; try again with a new one
        try:
            with db.atomic():
                poster = Poster.create(code=new_code(), community=community, location=location, created_by=user)
        except IntegrityError:
            continue
        audit(user, "create", poster, f"{community.code} {location}")
        return poster
    raise RuntimeError("could not draw a free poster code")


def poster_by_code(code):
    return Poster.get_or_none(Poster.code == normalise_code(code))


def posters_in_scope(user, community_code=None, include_retired=True):
    query = (Poster.select(Poster, Org).join(Org).where(Poster.community.in_(community_codes(user)))
             .order_by(Poster.community, Poster.created_at.desc(), Poster.id.desc()))
    if community_code:
        query = query.where(Poster.community == community_code)
    if not include_retired:
        query = query.where(Poster.retired_at.is_null())
    return query


def retire(user, poster):
    if poster.retired_at is None:
        poster.retired_at = now_local()
        poster.save(only=[Poster.retired_at])
        audit(user, "retire", poster)
    return poster


# --- QR codes -----------------------------------------------------------------------------------------

def _qr(url, **kwargs):
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, **kwargs)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def qr_image(url, box_size=10):
    return _qr(url, box_size=box_size).make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def qr_png(url, box_size=10):
    out = io.BytesIO()
    qr_image(url, box_size).save(out, "PNG", optimize=True)
    return out.getvalue()


def qr_svg(url):
    image = _qr(url, box_size=10, image_factory=qrcode.image.svg.SvgPathImage).make_image()
    return image.to_string(encoding="unicode").encode("utf-8")


# --- the shareable poster image ------------------------------------------------------------------------

def _font_index(path):
    """The Simplified Chinese face of a font collection (Noto CJK .ttc holds JP, KR, SC, TC, HK)."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(10):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0]
        except OSError:
            break
        if " SC" in family or family.endswith("SC"):
            return index
    return 0


def find_font(configured=""):
    """(path, index) of a font that draws Chinese: POSTER_FONT when set, else the first one installed."""
    if configured:
        if not os.path.isfile(configured):
            raise FontMissing(f"配置的海报字体 POSTER_FONT 不存在：{configured}")
        return configured, _font_index(configured)
    for pattern in FONT_CANDIDATES:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if os.path.isfile(path):
                return path, _font_index(path)
    raise FontMissing("找不到中文字体，无法生成海报图片。请安装 fonts-noto-cjk，或用 POSTER_FONT 指定一个中文字体文件。")


def _centred(draw, y, text, font, width, fill):
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (right - left)) / 2 - left, y), text, font=font, fill=fill)
    return y + (bottom - top)


def hotline_numbers(hotlines):
    """[(number, what for), …] as "12345 · 12315", as posters print them."""
    return " · ".join(number for number, _ in hotlines)


def share_png(url, check_url, community_name, location, hotlines, font):
    """The poster as one PNG a 居委 can post in its WeChat groups (1080 px wide, phone-screen shaped)."""
    path, index = font
    width, height = 1080, 1580
    red, ink, muted = (198, 40, 40), (29, 35, 48), (91, 100, 117)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    def face(size):
        return ImageFont.truetype(path, size, index=index)

    draw.rectangle((0, 0, width, 210), fill=red)
    _centred(draw, 50, "警惕冒牌消防培训", face(86), width, "white")
    y = 260
    for line in WARNINGS:
        y = _centred(draw, y, line, face(50), width, red) + 34
    y = _centred(draw, y + 6, "正规消防培训不卖产品、不上门收费、不接洽工程", face(36), width, ink) + 40

    qr = qr_image(url, box_size=14)
    side = 600
    qr = qr.resize((side, side), Image.NEAREST)
    image.paste(qr, ((width - side) // 2, y))
    y += side + 20
    y = _centred(draw, y, "微信扫码举报（可匿名）", face(44), width, ink) + 24
    y = _centred(draw, y, url, face(34), width, muted) + 30
    y = _centred(draw, y, f"举报电话 {hotline_numbers(hotlines)}　诈骗正在发生请拨 110", face(40), width, ink) + 30
    y = _centred(draw, y, f"查询依法批准的培训机构：{check_url}", face(34), width, muted) + 30
    _centred(draw, height - 80, f"{community_name} · {location}", face(34), width, muted)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
