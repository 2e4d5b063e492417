"""Tests of bayesbook.metropolis against answers computed another way.

Statistical tests run many independent chains and keep only each chain's final state:
those states are independent draws, so classical tests (Kolmogorov–Smirnov against scipy,
standard errors from the spread across chains) apply without any autocorrelation
correction. Seeds are fixed; each threshold is chosen so that a correct sampler would fail
it with probability about 1e-3 or less, while the wrong samplers in these tests miss it by
orders of magnitude.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from scipy import integrate, stats

from bayesbook.metropolis import Chains, metropolis, metropolis_hastings, metropolis_matrix

#: KS p-value below which a sample is declared not to come from the reference distribution.
#: A correct sampler (with independent final states) falls below it with probability 1e-3.
KS_ALPHA = 1e-3


def gaussian_log_prob(mean, cov):
    """Log density (up to a constant) of N(mean, cov) for arrays of shape (..., dim)."""
    precision = np.linalg.inv(cov)

    def log_prob(x):
        d = x - mean
        return -0.5 * np.einsum("...i,ij,...j->...", d, precision, d)

    return log_prob


def gamma_log_prob(shape):
    """Log density (up to a constant) of Gamma(shape, 1) on x > 0, -inf elsewhere."""

    def log_prob(x):
        x = x[..., 0]
        safe = np.where(x > 0, x, 1.0)
        return np.where(x > 0, (shape - 1) * np.log(safe) - safe, -np.inf)

    return log_prob


def log_normal_proposal(sigma):
    """Multiplicative random walk y = x exp(sigma z) and its log density log q(to | frm)."""

    def propose(x, rng):
        return x * np.exp(sigma * rng.standard_normal(x.shape))

    def log_q(to, frm):
        to, frm = to[:, 0], frm[:, 0]
        return -np.log(to) - (np.log(to) - np.log(frm)) ** 2 / (2 * sigma**2)

    return propose, log_q


# ---------------------------------------------------------------- metropolis: distribution


def test_final_states_of_many_chains_follow_a_1d_gaussian():
    rng = np.random.default_rng(11)
    n_chains = 2000
    x0 = rng.uniform(-10.0, 14.0, size=(n_chains, 1))  # dispersed around the mean 2
    chains = metropolis(gaussian_log_prob([2.0], [[9.0]]), x0, 300, 7.0, rng=rng)
    final = chains.samples[:, -1, 0]
    assert stats.kstest(final, stats.norm(2.0, 3.0).cdf).pvalue > KS_ALPHA


def test_final_states_follow_a_correlated_2d_gaussian():
    rng = np.random.default_rng(12)
    mean = np.array([1.0, -1.0])
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    x0 = rng.normal(size=(2000, 2)) * 4.0
    chains = metropolis(gaussian_log_prob(mean, cov), x0, 600, 0.6, rng=rng)
    final = chains.samples[:, -1]
    # Each marginal, and the squared Mahalanobis distance (chi-square with 2 degrees of
    # freedom), which is only right if the correlation is right.
    for k in range(2):
        assert stats.kstest(final[:, k], stats.norm(mean[k], 1.0).cdf).pvalue > KS_ALPHA
    d = final - mean
    mahalanobis2 = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
    assert stats.kstest(mahalanobis2, stats.chi2(2).cdf).pvalue > KS_ALPHA


def test_proposal_covariance_matched_to_the_target_samples_it_correctly():
    rng = np.random.default_rng(13)
    cov = np.array([[4.0, -1.9], [-1.9, 1.0]])
    x0 = rng.normal(size=(2000, 2))
    chains = metropolis(gaussian_log_prob(np.zeros(2), cov), x0, 200, 1.7, rng=rng,
                        proposal_cov=cov)
    final = chains.samples[:, -1]
    mahalanobis2 = np.einsum("ni,ij,nj->n", final, np.linalg.inv(cov), final)
    assert stats.kstest(mahalanobis2, stats.chi2(2).cdf).pvalue > KS_ALPHA
    # Correlation of the final states: standard error (1 - rho^2) / sqrt(n), 5 of them.
    rho = -1.9 / 2.0
    assert abs(np.corrcoef(final.T)[0, 1] - rho) < 5 * (1 - rho**2) / np.sqrt(2000)


def test_the_proposal_has_the_documented_covariance():
    # On a flat target every proposal is accepted, so the increments are the proposal's
    # noise: N(0, diag(step) C diag(step)). Each entry of the sample covariance of n
    # Gaussian increments has standard error at most sqrt(2 / n) times the largest
    # variance; allow 5 of them.
    cov = np.array([[1.0, 0.8], [0.8, 2.0]])
    step = np.array([0.5, 2.0])
    chains = metropolis(lambda x: np.zeros(x.shape[:-1]), np.zeros((100, 2)), 500, step, rng=7,
                        proposal_cov=cov)
    assert np.all(chains.accepted)
    increments = np.diff(chains.samples, axis=1).reshape(-1, 2)
    expected = step[:, np.newaxis] * cov * step[np.newaxis, :]
    n = increments.shape[0]
    tolerance = 5 * np.sqrt(2 / n) * expected.max()
    np.testing.assert_allclose(np.cov(increments.T), expected, atol=tolerance)
    plain = metropolis(lambda x: np.zeros(x.shape[:-1]), np.zeros((100, 2)), 500, step, rng=7)
    np.testing.assert_allclose(np.cov(np.diff(plain.samples, axis=1).reshape(-1, 2).T),
                               np.diag(step**2), atol=tolerance)


def test_per_coordinate_step_sizes_sample_a_badly_scaled_gaussian():
    rng = np.random.default_rng(14)
    sds = np.array([10.0, 0.1])
    chains = metropolis(gaussian_log_prob(np.zeros(2), np.diag(sds**2)), np.zeros((2000, 2)),
                        200, 2.0 * sds, rng=rng)
    final = chains.samples[:, -1]
    for k in range(2):
        assert stats.kstest(final[:, k], stats.norm(0.0, sds[k]).cdf).pvalue > KS_ALPHA


def rwm_integrated_autocorrelation_time(step_over_sd: float, n_grid: int = 901) -> float:
    """Exact integrated autocorrelation time of x for random-walk Metropolis on N(0, 1).

    The kernel is discretised on a fine grid over +-9 sd (Nystrom: a proposal density
    times the grid step, rejected mass on the diagonal); the discrete chain is reversible
    with respect to the gridded target by construction. tau = sigma^2 / Var x, with the
    asymptotic variance summed exactly through the fundamental matrix, as in chapter 3:
    sum_k (K^T)^k g = (I - K^T + 1 pi^T)^{-1} g for centred g. Halving the grid step
    (1501 points) changes tau by 1.3e-5 relatively.
    """
    x = np.linspace(-9.0, 9.0, n_grid)
    p = stats.norm.pdf(x)
    K = stats.norm.pdf(x[:, None] - x[None, :], scale=step_over_sd) * (x[1] - x[0])
    K *= np.minimum(1.0, p[:, None] / p[None, :])  # K[i, j]: move j -> i, accepted
    np.fill_diagonal(K, 0.0)
    K[np.diag_indices(n_grid)] = 1.0 - K.sum(axis=0)
    pi = p / p.sum()
    g = x - pi @ x
    summed = np.linalg.solve(np.eye(n_grid) - K.T + np.outer(np.ones(n_grid), pi), g)
    return float(pi @ (g * (2 * summed - g)) / (pi @ g**2))


def test_long_single_chain_ess_and_mean_agree_with_the_exact_autocorrelation_time():
    # One chain of N(3, 2^2) with step 5 = 2.5 sd; its exact tau (about 4.4) comes from the
    # discretised kernel, not from the chain. ArviZ's ESS estimates n / tau; by Sokal's
    # approximation its relative sd is sqrt(2 (2M + 1) / n) for a summation window of
    # M lags, and M is about 5 tau for Geyer's truncation: 0.067 here (60 streams measured
    # 0.060). Allow 4 of those. The mean's standard error is sd * sqrt(tau / n); allow 4.
    n_steps, sd = 20_000, 2.0
    tau = rwm_integrated_autocorrelation_time(5.0 / sd)
    rng = np.random.default_rng(15)
    chains = metropolis(gaussian_log_prob([3.0], [[sd**2]]), [3.0], n_steps, 5.0, rng=rng)
    x = chains.samples[0, :, 0]
    ess = float(az.ess(x[np.newaxis, :]))
    relative_sd = np.sqrt(2 * (2 * 5 * tau + 1) / n_steps)
    assert abs(ess / (n_steps / tau) - 1) < 4 * relative_sd
    assert abs(x.mean() - 3.0) < 4 * sd * np.sqrt(tau / n_steps)



def test_bimodal_target_weights_match_with_many_chains():
    # Mixture 0.3 N(-3, 1) + 0.7 N(3, 1): the fraction of chains ending at x > 0 is 0.7 up to
    # a binomial standard error; chains must cross between modes, so the step is large.
    def log_prob(x):
        x = x[..., 0]
        return np.logaddexp(np.log(0.3) + stats.norm.logpdf(x, -3, 1),
                            np.log(0.7) + stats.norm.logpdf(x, 3, 1))

    rng = np.random.default_rng(16)
    n_chains = 4000
    chains = metropolis(log_prob, rng.normal(0, 3, size=(n_chains, 1)), 400, 6.0, rng=rng)
    right = np.mean(chains.samples[:, -1, 0] > 0)
    assert abs(right - 0.7) < 4 * np.sqrt(0.7 * 0.3 / n_chains)


def test_acceptance_rate_matches_numerical_integration():
    # Stationary acceptance rate on N(0, 1) with N(0, s^2) proposals:
    # integral of min(p(x), p(y)) q(y - x) over (x, y), by the trapezoid rule on a fine grid
    # (its error, ~1e-5, is far below the Monte Carlo tolerance, ~4e-3).
    s = 2.4
    grid = np.linspace(-12, 12, 2401)
    x, y = np.meshgrid(grid, grid, indexing="ij")
    integrand = np.minimum(stats.norm.pdf(x), stats.norm.pdf(y)) * stats.norm.pdf(y - x, scale=s)
    exact = integrate.trapezoid(integrate.trapezoid(integrand, grid, axis=1), grid)
    rng = np.random.default_rng(17)
    n_chains = 500
    chains = metropolis(gaussian_log_prob([0.0], [[1.0]]), rng.normal(size=(n_chains, 1)),
                        400, s, rng=rng)
    rates = chains.acceptance_rate
    assert rates.shape == (n_chains,)
    # Chains are independent: the standard error is the spread of their rates / sqrt(n).
    assert abs(rates.mean() - exact) < 4 * rates.std(ddof=1) / np.sqrt(n_chains)


# ---------------------------------------------------------------- metropolis_hastings


def test_hastings_correction_is_needed_for_an_asymmetric_proposal():
    # Gamma(3, 1) target with a log-normal (multiplicative) proposal. With the Hastings
    # ratio the chains sample Gamma(3); declaring the proposal symmetric (None) samples
    # p(x)/x instead, which is Gamma(2): the KS test against Gamma(3) must then fail badly.
    propose, log_q = log_normal_proposal(1.0)
    target = gamma_log_prob(3.0)
    n_chains = 2000
    x0 = np.random.default_rng(0).uniform(0.5, 6.0, size=(n_chains, 1))
    right = metropolis_hastings(target, x0, 300, propose, log_q, rng=18)
    wrong = metropolis_hastings(target, x0, 300, propose, None, rng=18)
    assert stats.kstest(right.samples[:, -1, 0], stats.gamma(3.0).cdf).pvalue > KS_ALPHA
    assert stats.kstest(wrong.samples[:, -1, 0], stats.gamma(3.0).cdf).pvalue < 1e-10
    assert stats.kstest(wrong.samples[:, -1, 0], stats.gamma(2.0).cdf).pvalue > KS_ALPHA


def test_independence_sampler_with_hastings_ratio():
    # Proposal independent of the current state: y ~ N(0, 2^2), target N(1, 1).
    def propose(x, rng):
        return 2.0 * rng.standard_normal(x.shape)

    def log_q(to, frm):
        return stats.norm.logpdf(to[:, 0], 0.0, 2.0)

    rng = np.random.default_rng(19)
    chains = metropolis_hastings(gaussian_log_prob([1.0], [[1.0]]), np.zeros((2000, 1)), 100,
                                 propose, log_q, rng=rng)
    assert stats.kstest(chains.samples[:, -1, 0], stats.norm(1.0, 1.0).cdf).pvalue > KS_ALPHA


def test_chains_are_zero_density_safe_and_never_leave_the_support():
    plain = metropolis(gamma_log_prob(2.0), np.ones((50, 1)), 200, 3.0, rng=20)
    assert np.all(plain.samples > 0)
    assert np.all(np.isfinite(plain.log_prob))
    assert plain.acceptance_rate.min() < 1.0  # proposals below zero were rejected


# ---------------------------------------------------------------- Chains


def test_shapes_for_one_and_several_chains():
    one = metropolis(gaussian_log_prob(np.zeros(3), np.eye(3)), np.zeros((1, 3)), 50, 0.5, rng=1)
    assert one.samples.shape == (1, 50, 3)
    assert one.log_prob.shape == (1, 50)
    assert one.acceptance_rate.shape == (1,)
    assert (one.n_chains, one.n_steps, one.dim) == (1, 50, 3)
    many = metropolis(gaussian_log_prob(np.zeros(3), np.eye(3)), np.zeros((4, 3)), 50, 0.5,
                      rng=1)
    assert many.samples.shape == (4, 50, 3)
    # The stored log densities are the target's at the stored samples.
    np.testing.assert_allclose(many.log_prob, -0.5 * np.sum(many.samples**2, axis=-1))
    # A step that was rejected repeats the previous state; an accepted one moves.
    moved = np.any(np.diff(many.samples, axis=1) != 0, axis=-1)
    np.testing.assert_array_equal(moved, many.accepted[:, 1:])


def test_starting_points_are_not_modified():
    x0 = np.zeros((3, 2))
    metropolis(gaussian_log_prob(np.zeros(2), np.eye(2)), x0, 20, 1.0, rng=4)
    np.testing.assert_array_equal(x0, 0.0)
    x0_one = np.zeros((1, 2))
    metropolis(gaussian_log_prob(np.zeros(2), np.eye(2)), x0_one, 20, 1.0, rng=4)
    np.testing.assert_array_equal(x0_one, 0.0)


def test_integer_seed_is_reproducible_and_chains_differ():
    log_prob = gaussian_log_prob(np.zeros(2), np.eye(2))
    a = metropolis(log_prob, np.zeros((3, 2)), 20, 1.0, rng=5)
    b = metropolis(log_prob, np.zeros((3, 2)), 20, 1.0, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples[0], a.samples[1])


def test_chains_is_frozen():
    chains = metropolis(gaussian_log_prob([0.0], [[1.0]]), [0.0], 5, 1.0, rng=1)
    with pytest.raises(AttributeError):
        chains.samples = None


def test_discard_drops_the_warmup():
    chains = metropolis(gaussian_log_prob([0.0], [[1.0]]), np.zeros((2, 1)), 100, 1.0, rng=2)
    kept = chains.discard(40)
    assert isinstance(kept, Chains)
    assert kept.samples.shape == (2, 60, 1)
    np.testing.assert_array_equal(kept.samples, chains.samples[:, 40:])
    np.testing.assert_allclose(kept.acceptance_rate, chains.accepted[:, 40:].mean(axis=1))
    with pytest.raises(ValueError, match="n_warmup must be between 0 and n_steps - 1 = 99"):
        chains.discard(100)
    with pytest.raises(ValueError, match="n_warmup must be between 0 and n_steps - 1"):
        chains.discard(-1)
    with pytest.raises(TypeError, match="n_warmup must be an integer"):
        chains.discard(2.5)


def test_to_inference_data_matches_the_samples():
    chains = metropolis(gaussian_log_prob(np.zeros(2), np.eye(2)), np.zeros((4, 2)), 30, 1.0,
                        rng=3)
    idata = chains.to_inference_data()
    assert isinstance(idata, az.InferenceData)
    np.testing.assert_array_equal(idata.posterior["x"].values, chains.samples)
    assert idata.posterior.sizes["chain"] == 4 and idata.posterior.sizes["draw"] == 30
    np.testing.assert_array_equal(idata.sample_stats["lp"].values, chains.log_prob)
    named = chains.to_inference_data(names=["a", "b"])
    np.testing.assert_array_equal(named.posterior["b"].values, chains.samples[..., 1])
    assert set(az.summary(named, kind="diagnostics").index) == {"a", "b"}


def test_to_inference_data_refuses_bad_names():
    chains = metropolis(gaussian_log_prob(np.zeros(2), np.eye(2)), np.zeros((1, 2)), 5, 1.0, rng=3)
    with pytest.raises(ValueError, match="names must be 2 strings, one per coordinate"):
        chains.to_inference_data(names=["a"])
    with pytest.raises(ValueError, match="names must be distinct"):
        chains.to_inference_data(names=["a", "a"])


# ---------------------------------------------------------------- validation


def standard_normal_2d(x):
    return -0.5 * np.sum(x**2, axis=-1)


@pytest.mark.parametrize("step", [0.0, -1.0, np.inf])
def test_non_positive_step_size(step):
    with pytest.raises(ValueError, match="step_size must be a positive finite number"):
        metropolis(standard_normal_2d, np.zeros((1, 2)), 10, step, rng=1)


def test_zero_dimensional_array_step_size_is_a_number():
    a = metropolis(standard_normal_2d, np.zeros((3, 2)), 20, np.array(0.8), rng=6)
    b = metropolis(standard_normal_2d, np.zeros((3, 2)), 20, 0.8, rng=6)
    np.testing.assert_array_equal(a.samples, b.samples)


@pytest.mark.parametrize("sampler", ["metropolis", "metropolis_hastings"])
def test_one_dimensional_x0_with_several_entries_is_ambiguous(sampler):
    # Shape (4,) could be four chains of a 1-D target or one 4-D chain; it used to mean the
    # latter silently, leaving three coordinates a 1-D log_prob ignores to diffuse freely.
    def log_prob(x):
        return -0.5 * x[..., 0] ** 2

    def run(x0):
        if sampler == "metropolis":
            return metropolis(log_prob, x0, 10, 1.0, rng=1)
        return metropolis_hastings(log_prob, x0, 10, lambda x, rng: x + 1.0, None, rng=1)

    with pytest.raises(ValueError, match=r"x0 of shape \(4,\) is ambiguous: write "
                                         r"x0\.reshape\(1, 4\).* or x0\.reshape\(4, 1\)"):
        run(np.zeros(4))
    assert run(np.zeros((4, 1))).samples.shape == (4, 10, 1)
    assert run(0.0).samples.shape == (1, 10, 1)
    assert run([0.0]).samples.shape == (1, 10, 1)


def test_log_prob_summing_over_the_chains_is_refused():
    # With two chains in 2-D the wrong axis gives the right shape; the first chain alone
    # gives another value, which exposes it.
    def wrong_axis(x):
        return -0.5 * np.sum(x**2, axis=0)

    with pytest.raises(ValueError, match=r"sum over the last axis \(axis=-1\), not over the "
                                         r"chains"):
        metropolis(wrong_axis, np.array([[0.0, 1.0], [2.0, 3.0]]), 10, 1.0, rng=1)


def test_bad_step_size_vectors():
    with pytest.raises(ValueError, match="step_size must be positive"):
        metropolis(standard_normal_2d, np.zeros((1, 2)), 10, [1.0, 0.0], rng=1)
    with pytest.raises(ValueError, match=r"one entry per coordinate, shape \(2,\)"):
        metropolis(standard_normal_2d, np.zeros((1, 2)), 10, [1.0, 1.0, 1.0], rng=1)


def test_non_positive_definite_proposal_covariance():
    with pytest.raises(ValueError, match="proposal_cov must be positive definite"):
        metropolis(standard_normal_2d, np.zeros((1, 2)), 10, 1.0, rng=1,
                   proposal_cov=[[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="proposal_cov must be symmetric"):
        metropolis(standard_normal_2d, np.zeros((1, 2)), 10, 1.0, rng=1,
                   proposal_cov=[[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"proposal_cov must have shape \(2, 2\)"):
        metropolis(standard_normal_2d, np.zeros((1, 2)), 10, 1.0, rng=1, proposal_cov=np.eye(3))


def test_nan_log_density_raises_instead_of_rejecting():
    def log_prob(x):
        # NaN for x > 1: a bug a student might make (log of a negative number).
        return np.where(x[..., 0] > 1.0, np.nan, -0.5 * x[..., 0] ** 2)

    with pytest.raises(ValueError, match=r"log_prob returned nan at .* a log density"):
        metropolis(log_prob, np.zeros((10, 1)), 100, 2.0, rng=1)
    with pytest.raises(ValueError, match=r"log_prob returned nan at \[2\.0\] \(chain 0\)"):
        metropolis(log_prob, [2.0], 100, 2.0, rng=1)


def test_plus_infinite_log_density_raises():
    with pytest.raises(ValueError, match="log_prob returned inf"):
        metropolis(lambda x: np.full(x.shape[0], np.inf), np.zeros(1), 10, 1.0, rng=1)


def test_log_prob_with_the_wrong_shape():
    with pytest.raises(ValueError, match=r"log_prob must return one value per chain: .* "
                                         r"shape \(3,\), but it returned shape \(3, 2\)"):
        metropolis(lambda x: -0.5 * x**2, np.zeros((3, 2)), 10, 1.0, rng=1)


def test_start_with_zero_density():
    with pytest.raises(ValueError, match=r"x0 has zero target density .* for chain 1"):
        metropolis(gamma_log_prob(2.0), [[1.0], [-1.0]], 10, 1.0, rng=1)


@pytest.mark.parametrize("x0", [np.zeros((2, 2, 2)), np.zeros((0, 2)), np.zeros((2, 0))])
def test_bad_starting_point_shapes(x0):
    with pytest.raises(ValueError, match=r"x0 must have shape \(n_chains, dim\)"):
        metropolis(standard_normal_2d, x0, 10, 1.0, rng=1)


def test_non_finite_starting_point():
    with pytest.raises(ValueError, match="x0 must contain only finite numbers"):
        metropolis(standard_normal_2d, [[0.0, np.nan]], 10, 1.0, rng=1)


@pytest.mark.parametrize("n_steps", [0, -5])
def test_non_positive_number_of_steps(n_steps):
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        metropolis(standard_normal_2d, np.zeros((1, 2)), n_steps, 1.0, rng=1)


def test_rng_must_be_explicit():
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        metropolis(standard_normal_2d, np.zeros((1, 2)), 10, 1.0, rng=None)


def test_proposal_with_the_wrong_shape():
    with pytest.raises(ValueError, match=r"propose must return an array of shape \(4, 2\)"):
        metropolis_hastings(standard_normal_2d, np.zeros((4, 2)), 10,
                            lambda x, rng: x[0], None, rng=1)


def test_hastings_terms_are_not_evaluated_outside_the_support():
    # Gamma(3) target, proposal y ~ N(x, s^2 x) (scale grows with x, so not symmetric):
    # log q(to | frm) = -log(frm)/2 - (to - frm)^2 / (2 s^2 frm) is NaN for frm < 0. A
    # proposal y < 0 has zero target density and must be rejected without evaluating q at
    # it (it used to raise "log_proposal_density returned NaN", or warn from np.log).
    s = 0.8

    def propose(x, rng):
        return x + s * np.sqrt(x) * rng.standard_normal(x.shape)

    def log_q(to, frm):
        assert np.all(to > 0) and np.all(frm > 0), "q evaluated outside the support"
        to, frm = to[:, 0], frm[:, 0]
        return -0.5 * np.log(frm) - (to - frm) ** 2 / (2 * s**2 * frm)

    chains = metropolis_hastings(gamma_log_prob(3.0), np.ones((2000, 1)), 300, propose,
                                 log_q, rng=21)
    assert np.mean(chains.samples <= 0) == 0
    # Final states of independent chains are independent draws: KS against scipy's Gamma(3).
    final = chains.samples[:, -1, 0]
    assert stats.kstest(final, stats.gamma(3.0).cdf).pvalue > KS_ALPHA


def test_log_proposal_density_nan_or_wrong_shape():
    def propose(x, rng):
        return x + rng.standard_normal(x.shape)

    with pytest.raises(ValueError, match="log_proposal_density returned NaN"):
        metropolis_hastings(standard_normal_2d, np.zeros((4, 2)), 10, propose,
                            lambda to, frm: np.full(to.shape[0], np.nan), rng=1)
    with pytest.raises(ValueError, match=r"log_proposal_density must return one value per "
                                         r"chain, shape \(4,\)"):
        metropolis_hastings(standard_normal_2d, np.zeros((4, 2)), 10, propose,
                            lambda to, frm: np.zeros(to.shape), rng=1)


# ---------------------------------------------------------------- metropolis_matrix


def test_metropolis_matrix_two_states_by_hand():
    # Always propose the other state. From 0 to 1 (more probable): always accepted.
    # From 1 to 0: accepted with probability p0 / p1 = 1/2, else stay.
    W = metropolis_matrix([1 / 3, 2 / 3], [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(W, [[0.0, 0.5], [1.0, 0.5]])


def random_problem(n, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(n))
    T = rng.random((n, n)) * (rng.random((n, n)) < 0.7)  # asymmetric, some zeros
    T += np.eye(n) * 1e-3
    T /= T.sum(axis=0)
    return p, T


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metropolis_matrix_entries_by_the_definition(seed):
    p, T = random_problem(6, seed)
    W = metropolis_matrix(p, T)
    expected = np.zeros_like(T)
    for j in range(6):
        for i in range(6):
            if i != j and T[i, j] > 0:
                expected[i, j] = T[i, j] * min(1.0, p[i] * T[j, i] / (p[j] * T[i, j]))
        expected[j, j] = 1.0 - expected[:, j].sum()
    np.testing.assert_allclose(W, expected, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metropolis_matrix_detailed_balance_and_stationarity(seed):
    p, T = random_problem(6, seed)
    W = metropolis_matrix(p, T)
    assert np.all(W >= 0)
    np.testing.assert_allclose(W.sum(axis=0), 1.0, atol=1e-12)
    flows = W * p[np.newaxis, :]  # flows[i, j] = P(j -> i) p_j
    np.testing.assert_allclose(flows, flows.T, atol=1e-14)
    # Stationary distribution from numpy.linalg.eig: eigenvector for eigenvalue 1.
    eigenvalues, eigenvectors = np.linalg.eig(W)
    k = int(np.argmin(np.abs(eigenvalues - 1.0)))
    stationary = np.real(eigenvectors[:, k])
    stationary /= stationary.sum()
    np.testing.assert_allclose(stationary, p, atol=1e-10)


def test_metropolis_matrix_with_a_zero_probability_state():
    p = np.array([0.5, 0.5, 0.0])
    T = np.full((3, 3), 1 / 3)
    W = metropolis_matrix(p, T)
    np.testing.assert_allclose(W[:, 2], [1 / 3, 1 / 3, 1 / 3])  # leave state 2 freely
    np.testing.assert_allclose(W[2, :2], 0.0)  # never enter it
    np.testing.assert_allclose(W @ p, p, atol=1e-15)


def test_metropolis_matrix_validation():
    with pytest.raises(ValueError, match=r"T must be column-stochastic .* column 1 sums to 0\.9"):
        metropolis_matrix([0.5, 0.5], [[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match="p must sum to one"):
        metropolis_matrix([0.5, 0.6], np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="p must be non-negative"):
        metropolis_matrix([1.5, -0.5], np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match=r"T must have shape \(3, 3\) to match p"):
        metropolis_matrix([0.2, 0.3, 0.5], np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="T must have non-negative entries"):
        metropolis_matrix([0.5, 0.5], [[1.5, 0.5], [-0.5, 0.5]])
    with pytest.raises(ValueError, match="T must be square"):
        metropolis_matrix([0.5, 0.5], np.full((2, 3), 0.5))
