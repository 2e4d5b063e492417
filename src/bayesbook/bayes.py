"""Bayes' theorem: discrete posteriors, grid posteriors in log space, the Beta–binomial pair.

Chapter 1 (``book/01_bayes.md``) teaches these. ``posterior`` is the library's contract:
``posterior([0.996, 0.004], [0.1, 0.8])[1]`` is p(cancer | +) in the screening example.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special

from bayesbook._validation import ATOL, as_float_array, check_positive


def posterior(
    prior: ArrayLike,
    likelihood: ArrayLike | None = None,
    *,
    log_likelihood: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Return the posterior probabilities of K discrete hypotheses (Bayes' rule).

    Give the likelihoods either as they are (``likelihood``) or as their logarithms
    (``log_likelihood``), not both. Use the logarithms when each likelihood is a product of
    many probabilities (many observations): such products underflow to zero in floating
    point, while their logarithms are ordinary numbers, normalised here with
    ``scipy.special.logsumexp``.

    Parameters
    ----------
    prior : array-like, shape (K,) or (..., K)
        Prior probabilities p(H_k), non-negative and summing to one along the last axis.
        Extra leading axes hold several priors (e.g. a range of prevalences) at once.
    likelihood : array-like, shape (K,) or (..., K), optional
        p(data | H_k) for each hypothesis: non-negative numbers. They need not sum to one:
        each is a probability of the *same* data under a *different* hypothesis. Leading
        axes broadcast against those of ``prior`` (several data sets at once).
    log_likelihood : array-like, shape (K,) or (..., K), keyword-only, optional
        log p(data | H_k) instead of ``likelihood``: real numbers, ``-inf`` for data a
        hypothesis rules out.

    Returns
    -------
    ndarray, shape of ``prior`` broadcast with the likelihood
        p(H_k | data) = p(data | H_k) p(H_k) / sum_j p(data | H_j) p(H_j), summing to one
        along the last axis.

    Examples
    --------
    >>> posterior([0.996, 0.004], [0.1, 0.8]).round(4)
    array([0.9689, 0.0311])
    >>> posterior([0.5, 0.5], log_likelihood=[-2000.0, -2001.0]).round(4)
    array([0.7311, 0.2689])
    """
    if (likelihood is None) == (log_likelihood is None):
        raise ValueError(
            "give exactly one of likelihood or log_likelihood (the logarithms when the "
            "likelihoods are too small for floating point)"
        )
    prior_arr = as_float_array(prior, "prior")
    if prior_arr.ndim == 0 or prior_arr.shape[-1] == 0:
        raise ValueError(
            "prior must have at least one hypothesis along its last axis, "
            f"got shape {prior_arr.shape}"
        )
    if np.any(prior_arr < 0):
        raise ValueError(f"prior must be non-negative: its smallest entry is {prior_arr.min():.6g}")
    totals = prior_arr.sum(axis=-1)
    bad = ~np.isclose(totals, 1.0, rtol=0, atol=ATOL * max(1, prior_arr.shape[-1]))
    if np.any(bad):
        raise ValueError(
            "prior must sum to one over the hypotheses (last axis): "
            f"a sum is {totals[bad].flat[0]:.6g}"
        )
    if log_likelihood is not None:
        return _posterior_from_logs(prior_arr, log_likelihood)
    like_arr = as_float_array(likelihood, "likelihood")
    if np.any(like_arr < 0):
        raise ValueError(
            f"likelihood must be non-negative: its smallest entry is {like_arr.min():.6g}"
        )
    _check_matches_prior(prior_arr, like_arr, "likelihood")
    joint = prior_arr * like_arr
    evidence = joint.sum(axis=-1, keepdims=True)
    if np.any(evidence <= 0):
        raise ValueError(
            "the evidence sum_k p(data | H_k) p(H_k) is zero: the data are impossible under "
            "every hypothesis the prior allows, or the likelihoods underflowed to zero (a "
            "product of many probabilities is below the smallest float); in that case pass "
            "their logarithms as log_likelihood= instead"
        )
    return joint / evidence


def _check_matches_prior(
    prior: NDArray[np.float64], values: NDArray[np.float64], name: str
) -> None:
    """Raise unless ``values`` has one entry per hypothesis and broadcasts against ``prior``."""
    mismatch = ValueError(
        f"{name} of shape {values.shape} does not match prior of shape {prior.shape}: "
        "give one value per hypothesis (last axis)"
    )
    if values.ndim == 0 or values.shape[-1] != prior.shape[-1]:
        raise mismatch
    try:
        np.broadcast_shapes(prior.shape, values.shape)
    except ValueError as err:
        raise mismatch from err


def _posterior_from_logs(
    prior: NDArray[np.float64], log_likelihood: ArrayLike
) -> NDArray[np.float64]:
    """Bayes' rule in log space: exp(log p(H) + log p(D | H) - log p(D))."""
    try:
        log_like = np.asarray(log_likelihood, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"log_likelihood must be numeric array-like, got {type(log_likelihood).__name__}"
        ) from err
    if np.any(np.isnan(log_like)) or np.any(log_like == np.inf):
        raise ValueError(
            "log_likelihood must not contain NaN or +inf (use -inf for data a hypothesis "
            "rules out)"
        )
    _check_matches_prior(prior, log_like, "log_likelihood")
    log_prior = np.full(prior.shape, -np.inf)
    np.log(prior, out=log_prior, where=prior > 0)
    log_joint = log_prior + log_like
    log_evidence = special.logsumexp(log_joint, axis=-1, keepdims=True)
    if np.any(log_evidence == -np.inf):
        raise ValueError(
            "the evidence is zero: the data are impossible under every hypothesis the prior "
            "allows (log_likelihood is -inf wherever the prior is positive)"
        )
    return np.exp(log_joint - log_evidence)


@dataclass(frozen=True)
class GridPosterior:
    """A posterior density of one continuous parameter tabulated on a grid.

    Attributes
    ----------
    grid : ndarray, shape (G,)
        Strictly increasing parameter values.
    density : ndarray, shape (G,)
        Posterior density at each grid point; integrates to one by the trapezoidal rule.
    log_evidence : float
        log of the trapezoidal estimate of ∫ p(data | θ) p(θ) dθ.
    """

    grid: NDArray[np.float64]
    density: NDArray[np.float64]
    log_evidence: float

    @property
    def mean(self) -> float:
        """Posterior mean ∫ θ p(θ | data) dθ (trapezoidal rule)."""
        return float(integrate.trapezoid(self.grid * self.density, self.grid))

    @property
    def sd(self) -> float:
        """Posterior standard deviation (trapezoidal rule)."""
        variance = integrate.trapezoid((self.grid - self.mean) ** 2 * self.density, self.grid)
        return float(np.sqrt(variance))

    def cdf(self) -> NDArray[np.float64]:
        """Return the posterior CDF at each grid point, shape (G,), from 0 to 1."""
        return integrate.cumulative_trapezoid(self.density, self.grid, initial=0.0)


def grid_posterior(
    grid: ArrayLike, log_prior: ArrayLike, log_likelihood: ArrayLike
) -> GridPosterior:
    """Return the normalised posterior density of a scalar parameter on a grid, computed in logs.

    The unnormalised log posterior ``log_prior + log_likelihood`` is shifted by its maximum
    before exponentiating, so likelihoods far too small for floating point (thousands of
    observations) still give the right normalised density.

    Parameters
    ----------
    grid : array-like, shape (G,)
        Strictly increasing parameter values, G ≥ 3, covering the posterior's mass.
    log_prior : array-like, shape (G,)
        log p(θ) at each grid point, a log *density* (``-inf`` where the prior is zero).
    log_likelihood : array-like, shape (G,)
        log p(data | θ) at each grid point (``-inf`` allowed).

    Returns
    -------
    GridPosterior
        The density on the grid (trapezoidal normalisation) and the log evidence.
    """
    theta = as_float_array(grid, "grid", ndim=1)
    if theta.size < 3:
        raise ValueError(f"grid must have at least 3 points, got {theta.size}")
    if np.any(np.diff(theta) <= 0):
        raise ValueError("grid must be strictly increasing")
    log_terms = []
    for name, values in (("log_prior", log_prior), ("log_likelihood", log_likelihood)):
        arr = np.asarray(values, dtype=float)
        if arr.shape != theta.shape:
            raise ValueError(f"{name} must have the grid's shape {theta.shape}, got {arr.shape}")
        if np.any(np.isnan(arr)) or np.any(arr == np.inf):
            raise ValueError(f"{name} must not contain NaN or +inf (use -inf for probability zero)")
        log_terms.append(arr)
    log_unnormalised = log_terms[0] + log_terms[1]
    peak = log_unnormalised.max()
    if peak == -np.inf:
        raise ValueError("prior times likelihood is zero at every grid point: widen the grid")
    scaled = np.exp(log_unnormalised - peak)
    area = integrate.trapezoid(scaled, theta)
    return GridPosterior(
        grid=theta, density=scaled / area, log_evidence=float(peak + np.log(area))
    )


@dataclass(frozen=True)
class BetaPosterior:
    """The Beta(a, b) posterior of a success probability θ.

    Attributes
    ----------
    a, b : float
        Shape parameters: prior ``a`` plus successes, prior ``b`` plus failures. The
        distribution itself is ``scipy.stats.beta(a, b)``.
    """

    a: float
    b: float

    @property
    def mean(self) -> float:
        """Posterior mean a / (a + b)."""
        return self.a / (self.a + self.b)

    @property
    def mode(self) -> float:
        """Posterior mode (a − 1) / (a + b − 2), defined when a > 1 and b > 1."""
        if self.a <= 1 or self.b <= 1:
            raise ValueError(
                f"the Beta({self.a:g}, {self.b:g}) density has no interior mode: "
                "it needs a > 1 and b > 1"
            )
        return (self.a - 1) / (self.a + self.b - 2)


def beta_binomial_posterior(
    successes: int, trials: int, *, prior_a: float = 1.0, prior_b: float = 1.0
) -> BetaPosterior:
    """Return the conjugate Beta posterior of θ after k successes in n Bernoulli(θ) trials.

    With prior θ ~ Beta(prior_a, prior_b) and k successes in n trials, the posterior is
    Beta(prior_a + k, prior_b + n − k).

    Parameters
    ----------
    successes : int
        Number of successes k, 0 ≤ k ≤ n.
    trials : int
        Number of trials n ≥ 0.
    prior_a, prior_b : float
        Positive shape parameters of the Beta prior (1, 1 is uniform).

    Returns
    -------
    BetaPosterior
    """
    for name, value in (("successes", successes), ("trials", trials)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value}")
    if successes > trials:
        raise ValueError(f"successes ({successes}) cannot exceed trials ({trials})")
    a = check_positive(prior_a, "prior_a")
    b = check_positive(prior_b, "prior_b")
    return BetaPosterior(a=a + int(successes), b=b + int(trials) - int(successes))
