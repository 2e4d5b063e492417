"""The student web book (tools/student_site.py) holds no solution, but every exercise.

The solutions' text and code are taken from the chapters' solution blocks (distinctive
lines of code, and runs of plain words from the prose), normalised, and searched for in
every page's text, in ``searchindex.js`` and in any ``_sources``; the same search on the
full book finds them (so the search would see a leak). Needs the built book's execution
cache (``make book``); the student build reads its outputs from it.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest
import student_edition
import student_site
from conftest import REPO, toc_chapters

pytestmark = [pytest.mark.slow, pytest.mark.book]

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_PLAIN_RUN = re.compile(r"(?:\b[A-Za-z][a-z']*\b[ ,;]+){6,}\b[A-Za-z][a-z']*\b")


#: Sphinx's smart quotes turn ' and " into typographic quotes in the pages.
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    return _SPACE.sub(" ", html_lib.unescape(text)).translate(_QUOTES).strip()


def page_text(path: Path) -> str:
    """A page's text: tags removed, entities decoded, whitespace collapsed."""
    raw = path.read_text(errors="replace")
    raw = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", raw)
    return normalise(_TAG.sub(" ", raw))


def solution_fingerprints(md: Path) -> tuple[list[str], list[str]]:
    """Distinctive solution code lines and prose runs of chapter ``md`` that appear nowhere
    else in it (a line a solution shares with the chapter proves nothing)."""
    inside: list[tuple[str, str]] = []
    outside: list[str] = []
    in_solution = False
    for piece in student_edition.pieces(md):
        if piece.kind == "solution-start":
            in_solution = True
        elif piece.kind == "solution-end":
            in_solution = False
        elif in_solution and piece.kind in ("code", "markdown"):
            inside.append((piece.kind, piece.text))
        elif not in_solution:
            # Everything a student is meant to see, exercise statements included (an
            # exercise may give its data as code the solution then repeats).
            outside.append(piece.text)
    rest = normalise("\n".join(outside))
    code, prose = [], []
    for kind, text in inside:
        if kind == "code":
            for line in text.split("\n"):
                line = normalise(line)
                if len(line) >= 25 and not line.startswith("#") and line not in rest:
                    code.append(line)
        else:
            for run in _PLAIN_RUN.findall(text.replace("\n", " ")):
                run = normalise(run).strip(" ,;")
                if len(run) >= 30 and run not in rest:
                    prose.append(run)
    return code, prose


def site_corpus(site: Path) -> dict[str, str]:
    corpus = {str(p.relative_to(site)): page_text(p) for p in site.rglob("*.html")}
    index = site / "searchindex.js"
    if index.exists():
        corpus["searchindex.js"] = normalise(index.read_text())
    for source in (site / "_sources").rglob("*") if (site / "_sources").exists() else []:
        if source.is_file():
            corpus[str(source.relative_to(site))] = normalise(source.read_text(errors="replace"))
    return corpus


def leaks(site: Path, chapters: list[Path]) -> list[str]:
    corpus = site_corpus(site)
    found = []
    for md in chapters:
        code, prose = solution_fingerprints(md)
        for needle in code + prose:
            where = [name for name, text in corpus.items() if needle in text]
            if where:
                found.append(f"{md.stem}: {needle!r} in {where[:3]}")
    return found


@pytest.fixture(scope="module")
def student_html(tmp_path_factory) -> Path:
    if not (REPO / "_build" / ".jupyter_cache").exists():
        pytest.fail("the book's execution cache is missing: run `make book` first")
    base = tmp_path_factory.mktemp("student")
    notebooks = base / "student"
    student_edition.write_edition(toc_chapters(), notebooks)
    out = notebooks / "html"
    assert student_site.build(REPO, notebooks, out) == 0
    return out


def test_the_grep_finds_solutions_in_the_full_book(built_html):
    chapters = toc_chapters()
    assert all(sum(map(len, solution_fingerprints(md))) >= 3 for md in chapters)
    assert len(leaks(built_html, chapters)) > 10


def test_no_solution_text_or_code_in_the_student_site(student_html):
    assert not (student_html / "_sources").exists()
    found = leaks(student_html, toc_chapters())
    assert not found, "\n".join(found[:20])


def test_the_student_site_keeps_every_exercise_and_offers_student_notebooks(student_html):
    for md in toc_chapters():
        page = student_html / "book" / f"{md.stem}.html"
        text = page_text(page)
        for piece in student_edition.pieces(md):
            if piece.kind == "exercise":
                title = piece.argument
                assert normalise(title) in text, f"{md.stem}: exercise {title!r} is missing"
        raw = page.read_text()
        assert "solution dropdown" not in raw and 'class="solution' not in raw
        assert f"_notebooks/{md.stem}.ipynb" in raw
        assert (student_html / "_notebooks" / f"{md.stem}.ipynb").exists()
        links = html_lib.unescape(raw)
        assert f"/student/{md.stem}.ipynb" in links  # launch buttons: the student branch
        assert f"/notebooks/{md.stem}.ipynb" not in links.replace(f"_notebooks/{md.stem}", "")
        assert "✓" not in text, f"{md.stem}: a check cell's output is on the student page"
