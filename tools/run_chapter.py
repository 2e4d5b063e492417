"""Execute one chapter as the book build would, and report its time and peak memory.

    python tools/run_chapter.py book/03_markov_chains.md [--json] [--cold-pytensor]
                                                        [--sphinx]

The chapter runs top to bottom in a fresh kernel (the build's kernelspec and environment,
``BAYESBOOK_BUILD=1``) with the notebook's folder as working directory. It fails when a
cell raises or when any cell writes to stderr (warnings included), exactly the gates of
the book build. Peak memory is the largest total resident memory of the kernel and every
process it starts (compilers, sampler workers), sampled every 20 ms.

``--cold-pytensor`` runs with an empty, temporary PyTensor compile directory and numba
cache (the first run on a fresh machine); by default the usual caches (~/.pytensor) are used.
``--sphinx`` also builds the chapter alone (with the preface, the references, and the
chapters named by ``--also`` for cross-references) in an isolated folder under
``_build/partial/`` with every Sphinx gate on, to catch bad directives and references
without touching the main build.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import jupytext
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_book import REPO, build_environment
from build_book import main as build_main


@dataclass(frozen=True)
class ChapterRun:
    chapter: str
    seconds: float
    peak_mb: float
    ok: bool
    problem: str


class PeakMemory:
    """Sample the summed RSS of this process's descendants in a background thread."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def stderr_outputs(nb) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                first = output.get("text", "").strip().splitlines()[:1]
                found.append(f"cell {index}: {first[0] if first else ''}")
    return found


def with_compiledir(env: dict[str, str], compiledir: Path) -> dict[str, str]:
    """``env`` with PyTensor compiling into ``compiledir`` instead of ~/.pytensor.

    numba's cache (nutpie's compiled log densities) goes to ``compiledir/numba``, so an
    empty ``compiledir`` is a cold start for both compilers.
    """
    flags = [f for f in env.get("PYTENSOR_FLAGS", "").split(",") if f]
    return {**env, "PYTENSOR_FLAGS": ",".join([*flags, f"base_compiledir={compiledir}"]),
            "NUMBA_CACHE_DIR": str(compiledir / "numba")}


def run(chapter: Path, *, compiledir: Path | None = None, timeout: int = 600) -> ChapterRun:
    """Execute ``chapter`` in a fresh kernel; PyTensor compiles into ``compiledir`` if given."""
    chapter = chapter.resolve()
    nb = jupytext.read(chapter, fmt="md:myst")
    env = build_environment(REPO)
    if compiledir is not None:
        env = with_compiledir(env, compiledir)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(chapter.parent)}},
    )
    problem = ""
    start = time.perf_counter()
    try:
        with PeakMemory() as memory:
            client.execute()
    except CellExecutionError as error:
        problem = str(error).strip().splitlines()[-1]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    seconds = time.perf_counter() - start
    if not problem:
        stderr = stderr_outputs(nb)
        if stderr:
            problem = "stderr output in " + "; ".join(stderr)
    return ChapterRun(
        chapter=str(chapter.relative_to(REPO)), seconds=round(seconds, 2),
        peak_mb=round(memory.peak / 2**20, 1), ok=not problem, problem=problem,
    )


def sphinx_check(chapter: Path, also: list[Path] = ()) -> int:
    """Build the chapter (and ``also``) alone, with every gate, in ``_build/partial/<name>``.

    The partial book has its own ``book/`` folder holding links to just these chapters, the
    references, and a one-line preface (the real preface links every chapter).
    """
    chapter = chapter.resolve()
    root = REPO / "_build" / "partial" / chapter.stem
    if root.exists():
        shutil.rmtree(root / "book", ignore_errors=True)
    (root / "book").mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "notebooks", "tools", "src"):
        link = root / name
        if not link.exists():
            link.symlink_to(REPO / name)
    pages = sorted({chapter.stem, *(Path(p).stem for p in also)})
    for name in [*(f"{page}.md" for page in pages), "references.md", "references.bib"]:
        (root / "book" / name).symlink_to(REPO / "book" / name)
    (root / "book" / "intro.md").write_text("# Partial build\n\nThe chapters below, alone.\n")
    toc = root / "_toc.yml"
    toc.write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n"
        + "".join(f"  - file: book/{page}\n" for page in pages)
        + "  - file: book/references\n"
    )
    return build_main(["--root", str(root), "--toc", str(toc)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapter", type=Path)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--cold-pytensor", action="store_true")
    parser.add_argument("--sphinx", action="store_true", help="also build the chapter alone")
    parser.add_argument(
        "--also", type=Path, nargs="*", default=[],
        help="with --sphinx: other chapters to build alongside (for cross-references)",
    )
    args = parser.parse_args(argv)
    if args.cold_pytensor:
        with tempfile.TemporaryDirectory(prefix="pytensor-cold-") as cold_dir:
            result = run(args.chapter, compiledir=Path(cold_dir))
    else:
        result = run(args.chapter)
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        status = "ok" if result.ok else f"FAILED: {result.problem}"
        print(f"{result.chapter}: {result.seconds:.1f} s, peak {result.peak_mb:.0f} MB, {status}")
    code = 0 if result.ok else 1
    if args.sphinx and code == 0:
        code = sphinx_check(args.chapter, args.also)
    return code


if __name__ == "__main__":
    sys.exit(main())
