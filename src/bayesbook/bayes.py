"""Bayes' theorem: discrete posteriors, grid posteriors in log space, the Beta–binomial pair.

Chapter 1 (``book/01_bayes.md``) teaches these. ``posterior`` is the library's contract:
``posterior([0.996, 0.004], [0.1, 0.8])[1]`` is p(cancer | +) in the screening example.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate

from bayesbook._validation import ATOL, as_float_array, check_positive


def posterior(prior: ArrayLike, likelihood: ArrayLike) -> NDArray[np.float64]:
    """Return the posterior probabilities of K discrete hypotheses (Bayes' rule).

    Parameters
    ----------
    prior : array-like, shape (K,) or (..., K)
        Prior probabilities p(H_k), non-negative and summing to one along the last axis.
        Extra leading axes hold several priors (e.g. a range of prevalences) at once.
    likelihood : array-like, shape (K,) or broadcastable to ``prior``
        p(data | H_k) for each hypothesis: non-negative numbers. They need not sum to one:
        each is a probability of the *same* data under a *different* hypothesis.

    Returns
    -------
    ndarray, shape of ``prior`` broadcast with ``likelihood``
        p(H_k | data) = p(data | H_k) p(H_k) / sum_j p(data | H_j) p(H_j), summing to one
        along the last axis.

    Examples
    --------
    >>> posterior([0.996, 0.004], [0.1, 0.8]).round(4)
    array([0.9689, 0.0311])
    """
    prior_arr = as_float_array(prior, "prior")
    like_arr = as_float_array(likelihood, "likelihood")
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
    if np.any(like_arr < 0):
        raise ValueError(
            f"likelihood must be non-negative: its smallest entry is {like_arr.min():.6g}"
        )
    mismatch = ValueError(
        f"likelihood of shape {like_arr.shape} does not match prior of shape {prior_arr.shape}: "
        "give one likelihood per hypothesis (last axis)"
    )
    if like_arr.ndim == 0 or like_arr.shape[-1] != prior_arr.shape[-1]:
        raise mismatch
    try:
        joint = prior_arr * like_arr
    except ValueError as err:
        raise mismatch from err
    evidence = joint.sum(axis=-1, keepdims=True)
    if np.any(evidence <= 0):
        raise ValueError(
            "the evidence sum_k p(data | H_k) p(H_k) is zero: the data are impossible under "
            "every hypothesis the prior allows"
        )
    return joint / evidence


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
