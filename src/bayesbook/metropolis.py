"""Random-walk Metropolis and Metropolis–Hastings, many chains at once (chapter 4).

Every sampler here advances all its chains together: one step is a handful of array
operations on the ``(n_chains, dim)`` array of current states, so running a thousand chains
costs little more Python than running one. The discrete counterpart,
:func:`metropolis_matrix`, builds the transition matrix that the same accept/reject rule
defines on a finite state space, in the column convention ``W[i, j] = P(j -> i)`` of
:mod:`bayesbook.markov`.

Warm-up is left to the caller: the samplers return every state they visit, and
:meth:`Chains.discard` drops the first steps once you have decided how many to discard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesbook._validation import (
    as_float_array,
    as_rng,
    check_column_stochastic,
    check_covariance,
    check_positive,
    check_probability_vector,
)

if TYPE_CHECKING:
    import arviz as az

#: ``log_prob(x)`` maps states of shape ``(..., dim)`` to log densities of shape ``(...)``.
LogProb = Callable[[NDArray[np.float64]], ArrayLike]
#: ``propose(x, rng)`` maps current states ``(n_chains, dim)`` to proposals of the same shape.
Proposal = Callable[[NDArray[np.float64], np.random.Generator], ArrayLike]
#: ``log_proposal_density(to, frm)`` is ``log q(to | frm)``, one value per chain.
LogProposalDensity = Callable[[NDArray[np.float64], NDArray[np.float64]], ArrayLike]


@dataclass(frozen=True)
class Chains:
    """The states visited by several Markov chains run side by side.

    Attributes
    ----------
    samples : ndarray, shape (n_chains, n_steps, dim)
        ``samples[c, t]`` is the state of chain ``c`` after step ``t + 1`` (the starting
        point is not included).
    log_prob : ndarray, shape (n_chains, n_steps)
        The target's log density at each sample.
    accepted : ndarray of bool, shape (n_chains, n_steps)
        Whether the proposal made at each step was accepted.
    """

    samples: NDArray[np.float64]
    log_prob: NDArray[np.float64]
    accepted: NDArray[np.bool_]

    @property
    def n_chains(self) -> int:
        """The number of chains."""
        return self.samples.shape[0]

    @property
    def n_steps(self) -> int:
        """The number of steps stored per chain."""
        return self.samples.shape[1]

    @property
    def dim(self) -> int:
        """The dimension of the state."""
        return self.samples.shape[2]

    @property
    def acceptance_rate(self) -> NDArray[np.float64]:
        """The fraction of accepted proposals in each chain, shape (n_chains,)."""
        return self.accepted.mean(axis=1)

    def discard(self, n_warmup: int) -> Chains:
        """Return the chains without their first ``n_warmup`` steps (the warm-up).

        Parameters
        ----------
        n_warmup : int
            How many initial steps to drop; ``0 <= n_warmup < n_steps``.

        Returns
        -------
        Chains
            A new ``Chains`` with ``n_steps - n_warmup`` steps per chain; its acceptance
            rate counts only the steps that were kept.
        """
        if isinstance(n_warmup, bool) or not isinstance(n_warmup, (int, np.integer)):
            raise TypeError(f"n_warmup must be an integer, got {n_warmup!r}")
        if not 0 <= n_warmup < self.n_steps:
            raise ValueError(
                f"n_warmup must be between 0 and n_steps - 1 = {self.n_steps - 1}, "
                f"got {n_warmup}"
            )
        return Chains(
            samples=self.samples[:, n_warmup:],
            log_prob=self.log_prob[:, n_warmup:],
            accepted=self.accepted[:, n_warmup:],
        )

    def to_inference_data(self, names: Sequence[str] | None = None) -> az.InferenceData:
        """Return the chains as an ArviZ ``InferenceData`` (for ``az.summary``, ``az.ess``...).

        Parameters
        ----------
        names : sequence of str, optional
            One name per coordinate of the state; each coordinate becomes its own scalar
            variable in the posterior group. By default the state is one vector variable
            ``"x"`` with dimension ``"x_dim_0"``.

        Returns
        -------
        arviz.InferenceData
            A ``posterior`` group with dimensions ``(chain, draw, ...)`` and a
            ``sample_stats`` group with the log density ``lp`` and ``accepted``.
        """
        import arviz as az  # imported here: it is slow to import and only needed here

        if names is None:
            posterior = {"x": self.samples}
        else:
            names = list(names)
            if len(names) != self.dim or not all(isinstance(n, str) for n in names):
                raise ValueError(
                    f"names must be {self.dim} strings, one per coordinate, got {names!r}"
                )
            if len(set(names)) != len(names):
                raise ValueError(f"names must be distinct, got {names!r}")
            posterior = {name: self.samples[..., k] for k, name in enumerate(names)}
        return az.from_dict(
            posterior=posterior,
            sample_stats={"lp": self.log_prob, "accepted": self.accepted},
        )


#: Random numbers drawn per block by :func:`metropolis` (normals for this many steps of all
#: chains at once): large enough that drawing costs one NumPy call per block, small enough
#: (0.5 MB) to stay in cache.
BLOCK_ELEMENTS = 1 << 16


def _check_states(x0: ArrayLike) -> NDArray[np.float64]:
    """Starting points as a fresh (n_chains, dim) float array.

    A 1-D ``x0`` with several entries is refused: shape (4,) could mean one chain in four
    dimensions or four chains of a one-dimensional target, and guessing wrong runs silently.
    """
    x0 = as_float_array(x0, "x0")
    if x0.ndim == 0 or x0.shape == (1,):
        x0 = x0.reshape(1, 1)
    if x0.ndim == 1:
        k = x0.size
        raise ValueError(
            f"x0 of shape ({k},) is ambiguous: write x0.reshape(1, {k}) (shape (1, {k})) "
            f"for one chain in {k} dimensions, or x0.reshape({k}, 1) (shape ({k}, 1)) for "
            f"{k} chains of a one-dimensional target; x0 has shape (n_chains, dim)"
        )
    if x0.ndim != 2 or x0.shape[0] == 0 or x0.shape[1] == 0:
        raise ValueError(
            "x0 must have shape (n_chains, dim): one row per chain, one column per "
            f"coordinate; got shape {x0.shape}"
        )
    return x0.copy()


def _per_chain(values: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log_prob``'s output as shape (n_chains,), or a ValueError naming the shapes."""
    n_chains = x.shape[0]
    if values.shape != (n_chains,):
        if values.size != n_chains or values.ndim > 1:
            raise ValueError(
                f"log_prob must return one value per chain: for input of shape {x.shape} "
                f"it should return shape ({n_chains},), but it returned shape {values.shape}"
            )
        values = values.reshape(n_chains)
    return values


def _refuse_nan_or_plus_inf(values: NDArray[np.float64], x: NDArray[np.float64]) -> None:
    """Raise if a log density (values, shape (..., n_chains)) is NaN or +inf at x (..., dim)."""
    bad = ~(values < np.inf)  # NaN or +inf
    if bad.any():
        where = np.unravel_index(int(np.argmax(bad)), bad.shape)
        raise ValueError(
            f"log_prob returned {values[where]} at {x[where].tolist()} (chain {where[-1]}); "
            "a log density must be a number or -inf (zero density) — check the formula there"
        )


def _log_prob_at(log_prob: LogProb, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log_prob(x)`` as an (n_chains,) array, refusing NaN and +inf."""
    values = _per_chain(np.asarray(log_prob(x), dtype=float), x)
    _refuse_nan_or_plus_inf(values, x)
    return values


def _initial_log_prob(log_prob: LogProb, x0: NDArray[np.float64]) -> NDArray[np.float64]:
    """The log density at the starting points, refusing -inf and a log_prob that mixes rows.

    A ``log_prob`` that sums over axis 0 (the chains) instead of the last axis returns the
    right shape when n_chains == dim; evaluating the first chain alone exposes it.
    """
    lp = _log_prob_at(log_prob, x0)
    if np.isneginf(lp).any():
        c = int(np.argmax(np.isneginf(lp)))
        raise ValueError(
            f"x0 has zero target density (log_prob = -inf) for chain {c} at "
            f"{x0[c].tolist()}; start every chain where the target is positive"
        )
    if x0.shape[0] > 1:
        alone = np.asarray(log_prob(x0[:1]), dtype=float)
        if alone.size != 1 or not np.isclose(alone.item(), lp[0], rtol=1e-9, atol=1e-9):
            raise ValueError(
                "log_prob must treat each row of its input (n_chains, dim) as one state, "
                f"but log_prob(x0)[0] = {lp[0]:.6g} while log_prob(x0[:1]) = "
                f"{np.round(alone, 6).tolist()}: sum over the last axis (axis=-1), not over "
                "the chains (axis 0)"
            )
    return lp


def _log_q_at(
    log_proposal_density: LogProposalDensity,
    to: NDArray[np.float64],
    frm: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``log q(to | frm)`` as an (n,) array for the n rows given, refusing NaN."""
    values = np.asarray(log_proposal_density(to, frm), dtype=float)
    if values.shape != (to.shape[0],):
        raise ValueError(
            "log_proposal_density must return one value per chain, shape "
            f"({to.shape[0]},), but it returned shape {values.shape}"
        )
    if np.isnan(values).any():
        raise ValueError("log_proposal_density returned NaN; it must be a number or -inf")
    return values


def _hastings_log_ratio(
    log_proposal_density: LogProposalDensity,
    current: NDArray[np.float64],
    proposal: NDArray[np.float64],
    proposal_lp: NDArray[np.float64],
    current_lp: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``log [p(y) q(x | y) / (p(x) q(y | x))]`` per chain, -inf where ``p(y) = 0``.

    The proposal densities are evaluated only for chains whose proposal the target allows:
    outside the support the move is rejected whatever q says, and q may not even be
    defined there (a gradient-based proposal from a point of zero density).
    """
    log_ratio = proposal_lp - current_lp
    live = proposal_lp > -np.inf
    if live.all():
        log_ratio += _log_q_at(log_proposal_density, current, proposal)
        log_ratio -= _log_q_at(log_proposal_density, proposal, current)
    elif live.any():
        x, y = current[live], proposal[live]
        log_ratio[live] += _log_q_at(log_proposal_density, x, y)
        log_ratio[live] -= _log_q_at(log_proposal_density, y, x)
    return log_ratio


def metropolis_hastings(
    log_prob: LogProb,
    x0: ArrayLike,
    n_steps: int,
    propose: Proposal,
    log_proposal_density: LogProposalDensity | None,
    *,
    rng: np.random.Generator | int,
) -> Chains:
    """Run Metropolis–Hastings chains with a user-supplied proposal; return all states.

    Each step draws a proposal ``y ~ q(. | x)`` for every chain and accepts it with
    probability ``min(1, p(y) q(x | y) / (p(x) q(y | x)))``, all chains in one array
    operation. A proposal with ``log_prob(y) = -inf`` is rejected without evaluating
    ``q`` there. Nothing is discarded: use :meth:`Chains.discard` for warm-up.

    Parameters
    ----------
    log_prob : callable
        Log of the (unnormalised) target density: an array of shape (n_chains, dim) in,
        an array of shape (n_chains,) out. It may return ``-inf`` (zero density) but not
        NaN or ``+inf``.
    x0 : array-like, shape (n_chains, dim)
        Starting points, one row per chain, each with a finite log density. A scalar (or
        shape (1,)) is one chain of a one-dimensional target; other 1-D shapes are refused
        as ambiguous (write ``x0.reshape(1, -1)`` or ``x0.reshape(-1, 1)``).
    n_steps : int
        Number of steps per chain.
    propose : callable
        ``propose(x, rng)`` returns one proposal per chain, shape (n_chains, dim).
    log_proposal_density : callable or None
        ``log_proposal_density(to, frm)`` returns ``log q(to | frm)`` for arrays of shape
        (n, dim), shape (n,), up to a constant; it is called only for the chains whose
        proposal has positive target density (so ``n`` can be smaller than n_chains).
        ``None`` declares the proposal symmetric, ``q(y | x) = q(x | y)``, so the
        Hastings ratio is one (plain Metropolis).
    rng : numpy.random.Generator or int
        Source of randomness.

    Returns
    -------
    Chains
        ``samples`` of shape (n_chains, n_steps, dim), their log densities, and which
        proposals were accepted.
    """
    rng = as_rng(rng)
    current = _check_states(x0)
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    current_lp = _initial_log_prob(log_prob, current)
    n_chains, dim = current.shape
    samples = np.empty((n_steps, n_chains, dim))
    log_probs = np.empty((n_steps, n_chains))
    accepted = np.empty((n_steps, n_chains), dtype=bool)
    # Accept when u < ratio for u ~ Uniform(0, 1), i.e. when -Exp(1) = log u < log ratio.
    log_u = -rng.standard_exponential((n_steps, n_chains))
    for t in range(n_steps):
        proposal = np.asarray(propose(current, rng), dtype=float)
        if proposal.shape != current.shape:
            raise ValueError(
                f"propose must return an array of shape {current.shape} (one proposal "
                f"per chain), but it returned shape {proposal.shape}"
            )
        proposal_lp = _log_prob_at(log_prob, proposal)
        if log_proposal_density is None:
            log_ratio = proposal_lp - current_lp
        else:
            log_ratio = _hastings_log_ratio(
                log_proposal_density, current, proposal, proposal_lp, current_lp
            )
        accept = np.less(log_u[t], log_ratio, out=accepted[t])
        current = samples[t] = np.where(accept[:, np.newaxis], proposal, current)
        current_lp = log_probs[t] = np.where(accept, proposal_lp, current_lp)
    return Chains(
        samples=samples.transpose(1, 0, 2),
        log_prob=log_probs.T,
        accepted=accepted.T,
    )


def _step_sizes(step_size: float | ArrayLike, dim: int) -> NDArray[np.float64]:
    """One positive step size per coordinate, shape (dim,)."""
    if np.ndim(step_size) == 0:
        value = step_size.item() if isinstance(step_size, np.ndarray) else step_size
        return np.full(dim, check_positive(value, "step_size"))
    step = as_float_array(step_size, "step_size")
    if step.shape != (dim,):
        raise ValueError(
            f"step_size must be a number or have one entry per coordinate, shape "
            f"({dim},), got shape {step.shape}"
        )
    if np.any(step <= 0):
        raise ValueError(f"step_size must be positive, got {step.tolist()}")
    return step


def metropolis(
    log_prob: LogProb,
    x0: ArrayLike,
    n_steps: int,
    step_size: float | ArrayLike,
    *,
    rng: np.random.Generator | int,
    proposal_cov: ArrayLike | None = None,
) -> Chains:
    """Run random-walk Metropolis chains with a Gaussian proposal; return all states.

    The proposal is ``y = x + step_size * L z`` with ``z`` standard normal and ``L`` the
    Cholesky factor of ``proposal_cov`` (the identity by default). It is symmetric, so the
    acceptance probability is ``min(1, p(y) / p(x))``. The normals and the uniforms for
    the accept/reject tests are drawn in blocks of steps, and every step works in place in
    the output array, so a step costs one call of ``log_prob`` and a few array operations.
    Nothing is discarded: use :meth:`Chains.discard` for warm-up.

    Parameters
    ----------
    log_prob : callable
        Log of the (unnormalised) target density: an array of shape (..., dim) in, an
        array of shape (...) out. It may return ``-inf`` (zero density) but not NaN.
    x0 : array-like, shape (n_chains, dim)
        Starting points, one row per chain; all chains are advanced together. A scalar
        (or shape (1,)) is one chain of a one-dimensional target; other 1-D shapes are
        refused as ambiguous (write ``x0.reshape(1, -1)`` for one chain,
        ``x0.reshape(-1, 1)`` for several chains in one dimension).
    n_steps : int
        Number of steps per chain.
    step_size : float or array-like of shape (dim,)
        Scale of the proposal, one for all coordinates or one per coordinate; positive.
        There is no default: the right scale is the target's (about 2.38 / sqrt(dim)
        times its standard deviation for a Gaussian target).
    rng : numpy.random.Generator or int
        Source of randomness.
    proposal_cov : array-like, shape (dim, dim), optional
        Shape of the proposal: a symmetric positive-definite matrix, scaled by
        ``step_size**2``. Default: the identity.

    Returns
    -------
    Chains
        ``samples`` of shape (n_chains, n_steps, dim); ``acceptance_rate`` of shape
        (n_chains,); ``to_inference_data()`` for ArviZ.
    """
    rng = as_rng(rng)
    current = _check_states(x0)
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    n_chains, dim = current.shape
    step = _step_sizes(step_size, dim)
    if proposal_cov is None:
        scale_t = None
    else:
        cov = check_covariance(proposal_cov, "proposal_cov")
        if cov.shape != (dim, dim):
            raise ValueError(f"proposal_cov must have shape ({dim}, {dim}), got {cov.shape}")
        scale_t = (step[:, np.newaxis] * np.linalg.cholesky(cov)).T
    current_lp = _initial_log_prob(log_prob, current)
    samples = np.empty((n_steps, n_chains, dim))
    log_probs = np.empty((n_steps, n_chains))
    rejected = np.empty((n_steps, n_chains), dtype=bool)
    block = max(1, min(n_steps, BLOCK_ELEMENTS // (n_chains * dim)))
    for first in range(0, n_steps, block):
        # The block's scaled normals are drawn straight into the output array; step t then
        # adds the current state in place (its proposal) and overwrites the rejected rows
        # with the current state, so no step allocates a new (n_chains, dim) array.
        noise = samples[first:first + block]
        rng.standard_normal(out=noise)
        if scale_t is None:
            noise *= step
        else:
            noise[...] = noise @ scale_t
        log_u = -rng.standard_exponential(noise.shape[:2])
        for k in range(noise.shape[0]):
            t = first + k
            proposal = noise[k]
            proposal += current
            proposal_lp = log_probs[t]
            proposal_lp[...] = _per_chain(np.asarray(log_prob(proposal), dtype=float), proposal)
            # Reject unless u < p(y) / p(x); a NaN log density is caught after the block.
            reject = np.greater_equal(log_u[k], proposal_lp - current_lp, out=rejected[t])
            np.copyto(proposal, current, where=reject[:, np.newaxis])
            np.copyto(proposal_lp, current_lp, where=reject)
            current, current_lp = proposal, proposal_lp
        # A NaN or +inf proposal is never rejected above, so it is stored: find and report it.
        _refuse_nan_or_plus_inf(log_probs[first:first + block], noise)
    return Chains(
        samples=samples.transpose(1, 0, 2),
        log_prob=log_probs.T,
        accepted=~rejected.T,
    )


def metropolis_matrix(p: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Return the Metropolis–Hastings transition matrix for target ``p`` and proposal ``T``.

    Column convention: ``T[i, j]`` is the probability of proposing ``i`` from ``j`` and the
    result has ``W[i, j] = P(j -> i)``. For ``i != j`` the move is proposed and then
    accepted with probability ``min(1, p[i] T[j, i] / (p[j] T[i, j]))``, so
    ``W[i, j] = min(T[i, j], p[i] T[j, i] / p[j])``; the rejected probability stays on the
    diagonal, ``W[j, j] = 1 - sum_{i != j} W[i, j]``.

    Parameters
    ----------
    p : array-like, shape (n,)
        Target distribution: non-negative, summing to one.
    T : array-like, shape (n, n)
        Proposal matrix: non-negative, each column summing to one.

    Returns
    -------
    ndarray, shape (n, n)
        The column-stochastic matrix ``W``; ``p`` satisfies detailed balance with it.
    """
    p = check_probability_vector(p, "p")
    T = check_column_stochastic(T, "T")
    if T.shape != (p.size, p.size):
        raise ValueError(
            f"T must have shape ({p.size}, {p.size}) to match p, got shape {T.shape}"
        )
    # Flow i <- j: p[i] T[j, i] / p[j]; where p[j] = 0 every proposal from j is accepted.
    reverse_flow = np.divide(p[:, np.newaxis] * T.T, p[np.newaxis, :],
                             out=T.copy(), where=p[np.newaxis, :] > 0)
    W = np.minimum(T, reverse_flow)
    np.fill_diagonal(W, 0.0)
    W[np.diag_indices_from(W)] = 1.0 - W.sum(axis=0)
    return W
