"""Checks of chapter 1's exercises: expected values against a second computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bayesbook.checks import CheckFailed
from bayesbook.exercises import bayes as answers
from bayesbook.exercises import check, registered


def test_every_chapter_1_exercise_is_registered():
    # Only the chapter's own module counts (other tests register toy checks of their own).
    labels = sorted(e.label for e in registered("bayes")
                    if e.function.__module__ == "bayesbook.exercises.bayes")
    assert labels == [f"bayes-ex{i}" for i in range(1, 7)]


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (20.0, 20.0), (0.5, 0.5)])
def test_log_bayes_factor_is_the_beta_binomial_evidence_ratio(a, b):
    # The evidence of M1 is the beta-binomial pmf; that of M0 the binomial pmf at one half.
    expected = stats.betabinom.logpmf(18, 40, a, b) - stats.binom.logpmf(18, 40, 0.5)
    assert answers._log_bayes_factor(18, 40, a, b) == pytest.approx(expected, abs=1e-12)


def test_uniform_prior_evidence_is_one_over_n_plus_one():
    expected = -np.log(41) - stats.binom.logpmf(18, 40, 0.5)
    assert answers._log_bayes_factor(18, 40, 1.0, 1.0) == pytest.approx(expected, abs=1e-12)


def test_people_needed_is_the_rounded_up_closed_form(capsys):
    p_plus = 0.8 * 0.004 + 0.1 * 0.996
    p = 0.8 * 0.004 / p_plus
    n = p * (1 - p) / (0.0005**2 * p_plus)          # 1,173,518.6...
    check("bayes-ex4", people_needed=int(np.ceil(n)))
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="not the smallest"):
        check("bayes-ex4", people_needed=int(np.ceil(n)) + 1)
    with pytest.raises(CheckFailed, match="still above"):
        check("bayes-ex4", people_needed=int(n))
