"""Checks of chapter 5's exercises (Gibbs sampling), expected values computed here.

Independent routes: the precision-matrix form of a Gaussian conditional, the discrete
Lyapunov equation (scipy), autocovariances summed term by term, posterior moments on a
grid with scipy's densities, and exact enumeration of a mixture's label vectors.
Tolerances for random answers are a few Monte Carlo standard errors, as each comment says.
"""

from __future__ import annotations

from functools import cache
from itertools import product

import numpy as np
from scipy import linalg, stats

from bayesbook.checks import require, require_close
from bayesbook.exercises import exercise

EX1_MEAN = (1.0, 0.0, -1.0)
EX1_COV = ((4.0, 1.2, 0.8), (1.2, 2.0, -0.5), (0.8, -0.5, 1.0))
EX2_RHO = 0.9
EX3_RHO = 0.9
EX4_MIN_CHAINS = 1000
EX5_POINTS = (-1.6, -0.9, -0.2, 0.5, 1.4, 2.1)
EX5_PRIOR_SD = 2.0
EX5_MIN_CHAINS = 8000


@exercise("gibbs-ex1", answers=("weights_ex1", "intercept_ex1", "variance_ex1"))
def _gibbs_ex1(weights_ex1, intercept_ex1, variance_ex1):
    # The precision form: var = 1 / P_33, weights -P_3b / P_33.
    mu = np.array(EX1_MEAN)
    P = np.linalg.inv(np.array(EX1_COV))
    require_close("gibbs-ex1", weights_ex1, -P[2, :2] / P[2, 2], rtol=1e-6, what="the weights")
    require_close("gibbs-ex1", intercept_ex1, mu[2] + P[2, :2] @ mu[:2] / P[2, 2], rtol=1e-6,
                  what="the intercept")
    require_close("gibbs-ex1", variance_ex1, 1 / P[2, 2], rtol=1e-6, what="the variance")


@exercise("gibbs-ex2", answers=("wrong_variance", "wrong_correlation"))
def _gibbs_ex2(wrong_variance, wrong_correlation):
    # Stationary covariance S of x' = B x + e from S = B S B^T + Q (scipy's Lyapunov solver).
    rho = EX2_RHO
    B = np.array([[0.0, rho], [0.0, rho**2]])  # x1' = rho x2 + e1, x2' = rho x1' + e2
    Q = np.array([[1.0, rho], [rho, rho**2 + 1.0]])  # covariance of (e1, rho e1 + e2)
    S = linalg.solve_discrete_lyapunov(B, Q)
    require_close("gibbs-ex2", wrong_variance, S[0, 0], rtol=1e-6,
                  what="the stationary variance")
    require_close("gibbs-ex2", wrong_correlation, S[0, 1] / np.sqrt(S[0, 0] * S[1, 1]),
                  rtol=1e-6, what="the stationary correlation")


def _iat_by_sum(m: np.ndarray, sigma: np.ndarray, n_lags: int = 2000) -> float:
    """1 + 2 sum_k [M^k Sigma]_11 / Sigma_11, term by term (0.9025**2000 is negligible)."""
    total, power = 0.0, np.eye(2)
    for _ in range(n_lags):
        power = power @ m
        total += (power @ sigma)[0, 0]
    return 1 + 2 * total / sigma[0, 0]


@cache
def _ex3_expected() -> tuple[float, float]:
    r = EX3_RHO
    S = np.array([[1.0, r], [r, 1.0]])
    P1, P2 = np.array([[0.0, r], [0.0, 1.0]]), np.array([[1.0, 0.0], [r, 0.0]])
    A = (P1 + P2) / 2
    return _iat_by_sum(P2 @ P1, S), _iat_by_sum(A @ A, S)


@exercise("gibbs-ex3", answers=("iat_systematic", "iat_random"))
def _gibbs_ex3(iat_systematic, iat_random):
    systematic, random_scan = _ex3_expected()
    require_close("gibbs-ex3", iat_systematic, systematic, rtol=1e-6,
                  what="the systematic-scan autocorrelation time")
    require_close("gibbs-ex3", iat_random, random_scan, rtol=1e-6,
                  what="the random-scan autocorrelation time")


@cache
def _ex4_moments(y: tuple[float, ...]) -> tuple[float, float, float, float]:
    """Posterior means and sds of (mu, tau) by brute force on a grid (scipy densities)."""
    data = np.array(y)
    mu = np.linspace(data.mean() - 3, data.mean() + 3, 601)[:, None]
    tau = np.linspace(1e-3, 12 / data.var(), 600)[None, :]
    log = stats.norm(0, 10).logpdf(mu) + stats.gamma(a=1, scale=1).logpdf(tau)
    for point in data:
        log = log + stats.norm(mu, 1 / np.sqrt(tau)).logpdf(point)
    w = np.exp(log - log.max())
    w /= w.sum()
    m_mu, m_tau = np.sum(w * mu), np.sum(w * tau)
    sd_mu, sd_tau = np.sqrt(np.sum(w * (mu - m_mu) ** 2)), np.sqrt(np.sum(w * (tau - m_tau) ** 2))
    return float(m_mu), float(m_tau), float(sd_mu), float(sd_tau)


@exercise("gibbs-ex4", answers=("posterior_mean_mu", "posterior_mean_tau"))
def _gibbs_ex4(posterior_mean_mu, posterior_mean_tau, *, y):
    m_mu, m_tau, sd_mu, sd_tau = _ex4_moments(tuple(np.asarray(y, dtype=float).tolist()))
    # Tolerance: 5 Monte Carlo standard errors of a mean of 1000 independent final states.
    se = 1 / np.sqrt(EX4_MIN_CHAINS)
    require_close("gibbs-ex4", posterior_mean_mu, m_mu, rtol=0, atol=5 * sd_mu * se,
                  what="the posterior mean of mu")
    require_close("gibbs-ex4", posterior_mean_tau, m_tau, rtol=0, atol=5 * sd_tau * se,
                  what="the posterior mean of tau")


@cache
def _ex5_exact() -> float:
    """P(z1 = z2 | x) by enumerating the 64 label vectors, the means integrated out.

    Given labels, the points of component k are jointly N(0, I + prior_sd^2 1 1^T), so each
    label vector's posterior weight is 0.5**6 times a product of scipy densities.
    """
    x = np.array(EX5_POINTS)
    weights, together = [], []
    for labels in product((0, 1), repeat=x.size):
        labels = np.array(labels)
        w = 1.0
        for k in (0, 1):
            members = x[labels == k]
            if members.size:
                cov = np.eye(members.size) + EX5_PRIOR_SD**2 * np.ones((members.size,) * 2)
                w *= stats.multivariate_normal(np.zeros(members.size), cov).pdf(members)
        weights.append(w)
        together.append(labels[0] == labels[1])
    return float(np.dot(weights, together) / np.sum(weights))


@exercise("gibbs-ex5", answers=("p_together", "together_given_means"))
def _gibbs_ex5(p_together, together_given_means):
    terms = np.asarray(together_given_means, dtype=float)
    require("gibbs-ex5", terms.ndim == 1 and terms.size >= EX5_MIN_CHAINS,
            f"together_given_means should hold one probability per chain, at least "
            f"{EX5_MIN_CHAINS} chains.")
    require("gibbs-ex5", np.all((terms >= 0) & (terms <= 1)),
            "together_given_means should hold probabilities between 0 and 1.")
    require_close("gibbs-ex5", p_together, terms.mean(), rtol=1e-9,
                  what="p_together (the mean of together_given_means)")
    # The chains' final states are independent draws, so the standard error of the mean is
    # the terms' sd over sqrt(n_chains); 3.5 of them fail a correct answer with probability
    # 5e-4, while the chapter's prior sd 3 moves the answer by 0.015 (6 to 9 of them).
    se = terms.std() / np.sqrt(terms.size)
    require("gibbs-ex5", abs(p_together - _ex5_exact()) < 3.5 * se,
            "p_together is further from the exact answer than Monte Carlo error allows.")
