"""Build the executed HTML book with every gate on.

    python tools/build_book.py [--root DIR] [--toc FILE] [--library DIR ...]

What this adds to a bare ``jupyter-book build``:

* gates: ``-W -n --keep-going`` (any Sphinx warning fails the build); the cell-error and
  stderr gates live in ``_config.yml`` (``execute.raise_on_error``, ``execute.stderr_output``);
* a library-aware execution cache: jupyter-cache keys a notebook on its own cells only, so a
  change in ``src/bayesbook`` or in the pinned environment would otherwise serve stale
  outputs. The cache is stamped with a fingerprint of the library, the lock and
  ``pyproject.toml``; when the fingerprint changes, the cache is dropped and every chapter
  re-executes;
* the notebook edition: after a good build, ``tools/notebook_edition.py`` writes every
  chapter as a plain Jupyter notebook (``_build/edition``, and ``_build/html/_notebooks``
  for the download buttons);
* the build environment: ``BAYESBOOK_BUILD=1`` (see ``bayesbook.runtime``) and a kernel
  that does not log transport notices (see ``build_kernelspec``).

Exit status is jupyter-book's: non-zero when any gate trips.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FINGERPRINT_FILE = "bayesbook-fingerprint.txt"


def fingerprint(paths: list[Path]) -> str:
    """A hash of the contents (and relative names) of every file under ``paths``."""
    digest = hashlib.sha256()
    for base in paths:
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            digest.update(str(file.relative_to(base.parent)).encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def guard_cache(build_dir: Path, inputs: list[Path]) -> bool:
    """Drop every executed output when the library or environment changed. True if dropped.

    Both caches must go: jupyter-cache's executed notebooks, and Sphinx's pickled
    environment, which would otherwise skip re-reading (so re-executing) unchanged sources.
    """
    cache_dir = build_dir / ".jupyter_cache"
    current = fingerprint([p for p in inputs if p.exists()])
    stamp = cache_dir / FINGERPRINT_FILE
    previous = stamp.read_text().strip() if stamp.exists() else None
    dropped = False
    if previous != current:
        for stale in (cache_dir, build_dir / ".doctrees", build_dir / "jupyter_execute"):
            if stale.exists():
                shutil.rmtree(stale)
                dropped = True
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return dropped


def build_kernelspec(root: Path) -> Path:
    """A ``python3`` kernelspec for the build, found first through ``JUPYTER_PATH``.

    It is the venv's own ipykernel with one change: the kernel application's logger is set
    to ERROR. That logger's only output in a build is ipykernel's notice that a kernel on
    loopback TCP is unencrypted, which says nothing about the book. Cell output, warnings
    raised by chapter code and the kernel's errors are untouched.
    """
    data_dir = root / "_build" / ".jupyter"
    spec_dir = data_dir / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
            "-f", "{connection_file}", "--IPKernelApp.log_level=ERROR",
        ],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return data_dir


def build_environment(root: Path = REPO) -> dict[str, str]:
    env = dict(os.environ)
    env["BAYESBOOK_BUILD"] = "1"
    jupyter_path = [str(build_kernelspec(root))]
    if env.get("JUPYTER_PATH"):
        jupyter_path.append(env["JUPYTER_PATH"])
    env["JUPYTER_PATH"] = os.pathsep.join(jupyter_path)
    # ipykernel's debugger (debugpy) prints a "frozen modules" notice to the kernel's
    # stderr on Python 3.11; it is about the debugger, not the book.
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="book root (holds _config.yml)")
    parser.add_argument("--toc", type=Path, default=None, help="table of contents to use")
    parser.add_argument(
        "--library",
        type=Path,
        action="append",
        default=None,
        help="files or folders whose change invalidates the execution cache "
        "(default: src/bayesbook, requirements.lock, pyproject.toml)",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    libraries = args.library or [
        REPO / "src" / "bayesbook",
        REPO / "requirements.lock",
        REPO / "pyproject.toml",
    ]
    if guard_cache(root / "_build", [p.resolve() for p in libraries]):
        print("build_book: library or environment changed; execution cache dropped", flush=True)

    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")), "build", str(root),
        "--builder", "html", "-W", "-n", "--keep-going",
    ]
    if args.toc is not None:
        cmd += ["--toc", str(args.toc.resolve())]
    start = time.perf_counter()
    result = subprocess.run(cmd, env=build_environment(root), cwd=root, check=False)
    elapsed = time.perf_counter() - start
    status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"build_book: {status} in {elapsed:.1f} s", flush=True)
    if result.returncode != 0:
        return result.returncode
    # The notebook edition (tools/notebook_edition.py): the chapters as plain Jupyter
    # notebooks, read from this build's executed notebooks and cross-reference data.
    from notebook_edition import main as edition_main

    return edition_main(["--build", str(root / "_build"), "--root", str(root)])


if __name__ == "__main__":
    sys.exit(main())
