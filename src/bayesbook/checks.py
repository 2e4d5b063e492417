"""Check cells for exercises: say whether an answer is right, in one sentence, without
printing the answer.

A check cell follows every exercise's solution. In the book it proves the solution right;
in the student edition it tells the student whether *their* answer is. Checks compare with
an independent computation or test a property, and a failing check raises ``AssertionError``
with one sentence saying what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _missing(value: Any) -> bool:
    return value is Ellipsis or value is None


class CheckFailed(AssertionError):
    """An exercise answer is wrong; the message says what is wrong in one sentence."""


class NotAnswered(AssertionError):
    """An exercise has not been answered yet (its answer is still ``...``)."""


def _fail(message: str) -> None:
    raise CheckFailed(message)


def _passed(label: str) -> None:
    print(f"✓ {label}: correct.")


def require_close(
    label: str,
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
    what: str = "your answer",
) -> None:
    """Raise :class:`CheckFailed` unless ``answer`` equals ``expected`` within tolerance.

    Like :func:`check_close` but prints nothing: for one part of a several-part check
    (``bayesbook.exercises``), which prints "correct" only when every part has passed.

    Parameters
    ----------
    label : str
        The exercise label, e.g. ``"bayes-ex1"``, which starts every failure message.
    answer : array-like
        The student's answer (``...`` or ``None`` means "not answered yet").
    expected : array-like
        The value computed another way; it is never printed.
    rtol, atol : float
        Relative and absolute tolerance, as in ``numpy.isclose``.
    what : str
        A short description of the answer, used in the failure message.
    """
    if _missing(answer):
        raise NotAnswered(f"{label}: not answered yet — put {what} in the cell above and run it.")
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        kind = type(answer).__name__
        _fail(f"{label}: {what} should be a number or an array of numbers, got {kind}.")
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        _fail(f"{label}: {what} should have shape {want.shape}, but it has shape {got.shape}.")
    if not np.all(np.isfinite(got)):
        _fail(f"{label}: {what} contains NaN or infinite values.")
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        if got.size == 1:
            direction = "too large" if got.item() > want.item() else "too small"
            _fail(f"{label}: {what} is {direction}.")
        n_off = int(np.sum(~np.isclose(got, want, rtol=rtol, atol=atol)))
        _fail(f"{label}: {n_off} of {got.size} entries of {what} are not right.")


def check_close(
    label: str,
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
    what: str = "your answer",
) -> None:
    """Check that ``answer`` equals ``expected`` within tolerance, elementwise, and print
    "✓ <label>: correct." when it does. The parameters are :func:`require_close`'s.
    """
    require_close(label, answer, expected, rtol=rtol, atol=atol, what=what)
    _passed(label)


def require(label: str, condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition``; prints nothing."""
    if not bool(condition):
        _fail(f"{label}: {message}")


def check_true(label: str, condition: bool, message: str) -> None:
    """Check a property of an answer; ``message`` says in one sentence what is wrong."""
    if not bool(condition):
        _fail(f"{label}: {message}")
    _passed(label)


def check_all(label: str, checks: list[tuple[Callable[[], bool], str]]) -> None:
    """Run several property checks in order; the first that fails is reported.

    Each item is ``(predicate, message)``; ``predicate()`` returns a bool and ``message``
    says what is wrong when it is False. Predicates are called lazily, so later checks
    may assume earlier ones passed.
    """
    for predicate, message in checks:
        if not bool(predicate()):
            _fail(f"{label}: {message}")
    _passed(label)
