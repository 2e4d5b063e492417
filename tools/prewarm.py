"""Fill PyTensor's and numba's compile caches with the PyMC models of chapters 6 and 7.

    python tools/prewarm.py

A reader's first run of a chapter that samples a PyMC model compiles C (PyTensor) or LLVM
(numba, for nutpie) code before the first draw; later runs reuse the caches in
``~/.pytensor`` and numba's cache folder. Binder's ``postBuild`` (and a class hub's image
build) runs this script so that the caches ship inside the image and a reader starts warm.
Each model is sampled for a few draws with the sampler its chapter uses, which compiles
exactly the functions the chapter needs; the draws are thrown away.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
from bench_pymc import build

#: (model of bench_pymc.MODELS, the sampler its chapter uses).
CHAPTER_SAMPLERS = (
    ("ch6 two, unordered", "pymc"),
    ("ch6 two, ordered", "pymc"),
    ("ch6 seven-point", "nutpie"),
    ("ch6 ex2 three", "nutpie"),
    ("ch6 ex3 six points", "pymc"),
    ("ch7 two, unordered", "pymc"),
)


def main() -> int:
    import pymc as pm

    for name, sampler in CHAPTER_SAMPLERS:
        start = time.perf_counter()
        with build(name)[0]:
            pm.sample(draws=5, tune=5, chains=1, cores=1, nuts_sampler=sampler, random_seed=1,
                      progressbar=False, compute_convergence_checks=False)
        print(f"prewarm: {name} ({sampler}) compiled in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
