"""Checks of chapter 4's exercises (Metropolis–Hastings), expected values computed here.

Independent routes: the acceptance rate of a Gaussian random walk by quadrature on a grid
(and its closed form, itself tested against the quadrature), Barker's matrix entry by
entry from ``scipy.special.expit`` of the log ratio, exact moments of the targets by
``scipy.integrate.quad`` or conjugacy, and R-hat recomputed from the student's draws.
Tolerances for random answers are a few Monte Carlo standard errors of a correct method,
as each comment says.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import integrate, optimize, special, stats

from bayesbook.checks import require, require_close
from bayesbook.exercises import exercise

EX1_SIGMA = 2.0
EX2_PAIRS = ((0.5, 1.0), (2.4, 1.0), (3.0, 2.0), (10.0, 0.5))
MODE_WEIGHTS = (0.3, 0.7)
MODE_MEANS = (-3.0, 3.0)
MODES = tuple(zip(MODE_WEIGHTS, MODE_MEANS, strict=True))
MODE_SD = 0.6
EX4_CHAINS = 5000
EX5_CHAINS = 4000
EX5_POSTERIOR = (13.0, 31.0)
EX6_DRAWS = 5000
#: R-hat above which the chapter calls chains not mixed, and the threshold for "stuck".
RHAT_MIXED = 1.01
RHAT_STUCK = 1.1


def stationary_acceptance(s: float, sigma: float) -> float:
    """Stationary acceptance rate of RWM with step s on N(0, sigma^2), by 2-D quadrature.

    The integral of min(pi(x), pi(y)) q(y - x) over the plane (trapezoid rule on a grid of
    801^2 points over +-12 sigma; its error is about 5e-5).
    """
    g = np.linspace(-12 * sigma, 12 * sigma, 801)
    gx, gy = np.meshgrid(g, g, indexing="ij")
    f = (np.minimum(stats.norm.pdf(gx, 0, sigma), stats.norm.pdf(gy, 0, sigma))
         * stats.norm.pdf(gy - gx, scale=s))
    return float(integrate.trapezoid(integrate.trapezoid(f, g, axis=1), g))


@exercise("mh-ex1", answers=("tuned_step",))
def _mh_ex1(tuned_step):
    require("mh-ex1", np.ndim(tuned_step) == 0 and float(tuned_step) > 0,
            "tuned_step should be one positive number.")
    # A correct bisection with 200 chains x 200 steps per estimate (40 000 decisions, Monte
    # Carlo sd about 0.004 with autocorrelation) lands within about 0.005 of 0.44; the
    # tolerance 0.015 is three times that.
    rate = stationary_acceptance(float(tuned_step), EX1_SIGMA)
    require_close("mh-ex1", rate, 0.44, atol=0.015,
                  what="the long-run acceptance rate at your step size")


@cache
def _ex2_expected() -> tuple[tuple[float, ...], float]:
    rates = tuple(stationary_acceptance(s, sig) for s, sig in EX2_PAIRS)
    root = optimize.brentq(lambda s: stationary_acceptance(s, 2.0) - 0.44, 2.0, 10.0,
                           xtol=1e-6)
    return rates, float(root)


@exercise("mh-ex2", answers=("acceptance_formula", "closed_form_step"))
def _mh_ex2(acceptance_formula, closed_form_step):
    require("mh-ex2", callable(acceptance_formula),
            "acceptance_formula should be a function of (s, sigma).")
    rates, root = _ex2_expected()
    got = [float(acceptance_formula(s, sig)) for s, sig in EX2_PAIRS]
    # Grid error 5e-5 in the rate, about 3e-4 in the root.
    require_close("mh-ex2", got, rates, atol=2e-4,
                  what="acceptance_formula at a few (s, sigma)")
    require_close("mh-ex2", closed_form_step, root, atol=1e-3,
                  what="closed_form_step (acceptance 0.44 for sigma = 2)")


@exercise("mh-ex3", answers=("W_barker",))
def _mh_ex3(W_barker, *, p_disc, T_disc):
    p = np.asarray(p_disc, dtype=float)
    T = np.asarray(T_disc, dtype=float)
    n = p.size
    expected = np.zeros((n, n))
    for j in range(n):
        for i in range(n):
            if i != j and T[i, j] > 0:
                log_r = np.log(p[i] * T[j, i]) - np.log(p[j] * T[i, j])
                expected[i, j] = T[i, j] * special.expit(log_r)
        expected[j, j] = 1.0 - expected[:, j].sum()
    require("mh-ex3", np.shape(W_barker) == (n, n), f"W_barker should be an {n} x {n} matrix.")
    W = np.asarray(W_barker, dtype=float)
    require("mh-ex3", np.allclose(W.sum(axis=0), 1.0) and np.all(W >= 0),
            "W_barker is not column-stochastic (non-negative, columns summing to one).")
    require_close("mh-ex3", W, expected, atol=1e-12,
                  what="W_barker (proposal times Barker's acceptance r / (1 + r))")


@cache
def _mixture_mean_abs() -> float:
    def density(x: float) -> float:
        return sum(w * stats.norm.pdf(x, m, MODE_SD) for w, m in MODES)

    return float(integrate.quad(lambda x: abs(x) * density(x), -20, 0)[0]
                 + integrate.quad(lambda x: x * density(x), 0, 20)[0])


def _mixture_cdf(x: np.ndarray) -> np.ndarray:
    return sum(w * stats.norm.cdf(x, m, MODE_SD) for w, m in MODES)


@exercise("mh-ex4", answers=("independence_final",))
def _mh_ex4(independence_final):
    x = np.asarray(independence_final, dtype=float)
    require("mh-ex4", x.shape == (EX4_CHAINS,),
            f"independence_final should hold one final state per chain, shape ({EX4_CHAINS},).")
    # Final states of independent chains are independent draws. KS against the exact CDF
    # (a correct answer fails with probability 1e-3) checks the mode weights; the mean of
    # |x| (sd 0.6 / sqrt(5000) = 0.0085) checks the modes' positions, which a missing
    # Hastings term pulls in by 0.066 (8 standard errors): 3.5 standard errors allowed.
    require("mh-ex4", stats.kstest(x, _mixture_cdf).pvalue > 1e-3,
            "the final states do not follow the bimodal target.")
    se = np.abs(x).std() / np.sqrt(x.size)
    require("mh-ex4", abs(np.abs(x).mean() - _mixture_mean_abs()) < 3.5 * se,
            "the modes of your final states sit in the wrong place: check the Hastings ratio.")


@exercise("mh-ex5", answers=("theta_final",))
def _mh_ex5(theta_final):
    theta = np.asarray(theta_final, dtype=float)
    require("mh-ex5", theta.shape == (EX5_CHAINS,),
            f"theta_final should hold one final state per chain, shape ({EX5_CHAINS},).")
    require("mh-ex5", np.all((theta > 0) & (theta < 1)),
            "theta_final should be on the probability scale, between 0 and 1.")
    posterior = stats.beta(*EX5_POSTERIOR)
    # Independent final states: KS (fails a correct answer with probability 1e-3) and the
    # mean within 3.5 standard errors (sd 0.068 / sqrt(4000) = 0.0011); dropping the
    # Jacobian gives Beta(12, 30), whose mean is 0.0098 (9 standard errors) lower.
    require("mh-ex5", stats.kstest(theta, posterior.cdf).pvalue > 1e-3,
            "theta_final does not follow the posterior; is the Jacobian in?")
    se = posterior.std() / np.sqrt(theta.size)
    require("mh-ex5", abs(theta.mean() - posterior.mean()) < 3.5 * se,
            "the mean of theta_final is off the posterior mean; is the Jacobian in?")


def _rhat(draws: np.ndarray) -> float:
    import arviz as az  # slow to import; only this check needs it

    return float(az.rhat(draws))


@exercise("mh-ex6", answers=("rhat_small", "rhat_large", "draws_ex6"))
def _mh_ex6(rhat_small, rhat_large, draws_ex6):
    require("mh-ex6", isinstance(draws_ex6, dict) and set(draws_ex6) == {0.5, 5.0},
            "draws_ex6 should be a dict with the step sizes 0.5 and 5.0 as keys.")
    for step, draws in draws_ex6.items():
        require("mh-ex6", np.shape(draws) == (4, EX6_DRAWS),
                f"draws_ex6[{step}] should have shape (4, {EX6_DRAWS}): four chains, the "
                "steps kept after warm-up.")
    for name, value, step in (("rhat_small", rhat_small, 0.5), ("rhat_large", rhat_large, 5.0)):
        require("mh-ex6", isinstance(value, float), f"{name} should be a Python float.")
        require_close("mh-ex6", value, _rhat(np.asarray(draws_ex6[step], dtype=float)),
                      rtol=1e-6, what=f"{name} (ArviZ's R-hat of the run with step {step})")
    small = np.asarray(draws_ex6[0.5], dtype=float)
    require("mh-ex6", np.mean(small[:2] < 0) > 0.5 and np.mean(small[2:] > 0) > 0.5,
            "with the small step the first two chains should sit in the mode at -3 and the "
            "last two in the mode at +3: were they started there?")
    require("mh-ex6", rhat_small > RHAT_STUCK,
            "rhat_small should reveal chains stuck in different modes: were they started "
            "in different modes?")
    require("mh-ex6", rhat_large < RHAT_MIXED,
            "rhat_large should be below 1.01 for chains that mix.")
