"""Checks of the exercises of chapter 1, Bayes' theorem (``book/01_bayes.md``).

Each check computes its expected value another way than the reference solution does:
exact rational arithmetic for the screening questions, Bayes' rule applied test by test,
the conjugate Beta density for the grid posteriors and Beta functions for the evidence.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from scipy import special, stats

from bayesbook.bayes import posterior
from bayesbook.checks import require, require_close
from bayesbook.exercises import exercise

#: The chapter's screening test: prevalence, sensitivity, false-positive rate.
PREVALENCE, SENSITIVITY, FALSE_POSITIVE = Fraction(4, 1000), Fraction(8, 10), Fraction(1, 10)


def _posterior_given_positive(
    prevalence: float, sensitivity: float, false_positive: float
) -> float:
    true_alarm = sensitivity * prevalence
    return true_alarm / (true_alarm + false_positive * (1 - prevalence))


@exercise("bayes-ex1", answers=("p_cancer_negative",))
def _negative_result(p_cancer_negative: Any) -> None:
    # Exact rational arithmetic on the joint table p(status, -).
    sick_negative = PREVALENCE * (1 - SENSITIVITY)
    healthy_negative = (1 - PREVALENCE) * (1 - FALSE_POSITIVE)
    expected = float(sick_negative / (sick_negative + healthy_negative))
    require_close("bayes-ex1", p_cancer_negative, expected, rtol=1e-6, what="p(cancer | -)")


@exercise("bayes-ex2", answers=("sensitivity_needed", "false_positive_needed"))
def _test_quality(sensitivity_needed: Any, false_positive_needed: Any) -> None:
    # Properties: each answer, put back into Bayes' theorem, gives a posterior of one half.
    label = "bayes-ex2"
    require_close(label, _posterior_given_positive(0.004, sensitivity_needed, 0.1), 0.5,
                  rtol=1e-9, what="the posterior with sensitivity_needed")
    require(label, float(sensitivity_needed) > 1,
            "sensitivity_needed should come out above one, which is the point of the question "
            "(do not cap it at one).")
    require_close(label, _posterior_given_positive(0.004, 0.8, false_positive_needed), 0.5,
                  rtol=1e-9, what="the posterior with false_positive_needed")


@exercise("bayes-ex3", answers=("posteriors_after_n", "n_for_99"))
def _repeated_positives(posteriors_after_n: Any, n_for_99: Any) -> None:
    # Bayes' rule applied test by test, the posterior after each test the next prior.
    belief = np.array([0.996, 0.004])
    sequential = []
    for _ in range(6):
        belief = posterior(belief, [0.1, 0.8])
        sequential.append(belief[1])
    label = "bayes-ex3"
    require_close(label, posteriors_after_n, np.array(sequential), rtol=1e-9,
                  what="posteriors_after_n (probabilities of disease after 1, ..., 6 positives)")
    first_enough = 1 + int(np.argmax(np.array(sequential) >= 0.99))
    require_close(label, n_for_99, first_enough, rtol=0, what="n_for_99")


@exercise("bayes-ex4", answers=("people_needed",))
def _simulation_size(people_needed: Any) -> None:
    # Property: the standard error is at most 0.0005 for people_needed and above it for one
    # fewer, in exact rational arithmetic (no rounding at the boundary).
    label = "bayes-ex4"
    require(label, np.ndim(people_needed) == 0 and float(people_needed).is_integer(),
            "people_needed should be one whole number.")
    evidence = SENSITIVITY * PREVALENCE + FALSE_POSITIVE * (1 - PREVALENCE)
    p = SENSITIVITY * PREVALENCE / evidence
    target = Fraction(5, 10_000) ** 2

    def variance(n: int) -> Fraction:
        return p * (1 - p) / (n * evidence)

    n = int(people_needed)
    require(label, n > 1 and variance(n) <= target,
            "with people_needed the standard error is still above 0.0005.")
    require(label, variance(n - 1) > target,
            "people_needed is not the smallest population that is large enough.")


def _beta_on_grid(theta: np.ndarray, a: float, b: float) -> np.ndarray:
    return stats.beta(a, b).pdf(theta)


@exercise("bayes-ex5", answers=("first_density", "sequential_density"))
def _sequential_grid(first_density: Any, sequential_density: Any, *, theta: Any,
                     flips: Any) -> None:
    # The conjugate Beta(2 + k, 2 + n - k) densities. The integrands vanish at both ends
    # with many of their derivatives, so the trapezoidal rule's error is far below its
    # O(h^2) worst case (Euler-Maclaurin): measured about 1e-13 here; allow 1e-9.
    grid = np.asarray(theta, dtype=float)
    heads = np.asarray(flips, dtype=bool)
    k_first = int(heads[:15].sum())
    label = "bayes-ex5"
    require_close(label, first_density, _beta_on_grid(grid, 2 + k_first, 2 + 15 - k_first),
                  rtol=1e-9, atol=1e-9, what="first_density (the posterior after 15 flips)")
    k_all, n_all = int(heads.sum()), heads.size
    require_close(label, sequential_density, _beta_on_grid(grid, 2 + k_all, 2 + n_all - k_all),
                  rtol=1e-9, atol=1e-9, what="sequential_density")


def _log_bayes_factor(heads: int, n_flips: int, a: float, b: float) -> float:
    """log p(D | M1) - log p(D | M0) for a Beta(a, b) prior; the binomial coefficient cancels."""
    return float(special.betaln(a + heads, b + n_flips - heads) - special.betaln(a, b)
                 - n_flips * np.log(0.5))


@exercise("bayes-ex6", answers=("log_bayes_factor", "log_bayes_factors_other"))
def _bayes_factor(log_bayes_factor: Any, log_bayes_factors_other: Any, *, heads: Any,
                  n_flips: Any) -> None:
    # Closed forms through the Beta function; the grid's trapezoidal error for the uniform
    # prior is about 1e-15 (integrand vanishing to high order at both ends), so 1e-8.
    k, n = int(heads), int(n_flips)
    label = "bayes-ex6"
    require_close(label, log_bayes_factor, _log_bayes_factor(k, n, 1.0, 1.0), rtol=0,
                  atol=1e-8, what="the log Bayes factor with the uniform prior")
    others = np.array([_log_bayes_factor(k, n, 20.0, 20.0), _log_bayes_factor(k, n, 0.5, 0.5)])
    require_close(label, log_bayes_factors_other, others, rtol=0, atol=1e-8,
                  what="log_bayes_factors_other (Beta(20, 20), then Beta(0.5, 0.5))")
