"""The inject cards as a person prints them: headless Chromium, one card per A4 page.

Chromium prints each cards file to PDF; the PDF must have exactly one page per
inject (a card that does not fit its page spills onto a second one, so the count
would be higher) and every card's subject must be in it. A screenshot of the
longest card is written next to the PDF, for a person to look at. Chromium comes
from the Debian package ``chromium`` (``apt-get update && apt-get install -y
chromium``); without it the test is skipped with that reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import shared_run

from sim.injects.generate import generate

SCOPE = ["region.select.regions=[VNOG,Twente]", "injects.enabled=true", "research.figures=false",
         "research.gis=false"]
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium (Debian package "
                                                        "'chromium') on this machine")


def print_pdf(html: Path, pdf: Path) -> int:
    """Print ``html`` to ``pdf`` with headless Chromium; return the number of pages."""
    assert BROWSER is not None
    subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--user-data-dir={pdf.parent / 'profile'}",
                    f"--print-to-pdf={pdf}", html.as_uri()],
                   capture_output=True, timeout=180, check=True)
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))


@pytest.mark.slow
@pytest.mark.parametrize("settings", [[], ["language=en", "teams=[meldkamer,rot:VNOG]",
                                            "max_per_team_hour=3", "spacing_min=20"]])
def test_every_card_prints_on_one_page(shared_root, tmp_path, settings):
    run = shared_run(shared_root, "injects", SCOPE)
    folder, injects, _ = generate(run, settings, tmp_path / "msel")
    assert len(injects) > 10
    for side in ("controller", "player"):
        html = folder / f"cards_{side}.html"
        pages = print_pdf(html, tmp_path / f"{side}.pdf")
        assert pages == len(injects), (side, pages, len(injects))
    # The longest card, alone, as a screenshot to look at.
    text = (folder / "cards_controller.html").read_text(encoding="utf-8")
    head, body = text.split("<body>", 1)
    longest = max(re.findall(r"<section.*?</section>", body, flags=re.S), key=len)
    one = tmp_path / "longest.html"
    one.write_text(f"{head}<body>{longest}</body></html>", encoding="utf-8")
    assert BROWSER is not None
    subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=794,1123", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={tmp_path / 'longest.png'}", one.as_uri()],
                   capture_output=True, timeout=180, check=True)
    assert (tmp_path / "longest.png").stat().st_size > 10_000
