"""End to end: the profile HTML opened in real headless Chromium (Debian package ``chromium``).

Kept as artefacts under ``test-artifacts/profile/`` (gitignored): the HTML, the DOM as the
browser parsed it and a full-page screenshot.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "profile"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found: apt-get install -y chromium "
                                                "(the CI script .ci/run installs it)"),
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_profile_renders_in_headless_chromium(full_profile, tmp_path):
    from pvsignal.report.render import render

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html = render(full_profile, ARTIFACTS / "voclosporin-profile.html")
    url = html.resolve().as_uri()

    dom = _chromium(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout
    (ARTIFACTS / "voclosporin-profile.dom.html").write_text(text, encoding="utf-8")
    # the summary table with both events of interest, parsed by the browser
    summary = re.search(r'<table class="summary">.*?</table>', text, re.S)
    assert summary and ">HEADACHE<" in summary.group(0) and ">TREMOR<" in summary.group(0)
    # every figure is an inline image; methods and references are there; no script was injected
    n_fig = sum(len(s.figures) for s in full_profile.sections)
    assert len(re.findall(r'<img src="data:image/svg\+xml;base64,', text)) == n_fig
    assert 'id="methods"' in text and "Methods (READUS-PV order)" in text and 'id="ref-READUS-PV"' in text
    assert "<script" not in text.lower()
    assert "SYNTHETIC DATA" in text

    shot = ARTIFACTS / "voclosporin-profile.png"
    shot.unlink(missing_ok=True)
    res = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,4000", url)
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    assert _png_size(shot) == (1280, 4000)
    assert shot.stat().st_size > 100_000  # a page of tables and figures, not a blank canvas
