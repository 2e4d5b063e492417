"""Tests of bayesbook.gibbs against answers computed another way.

Conditionals are checked against the precision-matrix formulas and against conditioning
scipy's multivariate normal density numerically. Samplers are checked in distribution:
many chains are run together from a bad start, and their final states (independent draws
once the chains have forgotten the start) are compared with the exact target by a
Kolmogorov–Smirnov test; the target comes from scipy, a closed form written out here, or
numerical integration on a grid. A correct sampler fails such a test with probability
KS_ALPHA per test (for a fixed seed it either passes or not, for ever), while a sampler
with a wrong conditional shifts the distribution by far more than the KS critical value
~1.95 / sqrt(n) at these n. Autocorrelations are compared with their exact values with a
tolerance of four Monte Carlo standard errors, estimated from the spread between chains.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from bayesbook import gibbs
from bayesbook.gibbs import NormalGamma

KS_ALPHA = 1e-3

MEAN3 = np.array([1.0, -2.0, 0.5])
COV3 = np.array([[2.0, 1.0, 0.3], [1.0, 1.0, -0.2], [0.3, -0.2, 0.5]])


def random_spd(dim: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(dim, dim))
    return a @ a.T + 0.5 * np.eye(dim)


def lag_one_autocorrelations(chains: np.ndarray) -> np.ndarray:
    """Lag-1 autocorrelation of each row of ``chains`` (n_chains, n_draws)."""
    centred = chains - chains.mean(axis=1, keepdims=True)
    return np.sum(centred[:, 1:] * centred[:, :-1], axis=1) / np.sum(centred**2, axis=1)


def assert_close_to_mc(estimates: np.ndarray, expected: float) -> None:
    """The mean of per-chain estimates is within 4 between-chain standard errors."""
    se = estimates.std(ddof=1) / np.sqrt(estimates.size)
    assert abs(estimates.mean() - expected) < 4 * se, (estimates.mean(), expected, se)


# --------------------------------------------------------------------------------------
# Gaussian conditionals
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(5))
def test_conditional_matches_precision_matrix(index):
    # With precision P = inv(cov): var = 1 / P_ii and
    # E[x_i | rest] = mu_i - sum_{j != i} P_ij (x_j - mu_j) / P_ii.
    cov = random_spd(5, seed=1)
    mean = np.arange(5.0) - 2
    precision = np.linalg.inv(cov)
    conditional = gibbs.gaussian_conditional(mean, cov, index)
    expected_weights = -precision[index] / precision[index, index]
    expected_weights[index] = 0.0
    np.testing.assert_allclose(conditional.variance, 1 / precision[index, index], rtol=1e-10)
    np.testing.assert_allclose(conditional.weights, expected_weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(conditional.sd, np.sqrt(1 / precision[index, index]), rtol=1e-10)
    states = np.random.default_rng(2).normal(size=(3, 4, 5))
    others = states - mean
    others[..., index] = 0.0
    expected_mean = mean[index] - others @ precision[index] / precision[index, index]
    np.testing.assert_allclose(conditional.mean(states), expected_mean, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("index", [0, 2, 3])
def test_conditional_matches_numerically_conditioned_density(index):
    # Fix the other coordinates, evaluate scipy's joint density along coordinate `index`,
    # normalise it by quadrature and take its mean and variance.
    cov = random_spd(4, seed=3)
    mean = np.array([0.5, -1.0, 2.0, 0.0])
    state = np.random.default_rng(4).normal(size=4)
    conditional = gibbs.gaussian_conditional(mean, cov, index)
    grid = conditional.mean(state) + np.linspace(-12, 12, 4001) * conditional.sd
    points = np.repeat(state[None], grid.size, axis=0)
    points[:, index] = grid
    density = stats.multivariate_normal(mean, cov).pdf(points)
    density /= integrate.trapezoid(density, grid)
    numerical_mean = integrate.trapezoid(grid * density, grid)
    numerical_var = integrate.trapezoid((grid - numerical_mean) ** 2 * density, grid)
    np.testing.assert_allclose(conditional.mean(state), numerical_mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(conditional.variance, numerical_var, rtol=1e-6)


def test_one_dimensional_conditional_is_the_marginal():
    conditional = gibbs.gaussian_conditional([3.0], [[4.0]], 0)
    assert conditional.variance == pytest.approx(4.0)
    assert conditional.mean(np.zeros((7, 1))) == pytest.approx(np.full(7, 3.0))


def test_conditional_sample_has_the_conditional_distribution():
    conditional = gibbs.gaussian_conditional(MEAN3, COV3, 1)
    state = np.array([2.0, 0.0, -1.0])
    draws = conditional.sample(np.broadcast_to(state, (4000, 3)), rng=5)
    target = stats.norm(conditional.mean(state), conditional.sd)
    assert draws.shape == (4000,)
    assert stats.kstest(draws, target.cdf).pvalue > KS_ALPHA


def test_block_conditional_matches_precision_matrix():
    # x_B | x_R ~ N(mu_B - P_BB^{-1} P_BR (x_R - mu_R), P_BB^{-1}) with P = inv(cov).
    cov = random_spd(5, seed=6)
    mean = np.linspace(-1, 1, 5)
    block, rest = [3, 0], [1, 2, 4]
    precision = np.linalg.inv(cov)
    p_bb_inv = np.linalg.inv(precision[np.ix_(block, block)])
    conditional = gibbs.gaussian_block_conditional(mean, cov, block)
    state = np.random.default_rng(7).normal(size=5)
    expected_mean = mean[block] - p_bb_inv @ precision[np.ix_(block, rest)] @ (
        state[rest] - mean[rest]
    )
    np.testing.assert_allclose(conditional.cov, p_bb_inv, rtol=1e-9)
    np.testing.assert_allclose(conditional.cholesky @ conditional.cholesky.T, p_bb_inv, rtol=1e-9)
    np.testing.assert_allclose(conditional.mean(state), expected_mean, rtol=1e-9)
    assert conditional.mean(np.zeros((2, 6, 5))).shape == (2, 6, 2)
    draws = conditional.sample(np.broadcast_to(state, (4000, 5)), rng=8)
    projection = draws @ np.array([1.0, -2.0])
    target = stats.norm(
        expected_mean @ [1.0, -2.0], np.sqrt(np.array([1.0, -2.0]) @ p_bb_inv @ [1.0, -2.0])
    )
    assert stats.kstest(projection, target.cdf).pvalue > KS_ALPHA


def test_block_of_everything_is_the_joint():
    conditional = gibbs.gaussian_block_conditional(MEAN3, COV3, [0, 1, 2])
    np.testing.assert_allclose(conditional.cov, COV3)
    np.testing.assert_allclose(conditional.mean(np.ones(3)), MEAN3)


# --------------------------------------------------------------------------------------
# Gibbs sampling of a Gaussian
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scan", "blocks"),
    [("systematic", None), ("random", None), ("systematic", [[0, 1], [2]]),
     ("random", [[2], [1, 0]])],
)
def test_gibbs_chains_reach_the_target(scan, blocks):
    # 3000 chains from a start 5 standard deviations away; after 60 sweeps the start is
    # forgotten: the slowest linear rate of the four settings is about 0.87 per sweep (the
    # random scan), and 5 * 0.87**60 = 1e-3 sd of bias is far below the KS resolution
    # 1.95/sqrt(3000) = 0.036. So the final states are independent draws from
    # N(MEAN3, COV3). Test each marginal and two projections that depend on the correlations.
    n_chains = 3000
    start = MEAN3 + 5 * np.sqrt(np.diag(COV3))
    result = gibbs.gibbs_gaussian_chains(
        MEAN3, COV3, 60, rng=9, x0=start, n_chains=n_chains, scan=scan, blocks=blocks
    )
    assert result.samples.shape == (n_chains, 60, 3)
    assert result.scan == scan
    final = result.samples[:, -1]
    directions = [*np.eye(3), np.array([1.0, -1.0, 0.0]), np.array([1.0, 1.0, 2.0])]
    for direction in directions:
        target = stats.norm(direction @ MEAN3, np.sqrt(direction @ COV3 @ direction))
        assert stats.kstest(final @ direction, target.cdf).pvalue > KS_ALPHA, direction


@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_systematic_scan_autocorrelation_is_rho_squared(rho):
    # Bivariate standard Gaussian: one sweep maps x1 to rho**2 x1 + independent noise, so
    # x1's lag-1 autocorrelation is rho**2 (an exact sampler would give 0).
    cov = np.array([[1.0, rho], [rho, 1.0]])
    result = gibbs.gibbs_gaussian_chains([0.0, 0.0], cov, 3000, rng=10, n_chains=24)
    assert_close_to_mc(lag_one_autocorrelations(result.samples[:, :, 0]), rho**2)


def test_random_scan_autocorrelation_matches_linear_theory():
    # One random-scan update has E[x' | x] = A x with A = (P1 + P2) / 2, where P_i puts
    # the conditional mean into coordinate i. A sweep is two updates, so the lag-1
    # autocovariance is A @ A @ cov, and the autocorrelation of x1 is its [0, 0] entry.
    rho = 0.8
    cov = np.array([[1.0, rho], [rho, 1.0]])
    p1 = np.array([[0.0, rho], [0.0, 1.0]])
    p2 = np.array([[1.0, 0.0], [rho, 0.0]])
    a = (p1 + p2) / 2
    expected = (a @ a @ cov)[0, 0]
    result = gibbs.gibbs_gaussian_chains(
        [0.0, 0.0], cov, 3000, rng=11, n_chains=24, scan="random"
    )
    assert_close_to_mc(lag_one_autocorrelations(result.samples[:, :, 0]), expected)


def test_one_block_gives_independent_draws():
    # Updating all coordinates jointly from the joint is exact sampling: no autocorrelation.
    result = gibbs.gibbs_gaussian_chains(MEAN3, COV3, 2000, rng=12, n_chains=24, blocks=[[0, 1, 2]])
    assert_close_to_mc(lag_one_autocorrelations(result.samples[:, :, 0]), 0.0)


def test_gibbs_gaussian_contract():
    rho = 0.5
    cov = np.array([[1.0, rho], [rho, 1.0]])
    mean = np.array([1.0, -1.0])
    draws = gibbs.gibbs_gaussian(mean, cov, 20000, rng=13, x0=[4.0, 4.0])
    assert draws.shape == (20000, 2)
    again = gibbs.gibbs_gaussian(mean, cov, 20000, rng=13, x0=[4.0, 4.0])
    np.testing.assert_array_equal(draws, again)
    # After the first sweep x2 is drawn given x1, which was drawn given the start x2 = 4.
    assert not np.allclose(draws[0], [4.0, 4.0])
    # Each coordinate is AR(1) with coefficient rho**2 (see above), so the variance of
    # the chain mean is (1 / n) (1 + rho**2) / (1 - rho**2); allow 4 standard errors.
    se = np.sqrt((1 + rho**2) / (1 - rho**2) / draws.shape[0])
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - mean), 4 * se)


def test_default_start_is_the_mean_and_x0_is_not_modified():
    x0 = np.array([[5.0, 5.0], [-5.0, -5.0]])
    kept = x0.copy()
    result = gibbs.gibbs_gaussian_chains([0.0, 0.0], np.eye(2), 3, rng=14, x0=x0)
    assert result.samples.shape == (2, 3, 2)
    np.testing.assert_array_equal(x0, kept)
    # With the identity covariance the first sweep ignores the start: mean 0, sd 1.
    result = gibbs.gibbs_gaussian_chains([0.0, 0.0], np.eye(2), 1, rng=15, n_chains=3000)
    assert stats.kstest(result.samples[:, 0, 0], "norm").pvalue > KS_ALPHA


def test_gibbs_chains_to_inference_data():
    result = gibbs.gibbs_gaussian_chains(MEAN3, COV3, 50, rng=16, n_chains=2)
    idata = result.to_inference_data(var_name="theta")
    assert idata.posterior["theta"].shape == (2, 50, 3)
    np.testing.assert_array_equal(idata.posterior["theta"].values, result.samples)


# --------------------------------------------------------------------------------------
# Normal model with unknown mean and precision
# --------------------------------------------------------------------------------------

DATA = np.random.default_rng(20).normal(1.5, 2.0, size=12)
PRIOR = NormalGamma(mean=0.0, kappa=2.0, shape=2.0, rate=3.0)


def test_normal_gamma_posterior_matches_grid_integration():
    # Posterior moments by brute force: prior density x likelihood on a (mu, tau) grid.
    mu = np.linspace(-4, 6, 801)[:, None]
    tau = np.linspace(1e-4, 1.5, 800)[None, :]
    log_density = (
        stats.gamma(a=PRIOR.shape, scale=1 / PRIOR.rate).logpdf(tau)
        + stats.norm(PRIOR.mean, 1 / np.sqrt(PRIOR.kappa * tau)).logpdf(mu)
        + np.sum(stats.norm(mu[..., None], 1 / np.sqrt(tau[..., None])).logpdf(DATA), axis=-1)
    )
    density = np.exp(log_density - log_density.max())
    mu_marginal = integrate.trapezoid(density, tau[0], axis=1)
    tau_marginal = integrate.trapezoid(density, mu[:, 0], axis=0)
    norm = integrate.trapezoid(mu_marginal, mu[:, 0])
    mu_mean = integrate.trapezoid(mu[:, 0] * mu_marginal, mu[:, 0]) / norm
    mu_var = integrate.trapezoid((mu[:, 0] - mu_mean) ** 2 * mu_marginal, mu[:, 0]) / norm
    tau_mean = integrate.trapezoid(tau[0] * tau_marginal, tau[0]) / norm
    posterior = PRIOR.posterior(DATA)
    assert posterior.mean_marginal().mean() == pytest.approx(mu_mean, rel=1e-4)
    assert posterior.mean_marginal().var() == pytest.approx(mu_var, rel=1e-3)
    assert posterior.precision_marginal().mean() == pytest.approx(tau_mean, rel=1e-3)


def test_gibbs_normal_gamma_matches_student_t_and_gamma():
    # The textbook closed form, written out here: kappa_n = kappa_0 + n,
    # m_n = (kappa_0 m_0 + n xbar) / kappa_n, a_n = a_0 + n/2,
    # b_n = b_0 + S/2 + kappa_0 n (xbar - m_0)^2 / (2 kappa_n); then
    # mu ~ t_{2 a_n}(m_n, sqrt(b_n / (a_n kappa_n))) and tau ~ Gamma(a_n, rate b_n).
    n, xbar = DATA.size, DATA.mean()
    kappa_n = PRIOR.kappa + n
    m_n = (PRIOR.kappa * PRIOR.mean + n * xbar) / kappa_n
    a_n = PRIOR.shape + n / 2
    b_n = (
        PRIOR.rate + 0.5 * np.sum((DATA - xbar) ** 2)
        + PRIOR.kappa * n * (xbar - PRIOR.mean) ** 2 / (2 * kappa_n)
    )
    # Start far from the posterior; 40 sweeps of this fast-mixing sampler forget it.
    result = gibbs.gibbs_normal_gamma(DATA, PRIOR, 40, rng=21, n_chains=4000, precision0=50.0)
    assert result.mean.shape == result.precision.shape == (4000, 40)
    mu_target = stats.t(df=2 * a_n, loc=m_n, scale=np.sqrt(b_n / (a_n * kappa_n)))
    tau_target = stats.gamma(a=a_n, scale=1 / b_n)
    assert stats.kstest(result.mean[:, -1], mu_target.cdf).pvalue > KS_ALPHA
    assert stats.kstest(result.precision[:, -1], tau_target.cdf).pvalue > KS_ALPHA


def test_normal_gamma_chains_to_inference_data():
    result = gibbs.gibbs_normal_gamma(DATA, PRIOR, 30, rng=22, n_chains=2, precision0=[0.1, 10.0])
    idata = result.to_inference_data()
    assert idata.posterior["mu"].shape == (2, 30)
    assert idata.posterior["tau"].shape == (2, 30)


# --------------------------------------------------------------------------------------
# Data augmentation for a Gaussian mixture
# --------------------------------------------------------------------------------------

MIX_DATA = np.array([-1.9, -0.8, 0.1, 1.3, 2.2])
MIX_WEIGHTS = np.array([0.3, 0.7])
MIX_PRIOR_SD = 2.0


def mixture_posterior_on_grid():
    """Unnormalised posterior of (mu_0, mu_1) on a grid, and the responsibilities there."""
    grid = np.linspace(-8, 8, 641)
    mu0, mu1 = np.meshgrid(grid, grid, indexing="ij")
    component = np.stack(
        [MIX_WEIGHTS[0] * stats.norm(mu0[..., None], 1.0).pdf(MIX_DATA),
         MIX_WEIGHTS[1] * stats.norm(mu1[..., None], 1.0).pdf(MIX_DATA)],
        axis=-1,
    )  # (G, G, N, K)
    likelihood = component.sum(axis=-1)
    density = (
        stats.norm(0, MIX_PRIOR_SD).pdf(mu0) * stats.norm(0, MIX_PRIOR_SD).pdf(mu1)
        * np.prod(likelihood, axis=-1)
    )
    return grid, density / density.sum(), component / likelihood[..., None]


def test_mixture_gibbs_matches_grid_posterior():
    # 3000 chains, 150 sweeps each; with five overlapping points and asymmetric weights
    # the chains move freely, so the final states are draws from the posterior, whose
    # marginals come from the grid. P(z_0 = z_1 | x) is the posterior average of
    # sum_k r_0k r_1k (given the means, allocations are independent), with binomial
    # standard error sqrt(p (1 - p) / 3000); allow 4 of them.
    n_chains = 3000
    result = gibbs.gibbs_gaussian_mixture(
        MIX_DATA, 150, weights=MIX_WEIGHTS, sd=1.0, prior_mean=0.0, prior_sd=MIX_PRIOR_SD,
        rng=30, n_chains=n_chains, means0=[5.0, -5.0],
    )
    assert result.means.shape == (n_chains, 150, 2)
    assert result.allocations.shape == (n_chains, 150, MIX_DATA.size)
    grid, posterior, responsibilities = mixture_posterior_on_grid()
    for k in range(2):
        cdf = np.cumsum(posterior.sum(axis=1 - k))
        draws = result.means[:, -1, k]
        assert stats.kstest(draws, lambda v, cdf=cdf: np.interp(v, grid, cdf)).pvalue > KS_ALPHA
    together = np.sum(posterior * np.sum(responsibilities[:, :, 0] * responsibilities[:, :, 1], -1))
    estimate = np.mean(result.allocations[:, -1, 0] == result.allocations[:, -1, 1])
    assert abs(estimate - together) < 4 * np.sqrt(together * (1 - together) / n_chains)


def test_mixture_allocation_probabilities_by_enumeration():
    # Given the means, z_i | mu, x is Categorical(r_i) independently; check the full
    # allocation of three points against the 2**3 products of responsibilities, from
    # one sweep of 20000 chains started (and so conditioned) at fixed means.
    x = MIX_DATA[:3]
    means = np.array([-1.0, 1.0])
    n_chains = 20000
    result = gibbs.gibbs_gaussian_mixture(
        x, 1, weights=MIX_WEIGHTS, sd=1.0, prior_mean=0.0, prior_sd=1.0, rng=31,
        n_chains=n_chains, means0=means,
    )
    joint = MIX_WEIGHTS * stats.norm(means, 1.0).pdf(x[:, None])
    resp = joint / joint.sum(axis=1, keepdims=True)
    observed = result.allocations[:, 0]
    patterns = list(itertools.product([0, 1], repeat=3))
    counts = [np.sum(np.all(observed == p, axis=1)) for p in patterns]
    expected = [n_chains * np.prod(resp[np.arange(3), p]) for p in patterns]
    assert stats.chisquare(counts, expected).pvalue > KS_ALPHA


def test_mixture_means_given_allocations_are_conjugate():
    # With one component every point is allocated to it, and one sweep is exactly the
    # conjugate Normal update: precision 1/prior_sd^2 + N/sd^2, mean weighted accordingly.
    x = np.array([0.3, 1.1, 2.4])
    result = gibbs.gibbs_gaussian_mixture(
        x, 1, weights=[1.0], sd=0.7, prior_mean=-1.0, prior_sd=1.5, rng=32, n_chains=4000
    )
    precision = 1 / 1.5**2 + x.size / 0.7**2
    centre = (-1.0 / 1.5**2 + x.sum() / 0.7**2) / precision
    target = stats.norm(centre, 1 / np.sqrt(precision))
    assert np.all(result.allocations == 0)
    assert stats.kstest(result.means[:, 0, 0], target.cdf).pvalue > KS_ALPHA


def test_mixture_chains_to_inference_data():
    result = gibbs.gibbs_gaussian_mixture(
        MIX_DATA, 20, weights=MIX_WEIGHTS, sd=1.0, prior_mean=0.0, prior_sd=2.0, rng=33,
        n_chains=2,
    )
    assert result.to_inference_data().posterior["mu"].shape == (2, 20, 2)


# --------------------------------------------------------------------------------------
# Validation: every error the module raises, with its message
# --------------------------------------------------------------------------------------

GOOD = {"mean": [0.0, 0.0], "cov": [[1.0, 0.5], [0.5, 1.0]]}


@pytest.mark.parametrize(
    ("mean", "cov", "match"),
    [
        ([[0.0, 0.0]], GOOD["cov"], "mean must be 1-dimensional"),
        ([], np.zeros((0, 0)), "mean must have at least one coordinate"),
        ([0.0, np.nan], GOOD["cov"], "mean must contain only finite numbers"),
        (GOOD["mean"], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "cov must be square"),
        (GOOD["mean"], np.eye(3), r"cov must have shape \(D, D\) = \(2, 2\)"),
        (GOOD["mean"], [[1.0, 0.5], [0.4, 1.0]], "cov must be symmetric"),
        (GOOD["mean"], [[1.0, 2.0], [2.0, 1.0]], "cov must be positive definite"),
    ],
)
def test_bad_gaussian_raises(mean, cov, match):
    with pytest.raises(ValueError, match=match):
        gibbs.gaussian_conditional(mean, cov, 0)
    with pytest.raises(ValueError, match=match):
        gibbs.gibbs_gaussian_chains(mean, cov, 10, rng=0)


def test_bad_index_raises():
    with pytest.raises(ValueError, match=r"index must be between 0 and D - 1 = 1, got 2"):
        gibbs.gaussian_conditional(**GOOD, index=2)
    with pytest.raises(ValueError, match="index must be between 0 and D - 1"):
        gibbs.gaussian_conditional(**GOOD, index=-1)
    with pytest.raises(TypeError, match="index must be an integer coordinate"):
        gibbs.gaussian_conditional(**GOOD, index=0.5)
    with pytest.raises(TypeError, match="index must be an integer coordinate"):
        gibbs.gaussian_conditional(**GOOD, index=True)


@pytest.mark.parametrize(
    ("blocks", "match"),
    [
        ([[0], []], "each block must be a non-empty list of coordinates"),
        ([0, 1], "each block must be a non-empty list of coordinates"),
        ([[0, 1], [1]], "blocks must not repeat a coordinate"),
        ([[0, 0, 1]], "blocks must not repeat a coordinate"),
        ([[0]], "blocks must cover every coordinate 0 .. 1: coordinate 1 is missing"),
        ([[0], [2]], "index must be between 0 and D - 1"),
    ],
)
def test_bad_blocks_raise(blocks, match):
    with pytest.raises(ValueError, match=match):
        gibbs.gibbs_gaussian_chains(**GOOD, n_samples=5, rng=0, blocks=blocks)


def test_bad_block_conditional_raises():
    with pytest.raises(ValueError, match="blocks must not repeat a coordinate"):
        gibbs.gaussian_block_conditional(**GOOD, block=[1, 1])
    with pytest.raises(ValueError, match="each block must be a non-empty list"):
        gibbs.gaussian_block_conditional(**GOOD, block=[])


def test_bad_states_raise():
    conditional = gibbs.gaussian_conditional(**GOOD, index=0)
    with pytest.raises(ValueError, match=r"x must have shape \(..., D\) with D = 2"):
        conditional.mean(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(..., D\)"):
        conditional.sample(1.0, rng=0)
    block = gibbs.gaussian_block_conditional(**GOOD, block=[0])
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        block.mean([np.inf, 0.0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 0}, ValueError, "n_samples must be a positive integer, got 0"),
        ({"n_samples": 2.5}, TypeError, "n_samples must be a positive integer"),
        ({"scan": "backwards"}, ValueError, "scan must be 'systematic' or 'random'"),
        ({"x0": [1.0, 2.0, 3.0]}, ValueError, r"x0 must have shape \(2,\) or \(n_chains, 2\)"),
        ({"x0": np.zeros((3, 2)), "n_chains": 2}, ValueError, r"x0 must have shape"),
        ({"x0": [np.nan, 0.0]}, ValueError, "x0 must contain only finite numbers"),
        ({"n_chains": 0}, ValueError, "n_chains must be a positive integer"),
        ({"rng": None}, TypeError, "rng must be a numpy.random.Generator or an integer seed"),
    ],
)
def test_bad_sampler_arguments_raise(kwargs, error, match):
    arguments = {"n_samples": 5, "rng": 0, **kwargs}
    with pytest.raises(error, match=match):
        gibbs.gibbs_gaussian_chains(**GOOD, **arguments)


def test_gibbs_gaussian_wants_one_start():
    with pytest.raises(ValueError, match=r"x0 must be one state of shape \(D,\)"):
        gibbs.gibbs_gaussian(**GOOD, n_samples=5, rng=0, x0=np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kappa": 0.0}, "kappa must be a positive finite number"),
        ({"shape": -1.0}, "shape must be a positive finite number"),
        ({"rate": np.inf}, "rate must be a positive finite number"),
        ({"mean": np.nan}, "mean must contain only finite numbers"),
        ({"mean": [0.0, 1.0]}, "mean must be 0-dimensional"),
    ],
)
def test_bad_normal_gamma_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NormalGamma(**{"mean": 0.0, "kappa": 1.0, "shape": 1.0, "rate": 1.0, **kwargs})


@pytest.mark.parametrize(
    ("x", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "x must contain at least one observation"),
        ([[1.0, 2.0]], {}, ValueError, "x must be 1-dimensional"),
        ([1.0, np.nan], {}, ValueError, "x must contain only finite numbers"),
        ([1.0], {"prior": (0, 1, 1, 1)}, TypeError, "prior must be a NormalGamma"),
        ([1.0], {"precision0": -1.0}, ValueError, "precision0 must be positive"),
        ([1.0], {"precision0": [1.0, 2.0, 3.0]}, ValueError,
         r"precision0 must be a number or have shape \(n_chains,\) = \(2,\)"),
        ([1.0], {"n_chains": 0}, ValueError, "n_chains must be a positive integer"),
        ([1.0], {"n_samples": -3}, ValueError, "n_samples must be a positive integer"),
    ],
)
def test_bad_normal_gamma_sampler_arguments_raise(x, kwargs, error, match):
    arguments = {"prior": PRIOR, "n_samples": 5, "rng": 0, "n_chains": 2, **kwargs}
    with pytest.raises(error, match=match):
        gibbs.gibbs_normal_gamma(x, **arguments)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x": []}, ValueError, "x must contain at least one observation"),
        ({"weights": [0.5, 0.6]}, ValueError, "weights must sum to one"),
        ({"weights": [1.0, 0.0]}, ValueError, "weights must be strictly positive"),
        ({"weights": [1.5, -0.5]}, ValueError, "weights must be non-negative"),
        ({"sd": 0.0}, ValueError, "sd must be a positive finite number"),
        ({"prior_sd": -2.0}, ValueError, "prior_sd must be a positive finite number"),
        ({"prior_mean": np.nan}, ValueError, "prior_mean must contain only finite numbers"),
        ({"means0": [0.0, 1.0, 2.0]}, ValueError, r"means0 must have shape \(2,\) or"),
        ({"n_chains": 0}, ValueError, "n_chains must be a positive integer"),
        ({"n_samples": 0}, ValueError, "n_samples must be a positive integer"),
    ],
)
def test_bad_mixture_arguments_raise(kwargs, error, match):
    arguments = {
        "x": MIX_DATA, "n_samples": 5, "weights": [0.5, 0.5], "sd": 1.0, "prior_mean": 0.0,
        "prior_sd": 1.0, "rng": 0, **kwargs,
    }
    x = arguments.pop("x")
    n_samples = arguments.pop("n_samples")
    with pytest.raises(error, match=match):
        gibbs.gibbs_gaussian_mixture(x, n_samples, **arguments)
