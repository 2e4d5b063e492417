"""Checks of chapter 3's exercises (finite Markov chains), expected values computed here.

Each expected value comes from a route other than the exercise's solution: least squares
on ``W - I`` with the normalisation, matrix powers, ``numpy.linalg.eigvalsh``, sums of
autocorrelations from matrix powers.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from bayesbook.checks import require, require_close
from bayesbook.exercises import exercise

W_EX1 = np.array([[0.6, 0.3, 0.0], [0.4, 0.4, 0.5], [0.0, 0.3, 0.5]])
RUIN_N = 10
RING_SIZES = (8, 16, 32, 64)
REFLECTING_N = 21
TWO_STATE = (0.1, 0.05)


@exercise("mc-ex1", answers=("pi_ex1",))
def _mc_ex1(pi_ex1):
    # Solve (W - I) pi = 0 together with sum(pi) = 1 by least squares.
    system = np.vstack([W_EX1 - np.eye(3), np.ones(3)])
    expected = np.linalg.lstsq(system, np.array([0.0, 0.0, 0.0, 1.0]), rcond=None)[0]
    answer = np.asarray(pi_ex1, dtype=float)
    require("mc-ex1", answer.shape == (3,), "pi_ex1 should hold three probabilities.")
    require("mc-ex1", np.isclose(answer.sum(), 1.0), "pi_ex1 should sum to one.")
    require_close("mc-ex1", answer, expected, atol=1e-10, what="pi_ex1")


@exercise("mc-ex2", answers=("p_top",))
def _mc_ex2(p_top):
    # Hitting probabilities h solve h_k = (h_{k-1} + h_{k+1}) / 2 with h_0 = 0, h_N = 1:
    # a linear system, solved here directly (not by powers of W).
    n = RUIN_N
    A = np.zeros((n + 1, n + 1))
    rhs = np.zeros(n + 1)
    A[0, 0] = A[n, n] = 1.0
    rhs[n] = 1.0
    for k in range(1, n):
        A[k, [k - 1, k, k + 1]] = [-0.5, 1.0, -0.5]
    require_close("mc-ex2", p_top, np.linalg.solve(A, rhs), atol=1e-8,
                  what="p_top (the probability of ending at N from each start)")


def _lazy_ring_distance(n: int, t: int) -> float:
    """TV distance from uniform after t steps of the lazy ring from state 0 (matrix powers)."""
    eye = np.eye(n)
    W = 0.5 * eye + 0.25 * (np.roll(eye, 1, axis=0) + np.roll(eye, -1, axis=0))
    return 0.5 * float(np.abs(np.linalg.matrix_power(W, t)[:, 0] - 1 / n).sum())


@cache
def _ring_mixing_times() -> tuple[int, ...]:
    times = []
    for n in RING_SIZES:
        t = 0
        while _lazy_ring_distance(n, t) > 0.25:
            t += 1
        times.append(t)
    return tuple(times)


@exercise("mc-ex3", answers=("t_mix_ring", "growth_exponent"))
def _mc_ex3(t_mix_ring, growth_exponent):
    expected = np.array(_ring_mixing_times())
    answer = np.asarray(t_mix_ring, dtype=float)
    require("mc-ex3", answer.shape == (4,), "t_mix_ring should hold four mixing times.")
    require("mc-ex3", np.all(answer >= expected),
            "at one of your times the distance is still above 1/4, so the time is too small.")
    require("mc-ex3", np.all(answer <= expected),
            "one of your times is not the first time the distance is at most 1/4.")
    slope = np.polyfit(np.log(RING_SIZES), np.log(expected), 1)[0]
    require_close("mc-ex3", growth_exponent, slope, atol=1e-9,
                  what="growth_exponent (the slope of log t_mix against log n)")


@exercise("mc-ex4", answers=("cycle_ratio", "coffee_reversible"))
def _mc_ex4(cycle_ratio, coffee_reversible, *, W_coffee):
    # A restatement rather than an independent route: the loop products in logs.
    W = np.asarray(W_coffee, dtype=float)
    log_ratio = (np.log(W[1, 0]) + np.log(W[2, 1]) + np.log(W[0, 2])
                 - np.log(W[0, 1]) - np.log(W[1, 2]) - np.log(W[2, 0]))
    require_close("mc-ex4", cycle_ratio, np.exp(log_ratio), rtol=1e-9,
                  what="cycle_ratio (the forward loop product over the backward one)")
    require("mc-ex4", isinstance(coffee_reversible, (bool, np.bool_)),
            "coffee_reversible should be True or False.")
    require("mc-ex4", bool(coffee_reversible) == bool(abs(log_ratio) < 1e-9),
            "coffee_reversible does not follow from Kolmogorov's criterion.")


@exercise("mc-ex5", answers=("eigenvalues_formula", "relaxation_time"))
def _mc_ex5(eigenvalues_formula, relaxation_time):
    n = REFLECTING_N
    W = np.zeros((n, n))
    for j in range(1, n - 1):
        W[j - 1, j] = W[j + 1, j] = 0.5
    W[0, 0] = W[1, 0] = W[n - 1, n - 1] = W[n - 2, n - 1] = 0.5
    numeric = np.sort(np.linalg.eigvalsh(W))[::-1]
    require_close("mc-ex5", eigenvalues_formula, numeric, atol=1e-10,
                  what="eigenvalues_formula (the eigenvalues in decreasing order)")
    second = np.sort(np.abs(numeric))[-2]
    require_close("mc-ex5", relaxation_time, 1 / (1 - second), rtol=1e-8,
                  what="relaxation_time, 1 / (1 - |lambda_2|),")


@exercise("mc-ex6", answers=("tau_two_state",))
def _mc_ex6(tau_two_state):
    # Sum the autocorrelations (P(X_k = 1 | X_0 = 1) - pi_1) / pi_0 from matrix powers.
    a, b = TWO_STATE
    W = np.array([[1 - a, b], [a, 1 - b]])
    pi1 = a / (a + b)
    powers = [np.linalg.matrix_power(W, k)[1, 1] for k in range(1, 600)]
    autocorrelation = (np.array(powers) - pi1) / (1 - pi1)
    require_close("mc-ex6", tau_two_state, 1 + 2 * autocorrelation.sum(), rtol=1e-8,
                  what="tau_two_state")
