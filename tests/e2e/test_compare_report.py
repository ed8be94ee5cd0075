"""The HTML report of `mlperf-tui compare` in a real browser: headless Chromium (Debian's
package, which `make browser` installs) opens the report of a recorded sweep from a file, with
no network, and its screenshot shows the table and the plots in the plot colours.

Skipped, with the reason, where /usr/bin/chromium is missing.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlperf_tui.cli import main
from mlperf_tui.compare.plots import PALETTE

CHROMIUM = Path("/usr/bin/chromium")
SWEEP = Path(__file__).resolve().parents[1] / "tui" / "fixtures" / "compare" / "compare-sweep"
WIDTH, HEIGHT = 1280, 2000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="no /usr/bin/chromium (make browser installs Debian's chromium)",
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run with a profile folder and home of its own, nothing fetched
    from the network."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HOME": str(home)},
    )


def _near(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 16) -> np.ndarray:
    """A mask of the pixels (height x width x 3) within ``tolerance`` of ``rgb``."""
    return np.all(np.abs(pixels - np.array(rgb, dtype=np.int16)) <= tolerance, axis=-1)


@dataclass(frozen=True)
class Opened:
    """What Chromium made of the report: the DOM after rendering, and the screenshot."""

    dom: str
    screenshot: Path


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Opened:
    """The report of the recorded sweep, written by the command, opened once in Chromium."""
    folder = tmp_path_factory.mktemp("report")
    report = folder / "compare.html"
    assert main(["compare", str(SWEEP), "--no-plots", "--html", str(report)]) == 0
    shot = folder / "report.png"
    proc = _chromium(
        folder,
        "--dump-dom",
        f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
        report.as_uri(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return Opened(proc.stdout, shot)


def test_the_report_renders_its_svg_plots_and_table_in_chromium(opened: Opened) -> None:
    dom = opened.dom
    assert dom.count("<svg") == 3
    for kind in ("metric", "histogram", "throughput"):
        assert f'class="plot plot-{kind}"' in dom
    assert '<table class="runs">' in dom
    assert dom.count("<polyline") >= 8 and dom.count("<circle") == 6
    assert "batch=32 threads=1 ★ best" in dom


def test_a_screenshot_of_the_report_shows_the_plots_in_their_colours(opened: Opened) -> None:
    assert opened.screenshot.is_file()
    image = Image.open(opened.screenshot).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    pixels = np.asarray(image, dtype=np.int16)
    drawn = int(np.any(pixels != 255, axis=-1).sum())
    assert drawn > WIDTH * HEIGHT // 50  # text, table rules and plots: far from a blank page
    # each of the first six series colours is drawn, and the first one (three plots: a metric
    # line, a histogram outline, a throughput curve) over many rows of the page, far more
    # than its three legend swatches cover
    for rgb in PALETTE[:6]:
        assert int(_near(pixels, rgb).sum()) > 100, rgb
    rows = int(np.any(_near(pixels, PALETTE[0]), axis=1).sum())
    assert rows > 60
