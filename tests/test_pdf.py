"""The PDF edition (make pdf): its gates, and the PDF that `make test` builds.

The gate tests feed ``tools/build_pdf.py``'s log reader real LaTeX log lines; the
``book``-marked tests read ``_build/pdf/book.pdf`` with poppler (pdftotext, pdffonts,
pdfinfo), as a reader's viewer would.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import REPO, toc_chapters

sys.path.insert(0, str(REPO / "tools" / "sphinx"))
import build_pdf
import printext

PDF = REPO / "_build" / "pdf" / "book.pdf"

LOG = r"""
LaTeX Warning: Reference `book/04_metropolis:mh-ex9' on page 88 undefined on input line 412.
LaTeX Warning: Citation `nobody1999' on page 12 undefined on input line 77.
LaTeX Warning: Hyper reference `book/01_bayes:bayes-ex1' on page 209 undefined
Missing character: There is no ★ (U+2605) in font FreeSans/OT:script=latn;!
Missing character: There is no ᵢ (U+1D62) in font [FreeMonoOblique.otf]/OT:script=latn;languag
e=dflt;!
Overfull \hbox (131.67516pt too wide) in paragraph at lines 13229--13234
Overfull \hbox (4.2pt too wide) in paragraph at lines 10--12
Overfull \vbox (2.24792pt too high) detected at line 2147
"""


def test_the_log_reader_finds_every_kind_of_defect():
    report = build_pdf.read_latex_log(LOG)
    assert report.undefined == [
        "book/01_bayes:bayes-ex1", "book/04_metropolis:mh-ex9", "nobody1999",
    ]
    assert report.missing_characters == [
        "ᵢ (U+1D62) (font [FreeMonoOblique.otf]/OT:script=latn;languag)",
        "★ (U+2605) (font FreeSans/OT:script=latn;)",
    ], "a missing glyph is found even where TeX wrapped the log line"
    assert [width for width, _ in report.overfull] == [131.67516, 4.2]
    problems = report.problems(max_overfull_pt=10.0)
    assert len(problems) == 6
    assert any("131.7 pt into the margin" in p for p in problems)
    assert not any("4.2 pt" in p for p in problems), "a 4 pt overfull line is invisible in print"


def test_a_clean_log_has_no_problems():
    clean = "Output written on book.pdf (412 pages).\nOverfull \\vbox (1pt too high) detected\n"
    assert build_pdf.read_latex_log(clean).problems(10.0) == []


def test_every_mathjax_macro_is_defined_for_latex_too():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    preamble = printext.latex_macros(macros)
    for name, body in macros.items():
        assert f"\\renewcommand{{\\{name}}}{{{body}}}" in preamble
    assert printext.latex_macros({"sq": ["{#1}^2", 1]}) == (
        "\\providecommand{\\sq}{}\\renewcommand{\\sq}[1]{{#1}^2}"
    )


@pytest.mark.parametrize(
    ("macros", "message"),
    [({"a1": "x"}, "letters only"), ({"bad": 3}, "expected a string or")],
)
def test_malformed_macros_are_refused(macros, message):
    from sphinx.errors import ExtensionError

    with pytest.raises(ExtensionError, match=message):
        printext.latex_macros(macros)


def _poppler(tool: str, *args: str) -> str:
    exe = shutil.which(tool)
    assert exe, f"{tool} is missing: bash tools/system_deps.sh --pdf"
    return subprocess.run([exe, *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def pdf_text():
    if not PDF.exists():
        pytest.fail("the PDF is missing: run `make pdf` (make test does)")
    return _poppler("pdftotext", "-layout", str(PDF), "-")


@pytest.mark.book
def test_the_pdf_has_every_chapter_and_no_unresolved_text(pdf_text):
    flat = re.sub(r"\s+", " ", pdf_text)
    for chapter in toc_chapters():
        title = next(
            line[2:].strip() for line in chapter.read_text().splitlines() if line.startswith("# ")
        )
        assert title in flat, f"chapter {chapter.stem} ({title!r}) is not in the PDF"
    assert "??" not in pdf_text, "an unresolved reference prints as ??"
    for raw in ("{glue", "{numref}", "{eq}", "{cite", "{doc}", "{prf:"):
        assert raw not in pdf_text, f"raw MyST {raw} in the PDF"
    assert "References" in flat


@pytest.mark.book
def test_the_pdf_leaves_solutions_out(pdf_text):
    assert "Solution to" not in pdf_text


@pytest.mark.book
def test_every_font_is_embedded_and_the_page_count_is_sane():
    rows = _poppler("pdffonts", str(PDF)).splitlines()[2:]
    assert rows, "pdffonts listed no fonts"
    # Columns: name type encoding emb sub uni object-id; "emb" is the third from the right
    # after the object number pair.
    not_embedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not_embedded == [], "fonts not embedded:\n" + "\n".join(not_embedded)
    info = _poppler("pdfinfo", str(PDF))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert 150 <= pages <= 800, f"{pages} pages"


@pytest.mark.book
def test_every_web_page_links_to_the_pdf(built_html):
    for chapter in toc_chapters():
        page = (built_html / "book" / f"{chapter.stem}.html").read_text()
        assert 'href="../book.pdf"' in page, f"{chapter.stem}: no link to the book's PDF"
    assert (built_html / "book.pdf").exists(), "the site does not hold book.pdf (make pdf)"
