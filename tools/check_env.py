"""Check that the environment can run the book as intended; exit non-zero with a reason.

* PyTensor links a real BLAS. A pip-installed PyTensor without one warns in every chapter
  that uses it and runs matrix products slowly; the fix is system BLAS
  (tools/system_deps.sh installs Debian's libopenblas-dev), never silencing the warning.
* PyTensor finds a C++ compiler (``pytensor.config.cxx``): without one it falls back to
  slow Python implementations, and chapters that compile models miss their time budget.
  A class JupyterHub image needs one too (see the teaching guide).
* The installed packages are exactly those pinned in requirements.lock.
"""

from __future__ import annotations

import re
import sys
import warnings
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def check_blas() -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            import pytensor

            flags = pytensor.config.blas__ldflags
        except UserWarning as warning:
            first_line = str(warning).splitlines()[0]
            return [
                f"PyTensor cannot link a BLAS library ({first_line}); run `bash "
                "tools/system_deps.sh` (Debian: apt-get install libopenblas-dev gfortran)"
            ]
    if not flags:
        return ["PyTensor found no BLAS library (empty blas__ldflags)"]
    return []


def check_compiler(cxx: str | None = None) -> list[str]:
    """A problem if PyTensor has no C++ compiler (``cxx`` overrides what PyTensor found)."""
    if cxx is None:
        import pytensor

        cxx = pytensor.config.cxx
    if not cxx:
        return ["PyTensor found no C++ compiler (pytensor.config.cxx is empty); install one "
                "(Debian: apt-get install g++)"]
    return []


def check_lock() -> list[str]:
    problems = []
    pin = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")
    for line in (REPO / "requirements.lock").read_text().splitlines():
        match = pin.match(line)
        if not match:
            continue
        name, version = match.groups()
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name}=={version} is pinned but not installed")
            continue
        if installed != version:
            problems.append(f"{name} is {installed}, the lock pins {version}")
    return problems


def main() -> int:
    problems = check_blas() + check_compiler() + check_lock()
    for problem in problems:
        print(f"check_env: {problem}", file=sys.stderr)
    if not problems:
        print("check_env: ok (BLAS linked, C++ compiler found, environment matches "
              "requirements.lock)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
