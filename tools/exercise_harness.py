"""Prove every exercise's check: the reference passes, unanswered says so, mutations fail.

    python tools/exercise_harness.py book/NN_x.md [--label mh-ex1 ...] [--json OUT]
                                                  [--streams-cap N] [--timeout S]

The chapter runs top to bottom in one Jupyter kernel, with the book build's kernelspec and
environment (``tools/build_book.build_environment``: ``BAYESBOOK_BUILD=1``) and ``book/``
as working directory. At each exercise (an ``exercise`` directive with a ``:label:``, its
solution's code cells between ``solution-start <label>`` and ``solution-end``, and the
``check``-tagged code cell right after ``solution-end``) the harness runs, in the kernel:

(a) **reference**: the solution cells, then the check cell; the check must print
    ``✓ <label>: correct.``;
(b) **unanswered**: every registered answer name (``bayesbook.exercises.lookup(label)
    .answers``) set to ``...``, then the check; it must raise ``NotAnswered``;
(c) **mutations** (the check cell's ``mutations`` metadata): each mutation's ``replace``
    pairs applied to the solution cells' code (each ``old`` must occur exactly once in them,
    else the mutation is a harness error), the cells run, then its ``append`` code, then
    the check; it must raise ``CheckFailed``. Any other outcome counts against the
    mutation: "passed" (the check accepted it) or "crashed" (any other exception, including
    ``NotAnswered`` and ``NameError``, or a timeout);
(d) **streams** (``streams: N`` metadata): (a) and (c) are repeated on N random streams,
    each run preceded by ``rng = np.random.default_rng(seed)`` for a fixed list of seeds
    (1001, 1002, ... skipping every seed the chapter passes to ``default_rng``). The
    reference must pass on at least N-1 streams and each mutation must be caught on at
    least N-1.

Exceptions are told apart by their class name as the kernel reports it (``ename``).
Before every run the answer names are deleted (so no stale answer is checked) and, for
runs without a stream, the chapter's ``rng`` is restored to its state when the exercise
began (so a mutation sees the stream the reference saw). After the exercise, the reference
solution runs once more on that state, so later cells see what the book build computes.

Format rules, each a failure of the exercise: a check cell right after ``solution-end``,
tagged ``check``, that is one statement calling ``check("<its label>", ...)`` with every
registered answer passed by keyword; at least two mutations, each with a ``name``, a
``why``, and a ``replace`` list of ``[old, new]`` pairs and/or an ``append`` string;
``streams`` (when given) an integer of at least 20.

``--label`` restricts the proof to some exercises (the chapter still runs up to the last
of them); ``--streams-cap N`` runs at most N streams per exercise (pass rules become
"at least min(N, streams) - 1"), for a quick look; ``--json OUT`` writes the report.
Exit status: 0 when every rule holds, 1 otherwise (2 for a usage error).

Needs only the venv's packages and its siblings in ``tools/`` (``build_book.py`` for
the environment, ``student_edition.py`` for the chapter parser, which imports
``sync_notebooks.py``).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_book import REPO, build_environment
from student_edition import Piece, pieces

MIN_STREAMS = 20
MIN_MUTATIONS = 2
_SEED_IN_CHAPTER = re.compile(r"default_rng\(\s*(\d+)\s*\)")
_H = "_exercise_harness"  # prefix of every name the harness defines in the kernel


# ---------------------------------------------------------------- the chapter's exercises

@dataclass(frozen=True)
class ChapterExercise:
    """One exercise: its label, the code cells before it, its solution cells and check cell."""

    label: str
    before: tuple[str, ...]
    solution: tuple[str, ...]
    check: str | None
    metadata: dict
    where: str
    problems: tuple[str, ...] = ()


def _tags(piece: Piece) -> list[str]:
    tags = piece.metadata.get("tags", [])
    return list(tags) if isinstance(tags, list) else [str(tags)]


def chapter_exercises(md: Path) -> list[ChapterExercise]:
    """The exercises of chapter ``md`` in order, each with the code cells that precede it."""
    out: list[ChapterExercise] = []
    before: list[str] = []
    label = ""
    solution: list[str] | None = None
    state = "prose"  # prose -> solution -> awaiting-check -> prose
    where = ""
    problems: list[str] = []
    for piece in pieces(md):
        if state == "awaiting-check" and piece.kind in ("code", "exercise", "solution-start"):
            check = None
            metadata: dict = {}
            if piece.kind == "code" and "check" in _tags(piece):
                check, metadata = piece.text, piece.metadata
            else:
                problems.append("no check-tagged code cell right after solution-end")
            out.append(ChapterExercise(label, tuple(before), tuple(solution or ()), check,
                                       metadata, where, tuple(problems)))
            before, solution, problems, state = [], None, [], "prose"
            if check is not None:
                continue
        if piece.kind == "exercise":
            if state == "awaiting-solution":
                out.append(ChapterExercise(label, tuple(before), (), None, {}, where,
                                           ("no solution-start ... solution-end block",)))
                before = []
            label, where, state, problems = piece.label, piece.where, "awaiting-solution", []
        elif piece.kind == "solution-start":
            if piece.argument != label:
                raise ValueError(f"{piece.where}: solution-start {piece.argument} does not "
                                 f"follow its exercise (last exercise: {label or 'none'})")
            solution, state = [], "solution"
        elif piece.kind == "solution":
            problems.append("a non-gated solution directive: use solution-start/solution-end")
            solution, state = [], "awaiting-check"
        elif piece.kind == "solution-end":
            state = "awaiting-check"
        elif piece.kind == "code":
            if state == "solution":
                solution.append(piece.text)
            else:
                before.append(piece.text)
    if state == "awaiting-check":
        out.append(ChapterExercise(label, tuple(before), tuple(solution or ()), None, {}, where,
                                   ("no check-tagged code cell right after solution-end",)))
    elif state in ("awaiting-solution", "solution"):
        out.append(ChapterExercise(label, tuple(before), (), None, {}, where,
                                   ("no complete solution-start ... solution-end block",)))
    return out


def check_call(source: str, label: str) -> tuple[list[str], list[str]]:
    """The keyword names the check cell passes to ``check(label, ...)``, and format problems."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return [], [f"the check cell is not valid Python ({error.msg})"]
    problems = []
    statements = tree.body
    call = statements[0].value if len(statements) == 1 and isinstance(
        statements[0], ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id == "check"):
        return [], [f'the check cell must be one statement: check("{label}", ...)']
    first = call.args[0] if call.args else None
    if not (isinstance(first, ast.Constant) and first.value == label) or len(call.args) != 1:
        problems.append(f'the check cell calls check() without its own label: check("{label}", '
                        "answer=answer, ...)")
    names = [k.arg for k in call.keywords if k.arg is not None]
    if any(k.arg is None for k in call.keywords):
        problems.append("the check cell passes **kwargs: name every answer and context value")
    return names, problems


def mutation_problems(mutations: Any) -> list[str]:
    """What is wrong with a check cell's ``mutations`` metadata (empty when nothing)."""
    if not isinstance(mutations, list) or len(mutations) < MIN_MUTATIONS:
        count = len(mutations) if isinstance(mutations, list) else 0
        return [f"{count} mutations: at least {MIN_MUTATIONS} plausible wrong answers needed"]
    problems = []
    for index, mutation in enumerate(mutations, 1):
        if not isinstance(mutation, dict):
            problems.append(f"mutation {index} is not a mapping")
            continue
        for key in ("name", "why"):
            if not isinstance(mutation.get(key), str) or not mutation[key].strip():
                problems.append(f"mutation {index} has no {key!r}")
        replace, append = mutation.get("replace"), mutation.get("append")
        if replace is None and append is None:
            problems.append(f"mutation {index} has neither 'replace' nor 'append'")
        if replace is not None and not (
            isinstance(replace, list) and all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
                for p in replace)):
            problems.append(f"mutation {index}: 'replace' must be a list of [old, new] strings")
        if append is not None and not isinstance(append, str):
            problems.append(f"mutation {index}: 'append' must be a string of code")
        extra = set(mutation) - {"name", "why", "replace", "append"}
        if extra:
            problems.append(f"mutation {index} has unknown keys {sorted(extra)}")
    return problems


def apply_replacements(cells: tuple[str, ...], replace: list[list[str]]) -> list[str]:
    """The solution cells with each ``[old, new]`` applied; ``old`` must occur exactly once."""
    out = list(cells)
    for old, new in replace:
        count = sum(cell.count(old) for cell in out)
        if count != 1:
            raise ValueError(f"replace: {old!r} occurs {count} times in the solution's code "
                             "(it must occur exactly once)")
        out = [cell.replace(old, new) for cell in out]
    return out


def stream_seeds(n: int, chapter_text: str) -> list[int]:
    """``n`` fixed seeds (1001, 1002, ...) none of which the chapter passes to default_rng."""
    avoid = {int(s) for s in _SEED_IN_CHAPTER.findall(chapter_text)}
    seeds, seed = [], 1001
    while len(seeds) < n:
        if seed not in avoid:
            seeds.append(seed)
        seed += 1
    return seeds


# ---------------------------------------------------------------- the kernel

@dataclass
class Run:
    """One execution in the kernel: ``ename`` is empty when the code raised nothing."""

    ename: str = ""
    evalue: str = ""
    stdout: str = ""
    seconds: float = 0.0


class HarnessError(RuntimeError):
    """The chapter itself could not run (a cell outside the exercises failed, kernel died)."""


class Kernel:
    """One kernel with the book build's settings; ``run(code)`` executes and collects."""

    def __init__(self, cwd: Path, timeout: float) -> None:
        self.timeout = timeout
        env = build_environment(REPO)  # before os.environ is swapped: it starts from it
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            self.manager = KernelManager(kernel_name="python3")
            self.manager.start_kernel(cwd=str(cwd), env=env)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float | None = None) -> Run:
        """Execute ``code``; a timeout interrupts it, a dead kernel is a HarnessError."""
        limit = timeout or self.timeout
        result = Run()
        stdout: list[str] = []
        start = time.perf_counter()
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + limit
        while True:
            if time.monotonic() > deadline:
                self.manager.interrupt_kernel()
                self._wait_idle(msg_id)
                result.ename, result.evalue = "Timeout", f"no result after {limit:g} s"
                break
            message = self._next_message(msg_id)
            if message is None:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream" and content.get("name") == "stdout":
                stdout.append(content["text"])
            elif kind == "error":
                result.ename, result.evalue = content["ename"], content["evalue"]
            elif kind == "status" and content["execution_state"] == "idle":
                break
        result.seconds = time.perf_counter() - start
        result.stdout = "".join(stdout)
        return result

    def _next_message(self, msg_id: str) -> dict | None:
        """The next output message answering ``msg_id``; None after half a second without."""
        try:
            message = self.client.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            if not self.manager.is_alive():
                raise HarnessError("the kernel died") from None
            return None
        return message if message["parent_header"].get("msg_id") == msg_id else None

    def _wait_idle(self, msg_id: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = self._next_message(msg_id)
            if (message is not None
                    and message["msg_type"] == "status"
                    and message["content"]["execution_state"] == "idle"):
                return
        raise HarnessError("the kernel did not stop after an interrupt")

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


# ---------------------------------------------------------------- proving one exercise

@dataclass
class Outcome:
    """How a kind of run came out: counts of each result over its runs."""

    name: str
    runs: int = 0
    good: int = 0
    results: dict[str, int] = field(default_factory=dict)
    ok: bool = False
    error: str = ""
    why: str = ""
    first_bad: str = ""


@dataclass
class ExerciseReport:
    label: str
    streams: int
    problems: list[str]
    reference: Outcome | None = None
    unanswered: Outcome | None = None
    mutations: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        outcomes = [self.reference, self.unanswered, *self.mutations]
        return not self.problems and all(o is not None and o.ok for o in outcomes)


def _classify(run: Run, label: str) -> str:
    """``passed``, ``CheckFailed``, ``NotAnswered`` or ``crashed: <ename>`` for one run."""
    if not run.ename:
        return "passed" if f"✓ {label}: correct." in run.stdout else "passed (no ✓ printed)"
    if run.ename in ("CheckFailed", "NotAnswered"):
        return run.ename
    return f"crashed: {run.ename}"


class Prover:
    """Runs one chapter's exercises in one kernel and proves each check."""

    def __init__(self, kernel: Kernel, chapter_text: str, streams_cap: int | None) -> None:
        self.kernel = kernel
        self.chapter_text = chapter_text
        self.streams_cap = streams_cap

    def _prelude(self, answers: list[str], seed: int | None) -> str:
        lines = [f"globals().pop({name!r}, None)" for name in answers]
        if seed is None:
            lines.append(f"if {_H}_rng is not None: rng = {_H}_copy.deepcopy({_H}_rng)")
        else:
            lines.append(f"rng = {_H}_np.random.default_rng({seed})")
        return "\n".join(lines)

    def _attempt(self, exercise: ChapterExercise, answers: list[str], cells: list[str],
                 append: str, seed: int | None) -> Run:
        setup = self.kernel.run(self._prelude(answers, seed))
        if setup.ename:
            raise HarnessError(f"{exercise.label}: harness set-up failed: {setup.ename}")
        total = 0.0
        for code in [*cells, append] if append else cells:
            run = self.kernel.run(code)
            total += run.seconds
            if run.ename:
                run.seconds = total
                return run
        run = self.kernel.run(exercise.check or "")
        run.seconds += total
        return run

    def prove(self, exercise: ChapterExercise) -> ExerciseReport:
        start = time.perf_counter()
        meta = exercise.metadata
        streams = meta.get("streams")
        problems = list(exercise.problems)
        if streams is not None and (not isinstance(streams, int) or isinstance(streams, bool)
                                    or streams < MIN_STREAMS):
            problems.append(f"streams: {streams!r}; a random exercise needs at least "
                            f"{MIN_STREAMS} streams")
            streams = None
        report = ExerciseReport(exercise.label, streams or 0, problems)
        if exercise.check is None:
            self._run_solution(exercise)
            report.seconds = time.perf_counter() - start
            return report
        mutations = meta.get("mutations", [])
        problems.extend(mutation_problems(mutations))
        passed, call_problems = check_call(exercise.check, exercise.label)
        problems.extend(call_problems)
        lookup = self.kernel.run(
            f"import bayesbook.exercises as {_H}_ex\n"
            f"import json as {_H}_json\n"
            f"print('{_H}', {_H}_json.dumps(list({_H}_ex.lookup({exercise.label!r}).answers)))")
        if lookup.ename:
            problems.append(f"no registered check: {lookup.ename}: {lookup.evalue}")
            answers: list[str] = []
        else:
            answers = json.loads(lookup.stdout.split(f"{_H} ", 1)[1].splitlines()[0])
            missing = [a for a in answers if a not in passed]
            if missing:
                problems.append(f"the check cell does not pass the answers {missing} by name")
        setup = self.kernel.run(
            f"import copy as {_H}_copy\nimport numpy as {_H}_np\n"
            f"{_H}_rng = {_H}_copy.deepcopy(globals().get('rng'))")
        if setup.ename:
            raise HarnessError(f"{exercise.label}: harness set-up failed: {setup.ename}")

        n = min(streams, self.streams_cap) if streams and self.streams_cap else streams
        seeds = stream_seeds(n, self.chapter_text) if n else []
        need = max(len(seeds) - 1, 1) if seeds else 1
        solution = list(exercise.solution)

        reference = Outcome("reference")
        for seed in [None, *seeds]:
            result = _classify(self._attempt(exercise, answers, solution, "", seed),
                               exercise.label)
            reference.results[result] = reference.results.get(result, 0) + 1
            if seed is None:
                reference.error = "" if result == "passed" else (
                    f"on the chapter's own stream the reference gave {result}")
                continue
            reference.runs += 1
            reference.good += result == "passed"
            if result != "passed" and not reference.first_bad:
                reference.first_bad = f"seed {seed}: {result}"
        if not seeds:
            reference.runs, reference.good = 1, int(not reference.error)
        reference.ok = not reference.error and reference.good >= need
        report.reference = reference

        unanswered = Outcome("unanswered", runs=1)
        if answers:
            blank = "\n".join(f"{name} = ..." for name in answers)
            self.kernel.run(self._prelude(answers, None))
            self.kernel.run(blank)
            result = _classify(self.kernel.run(exercise.check), exercise.label)
            unanswered.results[result] = 1
            unanswered.good = int(result == "NotAnswered")
            unanswered.ok = bool(unanswered.good)
            if not unanswered.ok:
                unanswered.first_bad = result
        else:
            unanswered.error = "no registered answers"
        report.unanswered = unanswered

        for index, mutation in enumerate(mutations if isinstance(mutations, list) else [], 1):
            if not isinstance(mutation, dict):
                continue
            outcome = Outcome(str(mutation.get("name", f"mutation {index}")),
                              why=str(mutation.get("why", "")))
            report.mutations.append(outcome)
            try:
                cells = apply_replacements(exercise.solution, mutation.get("replace") or [])
            except ValueError as error:
                outcome.error = str(error)
                continue
            append = mutation.get("append") or ""
            for seed in seeds or [None]:
                result = _classify(self._attempt(exercise, answers, cells, append, seed),
                                   exercise.label)
                outcome.runs += 1
                outcome.results[result] = outcome.results.get(result, 0) + 1
                outcome.good += result == "CheckFailed"
                if result != "CheckFailed" and not outcome.first_bad:
                    outcome.first_bad = result if seed is None else f"seed {seed}: {result}"
            outcome.ok = outcome.good >= need
        self._restore(exercise, answers)
        report.seconds = time.perf_counter() - start
        return report

    def _restore(self, exercise: ChapterExercise, answers: list[str]) -> None:
        """Run the reference once more on the exercise's starting stream, for later cells."""
        self.kernel.run(self._prelude(answers, None))
        for code in exercise.solution:
            self.kernel.run(code)

    def _run_solution(self, exercise: ChapterExercise) -> None:
        for code in exercise.solution:
            self.kernel.run(code)


def _run_before(kernel: Kernel, exercise: ChapterExercise) -> None:
    for code in exercise.before:
        run = kernel.run(code)
        if run.ename:
            raise HarnessError(f"a chapter cell before {exercise.label} raised "
                               f"{run.ename}: {run.evalue}")


def prove_chapter(md: Path, labels: list[str] | None = None, streams_cap: int | None = None,
                  timeout: float = 600) -> dict:
    """Prove every (or the named) exercise of chapter ``md``; returns the JSON report."""
    md = md.resolve()
    start = time.perf_counter()
    exercises = chapter_exercises(md)
    known = [e.label for e in exercises]
    unknown = [label for label in labels or [] if label not in known]
    if unknown:
        raise ValueError(f"{md.name} has no exercise {unknown[0]!r} (it has {known})")
    wanted = [e for e in exercises if not labels or e.label in labels]
    last = known.index(wanted[-1].label) if wanted else -1
    reports: list[ExerciseReport] = []
    error = ""
    kernel = Kernel(md.parent, timeout)
    prover = Prover(kernel, md.read_text(), streams_cap)
    try:
        for exercise in exercises[: last + 1]:
            _run_before(kernel, exercise)
            if exercise.label in {e.label for e in wanted}:
                report = prover.prove(exercise)
                reports.append(report)
                print_report(report)
            else:
                prover._run_solution(exercise)
                if exercise.check:
                    kernel.run(exercise.check)
    except HarnessError as problem:
        error = str(problem)
    finally:
        kernel.close()
    seconds = time.perf_counter() - start
    missing = [e.label for e in wanted if e.label not in {r.label for r in reports}]
    return {
        "chapter": str(md.relative_to(REPO)) if md.is_relative_to(REPO) else str(md),
        "ok": not error and not missing and all(r.ok for r in reports),
        "error": error,
        "not_run": missing,
        "seconds": round(seconds, 2),
        "exercises": [{**asdict(r), "ok": r.ok, "seconds": round(r.seconds, 2)}
                      for r in reports],
    }


# ---------------------------------------------------------------- output

def _line(outcome: Outcome, what: str) -> str:
    mark = "ok  " if outcome.ok else "FAIL"
    detail = outcome.error or (f"first other: {outcome.first_bad}" if outcome.first_bad else "")
    return f"  {mark} {outcome.name[:44]:<44} {what} {outcome.good}/{outcome.runs}  {detail}"


def print_report(report: ExerciseReport) -> None:
    streams = f"{report.streams} streams" if report.streams else "deterministic"
    verdict = "ok" if report.ok else "FAIL"
    print(f"{report.label}  [{streams}]  {report.seconds:.1f} s  {verdict}", flush=True)
    for problem in report.problems:
        print(f"  FAIL format: {problem}")
    if report.reference is not None:
        print(_line(report.reference, "passes    "))
    if report.unanswered is not None:
        print(_line(report.unanswered, "NotAnswered"))
    for mutation in report.mutations:
        print(_line(mutation, "caught    "))
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapter", type=Path)
    parser.add_argument("--label", action="append", default=None,
                        help="prove only this exercise (repeatable)")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    parser.add_argument("--streams-cap", type=int, default=None,
                        help="run at most this many streams per random exercise")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds one cell may run (default 600)")
    args = parser.parse_args(argv)
    if args.streams_cap is not None and args.streams_cap < 1:
        parser.error("--streams-cap must be at least 1")
    try:
        report = prove_chapter(args.chapter, args.label, args.streams_cap, args.timeout)
    except ValueError as error:
        print(f"exercise_harness: {error}", file=sys.stderr)
        return 2
    if report["error"]:
        print(f"exercise_harness: {report['error']}", file=sys.stderr)
    if report["not_run"]:
        print(f"exercise_harness: not proved: {', '.join(report['not_run'])}", file=sys.stderr)
    failed = [e["label"] for e in report["exercises"] if not e["ok"]]
    print(f"{report['chapter']}: {len(report['exercises'])} exercises in {report['seconds']} s; "
          + (f"FAILED: {', '.join(failed)}" if failed else "every rule holds"
             if report["ok"] else "FAILED"))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
