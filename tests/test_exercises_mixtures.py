"""The expected values of chapter 6's exercise checks, each against a second computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bayesbook.checks import CheckFailed, NotAnswered
from bayesbook.exercises import check
from bayesbook.exercises import mixtures as ex


def test_ex1_loglik_against_a_direct_sum_with_the_far_point_by_hand():
    x = np.array(ex.EX1_DATA)
    near = x[:-1, None]
    dens = np.array(ex.EX1_WEIGHTS) * stats.norm.pdf(near, ex.EX1_MEANS, ex.EX1_SDS)
    total = np.log(dens.sum(axis=1)).sum()
    # At x = 60 the component at 2 (sd 1.5) dominates by e^-(~1400): its log term alone.
    total += math.log(0.7) - 0.5 * math.log(2 * math.pi * 1.5**2) - 0.5 * (58 / 1.5) ** 2
    assert ex.ex1_loglik() == pytest.approx(total, rel=1e-12)


def test_ex1_check_passes_the_answer_and_refuses_the_naive_sum():
    check("mix-ex1", loglik_ex1=ex.ex1_loglik())
    with pytest.raises(CheckFailed, match="NaN or infinite"):
        check("mix-ex1", loglik_ex1=-np.inf)
    with pytest.raises(NotAnswered, match="not answered yet"):
        check("mix-ex1", loglik_ex1=...)


def test_ex3_grid_against_importance_sampling_from_the_prior():
    rng = np.random.default_rng(3)
    n = 400_000
    x = np.array(ex.EX3_DATA)
    w = rng.random(n)[:, None]
    mu1 = rng.normal(0, ex.EX3_MU_SD, n)[:, None]
    mu2 = rng.normal(0, ex.EX3_MU_SD, n)[:, None]
    d1 = w * stats.norm.pdf(x, mu1, 1.0)
    d2 = (1 - w) * stats.norm.pdf(x, mu2, 1.0)
    log_lik = np.log(d1 + d2).sum(axis=1)
    weights = np.exp(log_lik - log_lik.max())
    weights /= weights.sum()
    r1 = d1 / (d1 + d2)
    matrix = np.einsum("n,ni,nj->ij", weights, r1, r1) + np.einsum(
        "n,ni,nj->ij", weights, 1 - r1, 1 - r1)
    np.fill_diagonal(matrix, 1.0)
    ess = 1 / np.sum(weights**2)
    # Entries lie in [0, 1]: their importance-sampling error is below 0.5 / sqrt(ESS).
    assert ess > 2000
    np.testing.assert_allclose(ex.ex3_grid_coclustering(), matrix, atol=4 * 0.5 / math.sqrt(ess))


def test_ex4_maximum_is_a_fixed_point_of_em():
    x, _ = stats.norm.rvs(size=(2, 80), random_state=4)
    x = np.concatenate([x - 1.5, x + 1.5])
    means, weights = ex.ex4_maximum(x)
    dens = weights * stats.norm.pdf(x[:, None], means, 1.0)
    r = dens / dens.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(r.mean(axis=0), weights, atol=1e-6)
    np.testing.assert_allclose((r * x[:, None]).sum(axis=0) / r.sum(axis=0), means, atol=1e-6)
    assert means[0] < means[1]


def test_ex5_predicted_error_for_independent_draws_is_that_of_a_coin():
    # With independent draws of theta, h = 1[z_i = z_j] is a coin with P = E[g]: the naive
    # estimator's error is sqrt(p (1 - p) / N), whatever the spread of g.
    rng = np.random.default_rng(5)
    chains, draws = 4, 5000
    r_i = rng.beta(2, 2, size=(chains, draws))
    r_j = rng.beta(3, 2, size=(chains, draws))
    resp = np.stack([np.stack([r_i, 1 - r_i], -1), np.stack([r_j, 1 - r_j], -1)], axis=2)
    g = r_i * r_j + (1 - r_i) * (1 - r_j)
    p = g.mean()
    expected = math.sqrt(p * (1 - p) / g.size)
    # The RB error inside the prediction is an ESS-based estimate: a few per cent.
    assert ex.ex5_expected_naive_mcse(resp, 0, 1) == pytest.approx(expected, rel=0.05)
