"""Checks of the exercises of chapter 2, maximum likelihood and energy-based models.

Each check computes its expected value another way than the reference solution does:
scipy's own fits and numerical optimisation for the estimates, the chi-squared and Gamma
distributions for the simulations, exact enumeration of an Ising model's states for its
conditionals and gradients. Tolerances of simulated answers come from their Monte Carlo
error (stated beside each).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from bayesbook.checks import require, require_close
from bayesbook.energy import IsingModel, all_states, log_likelihood_gradient, probabilities
from bayesbook.exercises import exercise
from bayesbook.mle import observed_information


@exercise("mle-ex1", answers=("rate_hat", "rate_se"))
def _exponential_rate(rate_hat: Any, rate_se: Any, *, waiting_times: Any) -> None:
    # scipy's exponential fit for the estimate; the curvature of the negative
    # log-likelihood in the rate itself, by finite differences, for the standard error.
    times = np.asarray(waiting_times, dtype=float)
    _, scale = stats.expon.fit(times, floc=0)
    rate = 1 / scale

    def nll(params: np.ndarray) -> float:
        return -float(np.sum(stats.expon.logpdf(times, scale=1 / params[0])))

    se = 1 / np.sqrt(observed_information(nll, [rate])[0, 0])
    label = "mle-ex1"
    require_close(label, rate_hat, rate, rtol=1e-6, what="the rate estimate")
    require_close(label, rate_se, se, rtol=1e-4, what="the standard error")


@exercise("mle-ex2", answers=("variance_estimates", "mean_variance_mle"))
def _variance_bias(variance_estimates: Any, mean_variance_mle: Any) -> None:
    # n sigma_hat^2 / sigma^2 is chi-squared with n - 1 = 9 degrees of freedom, so with
    # sigma^2 = 4 the estimates have mean 3.6 and variance 2 * 9 * 16 / 100 = 2.88.
    label = "mle-ex2"
    experiments, n, sigma2 = 20_000, 10, 4.0
    estimates = np.asarray(variance_estimates, dtype=float)
    require(label, estimates.shape == (experiments,),
            f"variance_estimates should hold one estimate per experiment, shape "
            f"({experiments},), but it has shape {estimates.shape}.")
    require_close(label, mean_variance_mle, estimates.mean(), rtol=1e-9,
                  what="mean_variance_mle (the average of your variance_estimates)")
    chi2 = stats.chi2(n - 1)
    mean, variance = chi2.mean() * sigma2 / n, chi2.var() * (sigma2 / n) ** 2
    # Four Monte Carlo standard errors: of the mean, sqrt(variance / R); of the sample
    # variance, variance * sqrt((kurtosis - 1) / R) with the scaled chi-squared's kurtosis
    # 3 + 12 / (n - 1).
    require_close(label, mean_variance_mle, mean, rtol=0,
                  atol=4 * np.sqrt(variance / experiments),
                  what="the average variance estimate")
    kurtosis = 3 + 12 / (n - 1)
    require_close(label, estimates.var(), variance, rtol=0,
                  atol=4 * variance * np.sqrt((kurtosis - 1) / experiments),
                  what="the spread of your variance_estimates")


@exercise("mle-ex3", answers=("theta_map",))
def _coin_map(theta_map: Any) -> None:
    # Numerical maximisation of the log-likelihood plus the log prior.
    def negative_penalised(theta: float) -> float:
        return -(stats.binom.logpmf(7, 20, theta) + stats.beta.logpdf(theta, 3, 3))

    found = optimize.minimize_scalar(negative_penalised, bounds=(1e-6, 1 - 1e-6),
                                     method="bounded", options={"xatol": 1e-10}).x
    require_close("mle-ex3", theta_map, found, rtol=1e-6, what="the MAP estimate")


@exercise("mle-ex4", answers=("independent_biases",))
def _independent_units(independent_biases: Any, *, data: Any) -> None:
    # Property: with these biases and no couplings the exact bias gradient vanishes.
    spins = np.asarray(data, dtype=float)
    n_units = spins.shape[1]
    biases = np.asarray(independent_biases, dtype=float)
    label = "mle-ex4"
    require(label, biases.shape == (n_units,),
            f"independent_biases should have one bias per unit, shape ({n_units},), "
            f"but it has shape {biases.shape}.")
    require(label, np.all(np.isfinite(biases)), "independent_biases contains NaN or infinity.")
    gradient = log_likelihood_gradient(IsingModel(biases, np.zeros((n_units, n_units))), spins)
    require_close(label, gradient.biases, np.zeros(n_units), rtol=0, atol=1e-10,
                  what="the bias gradient at your independent_biases")


@cache
def _conditional_by_enumeration(biases: tuple, couplings: tuple, state: tuple) -> float:
    model = IsingModel(np.array(biases), np.array(couplings))
    states = all_states(model.n_units)
    p_states = probabilities(model)
    same_rest = np.all(states[:, 1:] == np.array(state)[1:], axis=1)
    p_plus = p_states[same_rest & (states[:, 0] == 1)].sum()
    p_minus = p_states[same_rest & (states[:, 0] == -1)].sum()
    return float(p_plus / (p_plus + p_minus))


@exercise("mle-ex5", answers=("conditional_first_unit",))
def _conditional(conditional_first_unit: Any, *, model: IsingModel, state: Any) -> None:
    # The two full states' probabilities by enumeration of all 2^M states, renormalised.
    expected = _conditional_by_enumeration(
        tuple(model.biases), tuple(map(tuple, model.couplings)),
        tuple(np.asarray(state, dtype=float)))
    require_close("mle-ex5", conditional_first_unit, expected, rtol=1e-9,
                  what="the conditional probability")


@cache
def _wald_coverage(n: int, rate: float) -> float:
    # The interval contains the rate iff n (1 - c) / rate <= S <= n (1 + c) / rate, with
    # S ~ Gamma(n, rate) the sum of the waiting times and c = 1.96 / sqrt(n).
    c = 1.96 / np.sqrt(n)
    total = stats.gamma(a=n, scale=1 / rate)
    return float(total.cdf(n * (1 + c) / rate) - total.cdf(n * (1 - c) / rate))


@cache
def _likelihood_ratio_coverage(n: int, rate: float) -> float:
    # 2 n (r - 1 - log r) <= chi2_{1,0.95} with r = rate S / n; the two roots of
    # r - log r = 1 + t are -W(-exp(-(1 + t))) on the real branches 0 and -1 of Lambert W.
    t = stats.chi2(1).ppf(0.95) / (2 * n)
    low, high = (-special.lambertw(-np.exp(-(1 + t)), k).real for k in (0, -1))
    total = stats.gamma(a=n, scale=1 / rate)
    return float(total.cdf(n * high / rate) - total.cdf(n * low / rate))


@exercise("mle-ex6", answers=("coverage", "exact_coverage", "lr_coverage"))
def _coverage(coverage: Any, exact_coverage: Any, lr_coverage: Any) -> None:
    label = "mle-ex6"
    repeats = 4000
    exact = _wald_coverage(20, 2.0)
    require_close(label, exact_coverage, exact, rtol=1e-9, what="the exact coverage")
    count = float(np.asarray(coverage, dtype=float).sum()) * repeats
    require(label, np.ndim(coverage) == 0 and abs(count - round(count)) < 1e-6,
            f"coverage should be the fraction of your {repeats} simulated intervals that "
            "contain the true rate.")
    # Four binomial standard errors of a fraction of 4000 intervals.
    require_close(label, coverage, exact, rtol=0,
                  atol=4 * np.sqrt(exact * (1 - exact) / repeats),
                  what="the simulated coverage")
    require_close(label, lr_coverage, _likelihood_ratio_coverage(20, 2.0), rtol=1e-8,
                  what="the likelihood-ratio interval's coverage")
