"""Tests of bayesbook.vi against answers computed another way.

KL divergences are compared with numerical integration of q log(q / p) (scipy.integrate).
The Gaussian fits are compared with closed forms (a Gaussian target, the moments of a
mixture) and with numerical optimisation of quadrature-based divergences. CAVI is checked
for its defining properties (the ELBO never decreases, the fixed-point equations hold at
convergence, written out here independently of the library) and its ELBO against exact
enumeration of the labels with Gauss–Hermite quadrature over the means, and against the
exact log evidence (K = 1, where the family contains the posterior, and K = 2 by enumeration).
The score-function gradient is compared with central finite differences of the exact ELBO:
the mean of R independent estimates must lie within four Monte Carlo standard errors (the
sample standard deviation of the R estimates divided by sqrt(R)). Black-box VI is compared
with the closed-form mean-field optimum for a Gaussian target, within four standard errors
estimated from the spread between independent seeds. The mixture log joint is compared
with scipy.stats densities, its Jacobians with numerical integration (the prior integrates
to one over the unconstrained space, the joint to the exact evidence).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from bayesbook import mixtures, vi

# --------------------------------------------------------------------------------------
# Helpers: a bimodal target written with scipy.stats
# --------------------------------------------------------------------------------------

MIX_WEIGHTS = np.array([0.6, 0.4])
MIX_MEANS = np.array([-2.0, 2.5])
MIX_SDS = np.array([0.8, 0.6])
BOUNDS = (-12.0, 12.0)


def mixture_pdf(t: float) -> float:
    return float(np.sum(MIX_WEIGHTS * stats.norm.pdf(t, MIX_MEANS, MIX_SDS)))


def mixture_log_density(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    return special.logsumexp(
        np.log(MIX_WEIGHTS) + stats.norm.logpdf(t[..., None], MIX_MEANS, MIX_SDS), axis=-1
    )


def quad_kl_q_p(mean: float, sd: float) -> float:
    """KL(N(mean, sd²) ‖ mixture) by adaptive quadrature."""
    q = stats.norm(mean, sd)
    value, _ = integrate.quad(
        lambda t: q.pdf(t) * (q.logpdf(t) - np.log(mixture_pdf(t))),
        mean - 12 * sd, mean + 12 * sd, limit=200,
    )
    return value


def quad_kl_p_q(mean: float, sd: float) -> float:
    """KL(mixture ‖ N(mean, sd²)) by adaptive quadrature."""
    q = stats.norm(mean, sd)
    value, _ = integrate.quad(
        lambda t: mixture_pdf(t) * (np.log(mixture_pdf(t)) - q.logpdf(t)), *BOUNDS,
        points=list(MIX_MEANS), limit=200,
    )
    return value


# --------------------------------------------------------------------------------------
# KL divergences between Gaussians
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean_q", "sd_q", "mean_p", "sd_p"),
    [(0.0, 1.0, 0.0, 2.0), (0.0, 2.0, 0.0, 1.0), (1.5, 0.3, -1.0, 1.7), (-2.0, 4.0, 3.0, 0.9)],
)
def test_kl_normal_matches_quadrature(mean_q, sd_q, mean_p, sd_p):
    q, p = stats.norm(mean_q, sd_q), stats.norm(mean_p, sd_p)
    expected, _ = integrate.quad(
        lambda t: q.pdf(t) * (q.logpdf(t) - p.logpdf(t)), mean_q - 15 * sd_q, mean_q + 15 * sd_q
    )
    assert vi.kl_normal(mean_q, sd_q, mean_p, sd_p) == pytest.approx(expected, rel=1e-9)


def test_kl_normal_broadcasts_and_vanishes_on_equal_gaussians():
    kl = vi.kl_normal(np.array([0.0, 1.0, 2.0]), 1.0, np.array([[0.0], [1.0]]), 1.0)
    assert kl.shape == (2, 3)
    assert kl[0, 0] == 0.0 and kl[1, 1] == 0.0
    assert np.all(kl >= 0)


def test_kl_normal_rejects_non_positive_sd():
    with pytest.raises(ValueError, match="sd_q must be strictly positive"):
        vi.kl_normal(0.0, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="sd_p must be strictly positive"):
        vi.kl_normal(0.0, 1.0, 0.0, -1.0)


def test_kl_mvnormal_matches_two_dimensional_quadrature():
    mean_q, cov_q = np.array([0.5, -1.0]), np.array([[1.0, 0.6], [0.6, 2.0]])
    mean_p, cov_p = np.array([0.0, 0.3]), np.array([[2.0, -0.5], [-0.5, 1.0]])
    q, p = stats.multivariate_normal(mean_q, cov_q), stats.multivariate_normal(mean_p, cov_p)

    def integrand(b, a):
        point = np.array([a, b])
        return q.pdf(point) * (q.logpdf(point) - p.logpdf(point))

    expected, _ = integrate.dblquad(integrand, -7, 8, -9, 7, epsabs=1e-9, epsrel=1e-9)
    assert vi.kl_mvnormal(mean_q, cov_q, mean_p, cov_p) == pytest.approx(expected, rel=1e-6)


def test_kl_mvnormal_with_diagonal_covariances_is_a_sum_of_univariate_kls():
    kl = vi.kl_mvnormal([1.0, 2.0], np.diag([0.5, 3.0]), [0.0, -1.0], np.diag([2.0, 1.0]))
    expected = vi.kl_normal([1.0, 2.0], np.sqrt([0.5, 3.0]), [0.0, -1.0], np.sqrt([2.0, 1.0]))
    assert kl == pytest.approx(float(expected.sum()), rel=1e-12)


def test_kl_mvnormal_rejects_bad_shapes_and_covariances():
    with pytest.raises(ValueError, match="the means must have the same length D"):
        vi.kl_mvnormal([0.0, 0.0], np.eye(2), [0.0, 0.0, 0.0], np.eye(3))
    with pytest.raises(ValueError, match="cov_p must be positive definite"):
        vi.kl_mvnormal([0.0, 0.0], np.eye(2), [0.0, 0.0], np.array([[1.0, 2.0], [2.0, 1.0]]))


# --------------------------------------------------------------------------------------
# One Gaussian fitted by the exclusive and the inclusive KL
# --------------------------------------------------------------------------------------


def test_exclusive_kl_matches_quadrature():
    for mean, sd in [(-2.0, 0.8), (0.3, 2.0), (2.0, 0.4)]:
        assert vi.exclusive_kl(mixture_log_density, mean, sd) == pytest.approx(
            quad_kl_q_p(mean, sd), rel=1e-7
        )


def test_exclusive_fit_of_a_gaussian_target_is_the_target():
    target = stats.norm(1.3, 0.7)
    fit = vi.fit_gaussian_exclusive(target.logpdf, bounds=(-8, 10), init_mean=-1.0, init_sd=2.0)
    assert fit.direction == "exclusive"
    assert fit.mean == pytest.approx(1.3, abs=1e-7)
    assert fit.sd == pytest.approx(0.7, rel=1e-7)
    assert fit.kl == pytest.approx(0.0, abs=1e-12)


def test_exclusive_fit_depends_on_the_start_and_is_a_local_minimum():
    left = vi.fit_gaussian_exclusive(
        mixture_log_density, bounds=BOUNDS, init_mean=-3.0, init_sd=1.0
    )
    right = vi.fit_gaussian_exclusive(
        mixture_log_density, bounds=BOUNDS, init_mean=3.0, init_sd=1.0
    )
    assert left.mean == pytest.approx(MIX_MEANS[0], abs=0.05)
    assert right.mean == pytest.approx(MIX_MEANS[1], abs=0.05)
    for fit in (left, right):
        # The reported divergence is the one quadrature finds, and moving away increases it.
        assert fit.kl == pytest.approx(quad_kl_q_p(fit.mean, fit.sd), rel=1e-7)
        for d_mean, d_log_sd in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)]:
            assert quad_kl_q_p(fit.mean + d_mean, fit.sd * np.exp(d_log_sd)) > fit.kl


def test_exclusive_fit_accepts_an_unnormalised_density():
    shifted = vi.fit_gaussian_exclusive(
        lambda t: mixture_log_density(t) + 7.0, bounds=BOUNDS, init_mean=3.0, init_sd=1.0
    )
    assert shifted.kl == pytest.approx(quad_kl_q_p(shifted.mean, shifted.sd), rel=1e-7)


def test_inclusive_fit_matches_the_mixture_moments_and_the_numerical_optimum():
    fit = vi.fit_gaussian_inclusive(mixture_log_density, bounds=BOUNDS)
    mean = float(MIX_WEIGHTS @ MIX_MEANS)
    variance = float(MIX_WEIGHTS @ (MIX_SDS**2 + MIX_MEANS**2)) - mean**2
    assert fit.direction == "inclusive"
    assert fit.mean == pytest.approx(mean, abs=1e-10)
    assert fit.sd == pytest.approx(np.sqrt(variance), rel=1e-10)
    assert fit.kl == pytest.approx(quad_kl_p_q(fit.mean, fit.sd), rel=1e-7)
    # The quadrature-based KL(p ‖ q) is stationary at the fit (central differences of
    # step h have error O(h²) ≈ 1e-8) and larger at every neighbour.
    h = 1e-4
    for d_mean, d_log_sd in [(h, 0.0), (0.0, h)]:
        slope = (
            quad_kl_p_q(fit.mean + d_mean, fit.sd * np.exp(d_log_sd))
            - quad_kl_p_q(fit.mean - d_mean, fit.sd * np.exp(-d_log_sd))
        ) / (2 * h)
        assert abs(slope) < 1e-6
        assert quad_kl_p_q(fit.mean + d_mean, fit.sd * np.exp(d_log_sd)) > fit.kl


def test_inclusive_fit_of_a_density_with_zero_regions():
    # The uniform density on [-1, 2] inside wider bounds, log p = -inf outside its support
    # (the support's ends fall on quadrature panel edges, so the rule stays exact). The
    # moment-matched Gaussian has mean 1/2 and variance 3²/12, and
    # KL(p ‖ q) = E_p[log p] - E_p[log q] = -log 3 + ½ log(2πe σ²).
    fit = vi.fit_gaussian_inclusive(
        lambda t: np.where((t >= -1) & (t <= 2), 0.0, -np.inf), bounds=(-4.0, 4.0)
    )
    assert fit.mean == pytest.approx(0.5, rel=1e-10)
    assert fit.sd == pytest.approx(3 / np.sqrt(12), rel=1e-10)
    assert fit.kl == pytest.approx(-np.log(3) + 0.5 * np.log(2 * np.pi * np.e * 0.75), rel=1e-10)


def test_fits_reject_bad_input():
    with pytest.raises(TypeError, match="log_density must be a function"):
        vi.fit_gaussian_inclusive(3.0, bounds=BOUNDS)
    with pytest.raises(TypeError, match="bounds must be a pair of numbers"):
        vi.fit_gaussian_inclusive(mixture_log_density, bounds=None)
    with pytest.raises(ValueError, match="bounds must be finite with lower < upper"):
        vi.fit_gaussian_inclusive(mixture_log_density, bounds=(1.0, -1.0))
    with pytest.raises(ValueError, match="log_density must return one value per input point"):
        vi.fit_gaussian_inclusive(lambda t: np.zeros(3), bounds=BOUNDS)
    with pytest.raises(ValueError, match="log_density returned NaN"):
        vi.fit_gaussian_inclusive(lambda t: np.full(t.shape, np.nan), bounds=BOUNDS)
    with pytest.raises(ValueError, match="log_density is -inf everywhere inside bounds"):
        vi.fit_gaussian_inclusive(lambda t: np.full(t.shape, -np.inf), bounds=BOUNDS)
    with pytest.raises(ValueError, match="mean must be 0-dimensional"):
        vi.exclusive_kl(mixture_log_density, [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="init_sd must be a positive finite number"):
        vi.fit_gaussian_exclusive(mixture_log_density, bounds=BOUNDS, init_mean=0.0, init_sd=0.0)
    with pytest.raises(ValueError, match="sd must be a positive finite number"):
        vi.exclusive_kl(mixture_log_density, 0.0, -1.0)


# --------------------------------------------------------------------------------------
# CAVI for the Bayesian Gaussian mixture
# --------------------------------------------------------------------------------------


def simulated_data(seed: int, means=(-4.0, 0.0, 3.5), n: int = 120) -> np.ndarray:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(means), size=n)
    return rng.normal(np.asarray(means)[labels], 1.0)


def log_evidence_by_enumeration(x: np.ndarray, n_components: int, prior_sd: float) -> float:
    """log p(x): sum over every labelling c of p(c) Πₖ N(x_{c=k}; 0, I + σ² 11ᵀ)."""
    terms = []
    for labels in itertools.product(range(n_components), repeat=x.size):
        labels = np.array(labels)
        total = -x.size * np.log(n_components)
        for k in range(n_components):
            members = x[labels == k]
            if members.size:
                cov = np.eye(members.size) + prior_sd**2 * np.ones((members.size,) * 2)
                total += stats.multivariate_normal(np.zeros(members.size), cov).logpdf(members)
        terms.append(total)
    return float(special.logsumexp(terms))


def elbo_by_enumeration(x, means, variances, resp, prior_sd) -> float:
    """E_q[log p(x, c, μ)] − E_q[log q]: labels enumerated, means by Gauss–Hermite."""
    nodes, weights = np.polynomial.hermite.hermgauss(30)
    # Product rule over the K means; log p is quadratic in μ, so 30 nodes are exact.
    grids = [m + np.sqrt(2 * v) * nodes for m, v in zip(means, variances, strict=True)]
    mu = np.array(list(itertools.product(*grids)))  # (30**K, K)
    w = np.prod(np.array(list(itertools.product(weights, repeat=len(means)))), axis=1)
    w = w / np.pi ** (len(means) / 2)
    expected = 0.0
    for labels in itertools.product(range(len(means)), repeat=x.size):
        prob = np.prod(resp[np.arange(x.size), labels])
        log_joint = (
            np.sum(stats.norm.logpdf(mu, 0.0, prior_sd), axis=1)
            - x.size * np.log(len(means))
            + np.sum(stats.norm.logpdf(x, mu[:, labels], 1.0), axis=1)
        )
        expected += prob * (w @ log_joint)
    entropy = sum(stats.norm(m, np.sqrt(v)).entropy() for m, v in zip(means, variances,
                                                                         strict=True))
    entropy += sum(stats.entropy(row) for row in resp)
    return float(expected + entropy)


def test_gmm_elbo_matches_enumeration_and_quadrature():
    rng = np.random.default_rng(3)
    x = np.array([-1.2, 0.4, 2.5])
    means, variances = rng.normal(size=2), rng.uniform(0.2, 2.0, size=2)
    resp = rng.dirichlet([1.0, 1.0], size=3)
    expected = elbo_by_enumeration(x, means, variances, resp, prior_sd=2.0)
    assert vi.gmm_elbo(x, means, variances, resp, prior_sd=2.0) == pytest.approx(
        expected, rel=1e-10
    )


def test_elbo_never_decreases():
    for seed in range(6):
        x = simulated_data(seed, means=(-2.0, 0.0, 1.5, 4.0), n=200)
        result = vi.cavi_gmm(x, 4, prior_sd=5.0, rng=seed, tol=1e-12)
        # Each update is an exact coordinate maximum, so only rounding (~1e-16 relative per
        # operation on sums of ~N terms) can make a step negative.
        assert np.all(np.diff(result.elbo) >= -1e-12 * np.abs(result.elbo[1:]))
        assert result.elbo.shape == (result.n_iter + 1,)


def test_an_elbo_decrease_is_an_error_not_convergence(monkeypatch):
    # A deliberately broken update: exact for five iterations, then it shifts every mean by
    # 2, which lowers the ELBO. The old stopping rule read any decrease as "converged".
    x = simulated_data(0)
    exact_update = vi.update_components
    calls = []

    def broken_update(x, resp, prior_sd):
        calls.append(1)
        means, variances = exact_update(x, resp, prior_sd)
        return (means + 2.0 if len(calls) > 5 else means), variances

    monkeypatch.setattr(vi, "update_components", broken_update)
    with pytest.raises(RuntimeError, match="the ELBO decreased by .* at iteration 6"):
        vi.cavi_gmm(x, 3, prior_sd=5.0, rng=0)


def test_a_decrease_within_rounding_still_converges(monkeypatch):
    # At a fixed point the ELBO repeats up to rounding; a wobble of 1e-12 of its size either
    # way (below ROUNDING_TOLERANCE) is convergence, not an error.
    exact_elbo = vi._elbo
    signs = itertools.cycle([1.0, -1.0])

    def wobbling_elbo(*args):
        value = exact_elbo(*args)
        return value + next(signs) * 1e-12 * abs(value)

    monkeypatch.setattr(vi, "_elbo", wobbling_elbo)
    assert vi.cavi_gmm(simulated_data(1), 3, prior_sd=5.0, rng=0).converged


def circulating_style_elbo(bug: str | None):
    """The ELBO of cavi_gmm written term by term, optionally with one of the three faults of a
    widely circulated NumPy CAVI notebook: E_q[log p(mu_k)] as log s^2 - m/sigma^2 instead of
    -(s^2 + m^2)/(2 sigma^2) (up to constants); both entropies with the wrong sign; the data
    term's cross term x_i m_k counted twice."""

    def elbo(x, means, variances, resp, prior_sd):
        second_moment = variances + means**2
        if bug == "prior term":
            prior = np.sum(np.log(variances) - means / prior_sd**2)
        else:
            prior = np.sum(-np.log(prior_sd) - second_moment / (2 * prior_sd**2))
        sign = -1.0 if bug == "entropy sign" else 1.0
        entropy = sign * (np.sum(0.5 * (np.log(variances) + 1.0))
                          - np.sum(special.xlogy(resp, resp)))
        cross = (2.0 if bug == "double cross term" else 1.0) * (x @ resp) @ means
        data = -0.5 * np.sum(np.log(2 * np.pi) + x**2) + cross - 0.5 * resp.sum(0) @ second_moment
        return float(prior + entropy + data - x.size * np.log(means.size))

    return elbo


def test_the_term_by_term_elbo_without_a_bug_is_gmm_elbo():
    rng = np.random.default_rng(4)
    x = simulated_data(2)
    means, variances = rng.normal(size=3), rng.uniform(0.1, 1.0, size=3)
    resp = rng.dirichlet(np.ones(3), size=x.size)
    assert circulating_style_elbo(None)(x, means, variances, resp, 5.0) == pytest.approx(
        vi.gmm_elbo(x, means, variances, resp, prior_sd=5.0), rel=1e-12)


@pytest.mark.parametrize("bug", ["prior term", "entropy sign", "double cross term"])
def test_the_monotonicity_check_catches_each_circulating_elbo_bug(monkeypatch, bug):
    # Exact coordinate updates never lower the true ELBO (test_elbo_never_decreases), so an
    # ELBO that goes down under them is wrong; cavi_gmm raises instead of reporting
    # convergence. On this data set and start each single fault makes it go down.
    x = simulated_data(2)
    monkeypatch.setattr(vi, "_elbo", circulating_style_elbo(None))
    assert vi.cavi_gmm(x, 3, prior_sd=5.0, rng=2).converged
    monkeypatch.setattr(vi, "_elbo", circulating_style_elbo(bug))
    with pytest.raises(RuntimeError, match="the ELBO decreased by"):
        vi.cavi_gmm(x, 3, prior_sd=5.0, rng=2)


def test_fixed_point_equations_hold_at_convergence():
    x = simulated_data(11)
    prior_sd = 4.0
    result = vi.cavi_gmm(x, 3, prior_sd=prior_sd, rng=5, tol=1e-14, max_iter=5000)
    assert result.converged
    # The updates written out point by point, independently of the library. The ELBO is flat
    # (quadratic) at its maximum, so a last ELBO change below tol·|ELBO| ≈ 3e-12 leaves the
    # parameters within about sqrt(3e-12) ≈ 2e-6 of the fixed point: tolerance 1e-5.
    for k in range(3):
        precision = 1 / prior_sd**2 + sum(result.resp[i, k] for i in range(x.size))
        mean = sum(result.resp[i, k] * x[i] for i in range(x.size)) / precision
        assert result.variances[k] == pytest.approx(1 / precision, abs=1e-5)
        assert result.means[k] == pytest.approx(mean, abs=1e-5)
    for i in range(x.size):
        logits = [
            x[i] * result.means[k] - 0.5 * (result.variances[k] + result.means[k] ** 2)
            for k in range(3)
        ]
        expected = np.exp(np.array(logits) - special.logsumexp(logits))
        np.testing.assert_allclose(result.resp[i], expected, rtol=0, atol=1e-12)


def test_one_component_recovers_the_exact_posterior_and_evidence():
    # With K = 1 the labels are trivial and the posterior of μ is Gaussian, so q is exact:
    # the ELBO equals log p(x) and KL(q ‖ p) = 0.
    x = np.array([0.3, -0.4, 1.9, 0.8])
    prior_sd = 1.5
    result = vi.cavi_gmm(x, 1, prior_sd=prior_sd, rng=0)
    posterior_precision = 1 / prior_sd**2 + x.size
    assert result.means[0] == pytest.approx(x.sum() / posterior_precision, rel=1e-12)
    assert result.variances[0] == pytest.approx(1 / posterior_precision, rel=1e-12)
    cov = np.eye(x.size) + prior_sd**2 * np.ones((x.size, x.size))
    log_evidence = stats.multivariate_normal(np.zeros(x.size), cov).logpdf(x)
    assert result.elbo[-1] == pytest.approx(log_evidence, rel=1e-12)


def test_elbo_is_below_the_exact_log_evidence():
    x = np.array([-2.1, -1.7, 0.2, 1.6, 2.4, 2.0])
    log_evidence = log_evidence_by_enumeration(x, 2, prior_sd=3.0)
    result = vi.cavi_gmm(x, 2, prior_sd=3.0, rng=1)
    assert result.elbo[-1] <= log_evidence
    rng = np.random.default_rng(2)
    for _ in range(5):
        elbo = vi.gmm_elbo(
            x, rng.normal(size=2), rng.uniform(0.1, 2, 2), rng.dirichlet([1, 1], 6), prior_sd=3.0
        )
        assert elbo <= log_evidence


def test_cavi_recovers_well_separated_means():
    x = simulated_data(4, means=(-6.0, 0.0, 6.0), n=600)
    result = vi.cavi_gmm(x, 3, prior_sd=10.0, rng=0)
    # Each posterior mean is within a few standard errors (1 / sqrt(200)) of the truth.
    np.testing.assert_allclose(np.sort(result.means), [-6.0, 0.0, 6.0], atol=5 / np.sqrt(200))
    assert result.resp.shape == (600, 3)
    np.testing.assert_allclose(result.resp.sum(axis=1), 1.0)


def test_elbo_is_invariant_under_relabelling():
    x = simulated_data(8)
    result = vi.cavi_gmm(x, 3, prior_sd=5.0, rng=3)
    for perm in itertools.permutations(range(3)):
        perm = list(perm)
        elbo = vi.gmm_elbo(
            x, result.means[perm], result.variances[perm], result.resp[:, perm], prior_sd=5.0
        )
        assert elbo == pytest.approx(result.elbo[-1], rel=1e-13)


def test_cavi_stops_at_max_iter_without_convergence():
    x = simulated_data(1, means=(-2.0, 0.0, 1.5, 4.0), n=200)
    result = vi.cavi_gmm(x, 4, prior_sd=5.0, rng=0, max_iter=2)
    assert not result.converged
    assert result.n_iter == 2 and result.elbo.size == 3


def test_cavi_is_reproducible_from_its_seed():
    x = simulated_data(2)
    a = vi.cavi_gmm(x, 3, prior_sd=5.0, rng=42)
    b = vi.cavi_gmm(x, 3, prior_sd=5.0, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a.means, b.means)
    np.testing.assert_array_equal(a.elbo, b.elbo)


def test_cavi_rejects_bad_input():
    x = simulated_data(0)
    with pytest.raises(ValueError, match="x must be 1-dimensional"):
        vi.cavi_gmm(x[:, None], 2, prior_sd=1.0, rng=0)
    with pytest.raises(ValueError, match="n_components must be a positive integer"):
        vi.cavi_gmm(x, 0, prior_sd=1.0, rng=0)
    with pytest.raises(TypeError, match="n_components must be a positive integer"):
        vi.cavi_gmm(x, 2.0, prior_sd=1.0, rng=0)
    with pytest.raises(ValueError, match="x must have at least n_components = 5 points"):
        vi.cavi_gmm(x[:3], 5, prior_sd=1.0, rng=0)
    with pytest.raises(ValueError, match="prior_sd must be a positive finite number"):
        vi.cavi_gmm(x, 2, prior_sd=-1.0, rng=0)
    with pytest.raises(ValueError, match="max_iter must be a positive integer"):
        vi.cavi_gmm(x, 2, prior_sd=1.0, rng=0, max_iter=0)
    with pytest.raises(ValueError, match="tol must be a positive finite number"):
        vi.cavi_gmm(x, 2, prior_sd=1.0, rng=0, tol=0.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        vi.cavi_gmm(x, 2, prior_sd=1.0, rng=None)
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        vi.cavi_gmm(np.array([0.0, np.nan, 1.0]), 2, prior_sd=1.0, rng=0)


def test_gmm_elbo_rejects_bad_input():
    x = np.array([0.0, 1.0, 2.0])
    resp = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="shapes must agree"):
        vi.gmm_elbo(x, [0.0, 1.0], [1.0, 1.0], np.full((3, 3), 1 / 3), prior_sd=1.0)
    with pytest.raises(ValueError, match="resp must hold probabilities"):
        vi.gmm_elbo(x, [0.0, 1.0], [1.0, 1.0], np.full((3, 2), 0.4), prior_sd=1.0)
    with pytest.raises(ValueError, match="variances must be strictly positive"):
        vi.gmm_elbo(x, [0.0, 1.0], [1.0, 0.0], resp, prior_sd=1.0)


# --------------------------------------------------------------------------------------
# Score-function gradients and black-box VI
# --------------------------------------------------------------------------------------

TARGET_MEAN = np.array([1.0, -0.5])
TARGET_COV = np.array([[1.0, 0.8 * 2.0], [0.8 * 2.0, 4.0]])
TARGET = stats.multivariate_normal(TARGET_MEAN, TARGET_COV)
TARGET_PRECISION = np.linalg.inv(TARGET_COV)


def gaussian_target_elbo(mean: np.ndarray, log_sd: np.ndarray) -> float:
    """Closed-form ELBO of the mean-field q against the Gaussian target."""
    diff = mean - TARGET_MEAN
    expected_log_p = -0.5 * (
        np.linalg.slogdet(2 * np.pi * TARGET_COV)[1]
        + diff @ TARGET_PRECISION @ diff
        + np.sum(np.diag(TARGET_PRECISION) * np.exp(2 * log_sd))
    )
    return float(expected_log_p + np.sum(log_sd) + mean.size / 2 * (np.log(2 * np.pi) + 1))


def finite_difference_gradient(f, mean, log_sd, step=1e-5):
    params = np.concatenate([mean, log_sd])
    grad = np.empty_like(params)
    for d in range(params.size):
        up, down = params.copy(), params.copy()
        up[d] += step
        down[d] -= step
        grad[d] = (f(up[:2], up[2:]) - f(down[:2], down[2:])) / (2 * step)
    return grad


@pytest.mark.parametrize("control_variate", [True, False])
def test_score_function_gradient_is_unbiased_for_a_gaussian_target(control_variate):
    mean, log_sd = np.array([0.2, 0.4]), np.array([-0.3, 0.5])
    expected = finite_difference_gradient(gaussian_target_elbo, mean, log_sd)
    rng = np.random.default_rng(17)
    estimates = np.array([
        np.concatenate([g.mean, g.log_sd])
        for g in (
            vi.score_function_gradient(
                TARGET.logpdf, mean, log_sd, n_samples=10, rng=rng,
                control_variate=control_variate,
            )
            for _ in range(3000)
        )
    ])
    standard_error = estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
    assert np.all(np.abs(estimates.mean(axis=0) - expected) < 4 * standard_error)


def test_score_function_gradient_is_unbiased_for_a_bimodal_target():
    def elbo_by_quadrature(mean, log_sd):
        q = stats.norm(mean[0], np.exp(log_sd[0]))
        value, _ = integrate.quad(
            lambda t: q.pdf(t) * np.log(mixture_pdf(t)), *BOUNDS, points=list(MIX_MEANS),
            epsabs=1e-13, epsrel=1e-13, limit=200,
        )
        return value + q.entropy()

    def finite_difference(mean, log_sd, step=1e-4):
        return np.array([
            (elbo_by_quadrature(mean + step, log_sd) - elbo_by_quadrature(mean - step, log_sd))
            / (2 * step),
            (elbo_by_quadrature(mean, log_sd + step) - elbo_by_quadrature(mean, log_sd - step))
            / (2 * step),
        ])

    mean, log_sd = np.array([0.5]), np.array([0.3])
    expected = finite_difference(mean, log_sd)
    rng = np.random.default_rng(4)
    estimates = np.array([
        np.concatenate([g.mean, g.log_sd])
        for g in (
            vi.score_function_gradient(
                lambda z: mixture_log_density(z[:, 0]), mean, log_sd, n_samples=8, rng=rng
            )
            for _ in range(3000)
        )
    ])
    standard_error = estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
    assert np.all(np.abs(estimates.mean(axis=0) - expected) < 4 * standard_error)


def test_control_variate_reduces_the_gradient_variance():
    mean, log_sd = np.array([0.2, 0.4]), np.array([-0.3, 0.5])
    variances = {}
    for control_variate in (True, False):
        rng = np.random.default_rng(5)
        draws = np.array([
            np.concatenate([g.mean, g.log_sd])
            for g in (
                vi.score_function_gradient(
                    TARGET.logpdf, mean, log_sd, n_samples=10, rng=rng,
                    control_variate=control_variate,
                )
                for _ in range(500)
            )
        ])
        variances[control_variate] = draws.var(axis=0, ddof=1)
    # log p is about -4 on average here, so without a baseline the score is multiplied by a
    # large constant; the reduction is an order of magnitude, far beyond sampling noise.
    assert np.all(variances[True] < 0.5 * variances[False])


def test_bbvi_finds_the_mean_field_optimum_of_a_gaussian_target():
    # For a Gaussian target the best mean-field Gaussian under KL(q ‖ p) has the target's
    # mean and variances 1 / (Σ⁻¹)_dd (smaller than the marginal variances).
    expected = np.concatenate([TARGET_MEAN, 1 / np.sqrt(np.diag(TARGET_PRECISION))])
    fits = np.array([
        np.concatenate([fit.mean, fit.sd])
        for fit in (
            vi.bbvi(TARGET.logpdf, [0.0, 0.0], rng=seed, n_steps=2000, n_samples=16)
            for seed in range(6)
        )
    ])
    standard_error = fits.std(axis=0, ddof=1) / np.sqrt(len(fits))
    assert np.all(np.abs(fits.mean(axis=0) - expected) < 4 * standard_error + 1e-3)
    assert np.all(np.abs(fits - expected) < 0.1)


def test_bbvi_defaults_work_at_any_scale():
    # The mean-field optimum of a Gaussian target is known in closed form (see above), and a
    # change of units moves it by the same factor. With the default settings a fit to the
    # target scaled by 1000 must find it; the old absolute Adam step (0.1 per step, decaying)
    # could move a mean by less than 100 in 3000 steps and stopped near the start.
    expected = np.concatenate([TARGET_MEAN, 1 / np.sqrt(np.diag(TARGET_PRECISION))])
    for scale in (1e3, 1.0):
        target = stats.multivariate_normal(scale * TARGET_MEAN, scale**2 * TARGET_COV)
        fit = vi.bbvi(target.logpdf, np.zeros(2), rng=11)
        got = np.concatenate([fit.mean, fit.sd]) / scale
        np.testing.assert_allclose(got, expected, atol=0.05)


def test_bbvi_is_equivariant_under_a_change_of_units():
    # Adam's steps are taken in q's own units, so a fit in units 1000 times smaller, started
    # at a q 1000 times narrower, is the same fit, up to rounding.
    target_small = stats.multivariate_normal(1e-3 * TARGET_MEAN, 1e-6 * TARGET_COV)
    fit = vi.bbvi(TARGET.logpdf, np.zeros(2), rng=5, n_steps=500)
    fit_small = vi.bbvi(target_small.logpdf, np.zeros(2), rng=5, n_steps=500, init_sd=1e-4)
    np.testing.assert_allclose(fit_small.mean * 1e3, fit.mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fit_small.sd * 1e3, fit.sd, rtol=1e-6)


def test_bbvi_elbo_estimate_matches_the_closed_form():
    fit = vi.bbvi(TARGET.logpdf, [0.0, 0.0], rng=1, n_steps=500, n_samples=8)
    value, standard_error = fit.elbo_estimate(TARGET.logpdf, n_draws=20_000, rng=2)
    exact = gaussian_target_elbo(fit.mean, np.log(fit.sd))
    assert abs(value - exact) < 4 * standard_error
    assert fit.elbo.shape == (500,)
    assert fit.sample(7, rng=0).shape == (7, 2)


def exclusive_optimum_by_quadrature(start_mean: float) -> tuple[float, float]:
    """The local minimum of KL(q || p) for the bimodal target nearest a start, by scipy
    quadrature of the divergence and Nelder-Mead over (mean, log sd)."""
    result = optimize.minimize(lambda p: quad_kl_q_p(p[0], np.exp(p[1])),
                               [start_mean, np.log(0.7)], method="Nelder-Mead",
                               options={"xatol": 1e-8, "fatol": 1e-12})
    return float(result.x[0]), float(np.exp(result.x[1]))


def bimodal_log_joint(theta: np.ndarray) -> np.ndarray:
    return mixture_log_density(theta[:, 0])


def test_bbvi_optimum_depends_on_the_start_on_a_bimodal_target():
    # The chapter's central claim for black-box VI: the exclusive fit is local. Started at
    # each mode, bbvi ends at that mode's own local optimum (found independently above).
    # Tolerances: 0.05 in the mean and 5% in the sd; over seeds 0-9 at 2000 steps the largest
    # errors of bbvi's averaged iterates were 0.010 in the mean and 2.5% in the sd.
    fits = []
    for start in MIX_MEANS:
        fit = vi.bbvi(bimodal_log_joint, [start], rng=1, n_steps=2000)
        mean, sd = exclusive_optimum_by_quadrature(start)
        assert fit.mean[0] == pytest.approx(mean, abs=0.05)
        assert fit.sd[0] == pytest.approx(sd, rel=0.05)
        fits.append(fit.mean[0])
    assert fits[0] < 0 < fits[1]  # two different answers, one per mode


def test_bbvi_restarts_fit_every_start_and_estimate_each_elbo():
    starts = iter(MIX_MEANS)
    runs = vi.bbvi_restarts(bimodal_log_joint, lambda gen: [next(starts)], 2, rng=3,
                            statistic=lambda theta: float(np.mean(theta[:, 0] > 0)),
                            n_steps=2000, n_elbo_draws=40_000)
    assert len(runs) == 2
    for run, start in zip(runs, MIX_MEANS, strict=True):
        assert run.start[0] == start
        # The ELBO of a 1-D Gaussian q against the normalised target is -KL(q || p),
        # here by quadrature; the estimate is within 4 of its own standard errors.
        assert abs(run.elbo + quad_kl_q_p(run.fit.mean[0], run.fit.sd[0])) < 4 * run.elbo_se
        assert run.elbo_se < 0.01  # the check has teeth
    # The statistic is q's probability of theta > 0: ~0 in the left mode, ~1 in the right.
    assert runs[0].statistic < 0.01 and runs[1].statistic > 0.99
    # The right mode's fit holds less mass (weight 0.4), so its ELBO is lower.
    assert max(runs, key=lambda run: run.elbo) is runs[0]
    assert np.isnan(vi.bbvi_restarts(bimodal_log_joint, lambda gen: [0.0], 1, rng=0,
                                     n_steps=10)[0].statistic)


def test_bbvi_restarts_reject_bad_input():
    with pytest.raises(ValueError, match="n_runs must be a positive integer"):
        vi.bbvi_restarts(bimodal_log_joint, lambda gen: [0.0], 0, rng=0)
    with pytest.raises(TypeError, match="make_start must be a function"):
        vi.bbvi_restarts(bimodal_log_joint, [0.0], 1, rng=0)
    with pytest.raises(TypeError, match="statistic must be a function"):
        vi.bbvi_restarts(bimodal_log_joint, lambda gen: [0.0], 1, rng=0, statistic=0.5)
    with pytest.raises(ValueError, match="the start from make_start must be 1-dimensional"):
        vi.bbvi_restarts(bimodal_log_joint, lambda gen: 0.0, 1, rng=0)


def test_black_box_functions_reject_bad_input():
    mean, log_sd = np.zeros(2), np.zeros(2)
    with pytest.raises(ValueError, match="mean and log_sd must have the same shape"):
        vi.score_function_gradient(TARGET.logpdf, mean, np.zeros(3), n_samples=4, rng=0)
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        vi.score_function_gradient(TARGET.logpdf, mean, log_sd, n_samples=1, rng=0)
    with pytest.raises(TypeError, match="log_joint must be a function"):
        vi.score_function_gradient(None, mean, log_sd, n_samples=4, rng=0)
    with pytest.raises(ValueError, match=r"log_joint must return shape \(S,\) = \(4,\)"):
        vi.score_function_gradient(lambda z: z, mean, log_sd, n_samples=4, rng=0)
    with pytest.raises(ValueError, match="log_joint returned NaN"):
        vi.score_function_gradient(
            lambda z: np.where(z[:, 0] > 0, np.nan, 0.0), mean, log_sd, n_samples=50, rng=0
        )
    with pytest.raises(ValueError, match="log_joint returned an infinite value"):
        vi.score_function_gradient(
            lambda z: np.where(z[:, 0] > 0, -np.inf, 0.0), mean, log_sd, n_samples=50, rng=0
        )
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        vi.bbvi(TARGET.logpdf, mean, rng=0, n_samples=1)
    with pytest.raises(TypeError, match="log_joint must be a function"):
        vi.bbvi("not a function", mean, rng=0)
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        vi.bbvi(TARGET.logpdf, mean, rng=0, learning_rate=0.0)
    with pytest.raises(ValueError, match="init_mean must be 1-dimensional"):
        vi.bbvi(TARGET.logpdf, np.zeros((2, 2)), rng=0)


# --------------------------------------------------------------------------------------
# The mixture's log joint in unconstrained coordinates
# --------------------------------------------------------------------------------------

SEVEN = np.array([1.1, 2.1, 2.0, 1.9, 0.0, -0.1, -0.05])


def log_joint_by_scipy(theta: np.ndarray, y: np.ndarray, k: int) -> float:
    """log p(y, μ, σ, g) + log σ + log g, point by point with scipy.stats."""
    mu, log_sigma, log_g = theta[:k], theta[k : 2 * k], theta[2 * k :]
    sigma, g = np.exp(log_sigma), np.exp(log_g)
    weights = g / g.sum()
    total = np.sum(stats.norm.logpdf(mu, 0, 10)) + np.sum(stats.gamma.logpdf(sigma, 1.0))
    total += np.sum(stats.gamma.logpdf(g, 1.0)) + np.sum(log_sigma) + np.sum(log_g)
    for value in y:
        total += np.log(np.sum(weights * stats.norm.pdf(value, mu, sigma)))
    return float(total)


def test_mixture_log_joint_matches_scipy():
    model = vi.MixtureLogJoint(SEVEN, 3)
    theta = np.random.default_rng(0).normal(size=(5, 9))
    expected = [log_joint_by_scipy(t, SEVEN, 3) for t in theta]
    np.testing.assert_allclose(model(theta), expected, rtol=1e-12)
    means, sds, weights = model.unpack(theta)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(sds, np.exp(theta[:, 3:6]))
    np.testing.assert_array_equal(means, theta[:, :3])


def test_mixture_log_joint_matches_the_pymc_seven_point_model():
    # Matched points: theta = (mu, log sigma, log g) here, and PyMC's value variables
    # (mu, sigma_log__, weights_simplex__) at the same mu, sigma and pi = g / sum g. PyMC's
    # logp without Jacobians is log p(y, mu, sigma, pi), a density in (mu, sigma, pi_1..K-1).
    # g = s pi with s = sum g: iid Gamma(alpha, 1) g's are pi ~ Dirichlet(alpha) times an
    # independent s ~ Gamma(K alpha, 1), and dg = s^(K-1) ds dpi, so
    # log p(g) = log Dir(pi) + log Gamma(s; K alpha, 1) - (K-1) log s; and theta's log-Jacobians
    # are sum log sigma + sum log g.
    model = mixtures.seven_point_model()
    logp = model.compile_logp(jacobian=False)
    simplex = model.rvs_to_transforms[model["weights"]]
    ours = vi.MixtureLogJoint(SEVEN, 3, **asdict(mixtures.SEVEN_POINT_PRIOR))
    theta = np.random.default_rng(5).normal(size=(4, 9))
    means, sds, weights = ours.unpack(theta)
    for t, mu, sigma, pi in zip(theta, means, sds, weights, strict=True):
        point = {"mu": mu, "sigma_log__": np.log(sigma),
                 "weights_simplex__": simplex.forward(pi).eval()}
        total = np.exp(t[6:]).sum()
        expected = (float(logp(point)) + np.sum(t[3:6]) + np.sum(t[6:])
                    + stats.gamma.logpdf(total, 3 * 1.0) - 2 * np.log(total))
        # PyMC's Normal logp differs from scipy's by ~3e-8 per term (its constant log sqrt(2 pi)
        # is rounded), so the three mean priors allow ~1e-7; any convention error is O(1).
        assert ours(t[None])[0] == pytest.approx(expected, abs=1e-6)


def test_start_at_data_puts_the_means_at_distinct_data_points():
    model = vi.MixtureLogJoint(SEVEN, 3)
    start = model.start_at_data(np.random.default_rng(0))
    assert start.shape == (9,)
    assert np.unique(start[:3]).size == 3 and set(start[:3]) <= set(SEVEN)
    np.testing.assert_allclose(start[3:], [np.log(0.5)] * 3 + [0.0] * 3)
    np.testing.assert_allclose(model.start_at_data(0, sd=2.0)[3:6], np.log(2.0))
    with pytest.raises(ValueError, match="start_at_data needs at least n_components = 3"):
        vi.MixtureLogJoint(SEVEN[:2], 3).start_at_data(0)
    with pytest.raises(ValueError, match="sd must be a positive finite number"):
        model.start_at_data(0, sd=0.0)


def test_mixture_log_joint_is_invariant_under_relabelling():
    model = vi.MixtureLogJoint(SEVEN, 3)
    theta = np.random.default_rng(1).normal(size=(4, 9))
    for perm in itertools.permutations(range(3)):
        columns = np.concatenate([np.array(perm) + 3 * block for block in range(3)])
        np.testing.assert_allclose(model(theta[:, columns]), model(theta), rtol=1e-12)


def one_dimensional_integrals(model, anchor):
    """∫ exp(log joint) along each coordinate line through ``anchor``."""
    values = []
    for d in range(anchor.size):
        def along(t, d=d):
            point = anchor.copy()
            point[d] = t
            return np.exp(model(point[None])[0])
        values.append(integrate.quad(along, -60, 60, limit=400, epsabs=0, epsrel=1e-11)[0])
    return np.array(values)


def test_mixture_prior_integrates_to_one_over_the_unconstrained_space():
    # With no data the log joint is the log prior with its Jacobians, a product over
    # coordinates; the product of the 1-D integrals along lines through a point θ₀ is
    # Z exp((D − 1) log p(θ₀)), and the normalising constant Z must be one.
    model = vi.MixtureLogJoint(np.array([]), 2, mu_sd=3.0, sigma_shape=2.0, sigma_rate=1.5,
                               alpha=0.7)
    anchor = np.array([0.5, -1.0, 0.1, -0.3, 0.2, -0.4])
    integrals = one_dimensional_integrals(model, anchor)
    log_z = np.sum(np.log(integrals)) - (anchor.size - 1) * model(anchor[None])[0]
    assert log_z == pytest.approx(0.0, abs=1e-8)


def test_mixture_log_joint_integrates_to_the_exact_evidence():
    # K = 1: the weight is one whatever g, and the evidence of two points is
    # ∫ Gamma(σ) N(y; 0, σ² I + τ² 11ᵀ) dσ, computed here by quadrature over σ.
    y = np.array([0.4, 1.3])
    model = vi.MixtureLogJoint(y, 1, mu_sd=2.0)

    def evidence_integrand(sigma):
        cov = sigma**2 * np.eye(2) + 4.0 * np.ones((2, 2))
        return stats.gamma.pdf(sigma, 1.0) * stats.multivariate_normal(np.zeros(2), cov).pdf(y)

    evidence, _ = integrate.quad(evidence_integrand, 0, np.inf, epsrel=1e-11)
    log_g = 0.3
    # ∫∫ over (μ, log σ) at a fixed log g by a tensor-product composite Gauss–Legendre rule,
    # then divide by the Gamma(1, 1) density of g there (times the Jacobian g).
    mu, w_mu = legendre_rule(-15.0, 15.0, 60)
    log_sigma, w_log_sigma = legendre_rule(-25.0, 5.0, 120)
    grid = np.stack(np.meshgrid(mu, log_sigma, [log_g], indexing="ij"), axis=-1).reshape(-1, 3)
    values = np.exp(model(grid)).reshape(mu.size, log_sigma.size)
    inner = w_mu @ values @ w_log_sigma
    g_density = stats.gamma.pdf(np.exp(log_g), 1.0) * np.exp(log_g)
    assert inner / g_density == pytest.approx(evidence, rel=1e-8)


def legendre_rule(lower: float, upper: float, n_panels: int):
    """Composite 10-node Gauss–Legendre nodes and weights on [lower, upper]."""
    nodes, weights = np.polynomial.legendre.leggauss(10)
    edges = np.linspace(lower, upper, n_panels + 1)
    half = np.diff(edges)[:, None] / 2
    centres = (edges[1:] + edges[:-1])[:, None] / 2
    return (centres + half * nodes).ravel(), (half * weights).ravel()


def test_responsibilities_and_coclustering_come_from_mixtures():
    model = vi.MixtureLogJoint(SEVEN, 3)
    theta = np.random.default_rng(3).normal(size=(4, 9))
    resp = model.responsibilities(theta)
    np.testing.assert_allclose(resp.sum(axis=2), 1.0)
    means, sds, weights = model.unpack(theta)
    for s in range(4):
        joint = weights[s] * stats.norm.pdf(SEVEN[:, None], means[s], sds[s])
        np.testing.assert_allclose(resp[s], joint / joint.sum(axis=1, keepdims=True), rtol=1e-10)
    # q's co-clustering matrix is chapter 6's, from these responsibilities: the average over
    # draws of P(z_i = z_j | theta) = sum_k r_ik r_jk, written out here as a loop.
    matrix = mixtures.coclustering(resp)
    expected = np.mean([[[r[i] @ r[j] for j in range(7)] for i in range(7)] for r in resp], axis=0)
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(matrix, expected, rtol=1e-12)
    assert not hasattr(vi, "coclustering_probabilities"), "one implementation, in mixtures"


def test_mixture_log_joint_rejects_bad_input():
    with pytest.raises(ValueError, match="n_components must be a positive integer"):
        vi.MixtureLogJoint(SEVEN, 0)
    with pytest.raises(ValueError, match="alpha must be a positive finite number"):
        vi.MixtureLogJoint(SEVEN, 3, alpha=-1.0)
    model = vi.MixtureLogJoint(SEVEN, 3)
    with pytest.raises(ValueError, match=r"theta must have shape \(S, 9\)"):
        model(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="theta must be 2-dimensional"):
        model(np.zeros(9))

