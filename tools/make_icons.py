"""Draw the app icons (static/icons/*.png) with Pillow: a white 排 on the brand red.

Run once after changing the design: `.venv/bin/python tools/make_icons.py`. The PNGs are committed, so the
app needs neither this script nor a CJK font at run time. The maskable icon keeps its mark inside the
central 80 % circle that Android may crop to; the others use a rounded square.
"""
import os

from PIL import Image, ImageDraw, ImageFont

BRAND = (198, 40, 40)  # #c62828, the theme colour of base.html and the manifest
WHITE = (255, 255, 255)
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "static", "icons")
FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc")


def _font(size):
    for path in FONTS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return None


def draw_mark(draw, size, scale):
    """The character 排 centred, `scale` of the icon high; a door shape when no CJK font is installed."""
    font = _font(int(size * scale))
    centre = size / 2
    if font is not None:
        draw.text((centre, centre), "排", font=font, fill=WHITE, anchor="mm")
        return
    w, h = size * scale * 0.6, size * scale
    draw.rounded_rectangle((centre - w / 2, centre - h / 2, centre + w / 2, centre + h / 2), radius=size * 0.04,
                           outline=WHITE, width=max(2, size // 24))


def icon(size, maskable=False):
    image = Image.new("RGBA", (size, size), BRAND if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if not maskable:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=BRAND)
    draw_mark(draw, size, 0.5 if maskable else 0.62)
    return image


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("maskable-512.png", 512, True), ("apple-touch-icon.png", 180, True)):
        path = os.path.join(OUT, name)
        icon(size, maskable).convert("RGB" if maskable else "RGBA").save(path, optimize=True)
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
