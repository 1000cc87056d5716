"""Flag recognition and verdicts over flags drawn to GB 12982 geometry with Pillow."""

from __future__ import annotations

import pytest

from inspectors.images.decode import decode
from inspectors.images.drawing import draw_emblem, draw_flag, encode
from inspectors.images.flag import analyse_flag, judge_flag

LIMIT = 40_000_000


def verdict(body: bytes, rendered: tuple[float, float] | None = None) -> list[str] | None:
    img = decode(body, LIMIT)
    facts = analyse_flag(img)
    if facts is None:
        return None
    return judge_flag(facts, rendered, (img.width, img.height), 0.05, 15.0).problems


@pytest.mark.parametrize("size", [(300, 200), (90, 60), (1200, 800)])
def test_correct_flag_has_no_problem(size):
    assert verdict(encode(draw_flag(*size))) == []


@pytest.mark.parametrize("quality", [40, 70, 90])
def test_jpeg_compressed_correct_flag_has_no_problem(quality):
    assert verdict(encode(draw_flag(300, 200), "JPEG", quality=quality)) == []
    assert verdict(encode(draw_flag(90, 60), "JPEG", quality=quality)) == []


def test_common_web_variant_colours_are_within_tolerance():
    assert verdict(encode(draw_flag(red=(0xDE, 0x29, 0x10), yellow=(0xFF, 0xDE, 0x00)))) == []


def test_intrinsically_stretched_flag():
    assert verdict(encode(draw_flag(400, 200))) == ["aspect"]
    assert verdict(encode(draw_flag(300, 260))) == ["aspect"]
    assert verdict(encode(draw_flag(310, 200))) == []  # 1.55: within 5 %


def test_flag_stretched_where_it_is_shown():
    body = encode(draw_flag(300, 200))
    assert verdict(body, rendered=(300, 100)) == ["rendered-aspect"]
    assert verdict(body, rendered=(200, 200)) == ["rendered-aspect"]
    assert verdict(body, rendered=(150, 100)) == []


def test_mirrored_and_flipped_flags():
    assert verdict(encode(draw_flag(mirrored=True))) == ["mirrored"]
    flipped = draw_flag().transpose(0 + 1)  # FLIP_TOP_BOTTOM
    assert verdict(encode(flipped)) == ["mirrored"]


def test_off_colour_flag():
    assert verdict(encode(draw_flag(red=(255, 120, 0)))) == ["colour"]
    assert verdict(encode(draw_flag(yellow=(255, 255, 255)))) == ["colour"]
    assert verdict(encode(draw_flag(red=(150, 20, 60)))) == ["colour"]


def test_greyscale_flag():
    assert verdict(encode(draw_flag(grey=True))) == ["greyscale"]
    assert verdict(encode(draw_flag(grey=True).convert("L"), "JPEG")) == ["greyscale"]


def test_red_field_says_flag_by_content_grey_only_by_context():
    assert analyse_flag(decode(encode(draw_flag()), LIMIT)).red_field
    assert not analyse_flag(decode(encode(draw_flag(grey=True)), LIMIT)).red_field


def test_flag_on_transparent_or_white_margin_is_measured_by_its_field():
    from PIL import Image

    canvas = Image.new("RGBA", (400, 300), (255, 255, 255, 0))
    canvas.paste(draw_flag(300, 200), (50, 50))
    assert verdict(encode(canvas)) == []
    white = Image.new("RGB", (400, 300), "white")
    white.paste(draw_flag(300, 200), (50, 50))
    assert verdict(encode(white)) == []


@pytest.mark.parametrize("make", [
    lambda: draw_emblem(200),
    lambda: __import__("PIL.Image").Image.new("RGB", (300, 200), (238, 28, 37)),
    lambda: __import__("PIL.Image").Image.new("RGB", (300, 200), (255, 255, 255)),
])
def test_non_flags_are_not_recognised(make):
    assert verdict(encode(make())) is None


def test_noise_photo_is_not_a_flag():
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    assert verdict(encode(Image.fromarray(rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)))) is None
