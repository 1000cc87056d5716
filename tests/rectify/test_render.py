"""The list and the report, rendered in headless Chromium: they draw, with their charts and thumbnails."""

from __future__ import annotations

from datetime import date

from PIL import Image, ImageStat

from govinspect.rectify.html import write_list_html
from govinspect.rectify.snapshot import render_png
from tests.rectify.test_documents import sample_list
from tests.support.cli import govinspect


def _not_blank(png) -> None:
    with Image.open(png) as img:
        stat = ImageStat.Stat(img.convert("L"))
        assert img.width >= 800 and img.height >= 300
        assert stat.stddev[0] > 10  # a blank (or single-colour) page has ~0
        colours = img.convert("RGB").resize((200, 200)).getcolors(40000)
        assert colours is not None and len(colours) > 20


def test_list_renders_with_thumbnail(tmp_path):
    html = write_list_html(sample_list(tmp_path), tmp_path / "list.html")
    snap = render_png(html, tmp_path / "list.png")
    _not_blank(snap.png)
    assert snap.images == 1 and snap.blocked == []


def test_report_renders_with_charts(issued, tmp_path):
    out = tmp_path / "report"
    month = date.today().strftime("%Y-%m")
    assert govinspect("report", "--month", month, "--out", str(out), "--store", str(issued.store)).returncode == 0
    page = next(out.glob("*全部.html"))
    snap = render_png(page, tmp_path / "report.png", width=1100)
    _not_blank(snap.png)
    assert len(snap.svg_boxes) == 3 and all(w > 300 and h > 100 for w, h in snap.svg_boxes)
    assert snap.blocked == []
