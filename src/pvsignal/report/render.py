"""Render a :class:`~pvsignal.report.profile.model.Profile` to HTML, Markdown, PDF or JSON.

* **HTML** — one self-contained file: inline CSS, figures as base64 ``data:`` images,
  no script, no CDN, no network; print styles (A4, page numbers, no split tables).
* **Markdown** — for repositories; figures are written beside it as SVG files in
  ``<stem>_figures/`` and linked relatively.
* **PDF** — the HTML through WeasyPrint (``pip install 'pvsignal[pdf]'``), with a URL
  fetcher that refuses everything but ``data:`` URIs (no network).
* **JSON** — :meth:`Profile.to_json` (figure data left out unless ``figures=True``).

Report text is untrusted. HTML is rendered with Jinja2 autoescaping on; Markdown output
escapes every interpolated value (Markdown and HTML specials); in both, a text value
that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@`` first) is
prefixed with an apostrophe, as :mod:`pvsignal.report.export` does for tables.
"""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pvsignal.errors import InputFileError, PvsignalError
from pvsignal.report.export import FORMULA_PREFIXES
from pvsignal.report.profile.model import Profile

FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".pdf": "pdf", ".json": "json"}


class PdfUnavailableError(PvsignalError):
    """WeasyPrint or its system libraries are missing."""


# --------------------------------------------------------------------------- filters


def _defuse(s: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would read as a formula (not to numbers)."""
    if s.startswith(FORMULA_PREFIXES):
        try:
            float(s)
        except ValueError:
            return "'" + s
    return s


def _txt(v: Any) -> str:
    """Untrusted text as plain str (autoescaping still applies after this)."""
    return "" if v is None else _defuse(str(v))


def _num(v: Any, digits: int | None = None) -> str:
    """A number for display: '–' when missing; ints as is; floats by magnitude or ``digits``."""
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _txt(v)
    if not math.isfinite(f):
        return "–" if math.isnan(f) else ("∞" if f > 0 else "−∞")
    if digits is not None:
        return f"{f:.{digits}f}"
    a = abs(f)
    if a == 0:
        return "0.00"
    if a >= 100:
        return f"{f:.1f}"
    if a >= 0.01:
        return f"{f:.2f}"
    return f"{f:.2g}"


def _pct(v: Any) -> str:
    if v is None:
        return "–"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _txt(v)
    return "–" if not math.isfinite(f) else f"{100 * f:.1f}%"


_P_COLS = ("p", "fisher p", "p_fisher")


def _cell(v: Any, column: str = "") -> str:
    col = str(column).lower()
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and ("share" in col):
        return _pct(v)
    if isinstance(v, float) and col in _P_COLS:
        return "–" if not math.isfinite(v) else (f"{v:.3g}" if v >= 1e-4 else "<0.0001")
    if isinstance(v, (int, float)) or v is None:
        return _num(v)
    return _txt(v)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def _md_escape(v: Any) -> Any:
    """Finalizer of the Markdown environment: escape every interpolated value."""
    if isinstance(v, Markup):
        return str(v)
    if v is None:
        return ""
    s = _defuse(str(v)) if not isinstance(v, (int, float)) else str(v)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return re.sub(r"[\r\n]+", " ", s)


def _environment(kind: str) -> Environment:
    if kind == "html":
        env = Environment(loader=PackageLoader("pvsignal.report", "templates"),
                          autoescape=select_autoescape(default=True, default_for_string=True),
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    else:
        env = Environment(loader=PackageLoader("pvsignal.report", "templates"), autoescape=False,
                          finalize=_md_escape, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True)
    env.filters.update(txt=_txt, num=_num, pct=_pct, cell=_cell)
    return env


def _css() -> str:
    from importlib import resources

    return resources.files("pvsignal.report").joinpath("templates", "profile.css").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- renderers


def to_html(profile: Profile) -> str:
    """The profile as one self-contained HTML document (str)."""
    return _environment("html").get_template("profile.html.j2").render(p=profile, css=Markup(_css()))


def to_markdown(profile: Profile, figure_dir: str | Path | None = None, *, link_prefix: str = "") -> str:
    """The profile as Markdown; figures are written as SVG files to ``figure_dir`` (if given)
    and linked as ``link_prefix + file name``; without ``figure_dir`` figures are left out."""
    paths: dict[tuple[str, int], str] = {}
    if figure_dir is not None:
        fd = Path(figure_dir)
        fd.mkdir(parents=True, exist_ok=True)
        for s in profile.sections:
            for i, f in enumerate(s.figures):
                if not f.data:
                    continue
                ext = ".svg" if f.mime == "image/svg+xml" else ".png"
                name = f"{s.key}-{i + 1}{ext}"
                (fd / name).write_bytes(base64.b64decode(f.data))
                paths[(s.key, i)] = link_prefix + name

    def figpath(key: str, i: int) -> Markup:
        return Markup(paths.get((key, i), ""))

    text = _environment("md").get_template("profile.md.j2").render(p=profile, figpath=figpath)
    if figure_dir is None:
        text = text.replace("![", "(figure omitted: ")
    return re.sub(r"\n{3,}", "\n\n", text)


def _no_network(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if not url.startswith("data:"):
        raise ValueError(f"pvsignal PDF rendering does not fetch {url!r} (no network)")
    from weasyprint.urls import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)


def to_pdf(profile: Profile, path: str | Path) -> Path:
    """Write the HTML rendering through WeasyPrint to ``path``.

    Raises :class:`PdfUnavailableError` when WeasyPrint or its system libraries (Pango)
    are missing, telling the user what to install.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise PdfUnavailableError(
            f"PDF output needs WeasyPrint and its system libraries (Pango) ({type(exc).__name__}: {exc}); "
            "install them with: pip install 'pvsignal[pdf]' (and e.g. apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0), or write .html and print it to PDF from a browser") from None
    path = Path(path)
    try:  # WeasyPrint ≥ 68: a fetcher object restricted to data: URIs
        from weasyprint.urls import URLFetcher

        fetcher: Any = URLFetcher(allowed_protocols=["data"])
    except ImportError:  # older WeasyPrint: a fetcher function
        fetcher = _no_network
    html = weasyprint.HTML(string=to_html(profile), url_fetcher=fetcher, base_url=None)
    html.write_pdf(str(path))
    return path


def render(profile: Profile, path: str | Path, *, format: str | None = None, figures_in_json: bool = False) -> Path:
    """Write ``profile`` to ``path``; the format comes from the suffix (.html, .md, .pdf, .json)
    unless ``format`` says otherwise. Returns the path written."""
    path = Path(path)
    kind = format or FORMATS.get(path.suffix.lower())
    if kind not in ("html", "md", "pdf", "json"):
        raise InputFileError(f"cannot write {path}: use a .html, .md, .pdf or .json file name")
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "html":
        path.write_text(to_html(profile), encoding="utf-8")
    elif kind == "md":
        fig_dir = path.with_name(path.stem + "_figures")
        path.write_text(to_markdown(profile, fig_dir, link_prefix=fig_dir.name + "/"), encoding="utf-8")
    elif kind == "pdf":
        to_pdf(profile, path)
    else:
        profile.to_json(path, figures=figures_in_json)
    return path
