"""Gaussian mixtures: marginal densities, responsibilities, PyMC models and co-clustering.

A one-dimensional Gaussian mixture with weights :math:`\\pi_k`, means :math:`\\mu_k` and
standard deviations :math:`\\sigma_k` has the marginal density

.. math:: p(x) = \\sum_{k=1}^{K} \\pi_k \\, \\mathcal{N}(x \\mid \\mu_k, \\sigma_k^2),

computed here in log space with the log-sum-exp trick so that it stays finite far in the
tails. The labels :math:`z_i` are summed out; :func:`responsibilities` recovers them as
posterior probabilities :math:`p(z_i = k \\mid x_i)`, and :func:`coclustering` turns
per-draw responsibilities from a posterior sample into the co-clustering matrix
:math:`P(z_i = z_j \\mid \\text{data})`. :func:`exact_partition_posterior` computes the same
matrix exactly, by enumerating every label assignment, for data sets small enough to
enumerate, together with the evidence :math:`\\log p(\\text{data})` and the posterior
probability of every partition of the data (:func:`exact_coclustering` returns the matrix
alone).

Parameters of the mixture functions may carry leading batch axes (for example
``(chain, draw, K)`` from a posterior sample); the last axis always indexes components.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import arviz as az
import numpy as np
import pymc as pm
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special, stats

from bayesbook._validation import (
    ATOL,
    as_float_array,
    as_rng,
    check_positive,
    check_probability_vector,
)

#: The seven data points of the book's three-component example (chapters 6 and 7).
SEVEN_POINT_DATA: NDArray[np.float64] = np.array([1.1, 2.1, 2.0, 1.9, 0.0, -0.1, -0.05])

#: Largest number of label assignments K**N that :func:`exact_partition_posterior` enumerates.
MAX_ASSIGNMENTS: int = 3**12

#: Largest number of data points :func:`exact_partition_posterior` accepts (2**N subsets).
MAX_EXACT_POINTS: int = 12


@dataclass(frozen=True)
class MixturePrior:
    """Priors of the finite Bayesian Gaussian mixture with unknown means and scales.

    ``mu_k ~ Normal(0, mu_sd**2)``, ``sigma_k ~ Gamma(shape=sigma_shape, rate=sigma_rate)``,
    ``weights ~ Dirichlet(alpha, ..., alpha)``, ``z_i ~ Categorical(weights)``,
    ``y_i ~ Normal(mu[z_i], sigma[z_i]**2)``. The field names are the keyword arguments of
    :func:`exact_coclustering`, so ``exact_coclustering(y, K, **asdict(prior))`` works.
    """

    mu_sd: float
    sigma_shape: float
    sigma_rate: float
    alpha: float


#: The priors of the seven-point model: mu ~ N(0, 10^2), sigma ~ Gamma(1, rate 1), Dirichlet(1).
SEVEN_POINT_PRIOR = MixturePrior(mu_sd=10.0, sigma_shape=1.0, sigma_rate=1.0, alpha=1.0)


class MixtureSample(NamedTuple):
    """Draws from a Gaussian mixture: values ``x`` (n,) and component labels ``z`` (n,)."""

    x: NDArray[np.float64]
    z: NDArray[np.int64]


@dataclass(frozen=True)
class CoclusteringEstimate:
    """Monte Carlo estimate of one co-clustering probability P(z_i = z_j | data).

    Attributes
    ----------
    probability : float
        The Rao-Blackwellized estimate: the average over draws of ``per_draw``.
    mcse : float
        Its Monte Carlo standard error, from ArviZ's ``mcse`` (which accounts for
        autocorrelation within chains through the effective sample size).
    ess : float
        The bulk effective sample size of ``per_draw``.
    per_draw : ndarray, shape (n_chains, n_draws)
        P(z_i = z_j | parameters of the draw, data) for every posterior draw.
    """

    probability: float
    mcse: float
    ess: float
    per_draw: NDArray[np.float64]


# ----------------------------------------------------------------------------- validation


def _mixture_parameters(
    weights: ArrayLike, means: ArrayLike, sds: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate and broadcast mixture parameters to a common shape (..., K)."""
    w = as_float_array(weights, "weights")
    mu = as_float_array(means, "means")
    sd = as_float_array(sds, "sds")
    if w.ndim == 0 or w.shape[-1] == 0:
        raise ValueError(
            f"weights must have one entry per component on its last axis, got shape {w.shape}"
        )
    n_components = w.shape[-1]
    for name, arr in (("means", mu), ("sds", sd)):
        if arr.ndim > 0 and arr.shape[-1] not in (1, n_components):
            raise ValueError(
                f"{name} has {arr.shape[-1]} components on its last axis but weights has "
                f"{n_components}; give one {name[:-1]} per component"
            )
    try:
        w, mu, sd = np.broadcast_arrays(w, mu, sd)
    except ValueError as err:
        raise ValueError(
            "weights, means and sds must have broadcastable shapes (..., K): got "
            f"{np.shape(weights)}, {np.shape(means)} and {np.shape(sds)}"
        ) from err
    if np.any(w < 0):
        raise ValueError(f"weights must be non-negative: smallest weight is {w.min():.6g}")
    totals = w.sum(axis=-1)
    bad = ~np.isclose(totals, 1.0, rtol=0, atol=ATOL * max(1, n_components))
    if np.any(bad):
        raise ValueError(
            f"weights must sum to one over components: a sum is {totals[bad].flat[0]:.6g}"
        )
    if np.any(sd <= 0):
        raise ValueError(f"sds must be positive: smallest standard deviation is {sd.min():.6g}")
    return w, mu, sd


def _log_joint(
    x: ArrayLike, weights: ArrayLike, means: ArrayLike, sds: ArrayLike
) -> NDArray[np.float64]:
    """log pi_k + log N(x_i | mu_k, sd_k^2), shape (..., N, K)."""
    data = as_float_array(x, "x", ndim=1)
    w, mu, sd = _mixture_parameters(weights, means, sds)
    log_w = np.log(w, out=np.full(w.shape, -np.inf), where=w > 0)
    log_density = stats.norm.logpdf(data[:, None], mu[..., None, :], sd[..., None, :])
    return log_w[..., None, :] + log_density


def _check_data(x: ArrayLike, name: str) -> NDArray[np.float64]:
    data = as_float_array(x, name, ndim=1)
    if data.size == 0:
        raise ValueError(f"{name} must contain at least one data point")
    return data


def _check_n_components(n_components: int) -> int:
    n_components = check_positive(n_components, "n_components", integer=True)
    if n_components < 2:
        raise ValueError(
            f"a mixture needs at least two components, got n_components={n_components}"
        )
    return n_components


def _check_responsibilities(resp: ArrayLike, min_ndim: int) -> NDArray[np.float64]:
    r = as_float_array(resp, "resp")
    if r.ndim < min_ndim:
        raise ValueError(
            f"resp must have at least {min_ndim} axes (..., N, K), got shape {r.shape}"
        )
    if np.any(r < -ATOL) or np.any(r > 1 + ATOL):
        raise ValueError("resp must hold probabilities between 0 and 1")
    totals = r.sum(axis=-1)
    if not np.allclose(totals, 1.0, rtol=0, atol=ATOL * max(1, r.shape[-1])):
        raise ValueError("resp must sum to one over components (its last axis) for every point")
    return r


# ----------------------------------------------------------------------------- densities


def gmm_logpdf(
    x: ArrayLike, weights: ArrayLike, means: ArrayLike, sds: ArrayLike
) -> NDArray[np.float64]:
    """Return the log density of a 1-D Gaussian mixture at each point, by log-sum-exp.

    Parameters
    ----------
    x : array-like, shape (N,)
        Points at which to evaluate the density.
    weights : array-like, shape (..., K)
        Mixture weights; non-negative, summing to one over the last axis.
    means : array-like, shape (..., K)
        Component means (a scalar is broadcast to every component).
    sds : array-like, shape (..., K)
        Component standard deviations, positive (a scalar is broadcast).

    Returns
    -------
    ndarray, shape (..., N)
        ``log sum_k weights_k N(x_i | means_k, sds_k^2)``; shape (N,) for 1-D parameters.
        Finite wherever some component with positive weight is, however far in the tails.
    """
    return special.logsumexp(_log_joint(x, weights, means, sds), axis=-1)


def responsibilities(
    x: ArrayLike, weights: ArrayLike, means: ArrayLike, sds: ArrayLike
) -> NDArray[np.float64]:
    """Return the posterior label probabilities p(z_i = k | x_i) of a 1-D Gaussian mixture.

    Parameters
    ----------
    x : array-like, shape (N,)
        Data points.
    weights, means, sds : array-like, shape (..., K)
        Mixture parameters as in :func:`gmm_logpdf`; leading axes (for example chain and
        draw of a posterior sample) are kept.

    Returns
    -------
    ndarray, shape (..., N, K)
        Responsibilities; every row (last axis) sums to one. Shape (N, K) for 1-D parameters.
    """
    log_joint = _log_joint(x, weights, means, sds)
    return np.exp(log_joint - special.logsumexp(log_joint, axis=-1, keepdims=True))


def sample_gmm(
    n: int,
    weights: ArrayLike,
    means: ArrayLike,
    sds: ArrayLike,
    *,
    rng: np.random.Generator | int,
) -> MixtureSample:
    """Return ``(x, z)``: n draws from a 1-D Gaussian mixture and their component labels.

    Parameters
    ----------
    n : int
        Number of draws, positive.
    weights : array-like, shape (K,)
        Mixture weights, non-negative and summing to one.
    means, sds : array-like, shape (K,)
        Component means and (positive) standard deviations.
    rng : numpy.random.Generator or int
        Source of randomness (or a seed).

    Returns
    -------
    MixtureSample
        A named tuple: ``x`` (n,) the values and ``z`` (n,) the labels in ``0 .. K-1``,
        following the generative story z ~ Categorical(weights), x | z ~ N(means_z, sds_z^2).
    """
    n = check_positive(n, "n", integer=True)
    gen = as_rng(rng)
    w = check_probability_vector(weights, "weights")
    w, mu, sd = _mixture_parameters(w, means, sds)
    z = gen.choice(w.size, size=n, p=w / w.sum())
    x = gen.normal(mu[z], sd[z])
    return MixtureSample(x=x, z=z)


# ----------------------------------------------------------------------------- PyMC models


def _ordered_initval(x: NDArray[np.float64], n_components: int) -> NDArray[np.float64]:
    """Strictly increasing starting means: evenly spaced quantiles of the data."""
    quantiles = np.quantile(x, (np.arange(n_components) + 0.5) / n_components)
    spread = max(float(np.ptp(x)), 1.0)
    return quantiles + 1e-3 * spread * np.arange(n_components)


def _mean_prior(name: str, x: NDArray[np.float64], n_components: int, mu_sd: float,
                ordered: bool) -> pm.Distribution:
    if ordered:
        return pm.Normal(
            name, 0.0, mu_sd, shape=n_components,
            transform=pm.distributions.transforms.ordered,
            initval=_ordered_initval(x, n_components),
        )
    return pm.Normal(name, 0.0, mu_sd, shape=n_components)


def mixture_model(
    x: ArrayLike,
    n_components: int,
    *,
    ordered: bool = False,
    mu_sd: float = 3.0,
    sigma: float = 1.0,
    alpha: float = 1.0,
) -> pm.Model:
    """Return a PyMC model of a Gaussian mixture with known component scale, labels summed out.

    The model is ``weights ~ Dirichlet(alpha, ..., alpha)``, ``mu_k ~ Normal(0, mu_sd**2)``
    and ``x_i ~ sum_k weights_k Normal(mu_k, sigma**2)`` (``pm.NormalMixture``), so the
    discrete labels never appear and NUTS can sample it.

    Parameters
    ----------
    x : array-like, shape (N,)
        Observed data.
    n_components : int
        Number of components K, at least 2.
    ordered : bool
        If True, the means are constrained to ``mu[0] < mu[1] < ...`` with
        ``pymc.distributions.transforms.ordered``, started at evenly spaced quantiles of the
        data; this removes the K! label symmetry. If False they are exchangeable.
    mu_sd : float
        Prior standard deviation of the means (default 3: weakly informative on data of
        unit scale).
    sigma : float
        The known standard deviation of every component (default 1).
    alpha : float
        Concentration of the symmetric Dirichlet prior on the weights (default 1: uniform).

    Returns
    -------
    pymc.Model
        Free variables ``weights`` (K,) and ``mu`` (K,); the observed variable is ``x``.
    """
    data = _check_data(x, "x")
    n_components = _check_n_components(n_components)
    mu_sd = check_positive(mu_sd, "mu_sd")
    sigma = check_positive(sigma, "sigma")
    alpha = check_positive(alpha, "alpha")
    with pm.Model() as model:
        weights = pm.Dirichlet("weights", a=np.full(n_components, alpha))
        mu = _mean_prior("mu", data, n_components, mu_sd, ordered)
        pm.NormalMixture("x", w=weights, mu=mu, sigma=sigma, observed=data)
    return model


def seven_point_model(
    y: ArrayLike = SEVEN_POINT_DATA, *, ordered: bool = False
) -> pm.Model:
    """Return the book's three-component mixture with unknown means and scales, labels summed out.

    ``mu_k ~ Normal(0, 10**2)``, ``sigma_k ~ Gamma(shape 1, rate 1)``,
    ``weights ~ Dirichlet(1, 1, 1)`` and ``y_i ~ sum_k weights_k Normal(mu_k, sigma_k**2)``
    (``pm.NormalMixture``): the model of :data:`SEVEN_POINT_PRIOR` with the labels
    ``z_i ~ Categorical(weights)`` summed out.

    Parameters
    ----------
    y : array-like, shape (N,)
        Observed data (default :data:`SEVEN_POINT_DATA`).
    ordered : bool
        If True, constrain ``mu[0] < mu[1] < mu[2]`` (removes the 3! label symmetry; label-
        invariant quantities such as co-clustering probabilities are unchanged).

    Returns
    -------
    pymc.Model
        Free variables ``mu`` (3,), ``sigma`` (3,) and ``weights`` (3,); observed ``y``.
    """
    data = _check_data(y, "y")
    prior = SEVEN_POINT_PRIOR
    n_components = 3
    with pm.Model() as model:
        mu = _mean_prior("mu", data, n_components, prior.mu_sd, ordered)
        sigma = pm.Gamma("sigma", alpha=prior.sigma_shape, beta=prior.sigma_rate,
                         shape=n_components)
        weights = pm.Dirichlet("weights", a=np.full(n_components, prior.alpha))
        pm.NormalMixture("y", w=weights, mu=mu, sigma=sigma, observed=data)
    return model


# ----------------------------------------------------------------------------- co-clustering


def coclustering(resp: ArrayLike) -> NDArray[np.float64]:
    """Return the posterior co-clustering matrix P(z_i = z_j | data) from per-draw responsibilities.

    Given the parameters of one posterior draw, the labels are independent with
    ``p(z_i = k) = resp[i, k]``, so for ``i != j``
    ``P(z_i = z_j | draw) = sum_k resp[i, k] resp[j, k]``, an off-diagonal entry of
    ``resp @ resp.T``. Averaging over draws gives the Rao-Blackwellized posterior estimate.
    The diagonal is 1: a point always shares its own component (the diagonal of
    ``resp @ resp.T`` is the probability that two *independent* draws of one label agree).

    Parameters
    ----------
    resp : array-like, shape (n_draws, N, K) or (n_chains, n_draws, N, K)
        Responsibilities of every draw (for example from :func:`responsibilities`); all
        leading axes are averaged over.

    Returns
    -------
    ndarray, shape (N, N)
        Symmetric, entries in [0, 1], ones on the diagonal. For the Monte Carlo error of one
        entry use :func:`coclustering_estimate`.
    """
    r = _check_responsibilities(resp, min_ndim=3)
    flat = r.reshape(-1, *r.shape[-2:])
    matrix = np.tensordot(flat, flat, axes=([0, 2], [0, 2])) / flat.shape[0]
    np.fill_diagonal(matrix, 1.0)
    return matrix


def coclustering_estimate(resp: ArrayLike, i: int, j: int) -> CoclusteringEstimate:
    """Return P(z_i = z_j | data) estimated from posterior draws, with its Monte Carlo error.

    The per-draw values ``sum_k resp[..., i, k] resp[..., j, k]`` form one scalar chain per
    MCMC chain; their mean is entry ``(i, j)`` of :func:`coclustering`, and ArviZ's
    ``mcse``/``ess`` give its standard error and effective sample size, allowing for
    autocorrelation.

    Parameters
    ----------
    resp : array-like, shape (n_chains, n_draws, N, K)
        Responsibilities of every draw, chains kept apart.
    i, j : int
        Two different data points (0-based indices).

    Returns
    -------
    CoclusteringEstimate
        ``probability``, ``mcse``, ``ess`` and the ``per_draw`` values (n_chains, n_draws).
    """
    r = _check_responsibilities(resp, min_ndim=4)
    if r.ndim != 4:
        raise ValueError(
            f"resp must have shape (n_chains, n_draws, N, K) to estimate a Monte Carlo error, "
            f"got shape {r.shape}"
        )
    n_points = r.shape[2]
    for name, index in (("i", i), ("j", j)):
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{name} must be an integer index, got {index!r}")
        if not 0 <= index < n_points:
            raise ValueError(f"{name}={index} is out of range for {n_points} data points")
    if i == j:
        raise ValueError(f"i and j must differ: point {i} always shares its own component")
    per_draw = np.sum(r[:, :, i, :] * r[:, :, j, :], axis=-1)
    return CoclusteringEstimate(
        probability=float(per_draw.mean()),
        mcse=float(np.squeeze(az.mcse(per_draw))),
        ess=float(np.squeeze(az.ess(per_draw))),
        per_draw=per_draw,
    )


# ----------------------------------------------------------------------------- exact enumeration


def _log_gamma_pdf_of_exp(u: NDArray[np.float64], shape: float, rate: float) -> NDArray[np.float64]:
    """log of Gamma(sigma; shape, rate) * d sigma / d u at sigma = exp(u)."""
    return shape * np.log(rate) - special.gammaln(shape) + shape * u - rate * np.exp(u)


def cluster_log_evidence(
    y: ArrayLike,
    members: ArrayLike,
    *,
    mu_sd: float,
    sigma_shape: float,
    sigma_rate: float,
) -> NDArray[np.float64]:
    """Return log p(y_S) for subsets S of the data that share one mixture component.

    For one component with ``mu ~ Normal(0, mu_sd**2)`` and
    ``sigma ~ Gamma(sigma_shape, rate=sigma_rate)``, the points of S are jointly Gaussian
    given sigma (mean zero, covariance ``sigma**2 I + mu_sd**2 11^T``: ``mu`` integrates out
    in closed form); ``sigma`` is then integrated out numerically over ``u = log sigma``
    with adaptive quadrature (``scipy.integrate.quad_vec``). The empty set has evidence 1.

    Parameters
    ----------
    y : array-like, shape (N,)
        Data points.
    members : array-like of bool, shape (M, N)
        Row m marks the points of subset m.
    mu_sd, sigma_shape, sigma_rate : float
        The priors' parameters (positive).

    Returns
    -------
    ndarray, shape (M,)
        The log marginal likelihood of each subset.
    """
    data = _check_data(y, "y")
    mask = np.asarray(members)
    if mask.dtype != bool or mask.ndim != 2 or mask.shape[1] != data.size:
        raise ValueError(
            f"members must be a boolean array of shape (M, {data.size}), "
            f"got dtype {mask.dtype} and shape {mask.shape}"
        )
    tau = check_positive(mu_sd, "mu_sd")
    shape = check_positive(sigma_shape, "sigma_shape")
    rate = check_positive(sigma_rate, "sigma_rate")
    _check_proper(data, shape)

    weights = mask.astype(float)
    n = weights.sum(axis=1)[:, None]
    n_safe = np.maximum(n, 1.0)
    total = (weights @ data)[:, None]
    # Within-subset sum of squares, computed on centred data to limit cancellation.
    centred = data - data.mean()
    within = np.maximum(
        (weights @ centred**2)[:, None] - (weights @ centred)[:, None] ** 2 / n_safe, 0.0
    )

    def log_integrand(u: NDArray[np.float64]) -> NDArray[np.float64]:
        """log p(y_S | sigma = e^u) + log prior density in u, shape (M, len(u))."""
        var = np.exp(2 * u)
        log_lik = (
            -0.5 * n * np.log(2 * np.pi)
            - n * u
            - 0.5 * np.log1p(n * tau**2 / var)
            - 0.5 * within / var
            - 0.5 * total**2 / (n_safe * (var + n * tau**2))
        )
        return log_lik + _log_gamma_pdf_of_exp(u, shape, rate)

    # Integration range: the Gamma prior puts at most 1e-16 of its mass outside it, and the
    # lower end lies well below the smallest gap between data points.
    prior = stats.gamma(shape, scale=1 / rate)
    gaps = np.diff(np.unique(data))
    low = np.log(prior.ppf(1e-16))
    if gaps.size:
        low = min(low, np.log(gaps.min() / 10))
    high = np.log(prior.isf(1e-16))
    if low < -300:
        raise ValueError(
            f"sigma_shape={shape} puts prior mass at scales too small to integrate accurately; "
            "use sigma_shape >= 0.15"
        )
    # Scale each integrand by its maximum (found on a grid finer than any peak's width,
    # which is at least ~1/sqrt(2N) in u) so that every subset is integrated to the same
    # relative accuracy.
    grid = np.linspace(low, high, int(np.ceil((high - low) / 0.02)) + 1)
    on_grid = log_integrand(grid[None, :])
    log_scale = on_grid.max(axis=1)
    peaks = np.unique(grid[on_grid.argmax(axis=1)])
    integral, _ = integrate.quad_vec(
        lambda u: np.exp(log_integrand(np.array([u]))[:, 0] - log_scale),
        low, high, epsabs=1e-13, epsrel=1e-10, norm="max",
        points=[p for p in peaks if low < p < high],
    )
    return np.where(n[:, 0] == 0, 0.0, log_scale + np.log(integral))


def _check_proper(data: NDArray[np.float64], shape: float) -> None:
    """Refuse tied data for which the posterior is improper.

    m identical points in one component give a likelihood growing like sigma^-(m-1) as
    sigma -> 0 (after integrating mu), so the integral against a Gamma(shape) prior near zero
    converges only if shape > m - 1.
    """
    _, counts = np.unique(data, return_counts=True)
    ties = int(counts.max())
    if ties > 1 and shape <= ties - 1:
        raise ValueError(
            f"y has {ties} identical values; with sigma_shape={shape} <= {ties - 1} the posterior "
            "is improper (a component can shrink onto the tied points); use distinct data or "
            f"sigma_shape > {ties - 1}"
        )


@dataclass(frozen=True)
class PartitionPosterior:
    """The exact posterior of a small Bayesian Gaussian mixture (see exact_partition_posterior).

    A *partition* groups the data points that share a component, whatever the component's
    label: the K! relabellings of an assignment z (fewer when components are empty) are one
    partition. Partitions are written as canonical labels, numbered by first appearance
    (point 0 is in group 0, the next point not in group 0 is in group 1, and so on).

    Attributes
    ----------
    log_evidence : float
        log p(y), the log marginal likelihood of the data under the model.
    partitions : ndarray of int, shape (P, N)
        Every partition of the N points into at most K groups, in canonical labels, ordered
        from the most to the least probable.
    probabilities : ndarray, shape (P,)
        Posterior probability of each partition, summing to one (decreasing).
    coclustering : ndarray, shape (N, N)
        ``P(z_i = z_j | y)``; symmetric with ones on the diagonal.
    """

    log_evidence: float
    partitions: NDArray[np.int64]
    probabilities: NDArray[np.float64]
    coclustering: NDArray[np.float64]

    def probability_of(self, labels: ArrayLike) -> float:
        """Return the posterior probability of the partition that ``labels`` (N,) induce.

        Any labelling works (for example the most probable component of each point under
        a fitted approximation); it is compared with the partitions up to relabelling.
        """
        target = canonical_partition(labels)
        if target.size != self.partitions.shape[1]:
            raise ValueError(
                f"labels must have one entry per data point ({self.partitions.shape[1]}), "
                f"got {target.size}"
            )
        matches = np.flatnonzero(np.all(self.partitions == target, axis=1))
        if matches.size == 0:
            raise ValueError(
                f"labels use {target.max() + 1} groups, more than the model's components"
            )
        return float(self.probabilities[matches[0]])


def canonical_partition(labels: ArrayLike) -> NDArray[np.int64]:
    """Return labels (..., N) renumbered by first appearance, the same for every relabelling.

    ``canonical_partition([2, 2, 0, 1])`` is ``[0, 0, 1, 2]``, as is that of ``[1, 1, 2, 0]``.
    """
    z = np.asarray(labels)
    if z.ndim == 0 or not np.issubdtype(z.dtype, np.integer):
        raise ValueError(f"labels must be an integer array (..., N), got {z!r}")
    flat = z.reshape(-1, z.shape[-1])
    # first[m, i]: the index of the first point in row m with the same label as point i.
    first = np.argmax(flat[:, :, None] == flat[:, None, :], axis=2)
    # A point starts a new group where first == its own index; groups are numbered in order.
    starts = first == np.arange(z.shape[-1])
    group_number = np.cumsum(starts, axis=1) - 1
    return np.take_along_axis(group_number, first, axis=1).reshape(z.shape)


def exact_partition_posterior(
    y: ArrayLike,
    n_components: int,
    *,
    mu_sd: float,
    sigma_shape: float,
    sigma_rate: float,
    alpha: float,
) -> PartitionPosterior:
    """Return the exact evidence, partition posterior and co-clustering of a small mixture.

    The model: ``mu_k ~ Normal(0, mu_sd**2)``, ``sigma_k ~ Gamma(sigma_shape,
    rate=sigma_rate)``, ``weights ~ Dirichlet(alpha, ..., alpha)``, ``z_i ~
    Categorical(weights)``, ``y_i ~ Normal(mu[z_i], sigma[z_i]**2)``. Every one of the K**N
    label assignments z is enumerated and weighted by

    ``p(y, z) = p(z) prod_k p(y_{z=k})``,

    where ``p(z)`` is the Dirichlet-multinomial probability (the weights integrated out) and
    ``p(y_S)`` the evidence of the points S sharing one component
    (:func:`cluster_log_evidence`, computed once for each of the 2**N subsets). Their sum is
    the evidence p(y); normalised, they are p(z | y), which is summed over the relabellings
    of each partition and over the assignments with z_i = z_j.

    Parameters
    ----------
    y : array-like, shape (N,)
        Data, at most :data:`MAX_EXACT_POINTS` points, K**N at most :data:`MAX_ASSIGNMENTS`.
    n_components : int
        Number of components K, at least 2.
    mu_sd, sigma_shape, sigma_rate, alpha : float
        The priors' parameters (positive); see :class:`MixturePrior`.

    Returns
    -------
    PartitionPosterior
        ``log_evidence``, ``partitions`` (P, N), ``probabilities`` (P,), ``coclustering``
        (N, N).
    """
    data = _check_data(y, "y")
    n_components = _check_n_components(n_components)
    alpha = check_positive(alpha, "alpha")
    n_points = data.size
    n_assignments = n_components**n_points
    if n_points > MAX_EXACT_POINTS or n_assignments > MAX_ASSIGNMENTS:
        raise ValueError(
            f"exact enumeration of {n_points} points and {n_components} components needs "
            f"{n_components}**{n_points} = {n_assignments} label assignments; it is limited to "
            f"{MAX_EXACT_POINTS} points and {MAX_ASSIGNMENTS} assignments (use MCMC instead)"
        )
    bits = 1 << np.arange(n_points)
    subsets = (np.arange(2**n_points)[:, None] & bits) > 0
    log_evidence = cluster_log_evidence(
        data, subsets, mu_sd=mu_sd, sigma_shape=sigma_shape, sigma_rate=sigma_rate
    )
    labels = np.indices((n_components,) * n_points).reshape(n_points, -1).T
    one_hot = labels[:, :, None] == np.arange(n_components)
    counts = one_hot.sum(axis=1)
    log_prior = (
        special.gammaln(n_components * alpha)
        - special.gammaln(n_points + n_components * alpha)
        + np.sum(special.gammaln(counts + alpha) - special.gammaln(alpha), axis=1)
    )
    subset_index = np.einsum("mnk,n->mk", one_hot, bits)
    log_joint = log_prior + log_evidence[subset_index].sum(axis=1)
    log_total = float(special.logsumexp(log_joint))
    weight = np.exp(log_joint - log_total)
    matrix = np.einsum("m,mik,mjk->ij", weight, one_hot.astype(float), one_hot.astype(float))
    partitions, which = np.unique(canonical_partition(labels), axis=0, return_inverse=True)
    mass = np.bincount(which.ravel(), weights=weight, minlength=partitions.shape[0])
    order = np.argsort(-mass, kind="stable")
    return PartitionPosterior(
        log_evidence=log_total,
        partitions=partitions[order],
        probabilities=mass[order],
        coclustering=matrix,
    )


def exact_coclustering(
    y: ArrayLike,
    n_components: int,
    *,
    mu_sd: float,
    sigma_shape: float,
    sigma_rate: float,
    alpha: float,
) -> NDArray[np.float64]:
    """Return the exact posterior co-clustering matrix P(z_i = z_j | y) of a small mixture.

    The ``coclustering`` of :func:`exact_partition_posterior` (same model and parameters),
    for callers who need only the matrix.

    Returns
    -------
    ndarray, shape (N, N)
        ``P(z_i = z_j | y)``; symmetric with ones on the diagonal.
    """
    return exact_partition_posterior(
        y, n_components, mu_sd=mu_sd, sigma_shape=sigma_shape, sigma_rate=sigma_rate,
        alpha=alpha,
    ).coclustering
