"""Draws the app icons (run once with the repo's venv: `.venv/bin/python pwa/scripts/make-icons.py`).

A white 救 on the theme blue; the maskable icon keeps the glyph inside the 80% safe zone.
Needs a CJK font (Debian's fonts-wqy-microhei)."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "public" / "icons"
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
BLUE = (29, 78, 216)
GLYPH = "\u6551"  # 救


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4
    big = size * scale
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle((0, 0, big, big), fill=BLUE)
        glyph_size = int(big * 0.50)
    else:
        d.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * 0.22), fill=BLUE)
        glyph_size = int(big * 0.62)
    font = ImageFont.truetype(FONT, glyph_size)
    left, top, right, bottom = d.textbbox((0, 0), GLYPH, font=font)
    x = (big - (right - left)) / 2 - left
    y = (big - (bottom - top)) / 2 - top
    d.text((x, y), GLYPH, font=font, fill=(255, 255, 255))
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    draw(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    draw(48, maskable=False).save(OUT.parent / "favicon.ico", sizes=[(48, 48), (32, 32), (16, 16)])


if __name__ == "__main__":
    main()
