"""Tests of bayesbook.mle against closed-form estimates, Hessians and covariances."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bayesbook.mle import fit_mle, observed_information


@pytest.fixture(scope="module")
def gaussian_data() -> np.ndarray:
    return np.random.default_rng(11).normal(1.5, 2.0, size=250)


def gaussian_nll(x: np.ndarray):
    """−log L(μ, log σ) for iid Normal data, via scipy.stats."""
    return lambda theta: -stats.norm.logpdf(x, theta[0], np.exp(theta[1])).sum()


def test_observed_information_matches_the_analytic_hessian(gaussian_data) -> None:
    # −log L = n s + Σ(x − μ)² e^{−2s} / 2 + const with s = log σ; its second derivatives are
    # n e^{−2s}, 2 Σ(x − μ) e^{−2s} and 2 Σ(x − μ)² e^{−2s}. Checked away from the optimum.
    x = gaussian_data
    mu, s = 0.7, np.log(1.6)
    r = x - mu
    w = np.exp(-2 * s)
    analytic = np.array([[x.size * w, 2 * r.sum() * w], [2 * r.sum() * w, 2 * (r**2).sum() * w]])
    numeric = observed_information(gaussian_nll(x), [mu, s])
    # Central differences with step 1e-4: truncation ~ h^2 |f''''| and rounding ~ eps |f| / h^2
    # are both below 1e-5 relative to these entries.
    np.testing.assert_allclose(numeric, analytic, rtol=1e-5)


def test_gaussian_fit_matches_the_closed_form(gaussian_data) -> None:
    x = gaussian_data
    n = x.size
    result = fit_mle(gaussian_nll(x), [0.0, 0.0])
    mu_hat, sigma_hat = x.mean(), x.std()  # ddof=0 is the MLE
    assert result.converged
    # |Δθ| ≲ gtol / smallest curvature = 1e-6 / (n / σ̂²) ≈ 2e-8; allow 1e-6.
    np.testing.assert_allclose(result.estimate, [mu_hat, np.log(sigma_hat)], atol=1e-6)
    # Observed information at the MLE is diag(n / σ̂², 2n): SEs σ̂/√n and 1/√(2n).
    np.testing.assert_allclose(
        result.standard_errors, [sigma_hat / np.sqrt(n), 1 / np.sqrt(2 * n)], rtol=1e-5
    )
    np.testing.assert_allclose(result.covariance[0, 1], 0.0, atol=1e-8)
    expected_nll = -stats.norm.logpdf(x, mu_hat, sigma_hat).sum()
    assert result.neg_log_likelihood == pytest.approx(expected_nll, rel=1e-12)


def test_exponential_rate_with_an_analytic_gradient() -> None:
    # Rate λ = e^u: −log L = −n u + e^u Σx, gradient −n + e^u Σx; MLE λ̂ = 1/x̄, SE(u) = 1/√n.
    x = np.random.default_rng(5).exponential(scale=1 / 3.0, size=400)
    total = x.sum()
    result = fit_mle(
        lambda u: -x.size * u[0] + np.exp(u[0]) * total,
        [0.0],
        gradient=lambda u: np.array([-x.size + np.exp(u[0]) * total]),
    )
    assert np.exp(result.estimate[0]) == pytest.approx(1 / x.mean(), rel=1e-8)
    assert result.standard_errors[0] == pytest.approx(1 / np.sqrt(x.size), rel=1e-5)


def test_correlated_parameters_get_the_least_squares_covariance() -> None:
    # Straight line with known noise σ: the MLE is least squares and its covariance is
    # exactly σ² (XᵀX)⁻¹, with a strong off-diagonal term because t is far from zero.
    rng = np.random.default_rng(8)
    t = np.linspace(5.0, 10.0, 60)
    sigma = 0.5
    y = 1.0 + 0.3 * t + rng.normal(0.0, sigma, size=t.size)
    design = np.column_stack([np.ones_like(t), t])
    result = fit_mle(
        lambda beta: np.sum((y - design @ beta) ** 2) / (2 * sigma**2), [0.0, 0.0], gtol=1e-9
    )
    least_squares = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(result.estimate, least_squares, rtol=1e-6)
    np.testing.assert_allclose(
        result.covariance, sigma**2 * np.linalg.inv(design.T @ design), rtol=1e-5
    )


def test_a_flat_direction_is_reported() -> None:
    # The second parameter does not enter the likelihood: not identifiable.
    with pytest.raises(ValueError, match="not positive definite"):
        fit_mle(lambda theta: (theta[0] - 1.0) ** 2, [0.0, 0.0])


@pytest.mark.parametrize(
    ("nll", "x0", "kwargs", "error", "message"),
    [
        (lambda t: np.array([1.0, 2.0]), [0.0], {}, ValueError, "single number"),
        (lambda t: np.nan, [0.0], {}, ValueError, "returned nan"),
        (lambda t: np.inf, [-1.0], {}, ValueError, "reparametrise"),
        (lambda t: t @ t, [[0.0, 1.0]], {}, ValueError, "x0 must be 1-dimensional"),
        (lambda t: 0.0, [], {}, ValueError, "at least one parameter"),
        (lambda t: t @ t, [1.0], {"gtol": 0.0}, ValueError, "gtol must be a positive"),
        (lambda t: t @ t, [1.0], {"max_iter": 10.5}, TypeError, "max_iter must be a positive"),
    ],
)
def test_fit_mle_rejects_bad_input(nll, x0, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        fit_mle(nll, x0, **kwargs)


def test_observed_information_rejects_a_bad_step() -> None:
    with pytest.raises(ValueError, match="step must be a positive"):
        observed_information(lambda t: t @ t, [1.0], step=-1e-4)


def test_observed_information_reports_leaving_the_parameter_space() -> None:
    # At σ = 1e-5 a step of 1e-4 crosses σ = 0, where the density is undefined.
    with pytest.raises(ValueError, match="returned nan"):
        observed_information(lambda t: -stats.norm.logpdf(0.0, 0.0, t[0]), [1e-5])


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3, 1e6])
def test_default_settings_fit_gamma_data_of_any_scale(scale) -> None:
    # Gamma(shape, rate) in (log shape, log rate), started at (0, 0) whatever the data's
    # scale; the reference is scipy's own gamma fit (location fixed at zero). With data in
    # the millions, an identity-scaled first BFGS step leaps to where exp overflows.
    x = np.random.default_rng(3).gamma(2.5, 1.0, size=300) * scale

    def nll(theta):
        return -stats.gamma.logpdf(x, a=np.exp(theta[0]), scale=np.exp(-theta[1])).sum()

    shape, _, gamma_scale = stats.gamma.fit(x, floc=0)
    result = fit_mle(nll, [0.0, 0.0])
    assert result.converged
    # Both fits stop at gradients far below one standard error's worth of curvature.
    np.testing.assert_allclose(
        (result.estimate - [np.log(shape), -np.log(gamma_scale)]) / result.standard_errors,
        0.0, atol=1e-4)


def test_a_non_converged_fit_says_so(gaussian_data) -> None:
    result = fit_mle(gaussian_nll(gaussian_data), [0.0, 0.0], max_iter=1)
    assert not result.converged
    assert "maximum number of iterations" in result.message.lower()
