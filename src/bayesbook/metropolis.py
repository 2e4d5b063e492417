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


def _check_states(x0: ArrayLike) -> NDArray[np.float64]:
    """Starting points as an (n_chains, dim) float array."""
    x0 = as_float_array(x0, "x0")
    if x0.ndim == 1:
        x0 = x0[np.newaxis, :]
    if x0.ndim != 2 or x0.shape[0] == 0 or x0.shape[1] == 0:
        raise ValueError(
            "x0 must have shape (dim,) for one chain or (n_chains, dim) for several, "
            f"got shape {x0.shape}"
        )
    return x0


def _log_prob_at(log_prob: LogProb, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log_prob(x)`` as an (n_chains,) array, refusing NaN and +inf."""
    n_chains = x.shape[0]
    values = np.asarray(log_prob(x), dtype=float)
    if values.size != n_chains or values.ndim > 1:
        raise ValueError(
            f"log_prob must return one value per chain: for input of shape {x.shape} it "
            f"should return shape ({n_chains},), but it returned shape {values.shape}"
        )
    values = values.reshape(n_chains)
    bad = ~(values < np.inf)  # NaN or +inf
    if bad.any():
        c = int(np.argmax(bad))
        raise ValueError(
            f"log_prob returned {values[c]} at {x[c].tolist()} (chain {c}); a log density "
            "must be a number or -inf (zero density) — check the formula there"
        )
    return values


def _log_q_at(
    log_proposal_density: LogProposalDensity,
    to: NDArray[np.float64],
    frm: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``log q(to | frm)`` as an (n_chains,) array, refusing NaN."""
    values = np.asarray(log_proposal_density(to, frm), dtype=float)
    if values.shape != (to.shape[0],):
        raise ValueError(
            "log_proposal_density must return one value per chain, shape "
            f"({to.shape[0]},), but it returned shape {values.shape}"
        )
    if np.isnan(values).any():
        raise ValueError("log_proposal_density returned NaN; it must be a number or -inf")
    return values


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
    operation. Nothing is discarded: use :meth:`Chains.discard` for warm-up.

    Parameters
    ----------
    log_prob : callable
        Log of the (unnormalised) target density: an array of shape (n_chains, dim) in,
        an array of shape (n_chains,) out. It may return ``-inf`` (zero density) but not
        NaN or ``+inf``.
    x0 : array-like, shape (dim,) or (n_chains, dim)
        Starting point(s), each with a finite log density.
    n_steps : int
        Number of steps per chain.
    propose : callable
        ``propose(x, rng)`` returns one proposal per chain, shape (n_chains, dim).
    log_proposal_density : callable or None
        ``log_proposal_density(to, frm)`` returns ``log q(to | frm)``, shape (n_chains,),
        up to a constant. ``None`` declares the proposal symmetric, ``q(y | x) = q(x | y)``,
        so the Hastings ratio is one (plain Metropolis).
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
    current_lp = _log_prob_at(log_prob, current)
    if np.isneginf(current_lp).any():
        c = int(np.argmax(np.isneginf(current_lp)))
        raise ValueError(
            f"x0 has zero target density (log_prob = -inf) for chain {c} at "
            f"{current[c].tolist()}; start every chain where the target is positive"
        )
    n_chains, dim = current.shape
    samples = np.empty((n_steps, n_chains, dim))
    log_probs = np.empty((n_steps, n_chains))
    accepted = np.empty((n_steps, n_chains), dtype=bool)
    for t in range(n_steps):
        proposal = np.asarray(propose(current, rng), dtype=float)
        if proposal.shape != current.shape:
            raise ValueError(
                f"propose must return an array of shape {current.shape} (one proposal "
                f"per chain), but it returned shape {proposal.shape}"
            )
        proposal_lp = _log_prob_at(log_prob, proposal)
        log_ratio = proposal_lp - current_lp
        if log_proposal_density is not None:  # the Hastings correction
            log_ratio += _log_q_at(log_proposal_density, current, proposal)
            log_ratio -= _log_q_at(log_proposal_density, proposal, current)
        # Accept when u < ratio for u ~ Uniform(0, 1); -log(u) is a standard exponential.
        accept = -rng.standard_exponential(n_chains) < log_ratio
        # Accepted chains move to their proposal, the others stay; record the new states.
        current = samples[t] = np.where(accept[:, np.newaxis], proposal, current)
        current_lp = log_probs[t] = np.where(accept, proposal_lp, current_lp)
        accepted[t] = accept
    return Chains(
        samples=samples.transpose(1, 0, 2),
        log_prob=log_probs.T,
        accepted=accepted.T,
    )


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
    acceptance probability is ``min(1, p(y) / p(x))``. Nothing is discarded: use
    :meth:`Chains.discard` for warm-up.

    Parameters
    ----------
    log_prob : callable
        Log of the (unnormalised) target density: an array of shape (..., dim) in, an
        array of shape (...) out. It may return ``-inf`` (zero density) but not NaN.
    x0 : array-like, shape (dim,) or (n_chains, dim)
        Starting point(s); all chains are advanced together.
    n_steps : int
        Number of steps per chain.
    step_size : float or array-like of shape (dim,)
        Scale of the proposal, one for all coordinates or one per coordinate; positive.
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
    dim = _check_states(x0).shape[1]
    if np.ndim(step_size) == 0:
        step = np.full(dim, check_positive(step_size, "step_size"))
    else:
        step = as_float_array(step_size, "step_size", ndim=1)
        if step.shape != (dim,):
            raise ValueError(
                f"step_size must be a number or have one entry per coordinate, shape "
                f"({dim},), got shape {step.shape}"
            )
        if np.any(step <= 0):
            raise ValueError(f"step_size must be positive, got {step.tolist()}")
    if proposal_cov is None:

        def propose(x: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
            z = rng.standard_normal(x.shape)
            z *= step
            z += x
            return z

    else:
        cov = check_covariance(proposal_cov, "proposal_cov")
        if cov.shape != (dim, dim):
            raise ValueError(f"proposal_cov must have shape ({dim}, {dim}), got {cov.shape}")
        scale_t = (step[:, np.newaxis] * np.linalg.cholesky(cov)).T

        def propose(x: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
            return x + rng.standard_normal(x.shape) @ scale_t

    return metropolis_hastings(log_prob, x0, n_steps, propose, None, rng=rng)


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
