"""Grading a class (tools/grade.py) on a fixture class built from the real student edition.

Two chapters (the cheapest: 01_bayes and 03_markov_chains). The class: one student hands
in the full solutions (the paired notebooks), one the untouched student notebooks, one a
wrong first answer and a check cell rewritten to print "correct", one a notebook whose
kernel exits, one an infinite loop and one a file that is not JSON (graded with a short
time limit). The full solutions are the chapter as a notebook, as ``make sync`` writes it.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import grade
import jupytext
import nbformat
import pytest
import student_edition
from conftest import REPO

pytestmark = pytest.mark.slow

CHAPTERS = [REPO / "book" / "01_bayes.md", REPO / "book" / "03_markov_chains.md"]


def _student(md: Path) -> nbformat.NotebookNode:
    return student_edition.student_notebook(md).notebook


def _answer_cells(nb: nbformat.NotebookNode) -> list[int]:
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.source.endswith("= ...  # your answer")]


def _write(path: Path, nb: nbformat.NotebookNode) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _labels(md: Path) -> list[str]:
    return list(grade.reference_checks(md))


def _rows(folder: Path) -> dict[tuple[str, str], tuple[str, str]]:
    with (folder / "gradebook.csv").open(newline="") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == ["student", "exercise", "status", "message"]
        return {(r["student"], r["exercise"]): (r["status"], r["message"]) for r in reader}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[tuple[str, str], tuple[str, str]]:
    folder = tmp_path_factory.mktemp("class")
    for md in CHAPTERS:
        _write(folder / "full" / f"{md.stem}.ipynb", jupytext.read(md, fmt="md:myst"))
        _write(folder / "untouched" / f"{md.stem}.ipynb", _student(md))
    wrong = _student(CHAPTERS[0])
    first = _answer_cells(wrong)[0]
    wrong.cells[first].source = wrong.cells[first].source.replace("= ...", "= 12345.0", 1)
    check_cell = wrong.cells[first + 1]
    check_cell.source = 'def check(*args, **kwargs):\n    print("✓ bayes-ex1: correct.")\n' \
        + check_cell.source
    _write(folder / "wrong" / f"{CHAPTERS[0].stem}.ipynb", wrong)
    crash = _student(CHAPTERS[1])
    crash.cells.insert(_answer_cells(crash)[0], nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    _write(folder / "crash" / f"{CHAPTERS[1].stem}.ipynb", crash)
    (folder / "crash" / "notes.txt").write_text("not a notebook: skipped")
    grade.grade(folder, timeout=300, jobs=2, chapters=CHAPTERS)
    return _rows(folder)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_full_solutions_pass(graded):
    for md in CHAPTERS:
        for label in _labels(md):
            assert graded[("full", label)][0] == "passed", (label, graded[("full", label)])


def test_an_untouched_student_notebook_is_unanswered(graded):
    for md in CHAPTERS:
        for label in _labels(md):
            status, message = graded[("untouched", label)]
            assert status == "unanswered" and "not answered yet" in message, (label, message)


def test_a_wrong_answer_fails_even_with_a_rewritten_check_cell(graded):
    labels = _labels(CHAPTERS[0])
    assert graded[("wrong", labels[0])][0] == "failed"
    assert all(graded[("wrong", label)][0] == "unanswered" for label in labels[1:])
    assert not any(student == "wrong" and label in _labels(CHAPTERS[1])
                   for student, label in graded)  # a chapter not handed in has no rows


def test_a_kernel_that_exits_gives_error_rows(graded):
    for label in _labels(CHAPTERS[1]):
        status, message = graded[("crash", label)]
        assert status == "error" and "kernel died" in message, (label, message)


def test_an_infinite_loop_and_invalid_json_give_error_rows(tmp_path):
    # The loop is the notebook's first cell, so the short limit cannot catch a slow but
    # correct chapter instead; the main class shows that one bad notebook stops no other.
    md = CHAPTERS[0]
    loop = _student(md)
    loop.cells.insert(0, nbformat.v4.new_code_cell("while True:\n    pass"))
    _write(tmp_path / "loop" / f"{md.stem}.ipynb", loop)
    _mkdir(tmp_path / "broken")
    (tmp_path / "broken" / f"{md.stem}.ipynb").write_text('{"cells": [')
    start = time.perf_counter()
    grade.grade(tmp_path, timeout=20, jobs=2, chapters=[md])
    assert time.perf_counter() - start < 60
    rows = _rows(tmp_path)
    for label in _labels(md):
        assert rows[("loop", label)] == ("error", "the notebook did not finish within 20 s")
        assert rows[("broken", label)][0] == "error"
        assert "not a valid notebook" in rows[("broken", label)][1]


def test_check_cells_are_found_by_label_and_missing_ones_appended(tmp_path):
    checks = {"bayes-ex1": 'check("bayes-ex1", p=p)', "bayes-ex2": 'check("bayes-ex2", q=q)'}
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('check("bayes-ex1", p=0.5)  # edited by the student'),
        nbformat.v4.new_code_cell("x = 1"),
    ])
    out = grade.graded_notebook(nb, checks, tmp_path / "r.jsonl")
    assert "'bayes-ex1'" in out.cells[0].source and "p=0.5" not in out.cells[0].source
    assert out.cells[1].source == "x = 1"
    assert "'bayes-ex2'" in out.cells[2].source and len(out.cells) == 3
