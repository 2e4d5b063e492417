"""Tests of bayesbook.bayes against answers computed another way (arithmetic, scipy.stats)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from bayesbook.bayes import (
    BetaPosterior,
    beta_binomial_posterior,
    grid_posterior,
    posterior,
)

# --- posterior -----------------------------------------------------------------------------


def test_screening_example_from_the_contract() -> None:
    # p(cancer | +) = 0.8 * 0.004 / (0.8 * 0.004 + 0.1 * 0.996), worked out by hand.
    result = posterior([0.996, 0.004], [0.1, 0.8])
    by_hand = 0.0032 / (0.0032 + 0.0996)
    assert result.shape == (2,)
    assert result[1] == pytest.approx(by_hand, rel=1e-12)
    assert result[1] == pytest.approx(0.0311, abs=5e-5)
    assert result.sum() == pytest.approx(1.0, rel=1e-12)


def test_second_positive_test_uses_the_first_posterior_as_prior() -> None:
    # Two conditionally independent positives: prior odds times the likelihood ratio squared.
    once = posterior([0.996, 0.004], [0.1, 0.8])
    twice = posterior(once, [0.1, 0.8])
    odds = (0.004 / 0.996) * (0.8 / 0.1) ** 2
    assert twice[1] == pytest.approx(odds / (1 + odds), rel=1e-12)
    assert twice[1] == pytest.approx(0.204, abs=5e-4)


def test_three_hypotheses_match_a_joint_table() -> None:
    prior = np.array([0.2, 0.5, 0.3])
    likelihood = np.array([0.9, 0.05, 0.4])
    joint = [0.2 * 0.9, 0.5 * 0.05, 0.3 * 0.4]
    np.testing.assert_allclose(posterior(prior, likelihood), np.array(joint) / sum(joint))


def test_a_batch_of_priors_is_handled_row_by_row() -> None:
    prevalence = np.array([1e-4, 0.004, 0.3])
    prior = np.column_stack([1 - prevalence, prevalence])
    result = posterior(prior, [0.1, 0.8])
    expected = 0.8 * prevalence / (0.8 * prevalence + 0.1 * (1 - prevalence))
    assert result.shape == (3, 2)
    np.testing.assert_allclose(result[:, 1], expected, rtol=1e-12)


def test_zero_likelihood_rules_a_hypothesis_out() -> None:
    np.testing.assert_allclose(posterior([0.5, 0.25, 0.25], [0.0, 1.0, 3.0]), [0, 0.25, 0.75])


@pytest.mark.parametrize(
    ("prior", "likelihood", "message"),
    [
        ([0.5, 0.6], [0.1, 0.8], "prior must sum to one"),
        ([1.5, -0.5], [0.1, 0.8], "prior must be non-negative"),
        ([0.5, 0.5], [-0.1, 0.8], "likelihood must be non-negative"),
        ([0.5, 0.5], [0.1, 0.8, 0.3], "does not match prior"),
        ([0.5, 0.5], 0.3, "does not match prior"),
        ([[0.5, 0.5]] * 3, [[0.1, 0.8]] * 2, "does not match prior"),
        ([0.5, 0.5], [0.0, 0.0], "evidence"),
        (1.0, [0.1], "at least one hypothesis"),
        ([], [], "at least one hypothesis"),
        ([0.5, np.nan], [0.1, 0.8], "finite"),
    ],
)
def test_posterior_rejects_bad_input(prior, likelihood, message) -> None:
    with pytest.raises(ValueError, match=message):
        posterior(prior, likelihood)


def test_posterior_rejects_non_numbers() -> None:
    with pytest.raises(TypeError, match="numeric"):
        posterior(["a", "b"], [0.1, 0.8])


def test_posterior_from_log_likelihoods_matches_the_raw_computation() -> None:
    # Where the raw likelihoods are representable both routes must agree; the raw one is
    # plain multiply-and-normalise, the log one goes through logsumexp.
    rng = np.random.default_rng(3)
    prior = rng.dirichlet(np.ones(5), size=4)
    likelihood = rng.uniform(0.01, 1.0, size=(4, 5))
    np.testing.assert_allclose(
        posterior(prior, log_likelihood=np.log(likelihood)),
        posterior(prior, likelihood),
        rtol=1e-12,
    )


def test_log_likelihood_survives_2000_flips_where_raw_likelihoods_underflow() -> None:
    # Hypotheses: a coin's bias is one of 99 values, all equally likely a priori. After
    # k heads in n = 2000 flips the posterior is proportional to theta^k (1 - theta)^(n - k),
    # i.e. to the Beta(k + 1, n - k + 1) density, which scipy evaluates through log-gamma
    # functions: a second computation that does not underflow either.
    n_flips, heads = 2000, 713
    theta = np.arange(1, 100) / 100
    prior = np.full(theta.size, 1 / theta.size)
    raw = theta**heads * (1 - theta) ** (n_flips - heads)
    assert np.all(raw == 0.0)  # precondition: the raw likelihoods underflow (a NumPy fact)
    with pytest.raises(ValueError, match="log_likelihood="):
        posterior(prior, raw)
    log_like = heads * np.log(theta) + (n_flips - heads) * np.log1p(-theta)
    result = posterior(prior, log_likelihood=log_like)
    beta_density = stats.beta.pdf(theta, heads + 1, n_flips - heads + 1)
    np.testing.assert_allclose(result, beta_density / beta_density.sum(), rtol=1e-9, atol=1e-300)
    assert theta[np.argmax(result)] == pytest.approx(heads / n_flips, abs=0.005)


def test_log_likelihood_accepts_zero_prior_and_minus_infinity() -> None:
    # A hypothesis the prior rules out, and one the data rule out, both get probability zero
    # (and no warning from log(0), which pytest would turn into an error).
    result = posterior([0.0, 0.5, 0.25, 0.25], log_likelihood=[0.0, -np.inf, 0.0, np.log(3.0)])
    np.testing.assert_allclose(result, [0.0, 0.0, 0.25, 0.75], rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"likelihood": [0.1, 0.8], "log_likelihood": [-2.3, -0.2]}, "exactly one of"),
        ({}, "exactly one of"),
        ({"log_likelihood": [-np.inf, -np.inf]}, "impossible under every hypothesis"),
        ({"log_likelihood": [np.nan, -1.0]}, "must not contain NaN"),
        ({"log_likelihood": [np.inf, -1.0]}, "must not contain NaN or \\+inf"),
        ({"log_likelihood": [-1.0, -2.0, -3.0]}, "log_likelihood of shape \\(3,\\) does not match"),
    ],
)
def test_posterior_log_likelihood_rejects_bad_input(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        posterior([0.5, 0.5], **kwargs)


def test_log_likelihood_minus_infinity_where_the_prior_is_positive_is_impossible() -> None:
    # The only finite log-likelihood belongs to the hypothesis the prior rules out.
    with pytest.raises(ValueError, match="impossible"):
        posterior([0.0, 1.0], log_likelihood=[0.0, -np.inf])


def _hand_posterior(prior_row, likelihood_row):
    joint = [p * q for p, q in zip(prior_row, likelihood_row, strict=True)]
    return np.array(joint) / sum(joint)


@pytest.mark.parametrize("use_logs", [False, True])
def test_a_batch_of_priors_broadcasts_against_one_likelihood(use_logs) -> None:
    prior = np.array([[0.2, 0.5, 0.3], [0.6, 0.2, 0.2], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.5, 0.5]])
    likelihood = np.array([0.9, 0.05, 0.4])
    kwargs = {"log_likelihood": np.log(likelihood)} if use_logs else {"likelihood": likelihood}
    result = posterior(prior, **kwargs)
    assert result.shape == (4, 3)
    for row, prior_row in zip(result, prior, strict=True):
        np.testing.assert_allclose(row, _hand_posterior(prior_row, likelihood), rtol=1e-12)
        np.testing.assert_allclose(row, posterior(prior_row, **kwargs), rtol=1e-12)


@pytest.mark.parametrize("use_logs", [False, True])
def test_one_prior_broadcasts_against_a_batch_of_likelihoods(use_logs) -> None:
    # Several data sets (rows of likelihoods) under one prior.
    prior = np.array([0.2, 0.5, 0.3])
    likelihood = np.array([[0.9, 0.05, 0.4], [0.1, 0.1, 0.1], [0.0, 0.3, 0.7]])
    log_like = np.log(np.where(likelihood > 0, likelihood, 1.0))
    log_like[likelihood == 0] = -np.inf
    result = (
        posterior(prior, log_likelihood=log_like) if use_logs else posterior(prior, likelihood)
    )
    assert result.shape == (3, 3)
    for row, likelihood_row in zip(result, likelihood, strict=True):
        np.testing.assert_allclose(row, _hand_posterior(prior, likelihood_row), rtol=1e-12)
        np.testing.assert_allclose(row, posterior(prior, likelihood_row), rtol=1e-12)


def test_leading_axes_of_prior_and_likelihood_broadcast_together() -> None:
    # Priors of shape (2, 1, K) against likelihoods of shape (3, K) give (2, 3, K).
    priors = np.array([[[0.5, 0.5]], [[0.9, 0.1]]])
    likelihoods = np.array([[0.1, 0.8], [0.5, 0.5], [0.7, 0.2]])
    result = posterior(priors, likelihoods)
    assert result.shape == (2, 3, 2)
    assert posterior(priors, log_likelihood=np.log(likelihoods)).shape == (2, 3, 2)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(
                result[i, j], _hand_posterior(priors[i, 0], likelihoods[j]), rtol=1e-12
            )


@pytest.mark.parametrize("use_logs", [False, True])
@pytest.mark.parametrize(
    ("prior_shape", "likelihood_shape"),
    [((3, 2), (2, 2)), ((4, 2), (4, 3)), ((2,), (3,)), ((2, 3, 2), (4, 2))],
)
def test_posterior_shape_mismatch_is_a_clear_error(prior_shape, likelihood_shape, use_logs):
    prior = np.full(prior_shape, 1 / prior_shape[-1])
    values = np.full(likelihood_shape, 0.5)
    name = "log_likelihood" if use_logs else "likelihood"
    kwargs = {"log_likelihood": np.log(values)} if use_logs else {"likelihood": values}
    with pytest.raises(ValueError, match=f"^{name} of shape .* does not match prior of shape"):
        posterior(prior, **kwargs)


# --- grid_posterior ------------------------------------------------------------------------


def _coin_grid(k: int, n: int, a: float, b: float, size: int = 2001):
    theta = np.linspace(0.0, 1.0, size)
    return theta, stats.beta.logpdf(theta, a, b), stats.binom.logpmf(k, n, theta)


def test_grid_posterior_matches_the_conjugate_beta() -> None:
    k, n, a, b = 13, 40, 2.0, 3.0
    theta, log_prior, log_like = _coin_grid(k, n, a, b)
    result = grid_posterior(theta, log_prior, log_like)
    exact = stats.beta(a + k, b + n - k)
    # The integrand θ^14 (1 - θ)^29 vanishes at both ends with its first 13 derivatives, so by
    # the Euler–Maclaurin formula the trapezoidal rule's error is far below its O(h^2) worst
    # case (measured about 1e-14); 1e-10 leaves room for rounding on other machines.
    np.testing.assert_allclose(result.density, exact.pdf(theta), rtol=1e-10, atol=1e-10)
    assert result.mean == pytest.approx(exact.mean(), rel=1e-10)
    assert result.sd == pytest.approx(exact.std(), rel=1e-10)
    # The cumulative trapezoidal error is at most h^2 / 12 * ∫ |f''| dθ (plus normalisation).
    h = theta[1] - theta[0]
    curvature = np.abs(np.gradient(np.gradient(exact.pdf(theta), h), h))
    bound = h**2 / 12 * np.sum(curvature) * h
    np.testing.assert_allclose(result.cdf(), exact.cdf(theta), atol=2 * bound)


def test_grid_log_evidence_matches_the_beta_binomial() -> None:
    # ∫ Binomial(k | n, θ) Beta(θ | a, b) dθ is the beta-binomial pmf.
    k, n, a, b = 7, 25, 1.5, 1.5
    theta, log_prior, log_like = _coin_grid(k, n, a, b, size=4001)
    # The prior's slope is infinite at the ends, but the integrand θ^7.5 (1 - θ)^18.5 still
    # vanishes there with several derivatives, so the trapezoidal error is again far below
    # O(h^2) (Euler–Maclaurin; measured about 2e-15).
    result = grid_posterior(theta, log_prior, log_like)
    assert result.log_evidence == pytest.approx(stats.betabinom.logpmf(k, n, a, b), abs=1e-10)


def test_grid_posterior_survives_likelihoods_that_underflow() -> None:
    # 20 000 flips: θ^k (1 - θ)^(n - k) is below 1e-5000, zero in float64, at every θ.
    k, n = 6_100, 20_000
    theta = np.linspace(0.27, 0.34, 1401)
    log_like = stats.binom.logpmf(k, n, theta)
    # Precondition (a fact about float64, not about the library): the raw product underflows.
    assert np.all(np.exp(k * np.log(theta) + (n - k) * np.log1p(-theta)) == 0.0)
    result = grid_posterior(theta, np.zeros_like(theta), log_like)
    exact = stats.beta(1 + k, 1 + n - k)
    assert result.mean == pytest.approx(exact.mean(), rel=1e-9)
    assert result.sd == pytest.approx(exact.std(), rel=1e-5)


def test_grid_posterior_accepts_a_prior_that_is_zero_somewhere() -> None:
    theta = np.linspace(0.0, 1.0, 1001)
    log_prior = np.where(theta <= 0.5, np.log(2.0), -np.inf)  # uniform on [0, 0.5]
    result = grid_posterior(theta, log_prior, np.zeros_like(theta))
    assert np.all(result.density[theta > 0.5] == 0.0)
    assert result.mean == pytest.approx(0.25, rel=1e-3)


@pytest.mark.parametrize(
    ("grid", "log_prior", "log_like", "message"),
    [
        ([0.0, 1.0], [0.0, 0.0], [0.0, 0.0], "at least 3 points"),
        ([0.0, 0.5, 0.5], [0.0] * 3, [0.0] * 3, "strictly increasing"),
        ([0.0, 0.5, 1.0], [0.0] * 2, [0.0] * 3, "log_prior must have the grid's shape"),
        ([0.0, 0.5, 1.0], [0.0] * 3, [[0.0] * 3], "log_likelihood must have the grid's shape"),
        ([0.0, 0.5, 1.0], [0.0, np.nan, 0.0], [0.0] * 3, "log_prior must not contain NaN"),
        ([0.0, 0.5, 1.0], [0.0] * 3, [0.0, np.inf, 0.0], "log_likelihood must not contain NaN"),
        ([0.0, 0.5, 1.0], [-np.inf] * 3, [0.0] * 3, "zero at every grid point"),
        ([[0.0, 0.5, 1.0]], [0.0] * 3, [0.0] * 3, "grid must be 1-dimensional"),
    ],
)
def test_grid_posterior_rejects_bad_input(grid, log_prior, log_like, message) -> None:
    with pytest.raises(ValueError, match=message):
        grid_posterior(grid, log_prior, log_like)


# --- beta_binomial_posterior ---------------------------------------------------------------


def test_beta_binomial_posterior_adds_counts_to_the_prior() -> None:
    post = beta_binomial_posterior(13, 40, prior_a=2.0, prior_b=3.0)
    assert post == BetaPosterior(a=15.0, b=30.0)
    assert post.mean == pytest.approx(stats.beta(15, 30).mean(), rel=1e-12)


def test_beta_mode_is_where_the_density_peaks() -> None:
    post = beta_binomial_posterior(7, 20, prior_a=3.0, prior_b=2.0)
    found = optimize.minimize_scalar(
        lambda t: -stats.beta.logpdf(t, post.a, post.b), bounds=(1e-9, 1 - 1e-9),
        method="bounded", options={"xatol": 1e-10},
    )
    assert post.mode == pytest.approx(found.x, abs=1e-7)


def test_beta_mode_needs_both_shapes_above_one() -> None:
    with pytest.raises(ValueError, match="no interior mode"):
        _ = beta_binomial_posterior(0, 5).mode


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((3.0, 10), {}, TypeError, "successes must be a non-negative integer"),
        ((3, True), {}, TypeError, "trials must be a non-negative integer"),
        ((-1, 10), {}, ValueError, "successes must be a non-negative integer"),
        ((11, 10), {}, ValueError, "cannot exceed trials"),
        ((3, 10), {"prior_a": 0.0}, ValueError, "prior_a must be a positive"),
        ((3, 10), {"prior_b": -1.0}, ValueError, "prior_b must be a positive"),
    ],
)
def test_beta_binomial_posterior_rejects_bad_input(args, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        beta_binomial_posterior(*args, **kwargs)
