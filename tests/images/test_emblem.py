"""Emblem recognition by perceptual hash against reference images, and its colour/shape checks."""

from __future__ import annotations

from PIL import Image, ImageDraw

from inspectors.images.decode import decode
from inspectors.images.drawing import draw_emblem, draw_flag, encode
from inspectors.images.emblem import analyse_emblem, judge_emblem, load_references

LIMIT = 40_000_000
REFS = load_references(None)


def facts(im: Image.Image):
    img = decode(encode(im), LIMIT)
    return img, analyse_emblem(img, REFS)


def problems(im: Image.Image, rendered=None) -> list[str]:
    img, f = facts(im)
    return judge_emblem(f, (img.width, img.height), rendered, f.distance <= 12, 0.05, 0.15)[0]


def test_bundled_placeholder_reference_loads():
    assert [r.name for r in REFS] == ["placeholder-emblem.png"]


def test_emblem_matches_reference_at_any_size_and_as_jpeg():
    for size in (48, 120, 400):
        assert facts(draw_emblem(size))[1].distance <= 12
    white = Image.alpha_composite(Image.new("RGBA", (150, 150), "white"), draw_emblem(150))
    img = decode(encode(white, "JPEG", quality=60), LIMIT)
    assert analyse_emblem(img, REFS).distance <= 12


def test_other_pictures_do_not_match():
    circle = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(circle).ellipse((10, 10, 190, 190), fill=(238, 28, 37))
    for im in (draw_flag(), circle, Image.new("RGB", (100, 100), (238, 28, 37))):
        assert facts(im)[1].distance > 12


def test_correct_emblem_has_no_problem():
    assert problems(draw_emblem(200)) == []
    assert problems(draw_emblem(200), rendered=(100, 100)) == []


def test_distorted_emblem():
    assert problems(draw_emblem(200), rendered=(100, 60)) == ["rendered-aspect"]
    assert problems(draw_emblem(200).resize((300, 200))) == ["aspect"]


def test_greyscale_and_off_colour_emblem():
    assert problems(draw_emblem(200, grey=True)) == ["greyscale"]
    assert problems(draw_emblem(200, ring=(0, 80, 200))) == ["colour"]


def test_reference_folder_is_configurable(tmp_path):
    draw_emblem(300).save(tmp_path / "standard.png")
    (tmp_path / "notes.txt").write_text("not an image")
    refs = load_references(tmp_path)
    assert [r.name for r in refs] == ["standard.png"]
    assert load_references(tmp_path / "missing") == []
