"""Every exercise's check is proven (tools/exercise_harness.py) and follows the format.

The fast tests read the chapters without running them: every exercise has a check cell
that is one call ``check("<label>", ...)`` passing every registered answer by keyword,
the exercise's statement names each answer in backticks, there are at least two
mutations each with a ``name`` and a ``why``, and every registered check belongs to an
exercise of a chapter. The slow test runs the harness on every chapter of ``_toc.yml``
that has exercises (two chapters at a time: the machine and CI have two cores) and
requires every rule: the reference passes, unanswered says "not answered yet", every
mutation raises ``CheckFailed`` (on at least N-1 of N streams for a random exercise).
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import exercise_harness as harness
import pytest
import student_edition
from conftest import REPO, toc_chapters

from bayesbook.exercises import lookup, registered

WORKERS = 2
TEMPLATE = REPO / "tools" / "templates" / "chapter.md"


def _exercise_chapters() -> list[Path]:
    """Every chapter of _toc.yml with exercises, and the chapter template (new chapters'
    exercises start from it, so its check is proven too)."""
    return [md for md in toc_chapters() if harness.chapter_exercises(md)] + [TEMPLATE]


CHAPTERS = _exercise_chapters()
EXERCISES = [(md, exercise) for md in CHAPTERS for exercise in harness.chapter_exercises(md)]


def _statements(md: Path) -> dict[str, str]:
    return {p.label: p.text for p in student_edition.pieces(md) if p.kind == "exercise"}


# ---------------------------------------------------------------- the format (fast)

@pytest.mark.parametrize(("md", "exercise"), EXERCISES,
                         ids=[e.label for _, e in EXERCISES])
def test_exercise_follows_the_check_format(md, exercise):
    assert not exercise.problems, f"{exercise.where}: {exercise.problems}"
    assert exercise.check is not None, f"{exercise.where}: no check cell"
    names, problems = harness.check_call(exercise.check, exercise.label)
    assert not problems, f"{exercise.where}: {problems}"
    answers = lookup(exercise.label).answers
    missing = [a for a in answers if a not in names]
    assert not missing, f"{exercise.label}: the check cell does not pass {missing} by name"
    statement = _statements(md)[exercise.label]
    unnamed = [a for a in answers if f"`{a}`" not in statement]
    assert not unnamed, f"{exercise.label}: the exercise text never names {unnamed} in backticks"
    assert not harness.mutation_problems(exercise.metadata.get("mutations")), (
        f"{exercise.label}: {harness.mutation_problems(exercise.metadata.get('mutations'))}")
    streams = exercise.metadata.get("streams")
    assert streams is None or (isinstance(streams, int) and streams >= harness.MIN_STREAMS), (
        f"{exercise.label}: streams {streams!r} (at least {harness.MIN_STREAMS})")


def test_every_registered_check_belongs_to_an_exercise():
    # Checks registered by the tests themselves (toy chapters) are not the library's.
    labels = {exercise.label for _, exercise in EXERCISES}
    library = [e for e in registered() if e.function.__module__.startswith("bayesbook.exercises.")]
    orphans = sorted(e.label for e in library if e.label not in labels)
    assert not orphans, f"checks registered for exercises no chapter has: {orphans}"


# ---------------------------------------------------------------- the proof (slow)

def _prove(md: Path, out: Path) -> dict:
    report = out / f"{md.stem}.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "exercise_harness.py"), str(md),
         "--json", str(report)],
        capture_output=True, text=True, timeout=3600,
    )
    if not report.exists():
        return {"chapter": md.name, "ok": False, "error": done.stderr[-2000:],
                "exercises": [], "seconds": 0}
    return {**json.loads(report.read_text()), "output": done.stdout}


@pytest.fixture(scope="module")
def proofs(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("exercise_checks")
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        reports = list(pool.map(lambda md: _prove(md, out), CHAPTERS))
    return {md.stem: report for md, report in zip(CHAPTERS, reports, strict=True)}


@pytest.mark.slow
@pytest.mark.parametrize("md", CHAPTERS, ids=[md.stem for md in CHAPTERS])
def test_every_check_is_proven(proofs, md):
    report = proofs[md.stem]
    assert not report["error"], f"{md.name}: {report['error']}"
    assert not report.get("not_run"), f"{md.name}: not proved: {report['not_run']}"
    failed = {e["label"]: e for e in report["exercises"] if not e["ok"]}
    assert not failed, f"{md.name}:\n{report.get('output', '')}"
    assert report["ok"]
