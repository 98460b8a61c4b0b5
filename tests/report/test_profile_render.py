"""Rendering the profile: untrusted text is escaped in HTML and Markdown, HTML is self-contained,
PDF goes through WeasyPrint or fails with a clear message."""

from __future__ import annotations

import re
import sys

import pytest

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x.invalid","click")'


@pytest.fixture(scope="module")
def hostile_profile():
    from pvsignal.report.profile import build_profile

    # no lake, no compound file for this "drug": the reasons quote the names back
    return build_profile(SCRIPT, [SCRIPT, FORMULA], event_group=FORMULA, figures=False)


def test_html_escapes_drug_and_event_names(hostile_profile):
    from pvsignal.report.render import to_html

    html = to_html(hostile_profile)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.lower()
    # a formula-looking value is shown as text, prefixed like in exported tables
    assert "&#39;=HYPERLINK(" in html or "'=HYPERLINK(" in html
    assert not re.search(r">\s*=HYPERLINK", html)


def test_html_escapes_verbatim_terms_from_adae(full_profile):
    from pvsignal.report.render import to_html

    html = to_html(full_profile)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.lower()  # the ADAE term, in the top-TEAE table


def test_markdown_escapes_untrusted_text(hostile_profile, full_profile):
    from pvsignal.report.render import to_markdown

    for p in (hostile_profile, full_profile):
        md = to_markdown(p)
        assert "<script" not in md.lower()
        assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in md.lower()
    md = to_markdown(hostile_profile)
    assert "'=HYPERLINK\\(" in md
    # no table row is broken by a pipe or newline inside a value
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert rows and len({ln.count(" | ") for ln in rows if "Event (PT)" in ln or "HYPERLINK" in ln}) == 1


def test_html_is_self_contained(full_profile, tmp_path):
    from pvsignal.report.render import render

    html = render(full_profile, tmp_path / "p.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    srcs = re.findall(r'(?:src|href)="([^"#][^"]*)"', html)
    assert srcs and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    assert "<link" not in html and "@import" not in html
    n_fig = sum(len(s.figures) for s in full_profile.sections)
    assert n_fig >= 6 and len(srcs) == n_fig  # age, outcomes, 3 onset, mechanism
    assert "@media print" in html and "@page" in html


def test_markdown_writes_figures_beside_it(full_profile, tmp_path):
    from pvsignal.report.render import render

    path = render(full_profile, tmp_path / "voc.md")
    md = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links and all((tmp_path / link).is_file() for link in links)
    assert "### 5a Data source" in md


def test_render_rejects_unknown_suffix(full_profile, tmp_path):
    from pvsignal.errors import InputFileError
    from pvsignal.report.render import render

    with pytest.raises(InputFileError, match=r"\.html, \.md, \.pdf or \.json"):
        render(full_profile, tmp_path / "p.docx")


def test_pdf_through_weasyprint(hostile_profile, tmp_path):
    pytest.importorskip("weasyprint", reason="PDF needs pip install 'pvsignal[pdf]'")
    from pvsignal.report.render import render

    out = render(hostile_profile, tmp_path / "p.pdf")
    assert out.read_bytes()[:5] == b"%PDF-"


def test_pdf_without_weasyprint_says_what_to_install(hostile_profile, tmp_path, monkeypatch):
    from pvsignal.errors import PvsignalError
    from pvsignal.report.render import render

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    with pytest.raises(PvsignalError, match=r"pip install 'pvsignal\[pdf\]'"):
        render(hostile_profile, tmp_path / "p.pdf")
    assert not (tmp_path / "p.pdf").exists()
