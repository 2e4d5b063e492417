"""A fully visible Boltzmann machine (Ising model) small enough to enumerate exactly.

Chapter 2 (``book/02_mle.md``) teaches these. States are spins x ∈ {−1, +1}^M, the energy is

    E(x) = −Σ_i b_i x_i − Σ_{i<j} J_ij x_i x_j = −bᵀx − ½ xᵀJx,

with J symmetric and zero on the diagonal, and p(x) = exp(−E(x)) / Z. Every expectation
under the model is computed by summing over all 2^M states, which is what limits these
functions to small M: that limit is the chapter's argument for sampling.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp

from bayesbook._validation import ATOL, as_float_array, as_rng, check_positive

#: Largest number of units enumerated: 2^20 ≈ 10^6 states, a few hundred MB of work arrays.
MAX_ENUMERABLE_UNITS = 20


@dataclass(frozen=True)
class IsingModel:
    """Parameters of a fully visible Boltzmann machine on M ±1 units.

    Attributes
    ----------
    biases : ndarray, shape (M,)
        The fields b_i; a positive b_i favours x_i = +1.
    couplings : ndarray, shape (M, M)
        Symmetric, zero diagonal; J_ij > 0 favours x_i = x_j. Each pair's coupling appears
        twice (J_ij = J_ji) but is one parameter.
    """

    biases: NDArray[np.float64]
    couplings: NDArray[np.float64]

    def __post_init__(self) -> None:
        biases = as_float_array(self.biases, "biases", ndim=1)
        couplings = as_float_array(self.couplings, "couplings", ndim=2)
        n_units = biases.size
        if n_units == 0:
            raise ValueError("biases must have at least one unit")
        if couplings.shape != (n_units, n_units):
            raise ValueError(
                f"couplings must have shape ({n_units}, {n_units}) to match the {n_units} "
                f"biases, got {couplings.shape}"
            )
        if not np.allclose(couplings, couplings.T, rtol=0, atol=ATOL):
            raise ValueError("couplings must be symmetric: J[i, j] = J[j, i]")
        if np.any(np.diag(couplings) != 0):
            raise ValueError(
                "couplings must be zero on the diagonal (x_i² = 1 only adds a constant)"
            )
        object.__setattr__(self, "biases", biases)
        object.__setattr__(self, "couplings", couplings)

    @property
    def n_units(self) -> int:
        """The number of units M."""
        return int(self.biases.size)

    @classmethod
    def zeros(cls, n_units: int) -> IsingModel:
        """Return the model with all parameters zero: every state equally likely."""
        n_units = check_positive(n_units, "n_units", integer=True)
        return cls(np.zeros(n_units), np.zeros((n_units, n_units)))


@dataclass(frozen=True)
class Moments:
    """First and second moments of ±1 units: the model's sufficient statistics.

    Attributes
    ----------
    mean : ndarray, shape (M,)
        E[x_i].
    second : ndarray, shape (M, M)
        E[x_i x_j]; the diagonal is one because x_i² = 1.
    """

    mean: NDArray[np.float64]
    second: NDArray[np.float64]


@dataclass(frozen=True)
class LogLikelihoodGradient:
    """The gradient of the average log-likelihood, as positive minus negative phase.

    Attributes
    ----------
    biases : ndarray, shape (M,)
        ∂L/∂b_i = ⟨x_i⟩_data − ⟨x_i⟩_model.
    couplings : ndarray, shape (M, M)
        ∂L/∂J_ij = ⟨x_i x_j⟩_data − ⟨x_i x_j⟩_model for i ≠ j (the derivative with respect to
        the one shared parameter J_ij = J_ji), zero on the diagonal.
    positive : Moments
        The data moments (positive phase).
    negative : Moments
        The model moments (negative phase).
    """

    biases: NDArray[np.float64]
    couplings: NDArray[np.float64]
    positive: Moments
    negative: Moments

    @property
    def max_abs(self) -> float:
        """The largest absolute component of the gradient."""
        return float(max(np.abs(self.biases).max(), np.abs(self.couplings).max()))


@dataclass(frozen=True)
class EnergyFit:
    """The result of fitting an Ising model by exact gradient ascent.

    Attributes
    ----------
    model : IsingModel
        The fitted parameters.
    log_likelihood : ndarray, shape (n_steps + 1,)
        Average log-likelihood per data point before each step, then after the last.
    gradient_max_abs : ndarray, shape (n_steps + 1,)
        Largest absolute gradient component at the same points.
    converged : bool
        Whether the gradient fell below ``tol`` within ``max_steps``.
    n_steps : int
        Number of gradient steps taken.
    """

    model: IsingModel
    log_likelihood: NDArray[np.float64]
    gradient_max_abs: NDArray[np.float64]
    converged: bool
    n_steps: int


def all_states(n_units: int) -> NDArray[np.float64]:
    """Return every configuration of ``n_units`` ±1 spins, shape (2**n_units, n_units).

    Row s holds the binary digits of s (most significant first) mapped 0 → −1, 1 → +1.
    The array is cached and read-only; copy it before changing it.
    """
    n_units = check_positive(n_units, "n_units", integer=True)
    if n_units > MAX_ENUMERABLE_UNITS:
        raise ValueError(
            f"n_units = {n_units} has 2**{n_units} states, too many to enumerate "
            f"(the limit is {MAX_ENUMERABLE_UNITS} units): estimate expectations by sampling"
        )
    return _all_states(n_units)


@functools.lru_cache(maxsize=4)
def _all_states(n_units: int) -> NDArray[np.float64]:
    index = np.arange(2**n_units)[:, None]
    bits = (index >> np.arange(n_units - 1, -1, -1)) & 1
    states = 2.0 * bits - 1.0
    states.flags.writeable = False
    return states


def _check_spins(x: ArrayLike, n_units: int, name: str) -> NDArray[np.float64]:
    arr = as_float_array(x, name)
    if arr.ndim == 0 or arr.shape[-1] != n_units:
        raise ValueError(
            f"{name} must have last axis of length {n_units} (one entry per unit), "
            f"got shape {arr.shape}"
        )
    if not np.all(np.abs(arr) == 1):
        raise ValueError(f"{name} must contain only -1 and +1 (convert 0/1 data with 2 * x - 1)")
    return arr


def energy(model: IsingModel, x: ArrayLike) -> NDArray[np.float64]:
    """Return the energy E(x) = −bᵀx − ½ xᵀJx of each state, shape (...).

    Parameters
    ----------
    model : IsingModel
    x : array-like, shape (..., M)
        States with entries ±1.
    """
    spins = _check_spins(x, model.n_units, "x")
    return -(spins @ model.biases) - 0.5 * ((spins @ model.couplings) * spins).sum(axis=-1)


def log_partition(model: IsingModel) -> float:
    """Return log Z = log Σ_x exp(−E(x)), summing over all 2^M states (log-sum-exp)."""
    return float(logsumexp(-energy(model, all_states(model.n_units))))


def log_likelihood(model: IsingModel, data: ArrayLike) -> float:
    """Return the average log-likelihood (1/N) Σ_n log p(x_n) of N states, shape (N, M) in."""
    spins = _check_data(data, model.n_units)
    return float(-energy(model, spins).mean() - log_partition(model))


def _log_likelihood_from_moments(model: IsingModel, positive: Moments) -> float:
    """The average log-likelihood from the data moments alone: they are sufficient statistics."""
    mean_negative_energy = positive.mean @ model.biases + 0.5 * np.sum(
        positive.second * model.couplings
    )
    return float(mean_negative_energy - log_partition(model))


def probabilities(model: IsingModel) -> NDArray[np.float64]:
    """Return p(x) for every state, shape (2**M,), in the order of :func:`all_states`."""
    log_weights = -energy(model, all_states(model.n_units))
    return np.exp(log_weights - logsumexp(log_weights))


def _check_data(data: ArrayLike, n_units: int) -> NDArray[np.float64]:
    spins = _check_spins(data, n_units, "data")
    if spins.ndim != 2 or spins.shape[0] == 0:
        raise ValueError(
            f"data must have shape (N, {n_units}) with N ≥ 1 states as rows, got {spins.shape}"
        )
    return spins


def data_moments(data: ArrayLike) -> Moments:
    """Return the empirical moments of N observed states, shape (N, M) in (positive phase)."""
    arr = as_float_array(data, "data", ndim=2)
    spins = _check_data(arr, arr.shape[1])
    return Moments(mean=spins.mean(axis=0), second=spins.T @ spins / spins.shape[0])


def model_moments(model: IsingModel) -> Moments:
    """Return the exact moments E[x] and E[x xᵀ] under the model (negative phase).

    Both are sums over all 2^M states weighted by their probabilities.
    """
    states = all_states(model.n_units)
    p = probabilities(model)
    return Moments(mean=p @ states, second=states.T @ (p[:, None] * states))


def log_likelihood_gradient(model: IsingModel, data: ArrayLike) -> LogLikelihoodGradient:
    """Return the exact gradient of the average log-likelihood: positive minus negative phase.

    Parameters
    ----------
    model : IsingModel
        Parameters b (M,) and J (M, M) at which to evaluate the gradient.
    data : array-like, shape (N, M)
        Observed states with entries ±1.

    Returns
    -------
    LogLikelihoodGradient
        ``biases`` (M,) and ``couplings`` (M, M, zero diagonal), with both phases.
    """
    positive = data_moments(_check_data(data, model.n_units))
    negative = model_moments(model)
    coupling_gradient = positive.second - negative.second
    np.fill_diagonal(coupling_gradient, 0.0)
    return LogLikelihoodGradient(
        biases=positive.mean - negative.mean,
        couplings=coupling_gradient,
        positive=positive,
        negative=negative,
    )


#: Below this step size a failed ascent step means the likelihood cannot be increased.
_SMALLEST_LEARNING_RATE = 1e-12
#: Relative size of the rounding error of an average log-likelihood.
_ROUNDING = 1e-12


def fit_exact(
    data: ArrayLike,
    *,
    learning_rate: float = 0.1,
    max_steps: int = 5000,
    tol: float = 1e-6,
    initial: IsingModel | None = None,
) -> EnergyFit:
    """Return the maximum-likelihood Ising model of ``data``, found by exact gradient ascent.

    Each step moves every parameter by ``learning_rate`` times its gradient (positive minus
    negative phase, the negative phase by enumeration), until the largest gradient component
    is below ``tol`` or ``max_steps`` steps have been taken.

    Parameters
    ----------
    data : array-like, shape (N, M)
        Observed states with entries ±1.
    learning_rate : float
        Initial step size. The log-likelihood is concave with Hessian minus the covariance of
        the sufficient statistics (x_i and x_i x_j); a step below 2 / L, with L the largest
        eigenvalue of that covariance along the path, makes it increase at every step. A
        step that would lower the log-likelihood is not taken: the step size is halved
        instead, so any starting value works and the log-likelihood never decreases.
    max_steps : int
        Largest number of steps.
    tol : float
        Stop when every gradient component is below this in absolute value.
    initial : IsingModel, optional
        Starting parameters; by default all zero (the uniform distribution).

    Returns
    -------
    EnergyFit
    """
    arr = as_float_array(data, "data", ndim=2)
    spins = _check_data(arr, arr.shape[1])
    learning_rate = check_positive(learning_rate, "learning_rate")
    max_steps = check_positive(max_steps, "max_steps", integer=True)
    tol = check_positive(tol, "tol")
    model = IsingModel.zeros(spins.shape[1]) if initial is None else initial
    if model.n_units != spins.shape[1]:
        raise ValueError(
            f"initial has {model.n_units} units but data has {spins.shape[1]} columns"
        )
    gradient = log_likelihood_gradient(model, spins)
    trace = [_log_likelihood_from_moments(model, gradient.positive)]
    sizes = [gradient.max_abs]
    steps = 0
    while sizes[-1] >= tol and steps < max_steps:
        trial = IsingModel(
            model.biases + learning_rate * gradient.biases,
            model.couplings + learning_rate * gradient.couplings,
        )
        trial_gradient = log_likelihood_gradient(trial, spins)
        trial_value = _log_likelihood_from_moments(trial, trial_gradient.positive)
        if not trial_value >= trace[-1] - _ROUNDING * max(1.0, abs(trace[-1])):
            # Too long a step for the curvature here: halve it for the rest of the fit.
            # (A decrease within rounding error is not a decrease: near the optimum the
            # gain of a step is of order (gradient)^2, below the log-likelihood's rounding.)
            learning_rate /= 2
            if learning_rate < _SMALLEST_LEARNING_RATE:
                raise ValueError(
                    "fit_exact: the log-likelihood does not increase along the gradient even "
                    f"for a learning rate below {_SMALLEST_LEARNING_RATE:g}: the gradient is "
                    "wrong or the log-likelihood is not computed accurately at this model"
                )
            continue
        model, gradient = trial, trial_gradient
        trace.append(trial_value)
        sizes.append(gradient.max_abs)
        steps += 1
    return EnergyFit(
        model=model,
        log_likelihood=np.array(trace),
        gradient_max_abs=np.array(sizes),
        converged=sizes[-1] < tol,
        n_steps=steps,
    )


def sample_exact(
    model: IsingModel, n_samples: int, *, rng: np.random.Generator | int
) -> NDArray[np.float64]:
    """Return ``n_samples`` independent exact draws from the model, shape (n_samples, M).

    Draws state indices with probabilities :func:`probabilities`, which needs all 2^M of
    them: a method only for small M.
    """
    generator = as_rng(rng)
    n_samples = check_positive(n_samples, "n_samples", integer=True)
    index = generator.choice(2**model.n_units, size=n_samples, p=probabilities(model))
    return all_states(model.n_units)[index]
