"""Expected values of chapters 3-5's exercise checks against a second computation.

The checks in ``bayesbook.exercises.{markov,metropolis,gibbs}`` compute expected values by
one route; these tests recompute the non-trivial ones by another (closed forms, the
library's own independent routine, quadrature on a grid).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from bayesbook import markov
from bayesbook.checks import CheckFailed
from bayesbook.exercises import check
from bayesbook.exercises import gibbs as gibbs_checks
from bayesbook.exercises import markov as markov_checks
from bayesbook.exercises import metropolis as mh_checks


def test_ring_mixing_times_match_the_library():
    for n, t in zip(markov_checks.RING_SIZES, markov_checks._ring_mixing_times(), strict=True):
        eye = np.eye(n)
        ring = 0.5 * (np.roll(eye, 1, axis=0) + np.roll(eye, -1, axis=0))
        assert markov.mixing_time(markov.lazy(ring), 0.25) == t


@pytest.mark.parametrize(("s", "sigma"), [(0.5, 1.0), (2.4, 1.0), (4.8, 2.0), (10.0, 0.5)])
def test_stationary_acceptance_matches_the_closed_form(s, sigma):
    # (2 / pi) arctan(2 sigma / s): the wedge argument of mh-ex2; grid error about 5e-5.
    closed = 2 / np.pi * np.arctan(2 * sigma / s)
    assert abs(mh_checks.stationary_acceptance(s, sigma) - closed) < 2e-4


def test_mixture_mean_abs_matches_folded_normal_moments():
    # E|X| for X ~ N(m, s^2): s sqrt(2/pi) exp(-m^2 / 2 s^2) + m (1 - 2 Phi(-m / s)).
    s = mh_checks.MODE_SD
    expected = sum(
        w * (s * np.sqrt(2 / np.pi) * np.exp(-(m**2) / (2 * s**2))
             + m * (1 - 2 * stats.norm.cdf(-m / s)))
        for w, m in mh_checks.MODES
    )
    assert abs(mh_checks._mixture_mean_abs() - expected) < 1e-8


def test_co_clustering_probability_by_quadrature_over_the_means():
    # P(z1 = z2 | x) = E[ sum_k r_1k r_2k | x ], the expectation over p(mu1, mu2 | x) on a
    # grid (prior N(0, 2^2) each, equal weights, unit sds), against the enumeration.
    x = np.array(gibbs_checks.EX5_POINTS)
    grid = np.linspace(-9.0, 9.0, 721)
    m1, m2 = np.meshgrid(grid, grid, indexing="ij")
    lik = np.stack([stats.norm.pdf(xi, np.stack([m1, m2]), 1.0) for xi in x])  # (N, 2, G, G)
    log_post = (stats.norm.logpdf(m1, 0, gibbs_checks.EX5_PRIOR_SD)
                + stats.norm.logpdf(m2, 0, gibbs_checks.EX5_PRIOR_SD)
                + np.log(lik.sum(axis=1)).sum(axis=0))
    weight = np.exp(log_post - log_post.max())
    resp = lik[:2] / lik[:2].sum(axis=1, keepdims=True)
    together = (resp[0] * resp[1]).sum(axis=0)
    by_grid = integrate.trapezoid(integrate.trapezoid(weight * together, grid), grid) / (
        integrate.trapezoid(integrate.trapezoid(weight, grid), grid))
    assert abs(gibbs_checks._ex5_exact() - by_grid) < 1e-6


def test_iat_by_sum_matches_the_closed_form():
    # Systematic scan on a standard bivariate Gaussian: tau = (1 + rho^2) / (1 - rho^2).
    rho = gibbs_checks.EX3_RHO
    assert abs(gibbs_checks._ex3_expected()[0] - (1 + rho**2) / (1 - rho**2)) < 1e-9


def test_checks_accept_right_and_reject_wrong_answers(capsys):
    check("mc-ex1", pi_ex1=np.array([15, 20, 12]) / 47)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="pi_ex1"):
        check("mc-ex1", pi_ex1=np.array([15, 20, 12]) / 40)
    rho = 0.9
    check("gibbs-ex2", wrong_variance=1 / (1 - rho**2), wrong_correlation=rho)
    with pytest.raises(CheckFailed, match="stationary variance"):
        check("gibbs-ex2", wrong_variance=1.0, wrong_correlation=rho)
    closed = 2 * 2.0 / np.tan(0.22 * np.pi)
    check("mh-ex1", tuned_step=closed)
    with pytest.raises(CheckFailed, match="acceptance rate"):
        check("mh-ex1", tuned_step=2.38)
