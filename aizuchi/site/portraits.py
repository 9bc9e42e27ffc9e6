"""Portrait-like illustrations for demo storefronts, drawn with Pillow at seed time.

A soft flat-style bust (shoulders, face, hair, a smile) on a pastel background; skin,
hair, clothes, hairstyle and background are drawn from the ``random.Random`` handed in,
so the same seed always gives the same picture. Nothing is downloaded and no photo of a
real person is used. Drawn at twice the size and scaled down, for smooth edges.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

SIZE = 480
_SCALE = 2

BACKGROUNDS = (
    ("#fde2e4", "#fad2e1"),
    ("#e2ece9", "#bee1e6"),
    ("#fff1e6", "#fde4cf"),
    ("#e9edc9", "#ccd5ae"),
    ("#dfe7fd", "#cddafd"),
    ("#f0efeb", "#ddd3c5"),
    ("#eae4e9", "#d8cfe6"),
    ("#fef9ef", "#ffe5b4"),
)
SKINS = ("#f9dcc4", "#f5cfb0", "#eec1a0", "#e0ac8a", "#c98f6b", "#fbe3d2")
HAIRS = ("#2b2320", "#3b2a22", "#5a3e2b", "#7a5236", "#a0714f", "#1f1f2e", "#8c8c8c", "#c2a27a")
CLOTHES = (
    "#6d8fb3",
    "#e8a5a5",
    "#8fb996",
    "#f2c57c",
    "#a89ad1",
    "#f4f1de",
    "#5c677d",
    "#d98b6a",
    "#9fc5c8",
)
# Hairstyles by the storefront's gender ("f", "m", or "" for anyone).
HAIRSTYLES = {
    "f": ("bob", "long", "bun", "wavy"),
    "m": ("short", "crop", "short", "crop", "bun"),
    "": ("short", "bob", "long", "bun", "crop", "wavy"),
}


def _gradient(size: int, top: str, bottom: str) -> Image.Image:
    start = Image.new("RGB", (1, 2))
    start.putpixel((0, 0), Image.new("RGB", (1, 1), top).getpixel((0, 0)))
    start.putpixel((0, 1), Image.new("RGB", (1, 1), bottom).getpixel((0, 0)))
    return start.resize((size, size), Image.Resampling.BILINEAR)


def draw(rng: random.Random, gender: str = "") -> Image.Image:
    """One portrait (RGB, SIZE × SIZE)."""
    s = SIZE * _SCALE
    top, bottom = rng.choice(BACKGROUNDS)
    image = _gradient(s, top, bottom)
    d = ImageDraw.Draw(image)
    skin = rng.choice(SKINS)
    hair = rng.choice(HAIRS)
    clothes = rng.choice(CLOTHES)
    style = rng.choice(HAIRSTYLES.get(gender, HAIRSTYLES[""]))
    cx = s // 2 + rng.randint(-s // 40, s // 40)
    face_w = int(s * rng.uniform(0.30, 0.34))
    face_h = int(face_w * rng.uniform(1.12, 1.22))
    face_top = int(s * rng.uniform(0.27, 0.30))
    face = (cx - face_w // 2, face_top, cx + face_w // 2, face_top + face_h)

    # Long hair falls behind the shoulders.
    if style in ("long", "wavy"):
        d.rounded_rectangle(
            (face[0] - s * 0.05, face_top + face_h * 0.25, face[2] + s * 0.05, s * 0.82),
            radius=int(s * 0.08),
            fill=hair,
        )
    # Shoulders and neck.
    d.ellipse((cx - s * 0.36, s * 0.72, cx + s * 0.36, s * 1.25), fill=clothes)
    neck_w = face_w * 0.36
    d.rectangle((cx - neck_w / 2, face[3] - s * 0.04, cx + neck_w / 2, s * 0.80), fill=skin)
    collar = rng.choice(("round", "v"))
    if collar == "v":
        d.polygon([(cx - neck_w, s * 0.76), (cx + neck_w, s * 0.76), (cx, s * 0.86)], fill=skin)
    else:
        d.ellipse((cx - neck_w, s * 0.73, cx + neck_w, s * 0.81), fill=skin)
    # Ears and face.
    ear = face_w * 0.12
    for x in (face[0] - ear * 0.5, face[2] - ear * 0.5):
        d.ellipse((x, face_top + face_h * 0.42, x + ear, face_top + face_h * 0.62), fill=skin)
    d.ellipse(face, fill=skin)

    # Hair on top of the head.
    cap = (face[0] - s * 0.02, face_top - s * 0.05, face[2] + s * 0.02, face_top + face_h * 0.62)
    if style == "bun":
        d.ellipse(
            (cx - s * 0.07, face_top - s * 0.13, cx + s * 0.07, face_top + s * 0.01), fill=hair
        )
    d.chord(cap, 180, 360, fill=hair)
    fringe = rng.choice(("side", "straight", "none"))
    if fringe == "straight":
        d.rectangle(
            (
                face[0] + face_w * 0.06,
                cap[1] + s * 0.08,
                face[2] - face_w * 0.06,
                face_top + face_h * 0.26,
            ),
            fill=hair,
        )
    elif fringe == "side":
        d.pieslice(
            (
                face[0] - face_w * 0.1,
                face_top - face_h * 0.25,
                face[2] + face_w * 0.4,
                face_top + face_h * 0.55,
            ),
            180,
            260,
            fill=hair,
        )
        d.chord(cap, 180, 360, fill=hair)
    if style in ("bob", "long", "wavy"):
        for x in (face[0] - s * 0.02, face[2] - face_w * 0.16):
            d.rounded_rectangle(
                (
                    x,
                    face_top + face_h * 0.15,
                    x + face_w * 0.18,
                    face_top + face_h * (0.8 if style == "bob" else 0.95),
                ),
                radius=int(face_w * 0.08),
                fill=hair,
            )
    if style == "crop":
        d.chord(
            (face[0], face_top - s * 0.03, face[2], face_top + face_h * 0.4), 180, 360, fill=hair
        )

    # Eyes, brows, cheeks and a smile.
    eye_y = face_top + face_h * rng.uniform(0.50, 0.55)
    eye_dx = face_w * rng.uniform(0.19, 0.23)
    eye_r = face_w * 0.035
    ink = "#3a2e2a"
    happy = rng.random() < 0.4  # closed, smiling eyes
    for side in (-1, 1):
        ex = cx + side * eye_dx
        if happy:
            d.arc(
                (ex - eye_r * 2, eye_y - eye_r * 1.5, ex + eye_r * 2, eye_y + eye_r * 2),
                200,
                340,
                fill=ink,
                width=int(s * 0.008),
            )
        else:
            d.ellipse((ex - eye_r, eye_y - eye_r * 1.2, ex + eye_r, eye_y + eye_r * 1.2), fill=ink)
        brow_y = eye_y - face_h * 0.1
        d.arc(
            (ex - eye_r * 3, brow_y - eye_r, ex + eye_r * 3, brow_y + eye_r * 3),
            210,
            330,
            fill=hair,
            width=int(s * 0.006),
        )
        blush = face_w * 0.08
        bx, by = ex + side * face_w * 0.06, eye_y + face_h * 0.13
        d.ellipse((bx - blush, by - blush * 0.55, bx + blush, by + blush * 0.55), fill="#f4a6a6")
    mouth_w = face_w * rng.uniform(0.14, 0.2)
    mouth_y = face_top + face_h * 0.74
    d.arc(
        (cx - mouth_w, mouth_y - mouth_w * 0.7, cx + mouth_w, mouth_y + mouth_w * 0.5),
        20,
        160,
        fill="#b5544f",
        width=int(s * 0.008),
    )
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def png(rng: random.Random, gender: str = "") -> bytes:
    out = io.BytesIO()
    draw(rng, gender).save(out, "PNG", optimize=False, compress_level=1)
    return out.getvalue()
