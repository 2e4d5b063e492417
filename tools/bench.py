"""Measure the book against its budgets and write ``_build/bench.md`` (``make bench``).

1. Every chapter in ``_toc.yml``, run as the build runs it (tools/run_chapter.py): wall time
   with a cold PyTensor compile cache (a fresh, empty one) and then warm (the same cache,
   now filled), and peak memory of the kernel and its child processes.
   Budgets: ≤ 60 s warm and ≤ 1.5 GB per chapter.
2. The whole build from a clean execution cache, with a cold PyTensor cache and then a warm
   one, a warm rebuild with nothing changed (budget ≤ 20 s), and the PDF edition (its time
   and size).
3. The library benchmarks in tools/benchmarks/bench_*.py; every line of theirs that starts
   with "- Goal:" (a goal and "met" / "NOT met", computed from the numbers measured) is
   repeated in a final "Goals" section.

The main ``_build/`` execution cache is cleared by this script (it measures clean builds);
PyTensor's own cache (~/.pytensor) is never touched: cold runs use temporary folders.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_chapter
from build_book import REPO
from sync_notebooks import toc_chapters

CHAPTER_SECONDS = 60.0
CHAPTER_MB = 1536.0
REBUILD_SECONDS = 20.0


def timed_build(env: dict[str, str], *, clean: bool) -> tuple[float, bool]:
    if clean:
        for stale in (".jupyter_cache", ".doctrees", "jupyter_execute", "html"):
            shutil.rmtree(REPO / "_build" / stale, ignore_errors=True)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_book.py")], env=env, cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, check=False,
    )
    return time.perf_counter() - start, result.returncode == 0


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def chapter_table() -> list[str]:
    rows = [
        "| chapter | cold PyTensor (s) | warm PyTensor (s) | peak memory (MB) | budget |",
        "| --- | ---: | ---: | ---: | :---: |",
    ]
    for chapter in toc_chapters():
        with tempfile.TemporaryDirectory(prefix="bench-pytensor-") as compiledir:
            cold = run_chapter.run(chapter, compiledir=Path(compiledir))
            warm = run_chapter.run(chapter, compiledir=Path(compiledir))
        peak = max(cold.peak_mb, warm.peak_mb)
        ok = warm.ok and cold.ok and warm.seconds <= CHAPTER_SECONDS and peak <= CHAPTER_MB
        note = "" if warm.ok and cold.ok else f" ({warm.problem or cold.problem})"
        rows.append(
            f"| {chapter.stem} | {cold.seconds:.1f} | {warm.seconds:.1f} | {peak:.0f} | "
            f"{mark(ok)}{note} |"
        )
        print(rows[-1], flush=True)
    return rows


def build_table() -> list[str]:
    rows = ["| build | wall time (s) | budget |", "| --- | ---: | :---: |"]
    with tempfile.TemporaryDirectory(prefix="bench-pytensor-") as compiledir:
        env = run_chapter.with_compiledir(dict(os.environ), Path(compiledir))
        cold, ok_cold = timed_build(env, clean=True)
        rows.append(f"| clean build, cold PyTensor cache | {cold:.0f} | {mark(ok_cold)} |")
        print(rows[-1], flush=True)
        warm, ok_warm = timed_build(env, clean=True)
        rows.append(f"| clean build, warm PyTensor cache | {warm:.0f} | {mark(ok_warm)} |")
        print(rows[-1], flush=True)
        again, ok_again = timed_build(env, clean=False)
        ok = ok_again and again <= REBUILD_SECONDS
        rows.append(f"| rebuild, nothing changed (≤ {REBUILD_SECONDS:.0f} s) | {again:.1f} | "
                    f"{mark(ok)} |")
        print(rows[-1], flush=True)
        rows.append(pdf_row(env))
        print(rows[-1], flush=True)
    return rows


def pdf_row(env: dict[str, str]) -> str:
    """The PDF edition from the warm execution cache (make pdf): wall time and file size."""
    if shutil.which("xelatex") is None:
        return "| PDF edition (make pdf) | not measured: no xelatex (system_deps.sh --pdf) | ✗ |"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_pdf.py")], env=env, cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, check=False,
    )
    seconds = time.perf_counter() - start
    pdf = REPO / "_build" / "pdf" / "book.pdf"
    size = f", {pdf.stat().st_size / 1e6:.1f} MB" if result.returncode == 0 and pdf.exists() else ""
    return f"| PDF edition (make pdf){size} | {seconds:.0f} | {mark(result.returncode == 0)} |"


def library_benchmarks() -> list[str]:
    sections = []
    for script in sorted((REPO / "tools" / "benchmarks").glob("bench_*.py")):
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                                cwd=REPO, check=False)
        if result.returncode != 0:
            sections.append(f"### {script.name}\n\nFAILED:\n\n```\n{result.stderr[-2000:]}\n```")
        else:
            sections.append(result.stdout.strip())
        print(sections[-1], flush=True)
    return sections


def main() -> int:
    header = [
        "# Benchmarks",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        f"; measured {time.strftime('%Y-%m-%d %H:%M')}.",
        f"Budgets: each chapter ≤ {CHAPTER_SECONDS:.0f} s (warm PyTensor cache) and "
        f"≤ {CHAPTER_MB / 1024:.1f} GB; a no-change rebuild ≤ {REBUILD_SECONDS:.0f} s.",
        "",
        "## Chapters",
        "",
    ]
    body = [*chapter_table(), "", "## The whole build", "", *build_table()]
    sections = library_benchmarks()
    body += ["", "## Library benchmarks", "", *sections]
    # Every goal a benchmark states, with the met / NOT met it computed from its numbers.
    goals = [line for section in sections for line in section.splitlines()
             if line.startswith("- Goal:")]
    body += ["", "## Goals", "", *(goals or ["(no benchmark states a goal)"])]
    report = "\n".join(header + body) + "\n"
    out = REPO / "_build" / "bench.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print(f"\nbench: wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
