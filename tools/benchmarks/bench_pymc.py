"""Benchmark: PyMC's default NUTS against nutpie on every PyMC model of chapters 6 and 7.

For each model, as the chapters sample it (same data, draws, tuning, chains and seed), and
each sampler, one fresh Python process builds the model, compiles it and samples it, twice:
first with empty compile caches (a temporary PyTensor ``base_compiledir`` and
``NUMBA_CACHE_DIR``: a reader's first run on Binder), then, for the compile time only,
again with the caches the first run filled (warm). Reported:

* compile time: for PyMC's NUTS the wall time of ``pm.sample`` minus its own sampling time
  (``posterior.attrs["sampling_time"]``, tuning included); for nutpie the wall time of
  ``nutpie.compile_pymc_model``;
* sampling time (tuning plus draws), and the effective sample size per second of it, of a
  label-invariant quantity (a chain that switches labels is still correct for these): the
  smaller mean for the two-component models, P(z1 = z2 | theta) for the seven-point model,
  the smallest mean for the three-component one;
* R-hat of that quantity, divergent transitions, and the process's peak resident memory.

ESS per gradient evaluation would not depend on the machine's load; ESS per second is what
a reader waits for, so both the draws' ESS and the time are shown.

    python tools/benchmarks/bench_pymc.py            # the table (several minutes)
    python tools/benchmarks/bench_pymc.py --one "ch6 seven-point" nutpie   # one run, JSON
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLERS = ("pymc", "nutpie")
MODELS = ("ch6 seven-point", "ch6 ex2 three", "ch6 two, unordered", "ch6 two, ordered",
          "ch6 ex3 six points", "ch7 two, unordered")
#: The chapter's settings: (draws, tune, chains, seed, target_accept).
SETTINGS = {
    "ch6 two, unordered": (500, 300, 4, 601, 0.8),
    "ch6 two, ordered": (600, 300, 4, 602, 0.8),
    "ch6 seven-point": (1000, 1000, 6, 603, 0.9),  # the chapter draws 4000: ESS/s is the same
    "ch6 ex2 three": (300, 300, 4, 604, 0.9),
    "ch6 ex3 six points": (1000, 300, 4, 605, 0.8),
    "ch7 two, unordered": (500, 1000, 4, 73, 0.8),
}
GOAL_ESS_PER_SECOND = 10.0


def build(name: str):
    """The PyMC model ``name`` and a function of its posterior giving the quantity (chain, draw)."""
    import numpy as np

    from bayesbook import mixtures as mx

    if name.startswith("ch6 two") or name == "ch6 ex2 three":
        x, _ = mx.sample_gmm(100, [0.5, 0.5], [-1.0, 1.0], [1.0, 1.0],
                             rng=np.random.default_rng(20260606))
        k = 3 if name == "ch6 ex2 three" else 2
        model = mx.mixture_model(x, k, ordered=name == "ch6 two, ordered")
        return model, lambda post: np.min(post["mu"].values, axis=-1)
    if name == "ch7 two, unordered":
        # Chapter 7 draws 100 new points from the same recipe, later in its own stream;
        # these come from the start of that stream: the same model, other data of its kind.
        x, _ = mx.sample_gmm(100, [0.5, 0.5], [-1.0, 1.0], [1.0, 1.0],
                             rng=np.random.default_rng(20260707))
        return mx.mixture_model(x, 2), lambda post: np.min(post["mu"].values, axis=-1)
    if name == "ch6 ex3 six points":
        x = np.array([-2.4, -2.0, -0.3, 0.4, 2.1, 2.6])
        return mx.mixture_model(x, 2), lambda post: np.min(post["mu"].values, axis=-1)
    if name == "ch6 seven-point":
        def p_same(post):
            resp = mx.responsibilities(mx.SEVEN_POINT_DATA, post["weights"].values,
                                       post["mu"].values, post["sigma"].values)
            return mx.coclustering_estimate(resp, 0, 1).per_draw
        return mx.seven_point_model(), p_same
    raise ValueError(f"unknown model {name!r}: expected one of {', '.join(MODELS)}")


def one_run(name: str, sampler: str, *, compile_only: bool = False) -> dict[str, float]:
    """Build, compile and sample one model with one sampler in this process.

    With ``compile_only`` the model is sampled for a few draws only (the compile time is
    what is measured).
    """
    import resource

    import arviz as az
    import numpy as np
    import pymc as pm

    draws, tune, chains, seed, target_accept = SETTINGS[name]
    if compile_only:
        draws, tune = 10, 10
    model, quantity = build(name)
    start = time.perf_counter()
    with model:
        if sampler == "pymc":
            idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=1,
                              random_seed=seed, target_accept=target_accept,
                              progressbar=False, compute_convergence_checks=False)
            sampling = float(idata.posterior.attrs["sampling_time"])
            compiling = time.perf_counter() - start - sampling
        else:
            import nutpie

            compiled = nutpie.compile_pymc_model(model)
            compiling = time.perf_counter() - start
            begin = time.perf_counter()
            idata = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains,
                                  seed=seed, target_accept=target_accept, progress_bar=False)
            sampling = time.perf_counter() - begin
    values = np.asarray(quantity(idata.posterior))
    return {
        "compile_s": compiling,
        "sample_s": sampling,
        "ess": float(az.ess(values)),
        "rhat": float(az.rhat(values)),
        "divergences": int(idata.sample_stats["diverging"].sum()),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measured(name: str, sampler: str, cache: Path, *, compile_only: bool = False
             ) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache / "numba")}
    flags = [f for f in env.get("PYTENSOR_FLAGS", "").split(",") if f]
    env["PYTENSOR_FLAGS"] = ",".join([*flags, f"base_compiledir={cache / 'pytensor'}"])
    command = [sys.executable, __file__, "--one", name, sampler]
    result = subprocess.run(command + (["--compile-only"] if compile_only else []), env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    print("### PyMC samplers on the models of chapters 6 and 7\n")
    print("Compile times with empty caches (cold) and with the caches filled (warm, a "
          "second process compiling the same model); sampling, ESS, R-hat, divergences and "
          "memory of the cold run. ESS is of a label-invariant quantity (see the script's "
          "docstring).\n")
    print("| model | sampler | draws × chains | compile cold (s) | compile warm (s) | "
          "sampling (s) | ESS | ESS/s | R-hat | divergences | peak MB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    best: dict[str, tuple[float, str]] = {}
    for name in MODELS:
        draws, _, chains, _, _ = SETTINGS[name]
        for sampler in SAMPLERS:
            with tempfile.TemporaryDirectory(prefix="bench-pymc-") as folder:
                cold = measured(name, sampler, Path(folder))
                warm = measured(name, sampler, Path(folder), compile_only=True)
            rate = cold["ess"] / cold["sample_s"]
            if rate > best.get(name, (0.0, ""))[0]:
                best[name] = (rate, sampler)
            print(f"| {name} | {sampler} | {draws} × {chains} | {cold['compile_s']:.1f} | "
                  f"{warm['compile_s']:.1f} | {cold['sample_s']:.1f} | {cold['ess']:.0f} | "
                  f"{rate:.0f} | {cold['rhat']:.3f} | {cold['divergences']} | "
                  f"{cold['peak_mb']:.0f} |", flush=True)
    seven_rate, seven_sampler = best["ch6 seven-point"]
    met = "met" if seven_rate >= GOAL_ESS_PER_SECOND else "NOT met"
    print(f"\n- Goal: the seven-point model at ≥ {GOAL_ESS_PER_SECOND:.0f} effective draws per "
          f"second of sampling: {met} ({seven_rate:.0f}/s with {seven_sampler}). Fastest per "
          "model: " + "; ".join(f"{n}: {s}" for n, (_, s) in best.items()) + ".")
    return 0


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--one":
        print(json.dumps(one_run(sys.argv[2], sys.argv[3],
                                 compile_only=sys.argv[4:] == ["--compile-only"])))
        sys.exit(0)
    sys.exit(main())
