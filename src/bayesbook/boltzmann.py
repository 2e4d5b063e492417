"""Restricted Boltzmann machines: binary visible and hidden units, trained by Gibbs sampling.

Chapter 9 of the book (``book/09_boltzmann_machines.md``). Units are in {0, 1}; the weights
``W`` have shape (n_visible, n_hidden), the visible biases ``a`` (n_visible,), the hidden
biases ``b`` (n_hidden,), and the energy is

    E(x, h) = −aᵀx − bᵀh − xᵀWh,     p(x, h) = exp(−E(x, h)) / Z.

No visible–visible or hidden–hidden terms ("restricted"), so given one layer the units of
the other are independent Bernoulli variables. Every sampler advances many chains at once
(rows of an array); no Python loop runs over chains or data points.

``energy``, ``free_energy``          E(x, h), and F(x) = −log Σ_h exp(−E(x, h))
``hidden_probabilities``             p(h_j = 1 | x) for every j (and the visible twin)
``exact_log_partition``              log Z by enumerating the smaller layer
``log_likelihood``, ``exact_gradient``  the exact average log-likelihood and its gradient
``block_gibbs``                      alternate h | x and x | h over many chains
``cd_gradient``, ``expected_cd_gradient``  CD-k by sampling, and its exact expectation
``train_rbm``                        CD-k or persistent CD (PCD) by minibatch gradient ascent
``ais_log_partition``                annealed importance sampling for log Z, with its error
``ising_gibbs``, ``ising_metropolis``  single-site samplers for chapter 2's Ising model
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, logsumexp

from bayesbook._validation import as_float_array, as_rng, check_positive
from bayesbook.energy import IsingModel

__all__ = [
    "AISResult",
    "GibbsState",
    "RBMFit",
    "RBMGradient",
    "ais_log_partition",
    "all_binary_states",
    "block_gibbs",
    "cd_gradient",
    "energy",
    "exact_gradient",
    "exact_log_partition",
    "expected_cd_gradient",
    "free_energy",
    "hidden_probabilities",
    "ising_gibbs",
    "ising_metropolis",
    "log_likelihood",
    "train_rbm",
    "visible_probabilities",
    "visible_transition_matrix",
]

#: Largest layer summed over by enumeration: 2^20 ≈ 10^6 states.
MAX_ENUMERABLE_UNITS = 20
#: Largest visible layer for the 2^n × 2^n transition matrix of the visible chain.
MAX_TRANSITION_UNITS = 12


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def _check_params(
    W: ArrayLike, a: ArrayLike, b: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    W = as_float_array(W, "W", ndim=2)
    a = as_float_array(a, "a", ndim=1)
    b = as_float_array(b, "b", ndim=1)
    if W.shape[0] == 0 or W.shape[1] == 0:
        raise ValueError(f"W must have at least one visible and one hidden unit, got {W.shape}")
    if a.shape != (W.shape[0],):
        raise ValueError(
            f"a must have one bias per visible unit: W has shape {W.shape}, so a needs "
            f"shape ({W.shape[0]},), got {a.shape}"
        )
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"b must have one bias per hidden unit: W has shape {W.shape}, so b needs "
            f"shape ({W.shape[1]},), got {b.shape}"
        )
    return W, a, b


def _check_binary(x: ArrayLike, n_units: int, name: str) -> NDArray[np.float64]:
    arr = as_float_array(x, name)
    if arr.ndim == 0 or arr.shape[-1] != n_units:
        raise ValueError(
            f"{name} must have last axis of length {n_units} (one entry per unit), "
            f"got shape {arr.shape}"
        )
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError(
            f"{name} must contain only 0 and 1 (binarise grey levels first, e.g. x > 0.5; "
            "convert ±1 spins with (s + 1) / 2)"
        )
    return arr


def _check_data(data: ArrayLike, n_visible: int) -> NDArray[np.float64]:
    x = _check_binary(data, n_visible, "data")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(
            f"data must have shape (N, {n_visible}) with N ≥ 1 binary vectors as rows, "
            f"got {x.shape}"
        )
    return x


def _check_enumerable(n_units: int, what: str) -> None:
    if n_units > MAX_ENUMERABLE_UNITS:
        raise ValueError(
            f"the smaller layer ({what}) has {n_units} units, 2**{n_units} states: too many "
            f"to enumerate (the limit is {MAX_ENUMERABLE_UNITS}); estimate log Z with "
            "ais_log_partition instead"
        )


# --------------------------------------------------------------------------------------
# Energies, conditionals, exact sums
# --------------------------------------------------------------------------------------


def energy(x: ArrayLike, h: ArrayLike, W: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray:
    """Return E(x, h) = −aᵀx − bᵀh − xᵀWh, shape (...).

    Parameters
    ----------
    x : array-like, shape (..., n_visible)
        Binary visible states; the leading axes broadcast against those of ``h``.
    h : array-like, shape (..., n_hidden)
        Binary hidden states.
    W, a, b : array-like, shapes (n_visible, n_hidden), (n_visible,), (n_hidden,)
    """
    W, a, b = _check_params(W, a, b)
    x = _check_binary(x, W.shape[0], "x")
    h = _check_binary(h, W.shape[1], "h")
    return -(x @ a) - (h @ b) - ((x @ W) * h).sum(axis=-1)


def free_energy(x: ArrayLike, W: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Return F(x) = −aᵀx − Σ_j log(1 + exp(b_j + xᵀW[:, j])), shape (...).

    The hidden units are summed out exactly: exp(−F(x)) = Σ_h exp(−E(x, h)), so
    p(x) = exp(−F(x)) / Z.

    Parameters
    ----------
    x : array-like, shape (..., n_visible)
        Binary visible states.
    W, a, b : array-like, shapes (n_visible, n_hidden), (n_visible,), (n_hidden,)
    """
    W, a, b = _check_params(W, a, b)
    x = _check_binary(x, W.shape[0], "x")
    return _free_energy(x, W, a, b)


def _free_energy(x, W, a, b):
    return -(x @ a) - np.logaddexp(0.0, x @ W + b).sum(axis=-1)


def _free_energy_hidden(h, W, a, b):
    """F(h) = −bᵀh − Σ_i log(1 + exp(a_i + W[i] h)): the visible units summed out."""
    return -(h @ b) - np.logaddexp(0.0, h @ W.T + a).sum(axis=-1)


def hidden_probabilities(x: ArrayLike, W: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Return p(h_j = 1 | x) = σ(b_j + xᵀW[:, j]) for every hidden unit, shape (..., n_hidden).

    Parameters
    ----------
    x : array-like, shape (..., n_visible)
        Binary visible states.
    W : array-like, shape (n_visible, n_hidden)
    b : array-like, shape (n_hidden,)
    """
    W, _, b = _check_params(W, np.zeros(np.shape(W)[0]), b)
    return expit(_check_binary(x, W.shape[0], "x") @ W + b)


def visible_probabilities(h: ArrayLike, W: ArrayLike, a: ArrayLike) -> NDArray[np.float64]:
    """Return p(x_i = 1 | h) = σ(a_i + W[i, :] h) for every visible unit, shape (..., n_visible).

    Parameters
    ----------
    h : array-like, shape (..., n_hidden)
        Binary hidden states.
    W : array-like, shape (n_visible, n_hidden)
    a : array-like, shape (n_visible,)
    """
    W, a, _ = _check_params(W, a, np.zeros(np.shape(W)[1]))
    return expit(_check_binary(h, W.shape[1], "h") @ W.T + a)


def all_binary_states(n_units: int) -> NDArray[np.float64]:
    """Return every configuration of ``n_units`` binary units, shape (2**n_units, n_units).

    Row s holds the binary digits of s, most significant first. Cached and read-only.
    """
    n_units = check_positive(n_units, "n_units", integer=True)
    _check_enumerable(n_units, "n_units")
    return _all_binary_states(n_units)


@functools.lru_cache(maxsize=4)
def _all_binary_states(n_units: int) -> NDArray[np.float64]:
    index = np.arange(2**n_units)[:, None]
    states = ((index >> np.arange(n_units - 1, -1, -1)) & 1).astype(float)
    states.flags.writeable = False
    return states


def exact_log_partition(W: ArrayLike, a: ArrayLike, b: ArrayLike) -> float:
    """Return log Z by enumerating the smaller layer, the other summed out in closed form.

    With n_hidden ≤ n_visible, log Z = log Σ_h exp(−F(h)) over 2^n_hidden hidden states
    (visible units summed out); otherwise log Σ_x exp(−F(x)) over the visible states.

    Raises
    ------
    ValueError
        When the smaller layer has more than 20 units.
    """
    W, a, b = _check_params(W, a, b)
    n_visible, n_hidden = W.shape
    if n_hidden <= n_visible:
        _check_enumerable(n_hidden, "hidden")
        return float(logsumexp(-_free_energy_hidden(_all_binary_states(n_hidden), W, a, b)))
    _check_enumerable(n_visible, "visible")
    return float(logsumexp(-_free_energy(_all_binary_states(n_visible), W, a, b)))


def log_likelihood(data: ArrayLike, W: ArrayLike, a: ArrayLike, b: ArrayLike) -> float:
    """Return the exact average log-likelihood (1/N) Σ_n log p(x_n) = −mean F(x_n) − log Z.

    Parameters
    ----------
    data : array-like, shape (N, n_visible)
        Binary data vectors.
    W, a, b : array-like, shapes (n_visible, n_hidden), (n_visible,), (n_hidden,)
    """
    W, a, b = _check_params(W, a, b)
    x = _check_data(data, W.shape[0])
    return float(-_free_energy(x, W, a, b).mean() - exact_log_partition(W, a, b))


@dataclass(frozen=True)
class RBMGradient:
    """A gradient (or gradient estimate) of the average log-likelihood.

    Attributes
    ----------
    W : ndarray, shape (n_visible, n_hidden)
        ∂L/∂W = ⟨x hᵀ⟩_data − ⟨x hᵀ⟩_model.
    a : ndarray, shape (n_visible,)
        ∂L/∂a = ⟨x⟩_data − ⟨x⟩_model.
    b : ndarray, shape (n_hidden,)
        ∂L/∂b = ⟨h⟩_data − ⟨h⟩_model.
    """

    W: NDArray[np.float64]
    a: NDArray[np.float64]
    b: NDArray[np.float64]

    def flat(self) -> NDArray[np.float64]:
        """All components in one vector (W row by row, then a, then b)."""
        return np.concatenate([self.W.ravel(), self.a, self.b])


def _phase(x: NDArray, p_h: NDArray, weights: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Weighted ⟨x hᵀ⟩, ⟨x⟩, ⟨h⟩ with E[h | x] = p_h; ``weights`` sum to one."""
    return x.T @ (weights[:, None] * p_h), weights @ x, weights @ p_h


def _data_phase(x, W, b):
    weights = np.full(x.shape[0], 1.0 / x.shape[0])
    return _phase(x, expit(x @ W + b), weights)


def _model_phase(W, a, b):
    """⟨x hᵀ⟩, ⟨x⟩, ⟨h⟩ under the model, enumerating the smaller layer."""
    n_visible, n_hidden = W.shape
    if n_hidden <= n_visible:
        _check_enumerable(n_hidden, "hidden")
        h = _all_binary_states(n_hidden)
        log_w = -_free_energy_hidden(h, W, a, b)
        weights = np.exp(log_w - logsumexp(log_w))
        p_x = expit(h @ W.T + a)
        return p_x.T @ (weights[:, None] * h), weights @ p_x, weights @ h
    _check_enumerable(n_visible, "visible")
    x = _all_binary_states(n_visible)
    log_w = -_free_energy(x, W, a, b)
    return _phase(x, expit(x @ W + b), np.exp(log_w - logsumexp(log_w)))


def exact_gradient(data: ArrayLike, W: ArrayLike, a: ArrayLike, b: ArrayLike) -> RBMGradient:
    """Return the exact gradient of the average log-likelihood: data term minus model term.

    The data term uses E[h | x] = σ(b + xᵀW) for each data vector; the model term sums over
    the smaller layer with the other layer's conditional mean in closed form.

    Parameters
    ----------
    data : array-like, shape (N, n_visible)
        Binary data vectors.
    W, a, b : array-like, shapes (n_visible, n_hidden), (n_visible,), (n_hidden,)
    """
    W, a, b = _check_params(W, a, b)
    x = _check_data(data, W.shape[0])
    positive = _data_phase(x, W, b)
    negative = _model_phase(W, a, b)
    return RBMGradient(*(p - n for p, n in zip(positive, negative, strict=True)))


# --------------------------------------------------------------------------------------
# Block Gibbs sampling and contrastive divergence
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GibbsState:
    """The last state of many block-Gibbs chains.

    Attributes
    ----------
    x : ndarray, shape (n_chains, n_visible)
        Visible states after the last x | h update.
    h : ndarray, shape (n_chains, n_hidden)
        The hidden states that generated ``x`` (drawn from h | x at the previous visible
        state), so each row (x, h) is a draw of the joint once the chain has converged.
    p_h : ndarray, shape (n_chains, n_hidden)
        p(h = 1 | x) at the final ``x``: the Rao-Blackwellised hidden means.
    """

    x: NDArray[np.float64]
    h: NDArray[np.float64]
    p_h: NDArray[np.float64]


def _bernoulli(p: NDArray, rng: np.random.Generator) -> NDArray[np.float64]:
    return (rng.random(p.shape) < p).astype(float)


def _gibbs(x, W, a, b, n_steps, rng):
    h = np.zeros((x.shape[0], W.shape[1]))
    for _ in range(n_steps):
        h = _bernoulli(expit(x @ W + b), rng)
        x = _bernoulli(expit(h @ W.T + a), rng)
    return GibbsState(x=x, h=h, p_h=expit(x @ W + b))


def block_gibbs(
    x0: ArrayLike,
    W: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    *,
    n_steps: int,
    rng: np.random.Generator | int,
) -> GibbsState:
    """Run ``n_steps`` block-Gibbs sweeps (h | x, then x | h) on every chain at once.

    Each half-sweep draws a whole layer in one step: given x the hidden units are
    independent with p(h_j = 1 | x) = σ(b_j + xᵀW[:, j]), and given h the visible units
    with p(x_i = 1 | h) = σ(a_i + W[i, :] h). A sweep costs two matrix products.

    Parameters
    ----------
    x0 : array-like, shape (n_chains, n_visible)
        Binary starting states, one row per chain.
    W, a, b : array-like, shapes (n_visible, n_hidden), (n_visible,), (n_hidden,)
    n_steps : int
        Number of sweeps, ≥ 1.
    rng : numpy.random.Generator or int

    Returns
    -------
    GibbsState
    """
    W, a, b = _check_params(W, a, b)
    x = _check_binary(x0, W.shape[0], "x0")
    if x.ndim != 2:
        raise ValueError(f"x0 must have shape (n_chains, {W.shape[0]}), got {x.shape}")
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    return _gibbs(x, W, a, b, n_steps, as_rng(rng))


def cd_gradient(
    data: ArrayLike,
    W: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    *,
    k: int,
    rng: np.random.Generator | int,
    chains: ArrayLike | None = None,
) -> tuple[RBMGradient, NDArray[np.float64]]:
    """Return a CD-k (or PCD) estimate of the gradient and the chains' final visible states.

    The data term is exact given the data (E[h | x] in closed form). The model term is
    replaced by the average of x hᵀ after ``k`` block-Gibbs sweeps, with h at its conditional
    mean given the final x. The chains start at the data (CD-k) or, when ``chains`` is
    given, at those states (persistent CD: pass the returned states back next time).

    Parameters
    ----------
    data : array-like, shape (N, n_visible)
        A minibatch of binary data vectors.
    W, a, b : array-like, shapes (n_visible, n_hidden), (n_visible,), (n_hidden,)
    k : int
        Number of block-Gibbs sweeps, ≥ 1.
    rng : numpy.random.Generator or int
    chains : array-like, shape (n_chains, n_visible), optional
        Persistent chains' states; by default the chains start at the data.

    Returns
    -------
    gradient : RBMGradient
    x_final : ndarray, shape (n_chains, n_visible)
    """
    W, a, b = _check_params(W, a, b)
    x = _check_data(data, W.shape[0])
    start = x if chains is None else _check_data(chains, W.shape[0])
    k = check_positive(k, "k", integer=True)
    return _cd_gradient(x, start, W, a, b, k, as_rng(rng))


def _cd_gradient(x, start, W, a, b, k, rng):
    positive = _data_phase(x, W, b)
    state = _gibbs(start, W, a, b, k, rng)
    weights = np.full(state.x.shape[0], 1.0 / state.x.shape[0])
    negative = _phase(state.x, state.p_h, weights)
    gradient = RBMGradient(*(p - n for p, n in zip(positive, negative, strict=True)))
    return gradient, state.x


def visible_transition_matrix(W: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Return the block-Gibbs transition matrix of the visible layer, shape (2^n, 2^n).

    T[s, t] = Σ_h p(h | x_s) p(x_t | h), the probability that one sweep moves x_s to x_t
    (rows sum to one; states in the order of :func:`all_binary_states`). Only for at most
    12 visible units.
    """
    W, a, b = _check_params(W, a, b)
    n_visible, n_hidden = W.shape
    if n_visible > MAX_TRANSITION_UNITS or n_hidden > MAX_ENUMERABLE_UNITS:
        raise ValueError(
            f"the transition matrix needs at most {MAX_TRANSITION_UNITS} visible and "
            f"{MAX_ENUMERABLE_UNITS} hidden units, got W of shape {W.shape}"
        )
    xs, hs = _all_binary_states(n_visible), _all_binary_states(n_hidden)
    p_h = expit(xs @ W + b)  # (S, n_hidden): p(h_j = 1 | x_s)
    h_given_x = np.prod(np.where(hs[None] == 1, p_h[:, None], 1 - p_h[:, None]), axis=-1)
    p_x = expit(hs @ W.T + a)  # (H, n_visible)
    x_given_h = np.prod(np.where(xs[None] == 1, p_x[:, None], 1 - p_x[:, None]), axis=-1)
    return h_given_x @ x_given_h


def expected_cd_gradient(
    data: ArrayLike, W: ArrayLike, a: ArrayLike, b: ArrayLike, *, k: int
) -> RBMGradient:
    """Return the exact expectation of the CD-k gradient over the chains' randomness.

    The chains start at the data's empirical distribution q₀ and after k sweeps are at
    q_k = q₀ Tᵏ (T from :func:`visible_transition_matrix`); the model term is
    Σ_s q_k(x_s) x_s σ(b + x_sᵀW)ᵀ. Its difference from :func:`exact_gradient` is CD-k's
    bias, free of Monte Carlo noise.
    """
    W, a, b = _check_params(W, a, b)
    x = _check_data(data, W.shape[0])
    k = check_positive(k, "k", integer=True)
    T = visible_transition_matrix(W, a, b)
    index = x @ (2 ** np.arange(W.shape[0] - 1, -1, -1))
    q = np.bincount(index.astype(int), minlength=T.shape[0]) / x.shape[0]
    q = q @ np.linalg.matrix_power(T, k)
    states = _all_binary_states(W.shape[0])
    positive = _data_phase(x, W, b)
    negative = _phase(states, expit(states @ W + b), q)
    return RBMGradient(*(p - n for p, n in zip(positive, negative, strict=True)))


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RBMFit:
    """A trained RBM and its per-epoch history.

    Attributes
    ----------
    W, a, b : ndarray, shapes (n_visible, n_hidden), (n_visible,), (n_hidden,)
        The final parameters.
    log_likelihood : ndarray, shape (n_epochs + 1,)
        Exact average training log-likelihood before training and after each epoch, or
        all NaN when it was not tracked (``track_likelihood=False``).
    reconstruction_error : ndarray, shape (n_epochs,)
        Mean squared difference between each epoch's data and its one-sweep reconstruction
        p(x | h) with h ~ p(h | x): cheap, and not the quantity being optimised.
    chains : ndarray, shape (n_chains, n_visible)
        The persistent chains' final states (PCD); the last minibatch's negatives (CD).
    method : str
        ``"cd"`` or ``"pcd"``.
    k : int
        Gibbs sweeps per gradient estimate.
    """

    W: NDArray[np.float64]
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    log_likelihood: NDArray[np.float64]
    reconstruction_error: NDArray[np.float64]
    chains: NDArray[np.float64]
    method: str
    k: int


def _base_rate_biases(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """log(p / (1 − p)) of each unit's mean, p clipped away from 0 and 1 by 1/(2N)."""
    eps = 0.5 / x.shape[0]
    p = np.clip(x.mean(axis=0), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def train_rbm(
    data: ArrayLike,
    n_hidden: int,
    *,
    method: str = "pcd",
    k: int = 1,
    n_epochs: int,
    batch_size: int,
    learning_rate: float,
    n_chains: int | None = None,
    rng: np.random.Generator | int,
    track_likelihood: bool = False,
    initial: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
) -> RBMFit:
    """Fit an RBM by minibatch gradient ascent with CD-k or persistent CD.

    Each epoch shuffles the data and takes one step ``learning_rate × gradient estimate``
    per minibatch. CD-k restarts the negative chains at the minibatch; PCD keeps
    ``n_chains`` chains alive across updates, each update running ``k`` more sweeps from
    where they stopped. The default start is W ~ N(0, 0.01²), a at the data's base rates
    (log-odds of each pixel's mean), b = 0.

    Parameters
    ----------
    data : array-like, shape (N, n_visible)
        Binary training vectors.
    n_hidden : int
        Number of hidden units.
    method : {"cd", "pcd"}
    k : int
        Block-Gibbs sweeps per gradient estimate.
    n_epochs, batch_size : int
    learning_rate : float
    n_chains : int, optional
        Persistent chains (PCD only); by default ``batch_size``.
    rng : numpy.random.Generator or int
    track_likelihood : bool
        Record the exact log-likelihood after every epoch (small models only).
    initial : (W, a, b), optional
        Starting parameters instead of the default.

    Returns
    -------
    RBMFit
    """
    if method not in ("cd", "pcd"):
        raise ValueError(f"method must be 'cd' or 'pcd', got {method!r}")
    n_hidden = check_positive(n_hidden, "n_hidden", integer=True)
    arr = as_float_array(data, "data", ndim=2)
    x = _check_data(arr, arr.shape[1])
    k = check_positive(k, "k", integer=True)
    n_epochs = check_positive(n_epochs, "n_epochs", integer=True)
    batch_size = check_positive(batch_size, "batch_size", integer=True)
    learning_rate = check_positive(learning_rate, "learning_rate")
    if batch_size > x.shape[0]:
        raise ValueError(f"batch_size = {batch_size} exceeds the {x.shape[0]} data vectors")
    if n_chains is not None and method != "pcd":
        raise ValueError("n_chains is for method='pcd' (CD starts its chains at the data)")
    if n_chains is None:
        n_chains = batch_size
    n_chains = check_positive(n_chains, "n_chains", integer=True)
    generator = as_rng(rng)
    if initial is None:
        W = generator.normal(0.0, 0.01, size=(x.shape[1], n_hidden))
        a, b = _base_rate_biases(x), np.zeros(n_hidden)
    else:
        W, a, b = (p.copy() for p in _check_params(*initial))
        if W.shape != (x.shape[1], n_hidden):
            raise ValueError(
                f"initial W must have shape ({x.shape[1]}, {n_hidden}) to match the data "
                f"and n_hidden, got {W.shape}"
            )
    if track_likelihood:
        _check_enumerable(min(W.shape), "hidden" if n_hidden <= x.shape[1] else "visible")
    chains = x[generator.integers(x.shape[0], size=n_chains)] if method == "pcd" else x[:0]

    def trace() -> float:
        return log_likelihood(x, W, a, b) if track_likelihood else np.nan

    history, errors = [trace()], []
    for _ in range(n_epochs):
        order = generator.permutation(x.shape[0])
        squared = 0.0
        for start in range(0, x.shape[0] - batch_size + 1, batch_size):
            batch = x[order[start : start + batch_size]]
            origin = chains if method == "pcd" else batch
            gradient, negatives = _cd_gradient(batch, origin, W, a, b, k, generator)
            chains = negatives
            h = _bernoulli(expit(batch @ W + b), generator)
            squared += float(((batch - expit(h @ W.T + a)) ** 2).sum())
            W = W + learning_rate * gradient.W
            a = a + learning_rate * gradient.a
            b = b + learning_rate * gradient.b
        n_used = (x.shape[0] // batch_size) * batch_size
        errors.append(squared / (n_used * x.shape[1]))
        history.append(trace())
    return RBMFit(
        W=W, a=a, b=b,
        log_likelihood=np.array(history),
        reconstruction_error=np.array(errors),
        chains=chains, method=method, k=k,
    )


# --------------------------------------------------------------------------------------
# Annealed importance sampling
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AISResult:
    """An annealed-importance-sampling estimate of log Z.

    Attributes
    ----------
    log_z : float
        log Ẑ = log Z₀ + log mean_m exp(w_m).
    stderr : float
        Its Monte Carlo standard error by the delta method: the standard error of the mean
        of the weights exp(w_m), divided by that mean (sd(e^w) / (√M · mean(e^w))).
    log_weights : ndarray, shape (n_chains,)
        The log importance weights w_m (relative to the base model).
    log_z_base : float
        log Z₀ of the base model.
    """

    log_z: float
    stderr: float
    log_weights: NDArray[np.float64]
    log_z_base: float

    @property
    def effective_sample_size(self) -> float:
        """(Σ e^w)² / Σ e^{2w}: how many equally weighted chains the weights are worth."""
        w = np.exp(self.log_weights - self.log_weights.max())
        return float(w.sum() ** 2 / (w**2).sum())


def ais_log_partition(
    W: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    *,
    n_temperatures: int,
    n_chains: int,
    rng: np.random.Generator | int,
    base_biases: ArrayLike | None = None,
) -> AISResult:
    """Estimate log Z of an RBM by annealed importance sampling from a base-rate model.

    The base model has W = 0, b = 0 and visible biases a₀ (``base_biases``, e.g. the data's
    log-odds; by default 0, the uniform distribution), so its log Z₀ = Σ log(1 + e^{a₀}) +
    n_hidden log 2 and exact draws are independent Bernoulli(σ(a₀)). The intermediate
    distributions are RBMs with parameters (βW, (1 − β)a₀ + βa, βb) for β rising linearly
    from 0 to 1 over ``n_temperatures`` values. Each chain starts from an exact base draw,
    adds log f_β(x) − log f_β'(x) (unnormalised, hidden units summed out) at each step from
    β' to β, and then moves x by one block-Gibbs sweep at β.

    Parameters
    ----------
    W, a, b : array-like, shapes (n_visible, n_hidden), (n_visible,), (n_hidden,)
    n_temperatures : int
        Number of β values including 0 and 1, ≥ 2.
    n_chains : int
        Independent AIS runs (importance weights), ≥ 2.
    rng : numpy.random.Generator or int
    base_biases : array-like, shape (n_visible,), optional
        Visible biases a₀ of the base model.

    Returns
    -------
    AISResult
    """
    W, a, b = _check_params(W, a, b)
    n_temperatures = check_positive(n_temperatures, "n_temperatures", integer=True)
    n_chains = check_positive(n_chains, "n_chains", integer=True)
    if n_temperatures < 2 or n_chains < 2:
        raise ValueError(
            "AIS needs n_temperatures ≥ 2 (β = 0 and β = 1) and n_chains ≥ 2 (for an error "
            f"bar), got {n_temperatures} and {n_chains}"
        )
    a0 = np.zeros_like(a) if base_biases is None else as_float_array(base_biases, "base_biases")
    if a0.shape != a.shape:
        raise ValueError(f"base_biases must have shape {a.shape} like a, got {a0.shape}")
    return _ais(W, a, b, a0, np.linspace(0.0, 1.0, n_temperatures), n_chains, as_rng(rng))


def _ais(W, a, b, a0, betas, n_chains, rng):
    def log_f(x, beta):
        return -_free_energy(x, beta * W, (1 - beta) * a0 + beta * a, beta * b)

    x = _bernoulli(np.broadcast_to(expit(a0), (n_chains, a.size)), rng)
    log_w = np.zeros(n_chains)
    for previous, beta in itertools.pairwise(betas):
        log_w += log_f(x, beta) - log_f(x, previous)
        x = _gibbs(x, beta * W, (1 - beta) * a0 + beta * a, beta * b, 1, rng).x
    log_z_base = float(np.logaddexp(0.0, a0).sum() + b.size * np.log(2.0))
    shifted = np.exp(log_w - log_w.max())
    stderr = shifted.std(ddof=1) / (np.sqrt(n_chains) * shifted.mean())
    log_z = log_z_base + float(log_w.max() + np.log(shifted.mean()))
    return AISResult(log_z=log_z, stderr=float(stderr), log_weights=log_w, log_z_base=log_z_base)


# --------------------------------------------------------------------------------------
# Chapter 2's Ising model, sampled one spin at a time
# --------------------------------------------------------------------------------------


def _check_ising_start(model: IsingModel, x0: ArrayLike) -> NDArray[np.float64]:
    x = as_float_array(x0, "x0", ndim=2)
    if x.shape[1] != model.n_units:
        raise ValueError(
            f"x0 must have shape (n_chains, {model.n_units}), one spin per unit, got {x.shape}"
        )
    if not np.all(np.abs(x) == 1):
        raise ValueError("x0 must contain only -1 and +1 spins (convert 0/1 with 2 * x - 1)")
    return x.copy()


def _ising_sampler(model, x0, n_sweeps, rng, rule):
    x = _check_ising_start(model, x0)
    n_sweeps = check_positive(n_sweeps, "n_sweeps", integer=True)
    generator = as_rng(rng)
    J, bias = model.couplings, model.biases
    trace = np.empty((n_sweeps, *x.shape))
    for sweep in range(n_sweeps):
        for i in range(model.n_units):
            field = bias[i] + x @ J[i]  # J[i, i] = 0, so x_i itself does not enter
            u = generator.random(x.shape[0])
            if rule == "gibbs":
                x[:, i] = np.where(u < expit(2.0 * field), 1.0, -1.0)
            else:
                # Flipping x_i changes the energy by ΔE = 2 x_i (b_i + Σ_j J_ij x_j).
                accept = np.log(u) < -2.0 * x[:, i] * field
                x[:, i] = np.where(accept, -x[:, i], x[:, i])
        trace[sweep] = x
    return trace


def ising_gibbs(
    model: IsingModel, x0: ArrayLike, *, n_sweeps: int, rng: np.random.Generator | int
) -> NDArray[np.float64]:
    """Systematic-scan Gibbs sampling of an Ising model on many chains at once.

    Spin i given the others is +1 with probability σ(2(b_i + Σ_j J_ij x_j)).

    Parameters
    ----------
    model : IsingModel
        Chapter 2's ±1 model.
    x0 : array-like, shape (n_chains, M)
        Starting spins.
    n_sweeps : int
        Sweeps through all M spins.
    rng : numpy.random.Generator or int

    Returns
    -------
    ndarray, shape (n_sweeps, n_chains, M)
        The state after every sweep.
    """
    return _ising_sampler(model, x0, n_sweeps, rng, "gibbs")


def ising_metropolis(
    model: IsingModel, x0: ArrayLike, *, n_sweeps: int, rng: np.random.Generator | int
) -> NDArray[np.float64]:
    """Single-spin-flip Metropolis sampling of an Ising model on many chains at once.

    Each sweep proposes to flip spin 1, 2, ..., M in turn and accepts with probability
    min(1, exp(−ΔE)), the proposal being symmetric. Arguments and return as
    :func:`ising_gibbs`.
    """
    return _ising_sampler(model, x0, n_sweeps, rng, "metropolis")
