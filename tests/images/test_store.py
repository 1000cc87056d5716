"""The image store: one analysis per content hash, pixel limits against decompression bombs."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from govinspect.config import project_settings
from inspectors.images.cache import ImageStore
from inspectors.images.decode import ImageRejected, decode
from inspectors.images.drawing import draw_flag, encode


def test_decompression_bomb_is_refused_before_decoding():
    buf = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buf, "PNG")  # 64 Mpx in a few KB
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(ImageRejected, match="pixel limit"):
        decode(buf.getvalue(), max_pixels=40_000_000)


def test_garbage_is_refused():
    with pytest.raises(ImageRejected):
        decode(b"<html>not an image</html>", 40_000_000)


def test_same_bytes_at_two_urls_are_analysed_once():
    store = ImageStore(project_settings({"IMAGE_MAX_PIXELS": 40_000_000}))
    body = encode(draw_flag())
    a = store.analyse("http://a.example/flag.png", body)
    b = store.analyse("http://b.example/copy.png", body)
    assert a is b and store.decoded == 1
    assert store.get("http://a.example/flag.png") is a
    assert a.flag is not None and a.flag.orientation == "upright"


def test_oversized_and_broken_images_are_recorded_not_raised():
    store = ImageStore(project_settings({"IMAGE_MAXSIZE": 1000}))
    assert "larger" in store.analyse("http://x/big.png", b"x" * 2000).error
    assert "decode" in store.analyse("http://x/bad.png", b"x" * 10).error


def test_animated_gif_uses_its_first_frame():
    frames = [draw_flag(150, 100), draw_flag(150, 100, mirrored=True)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    img = decode(buf.getvalue(), 40_000_000)
    assert (img.width, img.height, img.format) == (150, 100, "GIF")
