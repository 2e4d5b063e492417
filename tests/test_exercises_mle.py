"""Checks of chapter 2's exercises: expected values against a second computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import expit

from bayesbook.energy import IsingModel
from bayesbook.exercises import mle as answers
from bayesbook.exercises import registered


def test_every_chapter_2_exercise_is_registered():
    assert sorted(e.label for e in registered("mle")) == [f"mle-ex{i}" for i in range(1, 7)]


def test_wald_coverage_matches_a_numerical_integral_over_the_rate_estimate():
    # The density of S ~ Gamma(n, rate) integrated over the S whose interval covers the rate.
    n, rate = 20, 2.0
    c = 1.96 / np.sqrt(n)
    density = stats.gamma(a=n, scale=1 / rate).pdf
    expected, _ = integrate.quad(density, n * (1 - c) / rate, n * (1 + c) / rate,
                                 epsabs=1e-13)
    assert answers._wald_coverage(n, rate) == pytest.approx(expected, abs=1e-10)


def test_enumerated_conditional_is_the_logistic_of_twice_the_field():
    rng = np.random.default_rng(5)
    upper = np.triu(rng.normal(0, 0.5, (5, 5)), 1)
    model = IsingModel(rng.normal(0, 0.5, 5), upper + upper.T)
    state = np.array([1.0, -1.0, 1.0, 1.0, -1.0])
    field = model.biases[0] + model.couplings[0] @ state
    got = answers._conditional_by_enumeration(
        tuple(model.biases), tuple(map(tuple, model.couplings)), tuple(state))
    assert got == pytest.approx(expit(2 * field), rel=1e-12)


def test_likelihood_ratio_coverage_matches_root_finding():
    # The Lambert-W roots against brentq on 2n (r - 1 - log r) = chi2_{1, 0.95}.
    from scipy import optimize

    n, rate = 20, 2.0
    threshold = stats.chi2(1).ppf(0.95)

    def gap(r):
        return 2 * n * (r - 1 - np.log(r)) - threshold

    low, high = optimize.brentq(gap, 1e-6, 1, xtol=1e-14), optimize.brentq(gap, 1, 10, xtol=1e-14)
    total = stats.gamma(a=n, scale=1 / rate)
    expected = total.cdf(n * high / rate) - total.cdf(n * low / rate)
    assert answers._likelihood_ratio_coverage(n, rate) == pytest.approx(expected, abs=1e-10)
