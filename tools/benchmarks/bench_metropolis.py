"""Benchmark: random-walk Metropolis on a 10-D Gaussian, vectorised across chains.

Compares ``bayesbook.metropolis.metropolis`` with 1, 100 and 1000 chains against a plain
one-chain Python loop over steps (written here, the way one would write the algorithm
without thinking about speed), and against the *random-number ceiling*: the rate at which
NumPy only draws the random numbers a Gaussian random walk needs (``DIM`` normals and one
uniform per proposal, for 1000 chains at once). No NumPy random walk can beat the ceiling,
so the goals are fractions of it.

Two rates are measured: proposals per second (one accept/reject decision for one chain) and
*useful* throughput, effective samples per second: ArviZ's bulk ESS of the first coordinate
after discarding a warm-up of ``WARMUP`` steps per chain, every configuration run at the
same chain length (``STEPS`` kept steps per chain), divided by the wall time of the whole
run including the warm-up. The machine may be shared, so every configuration is timed in
rounds that interleave them, and each keeps its fastest round: ratios measured in one
process, minutes apart at most, are what the goals compare.

Goals (each printed as met or not met from the numbers measured):

* with 1000 chains, at least 75 % of the random-number ceiling in proposals per second;
* with one chain, at least 0.5 times the plain loop in proposals per second;
* every sampler's mean of the first coordinate within 5 Monte Carlo standard errors of the
  target's (a check that the fast code still samples the right distribution).

    python tools/benchmarks/bench_metropolis.py
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

import arviz as az
import numpy as np

from bayesbook.metropolis import metropolis

DIM = 10
STEP_SIZE = 0.6
GOAL_CHAINS = 1000
GOAL_CEILING_FRACTION = 0.75
GOAL_ONE_CHAIN_RATIO = 0.5
GOAL_MEAN_SE = 5.0
ROUNDS = 5
#: Proposals per timed proposal-rate run, for each number of chains.
PROPOSALS = 100_000
#: Warm-up discarded and steps kept per chain in the effective-sample runs.
WARMUP = 200
STEPS = 1000


def target() -> tuple[np.ndarray, np.ndarray]:
    """Mean and precision of a correlated 10-D Gaussian (AR(1) covariance, rho = 0.6)."""
    lags = np.abs(np.subtract.outer(np.arange(DIM), np.arange(DIM)))
    cov = 0.6**lags
    return np.linspace(-1.0, 1.0, DIM), np.linalg.inv(cov)


MEAN, PRECISION = target()


def log_prob_batched(x: np.ndarray) -> np.ndarray:
    """Log density up to a constant for states of shape (..., DIM)."""
    d = x - MEAN
    return -0.5 * np.einsum("...i,...i->...", d @ PRECISION, d)


def baseline(n_steps: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """One chain, a plain Python loop over steps; returns samples and acceptance rate."""
    x = np.zeros(DIM)
    d = x - MEAN
    lp = -0.5 * (d @ PRECISION @ d)
    samples = np.empty((n_steps, DIM))
    n_accepted = 0
    for t in range(n_steps):
        y = x + STEP_SIZE * rng.standard_normal(DIM)
        d = y - MEAN
        lp_y = -0.5 * (d @ PRECISION @ d)
        if math.log(rng.random()) < lp_y - lp:
            x, lp = y, lp_y
            n_accepted += 1
        samples[t] = x
    return samples, n_accepted / n_steps


def random_numbers_only(rng: np.random.Generator) -> None:
    """The ceiling: the normals and uniforms of PROPOSALS proposals, GOAL_CHAINS at a time."""
    for _ in range(PROPOSALS // GOAL_CHAINS):
        rng.standard_normal((GOAL_CHAINS, DIM))
        rng.random(GOAL_CHAINS)


def fastest(runs: dict[str, Callable[[], object]]) -> tuple[dict[str, float], dict[str, object]]:
    """Fastest wall time of each run over ROUNDS rounds (runs interleaved in each round),
    and each run's result from its last round."""
    best = dict.fromkeys(runs, math.inf)
    result: dict[str, object] = {}
    for _ in range(ROUNDS):
        for name, run in runs.items():
            start = time.perf_counter()
            result[name] = run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best, result


def first_coordinate_after_warmup(n_chains: int, rng: np.random.Generator) -> np.ndarray:
    """Coordinate 0 of STEPS kept steps per chain after WARMUP, shape (chains, STEPS).

    ``n_chains == 0`` runs the plain loop (one chain)."""
    if n_chains == 0:
        return baseline(WARMUP + STEPS, rng)[0][np.newaxis, WARMUP:, 0]
    chains = metropolis(log_prob_batched, np.zeros((n_chains, DIM)), WARMUP + STEPS,
                        STEP_SIZE, rng=rng)
    return chains.samples[:, WARMUP:, 0]


def mark(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> int:
    rng = np.random.default_rng(2024)
    configs = {"plain Python loop (baseline)": 0, **{
        f"bayesbook.metropolis, {n} chain{'s' * (n > 1)}": n for n in (1, 100, GOAL_CHAINS)}}

    def proposal_run(n_chains: int) -> Callable[[], object]:
        if n_chains == 0:
            return lambda: baseline(PROPOSALS, rng)
        x0 = np.zeros((n_chains, DIM))
        return lambda: metropolis(log_prob_batched, x0, PROPOSALS // n_chains, STEP_SIZE,
                                  rng=rng)

    runs = {name: proposal_run(n) for name, n in configs.items()}
    runs["random numbers only (ceiling)"] = lambda: random_numbers_only(rng)
    seconds, _ = fastest(runs)
    rate = {name: PROPOSALS / t for name, t in seconds.items()}
    ess_seconds, kept = fastest({
        name: (lambda n=n: first_coordinate_after_warmup(n, rng)) for name, n in configs.items()
    })
    ess_stats = {
        # MCSE of the mean: sd over the square root of the mean-ESS (the Markov-chain CLT).
        name: (float(az.ess(x, method="bulk")), float(x.mean()),
               float(x.std() / math.sqrt(az.ess(x, method="mean"))))
        for name, x in kept.items()
    }

    ceiling = rate["random numbers only (ceiling)"]
    loop = rate["plain Python loop (baseline)"]
    print("### Random-walk Metropolis, 10-D Gaussian (`bayesbook.metropolis`)\n")
    print(f"{PROPOSALS:,} proposals per proposal-rate run; effective samples after a warm-up "
          f"of {WARMUP} steps, {STEPS} kept steps per chain; step size {STEP_SIZE}; fastest "
          f"of {ROUNDS} interleaved rounds.\n")
    print("| sampler | proposals / s | × loop | × ceiling | ESS (bulk, x₀) | ESS / s | "
          "mean x₀ − target (MCSE) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    mean_ok = True
    for name in configs:
        ess, mean, mcse = ess_stats[name]
        error = mean - MEAN[0]
        mean_ok &= abs(error) <= GOAL_MEAN_SE * mcse
        print(f"| {name} | {rate[name]:,.0f} | {rate[name] / loop:.2f} | "
              f"{rate[name] / ceiling:.2f} | {ess:,.0f} | {ess / ess_seconds[name]:,.0f} | "
              f"{error:+.3f} ({mcse:.3f}) |")
    print(f"| random numbers only (ceiling) | {ceiling:,.0f} | {ceiling / loop:.2f} | 1.00 "
          "| | | |")
    many = rate[f"bayesbook.metropolis, {GOAL_CHAINS} chains"] / ceiling
    one = rate["bayesbook.metropolis, 1 chain"] / loop
    print()
    print(f"- Goal: with {GOAL_CHAINS} chains, ≥ {GOAL_CEILING_FRACTION:.0%} of the "
          f"random-number ceiling in proposals / s. Measured {many:.0%}: "
          f"{mark(many >= GOAL_CEILING_FRACTION)}.")
    print(f"- Goal: with one chain, ≥ {GOAL_ONE_CHAIN_RATIO}× the plain loop in proposals / s. "
          f"Measured {one:.2f}×: {mark(one >= GOAL_ONE_CHAIN_RATIO)}.")
    print(f"- Goal: every sampler's mean of x₀ within {GOAL_MEAN_SE:.0f} MCSE of the target's "
          f"{MEAN[0]:.0f}: {mark(mean_ok)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
