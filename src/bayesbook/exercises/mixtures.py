"""Checks of chapter 6's exercises (mixture models and marginalization), labels ``mix-exN``.

Every expected value is computed another way than the chapter's solution: SciPy's log
densities for the hand-written log-sum-exp (mix-ex1), properties of the posterior draws the
student passes (mix-ex2), a grid integral of the six-point posterior (mix-ex3), a
Nelder–Mead maximum of the likelihood (mix-ex4), and the law of total variance for the
Monte Carlo error of sampled labels (mix-ex5).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import arviz as az
import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special, stats

from bayesbook.checks import require, require_close
from bayesbook.exercises import exercise
from bayesbook.mixtures import coclustering_estimate

#: The data and mixture of mix-ex1, as the exercise states them.
EX1_DATA = (-3.0, -0.5, 0.2, 1.8, 60.0)
EX1_WEIGHTS, EX1_MEANS, EX1_SDS = (0.3, 0.7), (-1.0, 2.0), (0.5, 1.5)

#: The six points of mix-ex3, and the prior of ``mixture_model`` (means N(0, 3^2), unit scale).
EX3_DATA = (-2.4, -2.0, -0.3, 0.4, 2.1, 2.6)
EX3_MU_SD = 3.0


@cache
def ex1_loglik() -> float:
    """Total log-likelihood of mix-ex1's data, from SciPy's normal log density and logsumexp."""
    x = np.array(EX1_DATA)[:, None]
    terms = np.log(EX1_WEIGHTS) + stats.norm.logpdf(x, EX1_MEANS, EX1_SDS)
    return float(special.logsumexp(terms, axis=1).sum())


@exercise("mix-ex1", answers=("loglik_ex1",))
def _mix_ex1(loglik_ex1: float) -> None:
    require_close("mix-ex1", loglik_ex1, ex1_loglik(), rtol=1e-9, what="the log-likelihood")


@exercise("mix-ex2", answers=("idata_three", "rhat_three", "means_three"))
def _mix_ex2(idata_three: Any, rhat_three: float, means_three: Any) -> None:
    label = "mix-ex2"
    posterior = getattr(idata_three, "posterior", None)
    require(label, posterior is not None and "mu" in posterior,
            "idata_three should be the InferenceData that pm.sample returned.")
    mu = np.asarray(posterior["mu"].values, dtype=float)
    require(label, mu.ndim == 3 and mu.shape[-1] == 3 and mu.shape[0] >= 4,
            "idata_three should hold at least four chains of three means: fit "
            "mixture_model(x, 3).")
    require(label, not np.all(np.diff(mu, axis=-1) > 0),
            "the means are in increasing order in every draw: the exercise asks for the "
            "unordered model.")
    largest = float(np.max(az.rhat(idata_three, var_names=["mu"])["mu"].values))
    require_close(label, rhat_three, largest, rtol=1e-9,
                  what="rhat_three (the largest R-hat of the three means)")
    require_close(label, means_three, mu.mean(axis=(0, 1)), rtol=1e-9, atol=1e-12,
                  what="means_three (the posterior means of the three means, over all chains)")


@cache
def ex3_grid_coclustering() -> NDArray[np.float64]:
    """Co-clustering matrix of mix-ex3 by integrating (w, mu1, mu2) on a grid.

    w (the weight of component 1) has a uniform prior, midpoint rule on 40 cells; each mean
    a N(0, 3^2) prior on 113 nodes over [-7, 7], wide enough that the posterior mass outside
    is negligible for data within ±2.6.
    """
    x = np.array(EX3_DATA)
    w_grid = (np.arange(40) + 0.5) / 40
    mu_grid = np.linspace(-7.0, 7.0, 113)
    w, m1, m2 = np.meshgrid(w_grid, mu_grid, mu_grid, indexing="ij")
    dens1 = w[..., None] * stats.norm.pdf(x, m1[..., None], 1.0)
    dens2 = (1 - w[..., None]) * stats.norm.pdf(x, m2[..., None], 1.0)
    log_post = (np.log(dens1 + dens2).sum(axis=-1) + stats.norm.logpdf(m1, 0, EX3_MU_SD)
                + stats.norm.logpdf(m2, 0, EX3_MU_SD))
    post = np.exp(log_post - log_post.max())
    post /= post.sum()
    r1 = dens1 / (dens1 + dens2)
    matrix = (np.einsum("abc,abci,abcj->ij", post, r1, r1)
              + np.einsum("abc,abci,abcj->ij", post, 1 - r1, 1 - r1))
    np.fill_diagonal(matrix, 1.0)  # a point always shares its own component
    return matrix


@exercise("mix-ex3", answers=("coclust_ex3",))
def _mix_ex3(coclust_ex3: Any) -> None:
    # Each per-draw value lies in [0, 1], so its sd is at most 1/2; with an effective sample
    # size of at least 1000 (4 x 1000 draws of a well-mixing run) the Monte Carlo error is
    # below 0.016, and we allow four times that. The plug-in mistakes miss by 0.2 or more.
    require_close("mix-ex3", coclust_ex3, ex3_grid_coclustering(), atol=0.064, rtol=0,
                  what="the co-clustering matrix")


@cache
def _ex4_maximum(data: bytes) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = np.frombuffer(data, dtype=float)

    def negative_loglik(params: NDArray[np.float64]) -> float:
        weight = special.expit(params[0])
        terms = np.log([weight, 1 - weight]) + stats.norm.logpdf(x[:, None], params[1:], 1.0)
        return -float(special.logsumexp(terms, axis=1).sum())

    best = None
    # Several starts (means at the data's quartiles, weights either side of one half), so
    # the maximum does not depend on where EM started.
    low, high = np.quantile(x, [0.25, 0.75])
    for logit_w in (-1.0, 0.0, 1.0):
        fit = optimize.minimize(negative_loglik, [logit_w, low, high], method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 40_000})
        if best is None or fit.fun < best.fun:
            best = fit
    order = np.argsort(best.x[1:])
    weight = special.expit(best.x[0])
    return best.x[1:][order], np.array([weight, 1 - weight])[order]


def ex4_maximum(x: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Means (increasing) and weights at the maximum of the two-component likelihood of ``x``."""
    return _ex4_maximum(np.ascontiguousarray(x, dtype=float).tobytes())


@exercise("mix-ex4", answers=("em_means", "em_weights"))
def _mix_ex4(em_means: Any, em_weights: Any, *, x: Any) -> None:
    means, weights = ex4_maximum(x)
    require_close("mix-ex4", em_means, means, rtol=0, atol=2e-3,
                  what="em_means (the means at the maximum of the likelihood, increasing)")
    require_close("mix-ex4", em_weights, weights, rtol=0, atol=2e-3,
                  what="em_weights (the weights of those means)")


def ex5_expected_naive_mcse(resp: Any, i: int, j: int) -> float:
    """Monte Carlo error of the sampled-label estimate of P(z_i = z_j), predicted.

    Given each draw theta the two labels are drawn independently of everything else, so the
    indicator h = 1[z_i = z_j] is g(theta) = sum_k r_ik r_jk plus noise that is uncorrelated
    across draws, with variance g(1 - g). Its lag >= 1 autocovariances are those of g, and
    its asymptotic variance is that of g plus E[g(1 - g)]: the squared MCSE of the naive
    estimate is the Rao-Blackwellized one's plus mean(g(1 - g)) / (number of draws).
    """
    estimate = coclustering_estimate(resp, i, j)
    g = estimate.per_draw
    return float(np.sqrt(estimate.mcse**2 + np.mean(g * (1 - g)) / g.size))


@exercise("mix-ex5", answers=("naive_p_same", "naive_mcse", "draws_ratio"))
def _mix_ex5(naive_p_same: float, naive_mcse: float, draws_ratio: float, *,
             resp: Any, i: int, j: int) -> None:
    label = "mix-ex5"
    reference = coclustering_estimate(resp, i, j)
    expected_mcse = ex5_expected_naive_mcse(resp, i, j)
    require_close(label, naive_p_same, reference.probability, rtol=0,
                  atol=4 * np.hypot(expected_mcse, reference.mcse),
                  what="naive_p_same (the fraction of draws whose sampled labels agree)")
    # An MCSE estimated from a few thousand draws is itself uncertain by about 5 %
    # (it scales as 1 / sqrt(ESS), and ESS estimates wobble by ~10 %): allow 25 %.
    require_close(label, naive_mcse, expected_mcse, rtol=0.25,
                  what="naive_mcse (the Monte Carlo standard error of the sampled-label "
                       "estimate)")
    # Given the two errors (the student's, checked above, and the Rao-Blackwellized one,
    # recomputed here) the factor is exact: draws grow with the square of the error.
    require_close(label, draws_ratio, (naive_mcse / reference.mcse) ** 2, rtol=0.02,
                  what="draws_ratio (how many times as many draws the sampled labels need)")
