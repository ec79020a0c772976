"""Draw the integration's brand images (custom_components/raritan_pdu/brand/*.png).

An original, simple drawing of a rack PDU (no vendor artwork): a dark metering unit with a small
blue display and a column of C13 receptacles with status LEDs. The icon is the vertical (0U) unit,
the logo the same unit lying horizontally (1U), both on a transparent background.

Run with any Python that has Pillow (Home Assistant's test venv has it):
    .venv/bin/python scripts/make_brand.py
The output is deterministic; tests/test_packaging.py checks the sizes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

BRAND = Path(__file__).resolve().parent.parent / "custom_components" / "raritan_pdu" / "brand"

BODY = (43, 52, 64, 255)
BODY_EDGE = (84, 98, 116, 255)
FACE = (232, 236, 241, 255)
SLOT = (43, 52, 64, 255)
DISPLAY = (3, 169, 244, 255)  # Home Assistant blue
DISPLAY_DARK = (1, 87, 155, 255)
LED_ON = (76, 217, 100, 255)
LED_OFF = (120, 132, 148, 255)

SS = 4  # supersampling factor: draw big, scale down with a good filter


def _receptacle(draw: ImageDraw.ImageDraw, x: float, y: float, w: float, h: float) -> None:
    """A C13 receptacle seen from the front: a face with two chamfered corners and three slots."""
    c = h * 0.32  # chamfer
    draw.polygon(
        [(x + c, y), (x + w - c, y), (x + w, y + c), (x + w, y + h), (x, y + h), (x, y + c)],
        fill=FACE,
    )
    slot_w, slot_h = w * 0.09, h * 0.42
    for sx, sy in ((0.22, 0.50), (0.78 - 0.09, 0.50), (0.5 - 0.045, 0.16)):
        draw.rounded_rectangle(
            (x + w * sx, y + h * sy, x + w * sx + slot_w, y + h * sy + slot_h),
            radius=slot_w / 2,
            fill=SLOT,
        )


def _vertical_pdu(size: int) -> Image.Image:
    s = size * SS
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    u = s / 256  # drawing unit: coordinates below are for a 256 px canvas
    # body with a lighter rim
    d.rounded_rectangle((74 * u, 6 * u, 182 * u, 250 * u), radius=18 * u, fill=BODY_EDGE)
    d.rounded_rectangle((80 * u, 12 * u, 176 * u, 244 * u), radius=13 * u, fill=BODY)
    # display with a three-bar readout
    d.rounded_rectangle((92 * u, 24 * u, 164 * u, 58 * u), radius=6 * u, fill=DISPLAY_DARK)
    for i, height in enumerate((14, 22, 18)):
        x0 = (102 + i * 19) * u
        d.rounded_rectangle(
            (x0, (50 - height) * u, x0 + 12 * u, 50 * u), radius=2 * u, fill=DISPLAY
        )
    # five receptacles with a status LED each (the fourth one switched off)
    for i in range(5):
        y = (72 + i * 34) * u
        _receptacle(d, 96 * u, y, 48 * u, 26 * u)
        d.ellipse((152 * u, y + 9 * u, 161 * u, y + 18 * u), fill=LED_OFF if i == 3 else LED_ON)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def _horizontal_pdu(height: int) -> Image.Image:
    width = height * 3
    sw, sh = width * SS, height * SS
    img = Image.new("RGBA", (sw, sh), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    u = sh / 128  # coordinates below are for a 384 x 128 canvas
    d.rounded_rectangle((4 * u, 20 * u, 380 * u, 108 * u), radius=16 * u, fill=BODY_EDGE)
    d.rounded_rectangle((10 * u, 26 * u, 374 * u, 102 * u), radius=11 * u, fill=BODY)
    d.rounded_rectangle((22 * u, 40 * u, 74 * u, 88 * u), radius=6 * u, fill=DISPLAY_DARK)
    for i, h in enumerate((16, 26, 20)):
        x0 = (30 + i * 14) * u
        d.rounded_rectangle((x0, (80 - h) * u, x0 + 9 * u, 80 * u), radius=2 * u, fill=DISPLAY)
    for i in range(6):
        x = (88 + i * 47) * u
        _receptacle(d, x, 44 * u, 38 * u, 24 * u)
        d.ellipse((x + 14 * u, 76 * u, x + 24 * u, 86 * u), fill=LED_OFF if i == 4 else LED_ON)
    img = img.resize((width, height), Image.Resampling.LANCZOS)
    return img.crop(img.getbbox())  # brands want logos trimmed to their content


def main() -> int:
    BRAND.mkdir(parents=True, exist_ok=True)
    _vertical_pdu(256).save(BRAND / "icon.png", optimize=True)
    _vertical_pdu(512).save(BRAND / "icon@2x.png", optimize=True)
    _horizontal_pdu(256).save(BRAND / "logo.png", optimize=True)
    _horizontal_pdu(512).save(BRAND / "logo@2x.png", optimize=True)
    for path in sorted(BRAND.glob("*.png")):
        with Image.open(path) as im:
            print(f"{path.relative_to(BRAND.parent.parent.parent)}: {im.size[0]}x{im.size[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
