"""Gibbs sampling: update one coordinate (or one block) at a time from its full conditional.

Chapter 5 of the book. Every sampler here advances many chains together: a sweep is a
handful of array operations over all chains (and, for the mixture, over all data points),
never a Python loop over them. Results are frozen dataclasses whose ``samples``-like fields
put the chain first and the draw second, ready for :func:`arviz.from_dict`.

``gaussian_conditional``       coordinate ``index`` of a Gaussian given the others
``gaussian_block_conditional`` a block of coordinates of a Gaussian given the rest
``gibbs_gaussian``             one systematic-scan chain on a Gaussian (the contract)
``gibbs_gaussian_chains``      many chains, systematic or random scan, optional blocks
``NormalGamma``                the conjugate prior/posterior of a Normal's mean and precision
``gibbs_normal_gamma``         Gibbs for the Normal model with unknown mean and precision
``gibbs_gaussian_mixture``     data augmentation for a Gaussian mixture's component means
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import arviz as az
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import linalg, special, stats

from bayesbook._validation import (
    as_float_array,
    as_rng,
    check_covariance,
    check_positive,
    check_probability_vector,
)

__all__ = [
    "GaussianBlockConditional",
    "GaussianConditional",
    "GibbsChains",
    "MixtureChains",
    "NormalGamma",
    "NormalGammaChains",
    "gaussian_block_conditional",
    "gaussian_conditional",
    "gibbs_gaussian",
    "gibbs_gaussian_chains",
    "gibbs_gaussian_mixture",
    "gibbs_normal_gamma",
]

SCANS = ("systematic", "random")


# --------------------------------------------------------------------------------------
# Gaussian conditionals
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GaussianConditional:
    """The conditional distribution of one coordinate of a Gaussian given all the others.

    The conditional mean is affine in the other coordinates. It is stored as an
    ``intercept`` and a weight vector over *all* ``D`` coordinates whose entry at
    ``index`` is zero, so that for states ``x`` of shape ``(..., D)``

        conditional mean = intercept + x @ weights,

    whatever value ``x[..., index]`` holds. This makes the mean usable on many states at
    once (many chains) without slicing out the other coordinates.

    Attributes
    ----------
    index : int
        The coordinate this conditional is for.
    intercept : float
        The conditional mean when all other coordinates are zero.
    weights : ndarray, shape (D,)
        Regression weights on the coordinates; ``weights[index] == 0``.
    variance : float
        The conditional variance (a Schur complement); it does not depend on ``x``.
    """

    index: int
    intercept: float
    weights: NDArray[np.float64]
    variance: float

    @property
    def sd(self) -> float:
        """Conditional standard deviation, ``sqrt(variance)``."""
        return float(np.sqrt(self.variance))

    def mean(self, x: ArrayLike) -> NDArray[np.float64]:
        """Return the conditional mean at states ``x`` of shape (..., D), as shape (...)."""
        x = _check_states(x, self.weights.size)
        return self.intercept + x @ self.weights

    def sample(self, x: ArrayLike, rng: np.random.Generator | int) -> NDArray[np.float64]:
        """Return one draw of coordinate ``index`` given each state ``x`` (..., D): shape (...)."""
        rng = as_rng(rng)
        centre = self.mean(x)
        return centre + self.sd * rng.standard_normal(centre.shape)


@dataclass(frozen=True)
class GaussianBlockConditional:
    """The conditional distribution of a block of coordinates of a Gaussian given the rest.

    The same representation as :class:`GaussianConditional`, one row per coordinate of
    the block: for states ``x`` of shape ``(..., D)`` the conditional mean is
    ``intercept + x @ weights.T`` (shape ``(..., B)``), and the columns of ``weights``
    that belong to the block are zero.

    Attributes
    ----------
    block : tuple of int
        The B coordinates this conditional is for, in this order.
    intercept : ndarray, shape (B,)
    weights : ndarray, shape (B, D)
    cov : ndarray, shape (B, B)
        The conditional covariance (the Schur complement).
    cholesky : ndarray, shape (B, B)
        Its lower Cholesky factor, used to draw ``mean + cholesky @ z``.
    """

    block: tuple[int, ...]
    intercept: NDArray[np.float64]
    weights: NDArray[np.float64]
    cov: NDArray[np.float64]
    cholesky: NDArray[np.float64]

    def mean(self, x: ArrayLike) -> NDArray[np.float64]:
        """Return the conditional mean at states ``x`` of shape (..., D), as shape (..., B)."""
        x = _check_states(x, self.weights.shape[1])
        return self.intercept + x @ self.weights.T

    def sample(self, x: ArrayLike, rng: np.random.Generator | int) -> NDArray[np.float64]:
        """Return one draw of the block given each state in ``x`` (..., D), shape (..., B)."""
        rng = as_rng(rng)
        centre = self.mean(x)
        return centre + rng.standard_normal(centre.shape) @ self.cholesky.T


def _schur(
    mean: NDArray[np.float64], cov: NDArray[np.float64], block: list[int]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Intercept (B,), weights (B, D) and covariance (B, B) of x[block] given the rest."""
    rest = [j for j in range(mean.size) if j not in block]
    # Regression coefficients Sigma_br Sigma_rr^{-1}, by a solve rather than an inverse.
    coef = linalg.solve(cov[np.ix_(rest, rest)], cov[np.ix_(rest, block)], assume_a="pos").T
    weights = np.zeros((len(block), mean.size))
    weights[:, rest] = coef
    intercept = mean[block] - coef @ mean[rest]
    cond_cov = cov[np.ix_(block, block)] - coef @ cov[np.ix_(rest, block)]
    return intercept, weights, (cond_cov + cond_cov.T) / 2


def gaussian_conditional(mean: ArrayLike, cov: ArrayLike, index: int) -> GaussianConditional:
    r"""Return the conditional of coordinate ``index`` of N(mean, cov) given the others.

    With :math:`r` the other coordinates,

    .. math::

        x_i \mid x_r \sim \mathcal N\bigl(\mu_i + \Sigma_{ir}\Sigma_{rr}^{-1}(x_r - \mu_r),\;
        \Sigma_{ii} - \Sigma_{ir}\Sigma_{rr}^{-1}\Sigma_{ri}\bigr).

    Parameters
    ----------
    mean : array-like, shape (D,)
    cov : array-like, shape (D, D)
        Symmetric positive definite.
    index : int
        The coordinate, ``0 <= index < D``. For ``D == 1`` the conditional is the marginal.

    Returns
    -------
    GaussianConditional
        ``intercept``, ``weights`` (D,) and ``variance``; ``.mean(x)`` evaluates the
        conditional mean at states of shape (..., D).
    """
    mean, cov = _check_gaussian(mean, cov)
    index = _check_index(index, mean.size)
    intercept, weights, cond_cov = _schur(mean, cov, [index])
    return GaussianConditional(
        index=index, intercept=float(intercept[0]), weights=weights[0],
        variance=float(cond_cov[0, 0]),
    )


def gaussian_block_conditional(
    mean: ArrayLike, cov: ArrayLike, block: Sequence[int]
) -> GaussianBlockConditional:
    """Return the conditional of the coordinates ``block`` of N(mean, cov) given the rest.

    Parameters
    ----------
    mean : array-like, shape (D,)
    cov : array-like, shape (D, D)
        Symmetric positive definite.
    block : sequence of int
        B distinct coordinates in ``0 .. D-1``.

    Returns
    -------
    GaussianBlockConditional
        ``intercept`` (B,), ``weights`` (B, D), ``cov`` and ``cholesky`` (B, B).
    """
    mean, cov = _check_gaussian(mean, cov)
    (block,) = _check_blocks([block], mean.size, partition=False)
    intercept, weights, cond_cov = _schur(mean, cov, list(block))
    return GaussianBlockConditional(
        block=block, intercept=intercept, weights=weights, cov=cond_cov,
        cholesky=np.linalg.cholesky(cond_cov),
    )


# --------------------------------------------------------------------------------------
# Gibbs sampling of a Gaussian
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GibbsChains:
    """Draws from several Gibbs chains run together.

    Attributes
    ----------
    samples : ndarray, shape (n_chains, n_samples, D)
        ``samples[c, t]`` is chain ``c``'s state after sweep ``t + 1`` (the start is not
        stored).
    scan : str
        ``"systematic"`` or ``"random"``.
    """

    samples: NDArray[np.float64]
    scan: str

    def to_inference_data(self, var_name: str = "x") -> az.InferenceData:
        """Return the draws as an ArviZ ``InferenceData`` with one variable of shape (D,)."""
        return az.from_dict(posterior={var_name: self.samples})


def _systematic_sweep(
    x: NDArray[np.float64], conditionals: list[GaussianBlockConditional],
    rng: np.random.Generator,
) -> None:
    """Update every block once, in order, in all chains at once (x is changed in place)."""
    for c in conditionals:
        noise = rng.standard_normal((x.shape[0], len(c.block))) @ c.cholesky.T
        x[:, c.block] = c.intercept + x @ c.weights.T + noise


def _random_sweep(
    x: NDArray[np.float64], conditionals: list[GaussianBlockConditional],
    rng: np.random.Generator,
) -> None:
    """Make as many updates as there are blocks, each chain picking its block at random."""
    n_chains, n_blocks = x.shape[0], len(conditionals)
    for _ in range(n_blocks):
        choice = rng.integers(n_blocks, size=n_chains)
        for b, c in enumerate(conditionals):
            rows = np.flatnonzero(choice == b)
            noise = rng.standard_normal((rows.size, len(c.block))) @ c.cholesky.T
            x[np.ix_(rows, c.block)] = c.intercept + x[rows] @ c.weights.T + noise


def gibbs_gaussian_chains(
    mean: ArrayLike,
    cov: ArrayLike,
    n_samples: int,
    *,
    rng: np.random.Generator | int,
    x0: ArrayLike | None = None,
    n_chains: int | None = None,
    scan: str = "systematic",
    blocks: Sequence[Sequence[int]] | None = None,
) -> GibbsChains:
    """Return draws from Gibbs chains targeting N(mean, cov), all chains advanced together.

    A sweep updates every block once. With ``scan="systematic"`` the blocks are visited in
    the order given; with ``scan="random"`` a sweep is as many updates as there are
    blocks, and before each update every chain picks a block uniformly at random.

    Parameters
    ----------
    mean : array-like, shape (D,)
    cov : array-like, shape (D, D)
        Symmetric positive definite.
    n_samples : int
        Number of sweeps; the state after each is stored.
    rng : numpy.random.Generator or int
    x0 : array-like, shape (D,) or (n_chains, D), optional
        Starting states; a (D,) start is shared by all chains. Default: ``mean``.
    n_chains : int, optional
        Number of chains; default 1, or ``len(x0)`` when ``x0`` is 2-D.
    scan : {"systematic", "random"}
    blocks : sequence of sequences of int, optional
        A partition of ``0 .. D-1`` into blocks updated jointly from their conditional.
        Default: one block per coordinate, ``[[0], [1], ..., [D-1]]``.

    Returns
    -------
    GibbsChains
        ``samples`` of shape (n_chains, n_samples, D).
    """
    mean, cov = _check_gaussian(mean, cov)
    n_samples = check_positive(n_samples, "n_samples", integer=True)
    rng = as_rng(rng)
    if scan not in SCANS:
        raise ValueError(f"scan must be 'systematic' or 'random', got {scan!r}")
    dim = mean.size
    blocks = _check_blocks([[i] for i in range(dim)] if blocks is None else blocks, dim)
    x = _initial_states(x0, mean, n_chains)
    conditionals = [gaussian_block_conditional(mean, cov, block) for block in blocks]
    sweep = _systematic_sweep if scan == "systematic" else _random_sweep
    samples = np.empty((x.shape[0], n_samples, dim))
    for t in range(n_samples):
        sweep(x, conditionals, rng)
        samples[:, t] = x
    return GibbsChains(samples=samples, scan=scan)


def gibbs_gaussian(
    mean: ArrayLike,
    cov: ArrayLike,
    n_samples: int,
    *,
    rng: np.random.Generator | int,
    x0: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Return the states of one systematic-scan Gibbs chain on N(mean, cov).

    Parameters
    ----------
    mean : array-like, shape (D,)
    cov : array-like, shape (D, D)
        Symmetric positive definite.
    n_samples : int
        Number of sweeps over all D coordinates.
    rng : numpy.random.Generator or int
    x0 : array-like, shape (D,), optional
        Starting state; default ``mean``.

    Returns
    -------
    ndarray, shape (n_samples, D)
        Row ``t`` is the state after sweep ``t + 1``.
    """
    if x0 is not None and np.ndim(x0) != 1:
        raise ValueError(f"x0 must be one state of shape (D,), got shape {np.shape(x0)}")
    return gibbs_gaussian_chains(mean, cov, n_samples, rng=rng, x0=x0).samples[0]


# --------------------------------------------------------------------------------------
# Normal model with unknown mean and precision
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NormalGamma:
    """A Normal–Gamma distribution of a mean ``mu`` and a precision ``tau``.

    ``tau ~ Gamma(shape, rate)`` and ``mu | tau ~ N(mean, 1 / (kappa * tau))``. It is the
    conjugate prior of a Normal likelihood with unknown mean and precision; the same class
    holds the posterior (:meth:`posterior`).

    Attributes
    ----------
    mean : float
        Location of ``mu``.
    kappa : float
        Prior "number of observations" behind ``mean``; > 0.
    shape, rate : float
        Gamma shape and rate of ``tau``; > 0.
    """

    mean: float
    kappa: float
    shape: float
    rate: float

    def __post_init__(self) -> None:
        # Store plain floats (the dataclass is frozen, hence object.__setattr__).
        object.__setattr__(self, "mean", float(as_float_array(self.mean, "mean", ndim=0)))
        for name in ("kappa", "shape", "rate"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))

    def posterior(self, x: ArrayLike) -> NormalGamma:
        """Return the Normal–Gamma posterior after observing data ``x`` of shape (N,)."""
        x = _check_data(x)
        n, xbar = x.size, float(x.mean())
        kappa_n = self.kappa + n
        return NormalGamma(
            mean=(self.kappa * self.mean + n * xbar) / kappa_n,
            kappa=kappa_n,
            shape=self.shape + n / 2,
            rate=self.rate
            + 0.5 * float(np.sum((x - xbar) ** 2))
            + 0.5 * self.kappa * n * (xbar - self.mean) ** 2 / kappa_n,
        )

    def mean_marginal(self) -> stats.rv_continuous:
        """Return the marginal of ``mu``: a Student-t with ``2 * shape`` degrees of freedom."""
        return stats.t(
            df=2 * self.shape, loc=self.mean, scale=np.sqrt(self.rate / (self.shape * self.kappa))
        )

    def precision_marginal(self) -> stats.rv_continuous:
        """Return the marginal of ``tau``: ``Gamma(shape, rate)`` as a frozen scipy distribution."""
        return stats.gamma(a=self.shape, scale=1 / self.rate)


@dataclass(frozen=True)
class NormalGammaChains:
    """Draws of the mean and precision from several Gibbs chains.

    Attributes
    ----------
    mean : ndarray, shape (n_chains, n_samples)
    precision : ndarray, shape (n_chains, n_samples)
    """

    mean: NDArray[np.float64]
    precision: NDArray[np.float64]

    def to_inference_data(self) -> az.InferenceData:
        """Return the draws as an ArviZ ``InferenceData`` with variables ``mu`` and ``tau``."""
        return az.from_dict(posterior={"mu": self.mean, "tau": self.precision})


def gibbs_normal_gamma(
    x: ArrayLike,
    prior: NormalGamma,
    n_samples: int,
    *,
    rng: np.random.Generator | int,
    n_chains: int = 1,
    precision0: float | ArrayLike | None = None,
) -> NormalGammaChains:
    """Return Gibbs draws of (mu, tau) for x_i ~ N(mu, 1/tau) under a Normal–Gamma prior.

    Each sweep draws ``mu | tau, x`` and then ``tau | mu, x``:

    - ``mu | tau, x ~ N(m_n, 1 / (kappa_n * tau))`` with the posterior's ``m_n, kappa_n``;
    - ``tau | mu, x ~ Gamma(a_0 + (N + 1)/2,
      b_0 + (kappa_0 (mu - m_0)^2 + sum_i (x_i - mu)^2) / 2)``.

    The sum over data points uses the sufficient statistics (N, mean, sum of squares), so a
    sweep costs the same for any N.

    Parameters
    ----------
    x : array-like, shape (N,)
        The data.
    prior : NormalGamma
    n_samples : int
        Number of sweeps.
    rng : numpy.random.Generator or int
    n_chains : int
        Chains advanced together.
    precision0 : float or array-like of shape (n_chains,), optional
        Starting precision(s); default the prior mean ``shape / rate``.

    Returns
    -------
    NormalGammaChains
        ``mean`` and ``precision``, each of shape (n_chains, n_samples).
    """
    x = _check_data(x)
    if not isinstance(prior, NormalGamma):
        raise TypeError(f"prior must be a NormalGamma, got {type(prior).__name__}")
    n_samples = check_positive(n_samples, "n_samples", integer=True)
    n_chains = check_positive(n_chains, "n_chains", integer=True)
    rng = as_rng(rng)
    tau = _initial_precision(precision0, prior, n_chains)
    post = prior.posterior(x)
    n, xbar = x.size, x.mean()
    scatter = np.sum((x - xbar) ** 2)
    shape = prior.shape + (n + 1) / 2
    means, precisions = np.empty((n_chains, n_samples)), np.empty((n_chains, n_samples))
    for t in range(n_samples):
        mu = post.mean + rng.standard_normal(n_chains) / np.sqrt(post.kappa * tau)
        # sum_i (x_i - mu)^2 = scatter + N (xbar - mu)^2, for every chain at once.
        squares = prior.kappa * (mu - prior.mean) ** 2 + scatter + n * (xbar - mu) ** 2
        tau = rng.gamma(shape, 1 / (prior.rate + squares / 2))
        means[:, t], precisions[:, t] = mu, tau
    return NormalGammaChains(mean=means, precision=precisions)


# --------------------------------------------------------------------------------------
# Data augmentation for a Gaussian mixture
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MixtureChains:
    """Draws from the data-augmentation Gibbs sampler of a Gaussian mixture.

    Attributes
    ----------
    means : ndarray, shape (n_chains, n_samples, K)
        Component means after each sweep.
    allocations : ndarray of int, shape (n_chains, n_samples, N)
        The component each data point was allocated to in that sweep.
    """

    means: NDArray[np.float64]
    allocations: NDArray[np.intp]

    def to_inference_data(self) -> az.InferenceData:
        """Return the component means as an ArviZ ``InferenceData`` (variable ``mu``)."""
        return az.from_dict(posterior={"mu": self.means})


def _sample_allocations(
    x: NDArray[np.float64], means: NDArray[np.float64], log_weights: NDArray[np.float64],
    sd: float, rng: np.random.Generator,
) -> NDArray[np.intp]:
    """Draw z_i | mu, x for every chain and data point at once: (n_chains, N) labels."""
    log_p = log_weights - 0.5 * ((x[None, :, None] - means[:, None, :]) / sd) ** 2
    probs = special.softmax(log_p, axis=-1)  # p(z_i = k | x_i, mu), shape (C, N, K)
    u = rng.random((*probs.shape[:-1], 1))
    # Inverse-CDF draw: the label is the number of cumulative probabilities below u.
    labels = np.sum(u > np.cumsum(probs, axis=-1), axis=-1)
    return np.minimum(labels, probs.shape[-1] - 1)


def _sample_means(
    x: NDArray[np.float64], labels: NDArray[np.intp], n_components: int, sd: float,
    prior_mean: float, prior_sd: float, rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draw mu_k | z, x for every chain and component at once: (n_chains, K) means."""
    members = labels[..., None] == np.arange(n_components)  # (C, N, K) one-hot
    counts = members.sum(axis=1)
    sums = np.einsum("cnk,n->ck", members, x)
    precision = 1 / prior_sd**2 + counts / sd**2
    centre = (prior_mean / prior_sd**2 + sums / sd**2) / precision
    return centre + rng.standard_normal(centre.shape) / np.sqrt(precision)


def gibbs_gaussian_mixture(
    x: ArrayLike,
    n_samples: int,
    *,
    weights: ArrayLike,
    sd: float,
    prior_mean: float,
    prior_sd: float,
    rng: np.random.Generator | int,
    n_chains: int = 1,
    means0: ArrayLike | None = None,
) -> MixtureChains:
    """Return data-augmentation Gibbs draws of the means of a 1-D Gaussian mixture.

    The model: ``mu_k ~ N(prior_mean, prior_sd^2)`` independently, ``z_i ~
    Categorical(weights)``, ``x_i | z_i ~ N(mu_{z_i}, sd^2)``, with the weights and ``sd``
    known. Each sweep draws every allocation ``z_i | mu, x`` at once, then every mean
    ``mu_k | z, x`` from its Normal conditional.

    Parameters
    ----------
    x : array-like, shape (N,)
        The data.
    n_samples : int
        Number of sweeps.
    weights : array-like, shape (K,)
        Component weights, positive and summing to one.
    sd : float
        The components' common standard deviation.
    prior_mean, prior_sd : float
        The Normal prior of each component mean.
    rng : numpy.random.Generator or int
    n_chains : int
        Chains advanced together.
    means0 : array-like, shape (K,) or (n_chains, K), optional
        Starting means; default: independent draws from the prior for each chain.

    Returns
    -------
    MixtureChains
        ``means`` (n_chains, n_samples, K) and ``allocations`` (n_chains, n_samples, N).
    """
    x = _check_data(x)
    n_samples = check_positive(n_samples, "n_samples", integer=True)
    n_chains = check_positive(n_chains, "n_chains", integer=True)
    weights = check_probability_vector(weights, "weights")
    if np.any(weights == 0):
        raise ValueError("weights must be strictly positive; drop components with weight zero")
    sd = check_positive(sd, "sd")
    prior_sd = check_positive(prior_sd, "prior_sd")
    prior_mean = float(as_float_array(prior_mean, "prior_mean", ndim=0))
    rng = as_rng(rng)
    n_components = weights.size
    if means0 is None:
        means = prior_mean + prior_sd * rng.standard_normal((n_chains, n_components))
    else:
        means = _broadcast_start(means0, "means0", n_chains, n_components)
    log_weights = np.log(weights)
    mean_draws = np.empty((n_chains, n_samples, n_components))
    label_draws = np.empty((n_chains, n_samples, x.size), dtype=np.intp)
    for t in range(n_samples):
        labels = _sample_allocations(x, means, log_weights, sd, rng)
        means = _sample_means(x, labels, n_components, sd, prior_mean, prior_sd, rng)
        mean_draws[:, t], label_draws[:, t] = means, labels
    return MixtureChains(means=mean_draws, allocations=label_draws)


# --------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------


def _check_gaussian(
    mean: ArrayLike, cov: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    mean = as_float_array(mean, "mean", ndim=1)
    if mean.size == 0:
        raise ValueError("mean must have at least one coordinate")
    cov = check_covariance(cov, "cov")
    if cov.shape != (mean.size, mean.size):
        raise ValueError(
            f"cov must have shape (D, D) = {(mean.size, mean.size)} to match mean, "
            f"got {cov.shape}"
        )
    return mean, cov


def _check_index(index: int, dim: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"index must be an integer coordinate, got {index!r}")
    if not 0 <= index < dim:
        raise ValueError(f"index must be between 0 and D - 1 = {dim - 1}, got {index}")
    return int(index)


def _check_blocks(
    blocks: Sequence[Sequence[int]], dim: int, *, partition: bool = True
) -> list[tuple[int, ...]]:
    checked, seen = [], set()
    for block in blocks:
        if np.ndim(block) != 1 or len(block) == 0:
            raise ValueError(f"each block must be a non-empty list of coordinates, got {block!r}")
        block = tuple(_check_index(i, dim) for i in block)
        repeated = seen.intersection(block) or (len(set(block)) < len(block))
        if repeated:
            raise ValueError(f"blocks must not repeat a coordinate: {block} repeats one")
        seen.update(block)
        checked.append(block)
    missing = sorted(set(range(dim)) - seen)
    if partition and missing:
        raise ValueError(
            f"blocks must cover every coordinate 0 .. {dim - 1}: coordinate {missing[0]} is missing"
        )
    return checked


def _check_states(x: ArrayLike, dim: int) -> NDArray[np.float64]:
    x = as_float_array(x, "x")
    if x.ndim == 0 or x.shape[-1] != dim:
        raise ValueError(f"x must have shape (..., D) with D = {dim}, got shape {x.shape}")
    return x


def _check_data(x: ArrayLike) -> NDArray[np.float64]:
    x = as_float_array(x, "x", ndim=1)
    if x.size == 0:
        raise ValueError("x must contain at least one observation")
    return x


def _broadcast_start(
    start: ArrayLike, name: str, n_chains: int, dim: int
) -> NDArray[np.float64]:
    """A (dim,) start shared by all chains or one (n_chains, dim) start per chain, copied."""
    start = as_float_array(start, name)
    if start.shape not in ((dim,), (n_chains, dim)):
        raise ValueError(
            f"{name} must have shape ({dim},) or (n_chains, {dim}) = ({n_chains}, {dim}), "
            f"got {start.shape}"
        )
    return np.array(np.broadcast_to(start, (n_chains, dim)))


def _initial_states(
    x0: ArrayLike | None, mean: NDArray[np.float64], n_chains: int | None
) -> NDArray[np.float64]:
    if n_chains is None:
        n_chains = np.shape(x0)[0] if x0 is not None and np.ndim(x0) == 2 else 1
    n_chains = check_positive(n_chains, "n_chains", integer=True)
    return _broadcast_start(mean if x0 is None else x0, "x0", n_chains, mean.size)


def _initial_precision(
    precision0: float | ArrayLike | None, prior: NormalGamma, n_chains: int
) -> NDArray[np.float64]:
    if precision0 is None:
        return np.full(n_chains, prior.shape / prior.rate)
    tau = as_float_array(precision0, "precision0")
    if tau.shape not in ((), (n_chains,)):
        raise ValueError(
            f"precision0 must be a number or have shape (n_chains,) = ({n_chains},), "
            f"got {tau.shape}"
        )
    if np.any(tau <= 0):
        raise ValueError("precision0 must be positive (a precision is 1 / variance)")
    return np.array(np.broadcast_to(tau, (n_chains,)))
