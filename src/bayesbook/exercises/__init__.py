"""Exercise checks: one ``check(label, **answers)`` per exercise, answers hidden from view.

A chapter's check cell is one call::

    check("mh-ex1", tuned_step=tuned_step)

``check`` finds the exercise's check function by its label (the prefix before ``-ex``
names the module of this package that holds the chapter's checks), and

* raises :class:`~bayesbook.checks.NotAnswered` ("not answered yet") when any answer is
  still ``...`` (the student edition's answer cells start as ``name = ...``) or ``None``;
* raises :class:`~bayesbook.checks.CheckFailed` with one sentence saying what is wrong;
* prints ``✓ <label>: correct.`` only after every part of the check has passed.

The expected values are computed inside the chapter's module here (closed forms, exact
enumeration, scipy), so a check cell shows which answer is checked but not the answer.

Writing a check: in ``bayesbook/exercises/<module>.py``::

    from bayesbook.exercises import exercise
    from bayesbook.checks import require_close

    @exercise("mh-ex1", answers=("tuned_step",))
    def _mh_ex1(tuned_step):
        require_close("mh-ex1", acceptance_at(tuned_step), 0.44, atol=0.015,
                      what="the acceptance rate at your step size")

Keyword arguments of ``check`` that are not listed in ``answers`` are context (data the
chapter defined that the check needs); they are passed on but never count as answers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bayesbook.checks import NotAnswered

#: Exercise-label prefix -> module of this package holding that chapter's checks.
MODULES: dict[str, str] = {
    "bayes": "bayes",
    "mle": "mle",
    "mc": "markov",
    "mh": "metropolis",
    "gibbs": "gibbs",
    "mix": "mixtures",
    "vi": "vi",
    "ae": "autoencoders",
    "rbm": "boltzmann",
    "template": "template",  # the exercise of tools/templates/chapter.md
}


@dataclass(frozen=True)
class Exercise:
    """A registered check: its label, the names of its answers, and the function."""

    label: str
    answers: tuple[str, ...]
    function: Callable[..., None]


_REGISTRY: dict[str, Exercise] = {}


def exercise(label: str, *, answers: tuple[str, ...]) -> Callable[[Callable], Callable]:
    """Register ``function`` as the check of exercise ``label`` with answer names ``answers``."""
    if not answers:
        raise ValueError(f"{label}: an exercise needs at least one answer name")

    def register(function: Callable[..., None]) -> Callable[..., None]:
        if label in _REGISTRY and _REGISTRY[label].function is not function:
            raise ValueError(f"{label}: two checks are registered under this label")
        _REGISTRY[label] = Exercise(label, tuple(answers), function)
        return function

    return register


def _module_for(label: str) -> str:
    prefix, sep, number = label.partition("-ex")
    if not sep or not number.isdigit() or prefix not in MODULES:
        known = ", ".join(f"{p}-exN" for p in MODULES)
        raise ValueError(f"unknown exercise label {label!r}: expected one of {known}")
    return f"{__name__}.{MODULES[prefix]}"


def _import(module: str) -> None:
    """Import a chapter's check module; a chapter without one yet has no checks."""
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise


def lookup(label: str) -> Exercise:
    """The registered exercise ``label`` (importing its chapter's module on first use)."""
    _import(_module_for(label))
    try:
        return _REGISTRY[label]
    except KeyError:
        raise ValueError(f"no check is registered for exercise {label!r}") from None


def registered(prefix: str | None = None) -> list[Exercise]:
    """Every registered exercise (of one chapter prefix, or all), importing the modules."""
    prefixes = [prefix] if prefix is not None else list(MODULES)
    for p in prefixes:
        if p not in MODULES:
            raise ValueError(f"unknown chapter prefix {p!r}: expected one of {sorted(MODULES)}")
        _import(f"{__name__}.{MODULES[p]}")
    return [e for e in _REGISTRY.values() if prefix is None or e.label.startswith(f"{prefix}-ex")]


def _unanswered(value: Any) -> bool:
    return value is Ellipsis or value is None


def check(label: str, **answers: Any) -> None:
    """Check the answers to exercise ``label``; print "correct" only when every part passes."""
    entry = lookup(label)
    missing = [name for name in entry.answers if name not in answers]
    if missing:
        raise TypeError(f"{label}: the check needs the answer {missing[0]!r}; pass it by name")
    unanswered = [name for name in entry.answers if _unanswered(answers[name])]
    if unanswered:
        names = ", ".join(f"`{name}`" for name in unanswered)
        raise NotAnswered(
            f"{label}: not answered yet — put your answer in {names} in the cell above and run it."
        )
    entry.function(**answers)
    print(f"✓ {label}: correct.")


__all__ = ["MODULES", "Exercise", "check", "exercise", "lookup", "registered"]
