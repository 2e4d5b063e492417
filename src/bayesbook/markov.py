"""Finite Markov chains in the column convention ``W[i, j] = P(j -> i)`` (chapter 3).

Every column of a transition matrix ``W`` is the distribution of the next state given the
current one, so columns sum to one and a distribution over states evolves as
``p_next = W @ p``. The functions here evolve distributions, simulate many walkers at once,
find the stationary distribution, decompose ``W`` into eigenvalues and eigenvectors, and
check the properties (irreducibility, period, detailed balance) that decide whether a
chain forgets where it started.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components, shortest_path

from bayesbook._validation import (
    ATOL,
    as_float_array,
    as_rng,
    check_column_stochastic,
    check_positive,
    check_probability_vector,
)

#: Relative tolerance of :func:`detailed_balance` on each pair of flows.
BALANCE_RTOL = 1e-9


def _check_distribution_for(W: NDArray[np.float64], p: ArrayLike, name: str) -> NDArray:
    """A probability vector with one entry per state of ``W``."""
    arr = check_probability_vector(p, name)
    if arr.size != W.shape[0]:
        raise ValueError(
            f"{name} must have one entry per state: W has {W.shape[0]} states, "
            f"{name} has {arr.size} entries"
        )
    return arr


def evolve(W: ArrayLike, p0: ArrayLike, n_steps: int) -> NDArray[np.float64]:
    """Return the distribution over states at every step, ``p(t) = W^t p(0)``.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.
    p0 : array-like, shape (n,)
        Initial distribution over the ``n`` states.
    n_steps : int
        Number of steps to take (positive).

    Returns
    -------
    ndarray, shape (n_steps + 1, n)
        Row ``t`` is the distribution after ``t`` steps; row 0 is ``p0``.
    """
    W = check_column_stochastic(W)
    p = _check_distribution_for(W, p0, "p0")
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    history = np.empty((n_steps + 1, p.size))
    history[0] = p
    for t in range(n_steps):
        history[t + 1] = W @ history[t]
    return history


def closed_classes(W: ArrayLike) -> list[NDArray[np.intp]]:
    """Return the closed communicating classes of ``W``: the sets a chain never leaves.

    A communicating class is a set of states that can all reach each other; it is closed
    when no transition leads out of it. Every finite chain has at least one, and the
    stationary distributions are exactly the mixtures of one per closed class.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.

    Returns
    -------
    list of ndarray of int
        The states of each closed class, in increasing order.
    """
    W = check_column_stochastic(W)
    # csgraph reads graph[a, b] as an edge a -> b, and W.T[j, i] = P(j -> i).
    n_classes, label = connected_components(W.T > 0, directed=True, connection="strong")
    targets, sources = np.nonzero(W > 0)
    leaving = np.zeros(n_classes, dtype=bool)
    leaving[label[sources][label[sources] != label[targets]]] = True
    return [np.flatnonzero(label == k) for k in range(n_classes) if not leaving[k]]


def _gth_stationary(W: NDArray[np.float64]) -> NDArray[np.float64]:
    """Stationary distribution of an irreducible ``W`` by Grassmann–Taksar–Heyman.

    GTH is Gaussian elimination on ``W - I`` in which every pivot is computed as a sum of
    off-diagonal probabilities instead of ``1 - W[k, k]``, so it never subtracts and keeps
    full relative accuracy even when the chain is nearly reducible (a tiny spectral gap).
    """
    P = W.T.copy()  # row-stochastic: P[j, i] = P(j -> i)
    n = P.shape[0]
    for k in range(n - 1, 0, -1):
        leave = P[k, :k].sum()  # probability of leaving state k for a lower state
        P[:k, k] /= leave
        P[:k, :k] += np.outer(P[:k, k], P[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for k in range(1, n):
        pi[k] = pi[:k] @ P[:k, k]
    return pi / pi.sum()


def stationary_distribution(W: ArrayLike) -> NDArray[np.float64]:
    """Return the unique stationary distribution ``pi`` with ``W @ pi = pi``.

    Uniqueness is decided from the graph of ``W``, not from rounding: ``pi`` is unique
    exactly when the chain has one closed communicating class (:func:`closed_classes`),
    and a ``ValueError`` says so otherwise. ``pi`` is zero outside that class and, on it,
    is computed by the Grassmann–Taksar–Heyman elimination, which stays accurate for
    nearly reducible chains (two wells separated by a deep valley, a spectral gap of
    1e-9) where counting small singular values of ``W - I`` would give the wrong answer.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.

    Returns
    -------
    ndarray, shape (n,)
        The stationary distribution: non-negative, summing to one.
    """
    W = check_column_stochastic(W)
    classes = closed_classes(W)
    if len(classes) != 1:
        raise ValueError(
            f"W has {len(classes)} closed classes of states that never communicate, so "
            f"{len(classes)} linearly independent stationary distributions and no unique "
            "one: the chain is reducible (find each class's distribution separately)"
        )
    states = classes[0]
    pi = np.zeros(W.shape[0])
    pi[states] = _gth_stationary(W[np.ix_(states, states)])
    return pi


def simulate(
    W: ArrayLike,
    start: int | ArrayLike,
    n_steps: int,
    *,
    rng: np.random.Generator | int,
    n_walkers: int = 1,
) -> NDArray[np.intp]:
    """Return the states visited by ``n_walkers`` independent walkers, all moved together.

    Each step draws one uniform number per walker and inverts the cumulative sum of the
    walker's current column of ``W``: the next state is the first ``i`` whose cumulative
    probability exceeds the uniform draw. All walkers advance in one array operation.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.
    start : int or array-like of int, shape (n_walkers,)
        Starting state of every walker (one int), or of each walker.
    n_steps : int
        Number of steps (positive).
    rng : numpy.random.Generator or int
        Source of randomness (or a seed for one).
    n_walkers : int, default 1
        Number of independent walkers (positive).

    Returns
    -------
    ndarray of int, shape (n_walkers, n_steps + 1)
        ``states[k, t]`` is walker ``k``'s state after ``t`` steps; column 0 is ``start``.
    """
    W = check_column_stochastic(W)
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    n_walkers = check_positive(n_walkers, "n_walkers", integer=True)
    rng = as_rng(rng)
    n = W.shape[0]
    starts = np.asarray(start)
    if starts.dtype.kind not in "iu":
        raise TypeError(
            f"start must be an integer state index (or an array of them), got {start!r}"
        )
    if starts.ndim == 0:
        starts = np.full(n_walkers, starts)
    if starts.shape != (n_walkers,):
        raise ValueError(
            f"start must be one state or one state per walker, shape ({n_walkers},); "
            f"got shape {starts.shape}"
        )
    if np.any((starts < 0) | (starts >= n)):
        raise ValueError(
            f"start must hold states between 0 and {n - 1}, "
            f"got values from {starts.min()} to {starts.max()}"
        )
    cumulative = np.cumsum(W, axis=0)
    # Normalise each column so that its last entry is exactly 1: every uniform draw in [0, 1)
    # lands somewhere, and states after the column's last positive entry stay unreachable.
    cumulative /= cumulative[-1]
    states = np.empty((n_walkers, n_steps + 1), dtype=np.intp)
    states[:, 0] = starts
    for t in range(n_steps):
        u = rng.random(n_walkers)
        # Count the cumulative probabilities <= u in each walker's column: that is the next state.
        states[:, t + 1] = np.sum(cumulative[:, states[:, t]] <= u, axis=0)
    return states


def detailed_balance(W: ArrayLike, p: ArrayLike, *, rtol: float = BALANCE_RTOL) -> bool:
    """Return whether ``W`` satisfies detailed balance with respect to ``p``.

    Detailed balance holds when the probability flow from ``j`` to ``i`` equals the flow
    back for every pair: ``W[i, j] p[j] == W[j, i] p[i]``. It implies that ``p`` is
    stationary; the converse is false. Each pair is compared on its own scale,
    ``|F_ij - F_ji| <= rtol * max(F_ij, F_ji)``, so a violation between two states of
    probability 1e-22 counts as much as one between likely states.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.
    p : array-like, shape (n,)
        A distribution over the ``n`` states.
    rtol : float, default 1e-9
        Relative tolerance on each pair of flows (rounding of ``W`` and ``p``).

    Returns
    -------
    bool
        True when every pair of flows agrees to relative accuracy ``rtol``.
    """
    W = check_column_stochastic(W)
    p = _check_distribution_for(W, p, "p")
    rtol = check_positive(rtol, "rtol")
    flow = W * p[np.newaxis, :]  # flow[i, j] = P(j -> i) p[j]
    return bool(np.all(np.abs(flow - flow.T) <= rtol * np.maximum(flow, flow.T)))


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues and right eigenvectors of a transition matrix, largest modulus first.

    Attributes
    ----------
    eigenvalues : ndarray, shape (n,)
        Sorted by decreasing modulus (ties: larger real part first), so ``eigenvalues[0]``
        is 1. Real when all eigenvalues are real, complex otherwise.
    eigenvectors : ndarray, shape (n, n)
        Column ``k`` is a right eigenvector for ``eigenvalues[k]`` (unit Euclidean length,
        as ``numpy.linalg.eig`` returns it).
    """

    eigenvalues: NDArray
    eigenvectors: NDArray

    @property
    def spectral_gap(self) -> float:
        """``1 - |lambda_2|``: how fast the slowest transient dies out (1 for one state)."""
        if self.eigenvalues.size < 2:
            return 1.0
        return float(1.0 - abs(self.eigenvalues[1]))

    def coefficients(self, p0: ArrayLike) -> NDArray:
        """Return ``alpha`` (n,) with ``p0 = eigenvectors @ alpha``.

        Then ``p(t) = sum_k eigenvalues[k]**t * alpha[k] * eigenvectors[:, k]``.
        """
        p0 = as_float_array(p0, "p0", ndim=1)
        if p0.size != self.eigenvalues.size:
            raise ValueError(
                f"p0 must have one entry per state ({self.eigenvalues.size}), got {p0.size}"
            )
        return np.real_if_close(np.linalg.solve(self.eigenvectors, p0))


def spectrum(W: ArrayLike) -> Spectrum:
    """Return the eigen-decomposition of ``W`` sorted by decreasing eigenvalue modulus.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.

    Returns
    -------
    Spectrum
        Eigenvalues (n,) and right eigenvectors (n, n, one per column).
    """
    W = check_column_stochastic(W)
    eigenvalues, eigenvectors = np.linalg.eig(W)
    # Round before sorting so that rounding noise does not reorder eigenvalues of equal modulus.
    order = np.lexsort((-np.round(eigenvalues.real, 12), -np.round(np.abs(eigenvalues), 12)))
    return Spectrum(
        eigenvalues=np.real_if_close(eigenvalues[order]),
        eigenvectors=np.real_if_close(eigenvectors[:, order]),
    )


def total_variation(p: ArrayLike, q: ArrayLike) -> float | NDArray[np.float64]:
    """Return the total-variation distance ``0.5 * sum |p - q|`` along the last axis.

    Parameters
    ----------
    p, q : array-like, shape (..., n)
        Distributions over ``n`` states (each along the last axis sums to one); leading
        axes broadcast, e.g. ``p`` of shape (n_steps + 1, n) from :func:`evolve` against
        a stationary ``q`` of shape (n,).

    Returns
    -------
    float or ndarray, shape (...)
        The distance, between 0 (equal) and 1 (disjoint supports).
    """
    arrays = []
    for name, x in (("p", p), ("q", q)):
        arr = as_float_array(x, name)
        if arr.ndim == 0 or np.any(arr < 0):
            raise ValueError(f"{name} must be an array of non-negative probabilities")
        if not np.allclose(arr.sum(axis=-1), 1.0, rtol=0.0, atol=ATOL * arr.shape[-1]):
            raise ValueError(f"{name} must sum to one along its last axis")
        arrays.append(arr)
    p, q = arrays
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"p and q must be distributions over the same states: last axes {p.shape[-1]} "
            f"and {q.shape[-1]}"
        )
    distance = 0.5 * np.abs(p - q).sum(axis=-1)
    return float(distance) if distance.ndim == 0 else distance


def is_irreducible(W: ArrayLike) -> bool:
    """Return whether every state can reach every other state (one communicating class).

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.

    Returns
    -------
    bool
        True when the directed graph with an edge ``j -> i`` wherever ``W[i, j] > 0`` is
        strongly connected.
    """
    W = check_column_stochastic(W)
    n_classes, _ = connected_components(W.T > 0, directed=True, connection="strong")
    return bool(n_classes == 1)


def period(W: ArrayLike) -> int:
    """Return the period of an irreducible chain: the gcd of the lengths of its cycles.

    Label each state by its distance (number of steps) from state 0; every edge ``j -> i``
    then closes a cycle of length ``dist[j] + 1 - dist[i]`` modulo the others, and the
    period is the greatest common divisor of these numbers. Period 1 means aperiodic.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Irreducible column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.

    Returns
    -------
    int
        The period (1 for an aperiodic chain).
    """
    W = check_column_stochastic(W)
    if not is_irreducible(W):
        raise ValueError(
            "the period is defined here for irreducible chains only, and W is reducible "
            "(some state cannot reach another)"
        )
    # csgraph reads graph[a, b] as an edge a -> b, and W.T[j, i] = P(j -> i).
    distance = shortest_path(W.T > 0, directed=True, unweighted=True, indices=0)
    targets, sources = np.nonzero(W > 0)
    lengths = distance[sources] + 1 - distance[targets]
    return int(np.gcd.reduce(np.abs(lengths).astype(np.int64)))


def lazy(W: ArrayLike, holding: float = 0.5) -> NDArray[np.float64]:
    """Return the lazy chain ``holding * I + (1 - holding) * W``.

    The lazy chain stays put with probability ``holding`` and otherwise moves as ``W``.
    It has the same stationary distributions as ``W``, every eigenvalue ``lambda`` becomes
    ``holding + (1 - holding) * lambda``, and it is aperiodic.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix, ``W[i, j] = P(j -> i)``.
    holding : float, default 0.5
        Probability of staying put at each step, strictly between 0 and 1.

    Returns
    -------
    ndarray, shape (n, n)
        The lazy transition matrix (column-stochastic).
    """
    W = check_column_stochastic(W)
    holding = check_positive(holding, "holding")
    if holding >= 1:
        raise ValueError(f"holding must be strictly between 0 and 1, got {holding}")
    return holding * np.eye(W.shape[0]) + (1.0 - holding) * W


def mixing_time(W: ArrayLike, epsilon: float = 0.25, *, max_steps: int = 100_000) -> int:
    """Return the smallest ``t`` at which every starting state is within ``epsilon`` of ``pi``.

    ``t_mix(epsilon) = min{t : max_j TV(W^t e_j, pi) <= epsilon}``, where ``e_j`` starts
    the chain in state ``j`` and ``pi`` is the stationary distribution. All starting states
    are evolved together as the columns of ``W^t``.

    Parameters
    ----------
    W : array-like, shape (n, n)
        Column-stochastic transition matrix with a unique stationary distribution.
    epsilon : float, default 0.25
        Tolerance in total variation, strictly between 0 and 1.
    max_steps : int, default 100000
        Give up (``ValueError``) after this many steps.

    Returns
    -------
    int
        The mixing time in steps.
    """
    W = check_column_stochastic(W)
    epsilon = check_positive(epsilon, "epsilon")
    if epsilon >= 1:
        raise ValueError(f"epsilon must be strictly between 0 and 1, got {epsilon}")
    max_steps = check_positive(max_steps, "max_steps", integer=True)
    pi = stationary_distribution(W)
    from_each_start = np.eye(W.shape[0])  # column j: the distribution after t steps from j
    for t in range(max_steps + 1):
        worst = 0.5 * np.abs(from_each_start - pi[:, np.newaxis]).sum(axis=0).max()
        if worst <= epsilon:
            return t
        from_each_start = W @ from_each_start
    raise ValueError(
        f"the chain did not come within {epsilon} of its stationary distribution in "
        f"{max_steps} steps; a periodic chain never does (try lazy(W))"
    )
