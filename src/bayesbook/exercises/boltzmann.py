"""Checks for the exercises of chapter 9, Boltzmann machines (labels ``rbm-exN``).

Expected values are computed another way than the solutions: by listing every joint state
(x, h) and its energy, by propagating a distribution one layer at a time instead of with a
transition matrix, by independent AIS runs on the check's own random stream, and by the
mean-field fixed-point equations themselves.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from scipy.special import expit, logsumexp

from bayesbook.boltzmann import ais_log_partition
from bayesbook.checks import require, require_close
from bayesbook.exercises import exercise


def _states(n_units: int) -> np.ndarray:
    return np.array(list(itertools.product((0.0, 1.0), repeat=n_units)))


def _log_joint(W: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """−E(x, h) for every x (rows) and h (columns), states in binary order."""
    xs, hs = _states(W.shape[0]), _states(W.shape[1])
    return (xs @ a)[:, None] + (hs @ b)[None, :] + xs @ W @ hs.T


@exercise("rbm-ex1", answers=("p_visible",))
def _rbm_ex1(p_visible, *, W, a, b, h):
    W, a, b, h = (np.asarray(v, dtype=float) for v in (W, a, b, h))
    xs, hs = _states(W.shape[0]), _states(W.shape[1])
    log_joint = _log_joint(W, a, b)
    expected = []
    for row in h:
        column = int(np.flatnonzero(np.all(hs == row, axis=1))[0])
        weights = np.exp(log_joint[:, column] - logsumexp(log_joint[:, column]))
        expected.append(weights @ xs)  # p(x_i = 1 | h) = Σ_x p(x | h) x_i
    require_close("rbm-ex1", p_visible, np.array(expected), rtol=0, atol=1e-9,
                  what="p(x_i = 1 | h)")


@exercise("rbm-ex2", answers=("free_energies", "log_z"))
def _rbm_ex2(free_energies, log_z, *, W, a, b):
    W, a, b = (np.asarray(v, dtype=float) for v in (W, a, b))
    log_joint = _log_joint(W, a, b)
    require_close("rbm-ex2", free_energies, -logsumexp(log_joint, axis=1), rtol=0,
                  atol=1e-9, what="the free energies")
    require_close("rbm-ex2", log_z, logsumexp(log_joint), rtol=0, atol=1e-9,
                  what="log Z")


def _layer_product(p_on: np.ndarray, states: np.ndarray) -> np.ndarray:
    """P(state | condition) for every condition (rows of p_on) and state (columns)."""
    log_p = states @ np.log(p_on).T + (1 - states) @ np.log1p(-p_on).T
    return np.exp(log_p).T


@exercise("rbm-ex3", answers=("cd_bias",))
def _rbm_ex3(cd_bias, *, W, a, b, data):
    W, a, b, data = (np.asarray(v, dtype=float) for v in (W, a, b, data))
    xs, hs = _states(W.shape[0]), _states(W.shape[1])
    h_given_x = _layer_product(expit(xs @ W + b), hs)  # (S_x, S_h)
    x_given_h = _layer_product(expit(hs @ W.T + a), xs)  # (S_h, S_x)
    q = np.array([np.mean(np.all(data == x, axis=1)) for x in xs])
    log_joint = _log_joint(W, a, b)
    p = np.exp(log_joint - logsumexp(log_joint))
    model_term = xs.T @ p @ hs  # E_p[x hᵀ] from the joint table
    expected = []
    for _ in range(len(np.atleast_1d(cd_bias))):
        q = (q @ h_given_x) @ x_given_h  # one sweep: to the hidden layer and back
        expected.append(np.linalg.norm(xs.T @ (q[:, None] * expit(xs @ W + b)) - model_term))
    require("rbm-ex3", np.shape(cd_bias) == (8,), "cd_bias should hold 8 numbers, k = 1..8.")
    require_close("rbm-ex3", cd_bias, np.array(expected), rtol=1e-7, atol=1e-10,
                  what="the CD-k bias norms")


#: Numbers of temperatures in exercise rbm-ex4.
_AIS_TEMPERATURES = (4, 16, 64)


@functools.cache
def _ais_reference_spread(key: bytes, shape: tuple[int, int]) -> tuple[float, ...]:
    n_visible, n_hidden = shape
    flat = np.frombuffer(key)
    W = flat[: n_visible * n_hidden].reshape(shape)
    a = flat[n_visible * n_hidden : n_visible * n_hidden + n_visible]
    b = flat[n_visible * n_hidden + n_visible :]
    generator = np.random.default_rng(909)
    return tuple(
        float(np.std([
            ais_log_partition(W, a, b, n_temperatures=n_temp, n_chains=50,
                              rng=generator).log_z
            for _ in range(200)
        ], ddof=1))
        for n_temp in _AIS_TEMPERATURES
    )


@exercise("rbm-ex4", answers=("ais_spread",))
def _rbm_ex4(ais_spread, *, W, a, b):
    W, a, b = (np.asarray(v, dtype=float) for v in (W, a, b))
    spread = np.asarray(ais_spread, dtype=float)
    require("rbm-ex4", spread.shape == (len(_AIS_TEMPERATURES),),
            "ais_spread should hold 3 numbers, one per number of temperatures.")
    reference = np.array(_ais_reference_spread(np.concatenate([W.ravel(), a, b]).tobytes(),
                                               W.shape))
    # The sample sd of 20 estimates is off from the true sd by a factor sqrt(χ²₁₉ / 19):
    # below 0.5 or above 1.8 with probability about 3e-4 per entry; the reference (200
    # runs) adds about 5 %.
    ratio = spread / reference
    require("rbm-ex4", np.all(ratio > 0.5),
            "some spreads are too small for the standard deviation of single AIS estimates.")
    require("rbm-ex4", np.all(ratio < 1.8),
            "some spreads are too large for the standard deviation of single AIS estimates.")


@exercise("rbm-ex5", answers=("mf_means", "exact_means", "mf_error"))
def _rbm_ex5(mf_means, exact_means, mf_error, *, W, a, b):
    W, a, b = (np.asarray(v, dtype=float) for v in (W, a, b))
    log_joint = _log_joint(W, a, b)
    p_x = np.exp(logsumexp(log_joint, axis=1) - logsumexp(log_joint))
    exact = p_x @ _states(W.shape[0])
    require_close("rbm-ex5", exact_means, exact, rtol=0, atol=1e-9,
                  what="the exact marginals p(x_i = 1)")
    mu = np.asarray(mf_means, dtype=float)
    require("rbm-ex5", mu.shape == a.shape, f"mf_means should have shape {a.shape}.")
    residual = np.abs(expit(a + W @ expit(b + mu @ W)) - mu).max()
    require("rbm-ex5", residual < 1e-6,
            "mf_means does not satisfy the mean-field fixed-point equations.")
    require_close("rbm-ex5", mf_error, np.abs(mu - exact).max(), rtol=0, atol=1e-9,
                  what="the largest difference")
