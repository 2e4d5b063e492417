"""The exercise-check registry (bayesbook.exercises): lookup, answers, "not answered yet"."""

from __future__ import annotations

import pytest

from bayesbook import exercises
from bayesbook.checks import CheckFailed, NotAnswered, require, require_close


def test_unknown_labels_are_refused_with_the_expected_form():
    with pytest.raises(ValueError, match="unknown exercise label 'nope'"):
        exercises.lookup("nope")
    with pytest.raises(ValueError, match="unknown exercise label 'zz-ex1'"):
        exercises.lookup("zz-ex1")


def test_an_exercise_needs_an_answer_name():
    with pytest.raises(ValueError, match="at least one answer name"):
        exercises.exercise("demo-ex1", answers=())


def test_check_says_not_answered_yet_and_prints_correct_only_after_every_part(capsys):
    calls = []

    @exercises.exercise("mh-ex99", answers=("a", "b"))
    def _demo(a, b, data=None):
        calls.append(data)
        require_close("mh-ex99", a, 1.0, what="a")
        require("mh-ex99", b == 2, "b is not two.")

    with pytest.raises(NotAnswered, match="mh-ex99: not answered yet — put your answer in `b`"):
        exercises.check("mh-ex99", a=1.0, b=...)
    with pytest.raises(CheckFailed, match="mh-ex99: b is not two."):
        exercises.check("mh-ex99", a=1.0, b=3)
    assert "correct" not in capsys.readouterr().out
    exercises.check("mh-ex99", a=1.0, b=2, data="context")
    assert capsys.readouterr().out == "✓ mh-ex99: correct.\n"
    assert calls[-1] == "context"
    with pytest.raises(TypeError, match="needs the answer 'b'"):
        exercises.check("mh-ex99", a=1.0)
    exercises._REGISTRY.pop("mh-ex99")


def test_not_answered_and_failed_are_assertion_errors_that_graders_can_tell_apart():
    assert issubclass(NotAnswered, AssertionError) and issubclass(CheckFailed, AssertionError)
    assert not issubclass(NotAnswered, CheckFailed)
