"""Grade a class: run every submitted notebook with the book's own checks, write a gradebook.

    python tools/grade.py DIR [--timeout SECONDS] [--jobs N]

``make grade SUBMISSIONS=DIR`` runs it. ``DIR`` holds one folder per student, each with
that student's chapter notebooks under the chapters' names (``DIR/<student>/<chapter>.ipynb``,
e.g. ``DIR/ada/03_markov_chains.ipynb``: the student edition's names). Each notebook runs
top to bottom in a fresh kernel (nbclient; the book's environment, the notebook's folder as
working directory, errors recorded rather than stopping the run) within ``--timeout``
seconds (default 600) for the whole notebook. Before it runs, every check cell is replaced
by the chapter's *reference* check cell for the same exercise (found by the label in the
cell, ``check("mh-ex1", ...)``; a reference check whose cell the student deleted or
mangled is appended at the end), which re-imports ``check`` from ``bayesbook.exercises``:
a student who edits a check cell, or redefines ``check``, cannot make it pass.

``DIR/gradebook.csv`` gets one row per student and exercise of every submitted chapter:
``student,exercise,status,message``, with status

* ``passed``: the check printed "correct";
* ``failed``: the check raised ``CheckFailed`` (message: the check's one sentence);
* ``unanswered``: the check raised ``NotAnswered`` (the answer is still ``...``);
* ``error``: any other exception in the check (say a ``NameError`` for a deleted answer
  cell), or the check never ran: the notebook is not valid JSON, timed out, or its kernel
  died before reaching it.

One notebook's failure never stops the others. Files that are not ``<chapter>.ipynb`` of
a chapter in ``_toc.yml`` are listed and skipped. Works on student-edition notebooks and
on notebooks that still hold the full solutions. Needs only the venv and its siblings in
``tools/`` (``build_book.py``, ``exercise_harness.py``, ``student_edition.py``,
``sync_notebooks.py``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_book import REPO, build_environment
from exercise_harness import chapter_exercises
from sync_notebooks import toc_chapters

STATUSES = ("passed", "failed", "unanswered", "error")
_LABEL = re.compile(r"""\bcheck\w*\(\s*["']([\w-]+-ex\d+)["']""")
_FIELDS = ("student", "exercise", "status", "message")


@dataclass(frozen=True)
class Row:
    student: str
    exercise: str
    status: str
    message: str


def reference_checks(md: Path) -> dict[str, str]:
    """Exercise label -> the chapter's own check cell source, in the chapter's order."""
    return {e.label: e.check for e in chapter_exercises(md) if e.check is not None}


def _grading_cell(label: str, source: str, results: Path) -> str:
    """A cell that runs the reference check ``source`` and records how it came out."""
    return f"""\
def _bayesbook_grade(_label={label!r}, _results={str(results)!r}):
    import json as _json
    _status, _message = "passed", ""
    try:
        exec("from bayesbook.exercises import check\\n" + {source!r}, globals())
    except BaseException as _error:
        _kind = type(_error).__name__
        _status = {{"CheckFailed": "failed", "NotAnswered": "unanswered"}}.get(_kind, "error")
        _message = f"{{_kind}}: {{_error}}" if _status == "error" else str(_error)
    with open(_results, "a", encoding="utf-8") as _file:
        _file.write(_json.dumps({{"exercise": _label, "status": _status,
                                  "message": _message}}) + "\\n")
_bayesbook_grade()
del _bayesbook_grade
"""


def graded_notebook(nb: nbformat.NotebookNode, checks: dict[str, str],
                    results: Path) -> nbformat.NotebookNode:
    """``nb`` with each check cell replaced by the reference check of its exercise."""
    done: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        labels = [m for m in _LABEL.findall(cell.source) if m in checks and m not in done]
        if not labels:
            continue
        label = labels[0]
        cell.source = _grading_cell(label, checks[label], results)
        cell.metadata.pop("tags", None)
        done.add(label)
    for label, source in checks.items():
        if label not in done:
            nb.cells.append(nbformat.v4.new_code_cell(_grading_cell(label, source, results)))
    return nb


def _grading_environment() -> dict[str, str]:
    env = build_environment(REPO)  # the book's quiet python3 kernelspec ...
    env.pop("BAYESBOOK_BUILD", None)  # ... in a student's session, not the book build
    return env


def _worker(notebook: Path, md: Path, results: Path, timeout: float) -> int:
    """Run one submission (in its own process, so the parent can stop it at the time limit)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(notebook, as_version=4)
    nb = graded_notebook(nb, reference_checks(md), results)
    client = NotebookClient(nb, timeout=int(timeout), kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(notebook.parent)}})
    try:
        client.execute()
    except DeadKernelError:
        print("the kernel died", file=sys.stderr)
        return 3
    return 0


def grade_notebook(student: str, notebook: Path, md: Path, timeout: float) -> list[Row]:
    """The rows of one submitted notebook (every exercise of its chapter, in order)."""
    labels = list(reference_checks(md))
    try:
        nbformat.read(notebook, as_version=4)
    except Exception as error:  # any unreadable file: one error row per exercise
        reason = f"not a valid notebook ({type(error).__name__})"
        return [Row(student, label, "error", reason) for label in labels]
    with tempfile.TemporaryDirectory(prefix="bayesbook-grade-") as tmp:
        results = Path(tmp) / "results.jsonl"
        results.touch()
        reason = ""
        process = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(notebook), str(md), str(results),
             str(timeout)],
            env=_grading_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
        )
        try:
            _, err = process.communicate(timeout=timeout)
            if process.returncode != 0:
                last = err.strip().splitlines()[-1:] or [f"exit {process.returncode}"]
                reason = f"the notebook stopped: {last[0][:200]}"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            reason = f"the notebook did not finish within {timeout:g} s"
        recorded: dict[str, Row] = {}
        for line in results.read_text().splitlines():
            entry = json.loads(line)
            recorded.setdefault(entry["exercise"], Row(student, entry["exercise"],
                                                       entry["status"], entry["message"]))
    if not reason and any(label not in recorded for label in labels):
        reason = "the check did not run"
    if "TimeoutError" in reason or "CellTimeoutError" in reason:
        reason = f"the notebook did not finish within {timeout:g} s"
    return [recorded.get(label, Row(student, label, "error", reason)) for label in labels]


def submissions(folder: Path, chapters: dict[str, Path]) -> tuple[list[tuple[str, Path, Path]],
                                                                 list[Path]]:
    """(student, notebook, chapter) for every gradable file, and the files skipped."""
    found, skipped = [], []
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not
                          p.name.startswith(".")):
        for path in sorted(p for p in student.iterdir() if p.is_file()):
            if path.suffix == ".ipynb" and path.stem in chapters:
                found.append((student.name, path, chapters[path.stem]))
            else:
                skipped.append(path)
    return found, skipped


def grade(folder: Path, timeout: float = 600, jobs: int = 1,
          chapters: list[Path] | None = None) -> list[Row]:
    """Grade every submission in ``folder`` and write ``folder/gradebook.csv``."""
    by_name = {md.stem: md for md in (chapters or toc_chapters())}
    work, skipped = submissions(folder, by_name)
    for path in skipped:
        print(f"grade: skipped {path.relative_to(folder)} (not <chapter>.ipynb of a chapter "
              "in _toc.yml)", file=sys.stderr)

    def one(item: tuple[str, Path, Path]) -> list[Row]:
        student, notebook, md = item
        start = time.perf_counter()
        rows = grade_notebook(student, notebook, md, timeout)
        counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
        print(f"grade: {student}/{notebook.name}: "
              + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
              + f" ({time.perf_counter() - start:.1f} s)", flush=True)
        return rows

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = [row for batch in pool.map(one, work) for row in batch]
    with (folder / "gradebook.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(_FIELDS)
        writer.writerows((r.student, r.exercise, r.status, r.message) for r in rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--worker"]:
        notebook, md, results, timeout = sys.argv[2:6]
        return _worker(Path(notebook), Path(md), Path(results), float(timeout))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="DIR/<student>/<chapter>.ipynb")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds one notebook may run (default 600)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="notebooks graded at the same time (default 1)")
    args = parser.parse_args(argv)
    folder = args.submissions.resolve()
    if not folder.is_dir():
        parser.error(f"{folder} is not a folder of student folders")
    start = time.perf_counter()
    rows = grade(folder, args.timeout, args.jobs)
    students = len({r.student for r in rows})
    print(f"grade: {len(rows)} rows for {students} students in "
          f"{time.perf_counter() - start:.1f} s -> {folder / 'gradebook.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
