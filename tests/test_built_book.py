"""The built book (``make book``): complete, launchable, and self-contained."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import launch_links, toc_chapters, toc_files

pytestmark = pytest.mark.book


class AssetParser(HTMLParser):
    """Collect every URL a page loads (scripts, styles, fonts, images, media)."""

    LOADING: ClassVar[dict[str, str]] = {
        "script": "src", "img": "src", "source": "src", "video": "src", "audio": "src",
        "iframe": "src", "embed": "src", "object": "data",
    }

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.LOADING and attrs.get(self.LOADING[tag]):
            self.assets.append(attrs[self.LOADING[tag]])
        if tag == "link" and attrs.get("href"):
            rel = set((attrs.get("rel") or "").split())
            if rel & {"stylesheet", "preload", "icon", "modulepreload", "prefetch", "manifest"}:
                self.assets.append(attrs["href"])
        for value in (attrs.get("srcset") or "").split(","):
            if value.strip():
                self.assets.append(value.split()[0])


def off_host(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url))


def html_pages(built_html):
    return sorted(built_html.rglob("*.html"))


def test_every_toc_page_is_built(built_html):
    missing = [f for f in toc_files() if not (built_html / f"{f}.html").exists()]
    assert not missing, f"pages in _toc.yml missing from _build/html: {missing}"
    assert (built_html / "search.html").exists() and (built_html / "searchindex.js").exists()


def test_no_page_loads_anything_from_another_host(built_html):
    offenders = {}
    for page in html_pages(built_html):
        parser = AssetParser()
        parser.feed(page.read_text())
        remote = [url for url in parser.assets if off_host(url)]
        if remote:
            offenders[str(page.relative_to(built_html))] = remote
    assert not offenders, f"pages load off-host assets: {offenders}"


def test_stylesheets_load_no_remote_fonts_or_imports(built_html):
    offenders = []
    for css in built_html.rglob("*.css"):
        text = css.read_text(errors="replace")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", text):
            if off_host(url):
                offenders.append(f"{css.relative_to(built_html)}: {url}")
        for url in re.findall(r"@import\s+(?:url\()?['\"]?([^'\")\s;]+)", text):
            if off_host(url):
                offenders.append(f"{css.relative_to(built_html)}: @import {url}")
    assert not offenders, offenders


def test_mathjax_is_served_from_the_site(built_html):
    pages_with_math = [p for p in html_pages(built_html) if 'class="math' in p.read_text()]
    assert pages_with_math, "no page has math: the offline-math check would prove nothing"
    for page in pages_with_math:
        parser = AssetParser()
        parser.feed(page.read_text())
        mathjax = [u for u in parser.assets if "mathjax" in u.lower()]
        assert mathjax, f"{page.name} has math but loads no MathJax"
        for url in mathjax:
            local = (page.parent / url.split("?")[0]).resolve()
            assert local.is_file(), f"{page.name}: MathJax at {url} is not in the built site"
    fonts_dir = built_html / "_static" / "mathjax" / "output" / "chtml" / "fonts"
    fonts = list(fonts_dir.rglob("*.woff"))
    assert fonts, "MathJax's web fonts are not in the built site"


@pytest.mark.parametrize("chapter", toc_chapters(), ids=lambda p: p.stem)
def test_launch_buttons_open_the_reading_edition(built_html, chapter):
    """Binder, Colab and JupyterHub open notebooks/<chapter>.ipynb on the ``notebooks``
    branch, which the Pages workflow fills from ``_build/edition`` (tools/notebook_edition.py);
    the download button offers the same notebook from the site."""
    page = built_html / "book" / f"{chapter.stem}.html"
    text = page.read_text()
    links = launch_links(text)
    assert len(links) == 3, f"expected Binder, JupyterHub and Colab launch links, got {links}"
    for link in links:
        url = urlparse(link)
        if "colab" in url.netloc:
            branch, path = url.path.split("/blob/", 1)[1].split("/", 1)
        elif "mybinder" in url.netloc:
            branch = url.path.rsplit("/", 1)[1]
            path = parse_qs(url.query)["urlpath"][0].removeprefix("lab/tree/")
        else:
            branch = parse_qs(url.query)["branch"][0]
            path = parse_qs(url.query)["urlpath"][0].removeprefix("lab/tree/").split("/", 1)[1]
        assert branch == "notebooks", link
        assert path == f"notebooks/{chapter.stem}.ipynb", link
        edition = built_html.parent / "edition" / path
        assert edition.is_file(), f"{link} points at {path}, which is not in _build/edition"
    assert f'href="../_notebooks/{chapter.stem}.ipynb"' in text, "download button"
    assert (built_html / "_notebooks" / f"{chapter.stem}.ipynb").is_file()


@pytest.mark.parametrize("chapter", toc_chapters(), ids=lambda p: p.stem)
def test_chapter_pages_have_figures_with_alt_text_and_no_error_output(built_html, chapter):
    text = (built_html / "book" / f"{chapter.stem}.html").read_text()
    assert "Traceback (most recent call last)" not in text
    assert 'class="output stderr"' not in text
    for img in re.findall(r"<img [^>]*>", text):
        if "/logo" in img or "_static/images" in img:
            continue
        alt = re.search(r'alt="([^"]*)"', img)
        has_alt = alt and alt[1].strip() and not alt[1].startswith("../")
        assert has_alt, f"figure without alt text: {img}"


def test_the_books_seven_point_answer_agrees_with_exact_enumeration(built_html):
    """Chapter 6's glued NUTS answer to P(z1 = z2 | data), checked by a second method."""
    import json
    from dataclasses import asdict

    from bayesbook import mixtures

    glued = json.loads(
        (built_html.parent / "jupyter_execute" / "book" / "06_mixtures.glue.json").read_text()
    )
    value = float(glued["seven_point_p_same"]["data"]["text/plain"])
    mcse = float(glued["seven_point_p_same_mcse"]["data"]["text/plain"])
    exact = mixtures.exact_coclustering(
        mixtures.SEVEN_POINT_DATA, 3, **asdict(mixtures.SEVEN_POINT_PRIOR)
    )[0, 1]
    # What the chapter's prose and asserts promise: ESS >= 1000 and R-hat <= 1.01 (so the
    # MCSE of a [0, 1] quantity is at most 0.5 / sqrt(1000)), and within 0.03 of the exact
    # value: the divergences' bias (about 0.015) is not inside the MCSE.
    ess = float(glued["mix_seven_ess"]["data"]["text/plain"])
    rhat = float(glued["mix_seven_rhat"]["data"]["text/plain"])
    assert ess >= 1000 and rhat <= 1.01 and 0 < mcse < 0.016, (ess, rhat, mcse)
    assert abs(value - exact) <= 0.03, (value, mcse, exact)


def test_the_site_holds_only_the_books_pages(built_html):
    """Only _toc.yml pages are built: nothing from hidden folders, notebooks/, tools/ or .venv."""
    listed = {f"{name}.html" for name in toc_files()}
    generated = {"index.html", "search.html", "genindex.html", "prf-prf.html"}  # prf: sphinx-proof
    pages = {str(p.relative_to(built_html)) for p in built_html.rglob("*.html")
             if not str(p.relative_to(built_html)).startswith("_static/")}
    extra = sorted(pages - listed - generated)
    assert not extra, f"pages that are not in _toc.yml (stale or leaked; `make clean`): {extra}"
