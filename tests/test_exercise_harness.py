"""The exercise harness (tools/exercise_harness.py) on fixture chapters.

``tests/fixtures/exercise_chapter`` holds three small chapters whose checks are registered
by ``harness_fixture_checks.py`` under a test-only label prefix: ``good.md`` (one
deterministic and one random exercise, every rule holds), ``bad.md`` (mutations that are
not caught, a stale replacement, a crashing mutation, a mutation without ``why``, one
caught on too few streams) and ``format.md`` (a check cell that breaks the format).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import exercise_harness as harness
import pytest
from conftest import REPO

FIXTURES = Path(__file__).parent / "fixtures" / "exercise_chapter"


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exercise_chapter")
    for path in FIXTURES.iterdir():
        if path.is_file():
            shutil.copy(path, folder / path.name)
    return folder


def _harness(chapter: Path, *extra: str) -> tuple[int, dict, str]:
    report = chapter.with_suffix(".json")
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "exercise_harness.py"), str(chapter),
         "--json", str(report), *extra],
        capture_output=True, text=True, timeout=600,
    )
    return done.returncode, json.loads(report.read_text()), done.stdout + done.stderr


@pytest.fixture(scope="module")
def good(fixture_dir):
    return _harness(fixture_dir / "good.md")


@pytest.fixture(scope="module")
def bad(fixture_dir):
    return _harness(fixture_dir / "bad.md")


def _exercise(report: dict, label: str) -> dict:
    return next(e for e in report["exercises"] if e["label"] == label)


def _mutation(exercise: dict, name: str) -> dict:
    return next(m for m in exercise["mutations"] if m["name"] == name)


# ---------------------------------------------------------------- whole chapters

def test_a_proven_chapter_passes(good):
    code, report, output = good
    assert code == 0, output
    assert report["ok"] and not report["error"]
    assert [e["label"] for e in report["exercises"]] == ["fix-ex1", "fix-ex2"]
    assert "every rule holds" in output


def test_deterministic_exercise_runs_once_per_mutation(good):
    ex1 = _exercise(good[1], "fix-ex1")
    assert ex1["streams"] == 0
    assert ex1["reference"]["good"] == ex1["reference"]["runs"] == 1
    assert ex1["unanswered"]["results"] == {"NotAnswered": 1}
    assert [(m["good"], m["runs"]) for m in ex1["mutations"]] == [(1, 1), (1, 1)]


def test_random_exercise_runs_on_twenty_streams(good):
    ex2 = _exercise(good[1], "fix-ex2")
    assert ex2["streams"] == 20
    assert ex2["reference"]["runs"] == 20 and ex2["reference"]["good"] >= 19
    for mutation in ex2["mutations"]:
        assert mutation["runs"] == 20 and mutation["results"] == {"CheckFailed": 20}


def test_later_cells_see_the_reference_answer(good):
    # good.md asserts `total == 55` after fix-ex1's mutations ran: a chapter error otherwise.
    assert good[1]["error"] == ""


def test_an_uncaught_mutation_fails_the_chapter(bad):
    code, report, output = bad
    assert code == 1 and not report["ok"]
    copied = _mutation(_exercise(report, "fix-ex1"), "copied")
    assert not copied["ok"] and copied["results"] == {"passed": 1}
    assert "FAIL copied" in output


def test_a_replacement_that_does_not_occur_is_an_error(bad):
    stale = _mutation(_exercise(bad[1], "fix-ex1"), "stale replacement")
    assert not stale["ok"] and stale["runs"] == 0
    assert "'range(0, 11)' occurs 0 times" in stale["error"]


def test_a_crashing_mutation_is_not_caught(bad):
    crash = _mutation(_exercise(bad[1], "fix-ex1"), "a crash")
    assert not crash["ok"] and crash["results"] == {"crashed: NameError": 1}


def test_a_mutation_without_why_is_a_format_failure(bad):
    ex1 = _exercise(bad[1], "fix-ex1")
    assert "mutation 4 has no 'why'" in ex1["problems"]


def test_a_mutation_caught_on_too_few_streams_fails(bad):
    ex2 = _exercise(bad[1], "fix-ex2")
    shifted = _mutation(ex2, "a slightly shifted mean")
    assert shifted["runs"] == 20 and shifted["good"] < 19 and not shifted["ok"]
    assert _mutation(ex2, "uniform draws")["ok"]
    assert ex2["reference"]["ok"] and not ex2["ok"]


def test_format_rules(fixture_dir):
    code, report, _ = _harness(fixture_dir / "format.md")
    assert code == 1
    problems = " | ".join(_exercise(report, "fix-ex1")["problems"])
    assert "at least 20 streams" in problems
    assert "at least 2 plausible wrong answers" in problems
    assert 'without its own label: check("fix-ex1"' in problems


def test_streams_cap_and_label(fixture_dir):
    code, report, _ = _harness(fixture_dir / "good.md", "--label", "fix-ex2",
                               "--streams-cap", "3")
    assert code == 0
    (ex2,) = report["exercises"]
    assert ex2["label"] == "fix-ex2" and ex2["reference"]["runs"] == 3


def test_an_unknown_label_is_a_usage_error(fixture_dir):
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "exercise_harness.py"),
         str(fixture_dir / "good.md"), "--label", "fix-ex9"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2 and "has no exercise 'fix-ex9'" in done.stderr


# ---------------------------------------------------------------- the pieces

def test_chapter_exercises_reads_solution_and_check_cells():
    (ex1, ex2) = harness.chapter_exercises(FIXTURES / "good.md")
    assert ex1.label == "fix-ex1" and ex1.solution == ("total = sum(range(1, 11))",)
    assert ex1.check == 'check("fix-ex1", total=total)'
    assert [m["name"] for m in ex1.metadata["mutations"]] == [
        "off by one", "the count instead of the sum"]
    assert ex2.metadata["streams"] == 20 and len(ex2.before) == 1


def test_apply_replacements_needs_exactly_one_occurrence():
    cells = ("a = 1\n", "b = a + 1\n")
    assert harness.apply_replacements(cells, [["a + 1", "a - 1"]]) == ["a = 1\n", "b = a - 1\n"]
    with pytest.raises(ValueError, match="occurs 2 times"):
        harness.apply_replacements(cells, [["a", "c"]])
    with pytest.raises(ValueError, match="occurs 0 times"):
        harness.apply_replacements(cells, [["z", "c"]])


@pytest.mark.parametrize(("source", "problem"), [
    ('check("x-ex1", a=a)\nprint(1)', "one statement"),
    ('print(check("x-ex1", a=a))', "one statement"),
    ('check("x-ex2", a=a)', "without its own label"),
    ("check(a=a)", "without its own label"),
    ('check("x-ex1", **answers)', "passes **kwargs"),
    ("check(", "not valid Python"),
])
def test_check_call_problems(source, problem):
    _, problems = harness.check_call(source, "x-ex1")
    assert any(problem in p for p in problems), problems


def test_check_call_names():
    names, problems = harness.check_call('check("x-ex1", a=a, data=data)', "x-ex1")
    assert names == ["a", "data"] and problems == []


def test_mutation_problems():
    good = [{"name": "n", "why": "w", "append": "x = 1"},
            {"name": "m", "why": "v", "replace": [["a", "b"]]}]
    assert harness.mutation_problems(good) == []
    assert "at least 2" in harness.mutation_problems(good[:1])[0]
    assert "at least 2" in harness.mutation_problems(None)[0]
    bad = [{"name": "n", "why": "w"}, {"name": "m", "why": "v", "replace": ["a", "b"]}]
    problems = harness.mutation_problems(bad)
    assert "neither 'replace' nor 'append'" in problems[0]
    assert "list of [old, new]" in problems[1]


def test_stream_seeds_avoid_the_chapters_seeds():
    seeds = harness.stream_seeds(5, "rng = np.random.default_rng(1002)\ndefault_rng( 1004 )")
    assert seeds == [1001, 1003, 1005, 1006, 1007]


def test_the_kernel_gets_the_callers_environment_and_the_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("EXERCISE_HARNESS_PROBE", "kept")
    kernel = harness.Kernel(tmp_path, timeout=60)
    try:
        run = kernel.run("import os\nprint(os.environ.get('EXERCISE_HARNESS_PROBE'), "
                         "os.environ.get('BAYESBOOK_BUILD'), os.getcwd())")
    finally:
        kernel.close()
    assert run.stdout.split() == ["kept", "1", str(tmp_path)]
