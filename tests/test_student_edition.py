"""The student edition (``make student``) and the exercise format it relies on.

For every chapter in ``_toc.yml`` (and the chapter template, so the tests always test a real
chapter): the student notebook is valid and output-free, no line of any solution is left in
it, every exercise is there with an empty answer cell and its check cell, and every cell
before the first exercise runs. The chapters' exercises are read here with a small
line-based scanner of the MyST source, independent of the tool's own parser.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import textwrap
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import student_edition
import yaml
from build_book import build_environment
from conftest import REPO, toc_chapters
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

from bayesbook.checks import require_close
from bayesbook.exercises import MODULES
from bayesbook.exercises import exercise as register_check

TEMPLATE = REPO / "tools" / "templates" / "chapter.md"
CHAPTERS = [*toc_chapters(), TEMPLATE]
CHECK_FUNCTIONS = {"check", "check_close", "check_true", "check_all"}
HARNESS_METADATA = ("mutations", "streams")

# The toy chapters below use a test-only label prefix; it has no module, so lookup() finds
# this registration (the student edition reads the answer names from it).
MODULES.setdefault("toy", "_toy")


@register_check("toy-ex1", answers=("answer",))
def _toy_ex1(answer):
    require_close("toy-ex1", answer, 1.0)
SOLUTION_MARKUP = ("{solution-start}", "{solution-end}", "{solution}")


def chapter_id(path: Path) -> str:
    return "template" if path == TEMPLATE else path.stem


# ---------------------------------------------------------------- an independent reader

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<argument>.*)$")


@dataclass
class Block:
    """A top-level fenced block of a MyST file: lines ``start``..``end`` (both fences)."""

    name: str
    argument: str
    start: int
    end: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def options_and_body(self) -> tuple[dict, list[str]]:
        """The directive's options (``:key: value`` lines or a ``---`` block) and its body."""
        inner = self.lines[1:-1]
        options: dict = {}
        if inner and inner[0].strip() == "---":
            close = inner.index("---", 1)
            options = yaml.safe_load("\n".join(inner[1:close])) or {}
            inner = inner[close + 1:]
        else:
            while inner and re.match(r"^:[\w-]+:", inner[0]):
                key, _, value = inner[0][1:].partition(":")
                options[key] = yaml.safe_load(value.strip()) if value.strip() else True
                inner = inner[1:]
        while inner and not inner[0].strip():
            inner = inner[1:]
        return options, inner


def top_level_blocks(lines: list[str]) -> list[Block]:
    """Every top-level fenced block, in order (a fence closes on the same character, at
    least as long); fences quoted inside a longer fence belong to that fence."""
    blocks = []
    i = 1 + lines.index("---", 1) if lines and lines[0] == "---" else 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence = match["fence"]
        closing = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            j += 1
        directive = _DIRECTIVE.match(match["info"].strip())
        name, argument = ("", "")
        if directive:
            name, argument = directive["name"], directive["argument"].strip()
        blocks.append(Block(name, argument, i, j, lines[i:j + 1]))
        i = j + 1
    return blocks


@dataclass
class SourceExercise:
    label: str
    block: Block
    solution_start: Block | None = None
    solution_end: Block | None = None
    solution_code: list[str] = field(default_factory=list)
    check: Block | None = None


@dataclass
class SourceChapter:
    lines: list[str]
    blocks: list[Block]
    exercises: list[SourceExercise]
    problems: list[str]

    def in_solution(self, line: int) -> bool:
        return any(
            e.solution_start is not None and e.solution_end is not None
            and e.solution_start.start <= line <= e.solution_end.end
            for e in self.exercises
        )


def read_chapter(md: Path) -> SourceChapter:
    """The chapter's exercises, solutions and check cells, and what breaks the format."""
    lines = md.read_text().split("\n")
    blocks = top_level_blocks(lines)
    exercises: list[SourceExercise] = []
    problems: list[str] = []
    current: SourceExercise | None = None
    for index, block in enumerate(blocks):
        where = f"{md.name}:{block.start + 1}"
        if block.name == "exercise":
            options, _ = block.options_and_body()
            current = SourceExercise(str(options.get("label", "")), block)
            exercises.append(current)
        elif block.name == "solution":
            problems.append(f"{where}: use the gated solution-start/solution-end, not solution")
        elif block.name == "solution-start":
            if current is None or block.argument != current.label or current.solution_start:
                problems.append(f"{where}: solution-start {block.argument} does not follow "
                                "its exercise")
                continue
            current.solution_start = block
        elif block.name == "solution-end":
            if current is None or current.solution_start is None or current.solution_end:
                problems.append(f"{where}: solution-end without a solution-start")
                continue
            current.solution_end = block
            follower = blocks[index + 1] if index + 1 < len(blocks) else None
            between = lines[block.end + 1:follower.start] if follower else []
            options = follower.options_and_body()[0] if follower else {}
            if (follower is not None and follower.name == "code-cell" and not any(
                    s.strip() for s in between) and "check" in (options.get("tags") or [])):
                current.check = follower
        elif block.name == "code-cell" and current is not None and current.solution_start \
                and current.solution_end is None:
            current.solution_code.append("\n".join(block.options_and_body()[1]))
    for exercise in exercises:
        if exercise.solution_start is None or exercise.solution_end is None:
            problems.append(f"{md.name}:{exercise.block.start + 1}: exercise "
                            f"{exercise.label or '(no label)'} has no complete gated solution")
    return SourceChapter(lines, blocks, exercises, problems)


# ---------------------------------------------------------------- the edition, once

@pytest.fixture(scope="session")
def edition(tmp_path_factory) -> dict[Path, Path]:
    """The student edition of every chapter, written by the tool into a temporary folder."""
    out = tmp_path_factory.mktemp("edition") / "student"
    convertible = []
    for md in CHAPTERS:  # a malformed chapter fails its own tests (see converted), no others
        try:
            student_edition.student_notebook(md)
            convertible.append(md)
        except student_edition.StudentEditionError:
            continue
    student_edition.write_edition(convertible, out, out.with_name("student.zip"))
    return {md: out / f"{md.stem}.ipynb" for md in CHAPTERS}


def converted(edition: dict[Path, Path], md: Path) -> Path:
    """The chapter's student notebook; a chapter the tool refuses fails with its reason."""
    if not edition[md].exists():
        try:
            student_edition.student_notebook(md)
        except student_edition.StudentEditionError as error:
            pytest.fail(f"make student refuses {md.name}: {error}")
    return edition[md]


def cell_tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def student_cells(path: Path) -> list:
    return nbformat.read(path, as_version=4).cells


# ---------------------------------------------------------------- every chapter

@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_exercises_follow_the_house_format(md):
    chapter = read_chapter(md)
    problems = list(chapter.problems)
    labels = [e.label for e in chapter.exercises]
    prefixes = {label.rsplit("-ex", 1)[0] for label in labels}
    expected = [f"{p}-ex{n}" for p in prefixes for n in range(1, len(labels) + 1)]
    if len(prefixes) != 1 or labels != expected:
        problems.append(f"exercise labels must be <prefix>-ex1, <prefix>-ex2, ... in order: "
                        f"{labels}")
    for exercise in chapter.exercises:
        if exercise.solution_end is not None and exercise.check is None:
            problems.append(f"{exercise.label}: the cell right after solution-end must be a "
                            "code cell tagged check")
    checks = [b for b in chapter.blocks
              if b.name == "code-cell" and "check" in (b.options_and_body()[0].get("tags") or [])]
    if len(checks) != len(chapter.exercises):
        problems.append(f"{len(checks)} check cells for {len(chapter.exercises)} exercises: "
                        "exactly one per exercise")
    assert chapter.exercises, f"{md.name} has no exercises"
    assert not problems, "\n".join(problems)


def _code(source: str) -> ast.Module:
    # IPython turns magics and shell escapes into plain Python, as the kernel does.
    return ast.parse(TransformerManager().transform_cell(source))


def _bound(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _loaded(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _interpolates(node: ast.AST) -> bool:
    """An f-string with a value in it, or ``.format(...)``: it could print the answer."""
    for n in ast.walk(node):
        if isinstance(n, ast.FormattedValue):
            return True
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "format":
            return True
    return False


def check_cell_problems(chapter: SourceChapter) -> list[str]:
    """What makes a chapter's check cells unfit for students (see CONTRIBUTING.md)."""
    problems = []
    code_before: set[str] = set()   # names bound by cells a student runs (not solutions)
    from_solutions: set[str] = set()
    mentioned: set[str] = set()      # identifiers in backticks in exercise texts so far
    exercises = iter(chapter.exercises)
    upcoming = next(exercises, None)
    current: SourceExercise | None = None
    for block in chapter.blocks:
        if upcoming is not None and block is upcoming.block:
            for quoted in re.findall(r"`([^`]+)`", "\n".join(block.options_and_body()[1])):
                mentioned.update(re.findall(r"[A-Za-z_]\w*", quoted))
            current, upcoming = upcoming, next(exercises, None)
        if block.name != "code-cell":
            continue
        options, body = block.options_and_body()
        tree = _code("\n".join(body))
        if chapter.in_solution(block.start):
            from_solutions |= _bound(tree)
            continue
        if "check" in (options.get("tags") or []):
            if current is None:
                problems.append(f"line {block.start + 1}: a check cell before any exercise")
                continue
            label = current.label
            calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
            checks = [c for c in calls if _call_name(c) in CHECK_FUNCTIONS]
            if not checks:
                problems.append(f"{label}: the check cell calls none of "
                                f"{', '.join(sorted(CHECK_FUNCTIONS))} (bayesbook.checks)")
            for call in checks:
                first = call.args[0] if call.args else None
                if not (isinstance(first, ast.Constant) and first.value == label):
                    problems.append(f"{label}: {_call_name(call)} must name the exercise: "
                                    f'{_call_name(call)}("{label}", ...)')
                if any(_interpolates(arg) for arg in [*call.args[1:], *call.keywords]):
                    problems.append(f"{label}: a check message is built with an f-string or "
                                    ".format(); it could print the answer")
            for call in calls:
                if _call_name(call) in ("print", "display", "pprint"):
                    problems.append(f"{label}: the check cell calls {_call_name(call)}(); "
                                    "it must not show the answer")
            last = tree.body[-1] if tree.body else None
            if isinstance(last, ast.Expr) and not (
                    isinstance(last.value, ast.Call) and _call_name(last.value) in CHECK_FUNCTIONS):
                problems.append(f"{label}: the check cell ends in a bare expression, which "
                                "Jupyter displays; end it with the check call")
            needs = (_loaded(tree) - _bound(tree)) & from_solutions
            hidden = sorted(needs - code_before - mentioned - set(dir(builtins)))
            if hidden:
                problems.append(f"{label}: the check cell uses {', '.join(hidden)}, defined only "
                                "in a solution and not named in the exercise text; a student's "
                                "check would fail with a NameError")
        code_before |= _bound(tree)
    return problems


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_check_cells_can_be_run_by_students_and_never_show_the_answer(md):
    problems = check_cell_problems(read_chapter(md))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_student_notebook_is_valid_output_free_and_runs_where_the_chapter_does(md, edition):
    path = converted(edition, md)
    assert path.name == f"{md.stem}.ipynb"  # the same name as notebooks/<chapter>.ipynb
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.nbformat_minor == 5
    source_meta = yaml.safe_load(md.read_text().split("---", 2)[1])
    assert nb.metadata["kernelspec"] == source_meta["kernelspec"]
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids)), "cell ids must be unique"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {index} has output"
    colab = next(c for c in nb.cells if c.cell_type == "code")
    assert 'if "google.colab" in sys.modules:' in colab.source, "the Colab install cell must stay"


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_no_solution_is_left(md, edition):
    chapter = read_chapter(md)
    cells = student_cells(converted(edition, md))
    text = "\n".join(cell.source for cell in cells)
    for markup in SOLUTION_MARKUP:
        assert markup not in text, f"solution markup {markup} is left in the student notebook"
    for exercise in chapter.exercises:
        for code in exercise.solution_code:
            assert code.strip() not in text, f"{exercise.label}: solution code is left:\n{code}"
    # A line of a solution that appears nowhere else in the chapter must not reach students.
    solution_lines = {line.strip() for i, line in enumerate(chapter.lines)
                      if chapter.in_solution(i)}
    other_lines = {line.strip() for i, line in enumerate(chapter.lines)
                   if not chapter.in_solution(i)}
    student_lines = {line.strip() for line in text.split("\n")}
    leaked = sorted((solution_lines - other_lines - {""}) & student_lines)
    assert not leaked, f"{md.name}: solution lines in the student notebook: {leaked}"


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_every_exercise_is_there_with_an_answer_cell_and_its_check(md, edition):
    chapter = read_chapter(md)
    cells = student_cells(converted(edition, md))
    prompts = [i for i, cell in enumerate(cells)
               if cell.cell_type == "markdown" and "{exercise}" in cell.source]
    assert len(prompts) == len(chapter.exercises), (
        f"{len(prompts)} exercise prompts in the student notebook, "
        f"{len(chapter.exercises)} in the chapter"
    )
    for index, exercise in zip(prompts, chapter.exercises, strict=True):
        assert cells[index].source == exercise.block.text, f"{exercise.label}: the prompt changed"
        answer, check = cells[index + 1], cells[index + 2]
        stub = student_edition.answer_stub(exercise.label)
        assert answer.cell_type == "code" and answer.source == stub, (
            f"{exercise.label}: the prompt must be followed by one answer cell:\n{stub}"
        )
        assert check.cell_type == "code" and "check" in cell_tags(check), (
            f"{exercise.label}: the answer cell must be followed by the check cell"
        )
        assert exercise.check is not None, f"{exercise.label}: the chapter has no check cell"
        expected = "\n".join(exercise.check.options_and_body()[1]).strip()
        assert check.source.strip() == expected, f"{exercise.label}: the check cell changed"
    assert sum("check" in cell_tags(c) for c in cells) == len(chapter.exercises)
    harness_only = [i for i, c in enumerate(cells) if set(c.metadata) & set(HARNESS_METADATA)]
    assert not harness_only, f"cells {harness_only} keep the harness's mutations or streams"


def test_answer_stub_sets_every_registered_answer_to_ellipsis():
    assert student_edition.answer_stub("toy-ex1") == "answer = ...  # your answer"
    assert student_edition.answer_stub("template-ex1") == "simulated_se = ...  # your answer"
    with pytest.raises(student_edition.StudentEditionError, match="toy-ex2"):
        student_edition.answer_stub("toy-ex2")


def _errors(cell) -> list[str]:
    return [f"{out.ename}: {out.evalue}" for out in cell.get("outputs", [])
            if out.output_type == "error"]


def run_as_a_student(path: Path, tmp_path: Path, monkeypatch) -> tuple[nbformat.NotebookNode, int]:
    """Run a student notebook top to bottom, answering nothing, where it was unpacked.

    Returns the executed notebook (errors recorded, not raised) and the index of its first
    exercise cell.
    """
    nb = nbformat.read(path, as_version=4)
    first = next(i for i, c in enumerate(nb.cells)
                 if c.cell_type == "markdown" and "{exercise}" in c.source)
    environment = build_environment(tmp_path)  # the build's quiet python3 kernelspec
    environment.pop("BAYESBOOK_BUILD")          # ... but a student's session, not the build
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb, first


def free_ticks(nb: nbformat.NotebookNode) -> list[str]:
    """The labels of check cells that ran without an error."""
    ticks = []
    for cell in nb.cells:
        if "check" in cell_tags(cell) and not _errors(cell):
            label = re.search(r'check\w*\(\s*"([^"]+)"', cell.source)
            ticks.append(label.group(1) if label else cell.source[:60])
    return ticks


@pytest.mark.slow
@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_the_student_notebook_runs_and_no_check_passes_without_an_answer(
        md, edition, tmp_path, monkeypatch):
    """Every cell before the first exercise runs. Every check cell then fails: a check that
    passes with an empty answer cell hands out a free tick (say, when the answer's variable
    name is already used by the chapter's own code)."""
    path = converted(edition, md)
    nb, first = run_as_a_student(path, tmp_path, monkeypatch)
    failing = [f"cell {i}: {e}" for i, c in enumerate(nb.cells[:first]) for e in _errors(c)]
    assert not failing, f"{path.name}: cells before the first exercise fail: {failing}"
    ticks = free_ticks(nb)
    assert not ticks, f"{path.name}: these checks pass with an empty answer cell: {ticks}"
    for index, cell in enumerate(nb.cells):
        if "check" in cell_tags(cell):
            assert all(e.startswith("NotAnswered: ") and "not answered yet" in e
                       for e in _errors(cell)), (
                f"{path.name}, cell {index}: an unanswered check must say 'not answered yet', "
                f"not {_errors(cell)}")


@pytest.mark.slow
def test_a_check_that_passes_without_an_answer_is_caught(tmp_path, monkeypatch):
    ignores_the_answer = CHECK.replace("check_close(\"toy-ex1\", answer, 1.0)",
                                       "check_close(\"toy-ex1\", 1.0, 1.0)")
    md = chapter_file(tmp_path, """
```{code-cell} ipython3
import sys
from bayesbook.checks import check_close
```

""" + EXERCISE + "\n````{solution-start} toy-ex1\n````\n\n````{solution-end}\n````\n"
                      + ignores_the_answer)
    out = tmp_path / "student"
    student_edition.write_edition([md], out)
    nb, _ = run_as_a_student(out / "toy.ipynb", tmp_path, monkeypatch)
    assert free_ticks(nb) == ["toy-ex1"]


# ---------------------------------------------------------------- the folder and the zip

def test_zip_holds_exactly_the_folder(edition):
    folder = next(iter(edition.values())).parent
    with zipfile.ZipFile(folder.with_name("student.zip")) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"student/{p.name}" for p in folder.iterdir())
        for name in names:
            assert archive.read(name) == (folder / name.split("/", 1)[1]).read_bytes()
    assert (folder / "README.md").exists()
    assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(
        path.name for path in edition.values() if path.exists())


def test_the_edition_is_byte_for_byte_reproducible(tmp_path):
    first, second = tmp_path / "a" / "student", tmp_path / "b" / "student"
    for out in (first, second):
        student_edition.write_edition([TEMPLATE], out, out.with_name("student.zip"))
    assert (first / "chapter.ipynb").read_bytes() == (second / "chapter.ipynb").read_bytes()
    zips = [out.with_name("student.zip").read_bytes() for out in (first, second)]
    assert zips[0] == zips[1]


def test_stale_notebooks_are_removed(tmp_path):
    out = tmp_path / "student"
    out.mkdir()
    (out / "99_gone.ipynb").write_text("{}")
    student_edition.write_edition([TEMPLATE], out)
    assert sorted(p.name for p in out.glob("*.ipynb")) == ["chapter.ipynb"]


def test_command_line_writes_the_folder_and_the_zip_next_to_it(tmp_path, capsys):
    out = tmp_path / "student"
    assert student_edition.main([str(TEMPLATE), "--out", str(out), "--myst"]) == 0
    assert (out / "chapter.ipynb").exists()
    assert (tmp_path / "student.zip").exists()
    assert "1 exercises, 1 solutions removed" in capsys.readouterr().out


# ---------------------------------------------------------------- the conversion rules

FRONT = TEMPLATE.read_text().split("---", 2)[1]


def chapter_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "toy.md"
    path.write_text(f"---{FRONT}---\n\n# Toy\n\n{textwrap.dedent(body).strip()}\n")
    return path


EXERCISE = """
```{exercise} Title
:label: toy-ex1

**Difficulty:** ★☆☆ · **Kind:** coding · **Topics:** a

Store it in `answer`.
```
"""
CHECK = """
```{code-cell} ipython3
:tags: [check]

check_close("toy-ex1", answer, 1.0)
```
"""


def test_a_prose_only_solution_in_the_middle_of_a_cell_is_removed(tmp_path):
    md = chapter_file(tmp_path, EXERCISE + """
````{solution-start} toy-ex1
:class: dropdown
````

The secret derivation.

````{solution-end}
````

Text after the gap stays.
""" + CHECK)
    cells = student_edition.student_notebook(md).notebook.cells
    sources = [c.source for c in cells]
    assert not any("secret" in s or "solution" in s for s in sources)
    assert sources[-3:] == ["answer = ...  # your answer", "Text after the gap stays.",
                            'check_close("toy-ex1", answer, 1.0)']


def test_solution_code_and_prose_cells_are_removed_and_one_answer_cell_left(tmp_path):
    md = chapter_file(tmp_path, EXERCISE + """
````{solution-start} toy-ex1
:class: dropdown
````

Secret prose.

```{code-cell} ipython3
answer = 1.0
```

More secret prose.

```{code-cell} ipython3
assert answer == 1.0
```

````{solution-end}
````
""" + CHECK)
    result = student_edition.student_notebook(md)
    assert result.exercises == ("toy-ex1",) and result.solutions_removed == 1
    kinds = [(c.cell_type, c.source[:12]) for c in result.notebook.cells]
    assert kinds[-3:] == [("markdown", "```{exercise"), ("code", "answer = ..."),
                          ("code", 'check_close(')]
    assert not any("ecret" in c.source or "answer = 1.0" in c.source
                   for c in result.notebook.cells)


def test_a_quoted_example_of_the_format_is_kept_as_text(tmp_path):
    quoted = "`````md\n" + EXERCISE + "\n````{solution-start} toy-ex1\n````\n`````"
    md = chapter_file(tmp_path, "An example of the format:\n\n" + quoted)
    result = student_edition.student_notebook(md)
    assert result.exercises == () and result.solutions_removed == 0
    assert quoted.strip() in result.notebook.cells[-1].source


def test_a_non_gated_solution_directive_is_removed_too(tmp_path):
    md = chapter_file(tmp_path, EXERCISE + "\n```{solution} toy-ex1\nSecret.\n```\n" + CHECK)
    cells = student_edition.student_notebook(md).notebook.cells
    assert not any("Secret" in c.source for c in cells)
    assert [c.source for c in cells[-2:]] == ["answer = ...  # your answer",
                                              'check_close("toy-ex1", answer, 1.0)']


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (EXERCISE + "\n````{solution-end}\n````\n", "solution-end without a solution-start"),
        (EXERCISE + "\n````{solution-start} toy-ex2\n````\n\n````{solution-end}\n````\n",
         r"solution for toy-ex2 does not follow the exercise before it \(toy-ex1\)"),
        ("\n````{solution-start} toy-ex1\n````\n\n````{solution-end}\n````\n",
         "solution for toy-ex1 does not follow an exercise"),
        (EXERCISE + "\n````{solution-start} toy-ex1\n````\n\nSecret.\n", "never ends"),
        (EXERCISE + "\n````{solution-start} toy-ex1\n````\n\n````{solution-start} toy-ex1\n"
         "````\n\n````{solution-end}\n````\n", "found before the solution-end of toy-ex1"),
        (EXERCISE.replace(":label: toy-ex1\n", ""), "the exercise has no :label:"),
    ],
    ids=["end-without-start", "wrong-label", "no-exercise", "never-ends", "nested", "no-label"],
)
def test_malformed_solutions_are_errors(tmp_path, body, message):
    md = chapter_file(tmp_path, body)
    with pytest.raises(student_edition.StudentEditionError, match=message):
        student_edition.student_notebook(md)


def test_a_malformed_chapter_writes_nothing_and_fails_the_command(tmp_path, capsys):
    bad = chapter_file(tmp_path, EXERCISE + "\n````{solution-end}\n````\n")
    out = tmp_path / "student"
    assert student_edition.main([str(TEMPLATE), str(bad), "--out", str(out), "--myst"]) == 1
    assert "solution-end without a solution-start" in capsys.readouterr().err
    assert not out.exists()


# ---------------------------------------------------------------- the rules test themselves

def test_the_check_cell_rules_catch_what_they_should(tmp_path):
    md = chapter_file(tmp_path, """
```{code-cell} ipython3
from bayesbook.checks import check_close
```

""" + EXERCISE + """
````{solution-start} toy-ex1
:class: dropdown
````

```{code-cell} ipython3
helper = 2.0
answer = helper / 2
```

````{solution-end}
````

```{code-cell} ipython3
:tags: [check]

print(answer)
check_close("toy-ex9", answer, helper / 2, what=f"the answer {answer}")
answer
```
""")
    problems = "\n".join(check_cell_problems(read_chapter(md)))
    assert 'check_close must name the exercise: check_close("toy-ex1"' in problems
    assert "f-string" in problems
    assert "calls print()" in problems
    assert "bare expression" in problems
    assert "uses helper, defined only in a solution" in problems
    assert "answer," not in problems  # `answer` is named in the exercise text


def test_the_format_rules_catch_a_missing_check_cell_and_bad_labels(tmp_path):
    md = chapter_file(tmp_path, EXERCISE.replace("toy-ex1", "toy-ex2") + """
````{solution-start} toy-ex2
````

````{solution-end}
````

Prose between the solution and the check.
""" + CHECK)
    chapter = read_chapter(md)
    assert chapter.exercises[0].check is None
    with pytest.raises(AssertionError, match=r"(?s)<prefix>-ex1.*tagged check"):
        test_exercises_follow_the_house_format(md)


def test_the_notebook_is_json_that_jupyter_reads(edition):
    nb = json.loads(edition[TEMPLATE].read_text())
    assert nb["metadata"]["language_info"] == {"name": "python"}
