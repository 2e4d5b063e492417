"""Write the student edition: every chapter as a notebook with its solutions removed.

    python tools/student_edition.py [CHAPTER.md ...] [--out DIR] [--zip FILE]

``make student`` runs it without arguments: every chapter listed in ``_toc.yml`` (a
``book/*.md`` page with a kernelspec) becomes ``_build/student/<chapter>.ipynb`` (the same
file names as ``notebooks/``), and the folder is zipped into ``_build/student.zip`` for
handing out (the zip unpacks into a folder ``student/``).

For each chapter the student notebook is the chapter's own notebook (as ``make sync``
writes it) with, for every exercise,

* the ``exercise`` directive kept, in a markdown cell of its own;
* everything from ``solution-start`` to ``solution-end`` removed: both marker cells and
  every prose and code cell between them (a non-gated ``solution`` directive is removed
  too). One answer cell takes the solution's place: every answer name the exercise's
  check is registered with (``bayesbook.exercises``) set to ``...``
  (``tuned_step = ...  # your answer``), so running the check before answering says
  "not answered yet", never ``NameError``;
* the ``check``-tagged cell that follows the solution kept, so the student can test
  their answer; its ``mutations`` and ``streams`` metadata (the wrong answers the
  exercise harness proves the check rejects) are dropped from every cell.

Everything else is kept as it is, including the Colab install cell (a student notebook
runs on Colab, Binder, a JupyterHub or a local install). Outputs and execution counts are
cleared, cell ids are deterministic, and every notebook is validated against nbformat.

A chapter whose solution markers do not pair up (a ``solution-end`` without a start, a
``solution-start`` that names another exercise or never ends) is an error: nothing is
written for a chapter that could leak or lose a solution.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jupytext
import nbformat
import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebook_edition
from sync_notebooks import toc_chapters

from bayesbook.exercises import lookup

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "_build" / "student"

#: The directives the student edition acts on; every other block is kept as it is.
_ACTED_ON = ("exercise", "solution-start", "solution-end", "solution")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<argument>.*)$")
_LABEL_OPTION = re.compile(r"^:label:\s*(?P<label>\S+)\s*$", re.M)
_LABEL_YAML = re.compile(r"^label:\s*(?P<label>\S+)\s*$", re.M)
#: Cell metadata for the exercise harness only: it shows the wrong answers, so students
#: never get it.
_HARNESS_METADATA = ("mutations", "streams")


class StudentEditionError(ValueError):
    """A chapter's exercises and solutions do not follow the format in CONTRIBUTING.md."""


@dataclass(frozen=True)
class Piece:
    """One unit of a chapter in reading order: markdown text, a code cell, or a directive.

    ``kind`` is ``"markdown"``, ``"code"``, or one of the directive names in ``_ACTED_ON``.
    ``argument`` is the directive's argument (``solution-start <label>``) and ``label`` its
    ``:label:`` option (exercises); ``where`` says where it is, for error messages.
    """

    kind: str
    text: str
    where: str
    metadata: dict
    argument: str = ""
    label: str = ""


@dataclass(frozen=True)
class StudentNotebook:
    """A chapter's student notebook, the labels of its exercises, and how many solutions went."""

    notebook: nbformat.NotebookNode
    exercises: tuple[str, ...]
    solutions_removed: int


# ---------------------------------------------------------------- reading a chapter

@cache
def _markdown_parser() -> MarkdownIt:
    # MyST's own block parser (with the book's block-level extensions), so a fence is a
    # directive exactly when the book build sees one; fences quoted inside a longer fence
    # (an example of the format, say) are content, not directives.
    config = MdParserConfig(enable_extensions={"colon_fence", "dollarmath", "amsmath", "deflist"})
    return create_md_parser(config, RendererHTML)


def _directive_label(content: str) -> str:
    match = _LABEL_OPTION.search(content)
    if match is None and content.startswith("---"):
        front = content.split("---", 2)[1] if content.count("---") >= 2 else ""
        match = _LABEL_YAML.search(front)
    return match.group("label") if match else ""


def _split_markdown(source: str, where: str, metadata: dict) -> Iterator[Piece]:
    """Cut a markdown cell at its top-level exercise and solution directives."""
    lines = source.split("\n")
    start = 0
    for token in _markdown_parser().parse(source):
        if token.type not in ("fence", "colon_fence") or token.level != 0 or not token.map:
            continue
        match = _DIRECTIVE.match(token.info.strip())
        if match is None or match["name"] not in _ACTED_ON:
            continue
        begin, end = token.map
        before = "\n".join(lines[start:begin]).strip("\n")
        if before.strip():
            yield Piece("markdown", before, where, metadata)
        name = match["name"]
        yield Piece(
            name, "\n".join(lines[begin:end]).strip("\n"),
            f"{where}, line {begin + 1} ({name})", metadata,
            argument=match["argument"].strip(),
            label=_directive_label(token.content) if name == "exercise" else "",
        )
        start = end
    rest = "\n".join(lines[start:]).strip("\n")
    if rest.strip():
        yield Piece("markdown", rest, where, metadata)


def pieces(md: Path) -> list[Piece]:
    """The chapter ``md`` as a flat list of pieces in reading order."""
    nb = jupytext.read(md, fmt="md:myst")
    out: list[Piece] = []
    for index, cell in enumerate(nb.cells):
        where = f"{md.name}, cell {index}"
        if cell.cell_type == "markdown":
            out.extend(_split_markdown(cell.source, where, dict(cell.metadata)))
        else:
            out.append(Piece(cell.cell_type, cell.source, where, dict(cell.metadata)))
    return out


# ---------------------------------------------------------------- the student notebook

def _cell(piece: Piece) -> nbformat.NotebookNode:
    metadata = {k: v for k, v in piece.metadata.items() if k not in _HARNESS_METADATA}
    if piece.kind == "code":
        return nbformat.v4.new_code_cell(piece.text, metadata=metadata)
    if piece.kind == "raw":
        return nbformat.v4.new_raw_cell(piece.text, metadata=metadata)
    return nbformat.v4.new_markdown_cell(piece.text, metadata=metadata)


def answer_stub(label: str) -> str:
    """The answer cell of exercise ``label``: each registered answer name set to ``...``."""
    try:
        answers = lookup(label).answers
    except ValueError as error:
        raise StudentEditionError(f"{label}: {error} (see CONTRIBUTING.md, Exercises)") from None
    return "\n".join(f"{name} = ...  # your answer" for name in answers)


def _answer_cell(label: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(answer_stub(label))


def strip_solutions(md: Path) -> tuple[list[nbformat.NotebookNode], tuple[str, ...], int]:
    """The student cells of chapter ``md``, its exercise labels, and the solutions removed.

    Raises
    ------
    StudentEditionError
        When the solution markers do not pair up with the exercises.
    """
    cells: list[nbformat.NotebookNode] = []
    labels: list[str] = []
    removed = 0
    open_solution: Piece | None = None
    for piece in pieces(md):
        if open_solution is not None:
            if piece.kind == "solution-end":
                cells.append(_answer_cell(open_solution.argument))
                open_solution = None
                removed += 1
            elif piece.kind in ("solution-start", "exercise", "solution"):
                raise StudentEditionError(
                    f"{piece.where}: found before the solution-end of "
                    f"{open_solution.argument} ({open_solution.where})"
                )
            continue
        if piece.kind == "exercise":
            if not piece.label:
                raise StudentEditionError(f"{piece.where}: the exercise has no :label:")
            labels.append(piece.label)
            cells.append(_cell(piece))
        elif piece.kind in ("solution-start", "solution"):
            if not labels or piece.argument != labels[-1]:
                expected = f"the exercise before it ({labels[-1]})" if labels else "an exercise"
                raise StudentEditionError(
                    f"{piece.where}: solution for {piece.argument or '(no label)'} "
                    f"does not follow {expected}"
                )
            if piece.kind == "solution":
                cells.append(_answer_cell(piece.argument))
                removed += 1
            else:
                open_solution = piece
        elif piece.kind == "solution-end":
            raise StudentEditionError(f"{piece.where}: solution-end without a solution-start")
        else:
            cells.append(_cell(piece))
    if open_solution is not None:
        raise StudentEditionError(
            f"{open_solution.where}: the solution of {open_solution.argument} never ends "
            "(no solution-end)"
        )
    return cells, tuple(labels), removed


def student_notebook(md: Path) -> StudentNotebook:
    """The student edition of chapter ``md``: a valid, output-free notebook without solutions."""
    source = jupytext.read(md, fmt="md:myst")
    cells, labels, removed = strip_solutions(md)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": source.metadata["kernelspec"],
        "language_info": {"name": "python"},
    }
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        digest = hashlib.sha1(f"{index}\0{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:12]
        cell.id = digest if digest not in seen else f"{digest}-{index}"
        seen.add(cell.id)
    nb.cells = cells
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return StudentNotebook(nb, labels, removed)


# ---------------------------------------------------------------- the edition

def _repository_url(root: Path) -> str:
    config = yaml.safe_load((root / "_config.yml").read_text())
    return config["repository"]["url"]


def readme(root: Path) -> str:
    """The README handed out with the notebooks."""
    url = _repository_url(root)
    return f"""# Student notebooks

One notebook per chapter of *Bayesian Inference and Generative Models*. Each exercise is
followed by an answer cell (`name = ...  # your answer`: replace each `...` by your answer,
computed in as many cells as you like) and a check cell: run the check cell after your
answer and it tells you whether the answer is right (it never prints the answer); before you
answer it says "not answered yet".
Do the exercises in order; run the chapter's cells from the top first.

The notebooks import the book's library `bayesbook`:

- on Colab, upload a notebook (File > Upload notebook): its first cell installs `bayesbook`;
- on your course's JupyterHub `bayesbook` is already installed: upload the notebooks, or
  follow the link your instructor gives you;
- on your own machine: `pip install "bayesbook @ git+{url}" jupyterlab watermark`
  (the exact versions the book was tested with are in the repository's `requirements.lock`).
"""


def write_zip(folder: Path, zip_path: Path) -> Path:
    """Zip the files of ``folder`` (deterministically: sorted names, fixed timestamps).

    Only the folder's own files (notebooks, README) go in: the student web book that
    ``tools/student_site.py`` writes into ``folder/html`` is published, not handed out.
    """
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}",
                                   date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return zip_path


def write_edition(
    chapters: list[Path], out: Path, zip_path: Path | None = None, root: Path = REPO,
    convert: Callable[[nbformat.NotebookNode, Path], nbformat.NotebookNode] | None = None,
) -> dict[Path, StudentNotebook]:
    """Write every chapter's student notebook and a README into ``out``, then the zip.

    ``convert(notebook, chapter)``, if given, is applied to each notebook before it is
    written: ``tools/notebook_edition.py`` passes its MyST-to-Jupyter converter.

    Every chapter is converted before anything is written, so a malformed chapter leaves
    the previous edition untouched. Notebooks in ``out`` without a chapter are removed.
    """
    editions = {md: student_notebook(md) for md in chapters}
    written = {md: convert(e.notebook, md) if convert else e.notebook for md, e in editions.items()}
    out.mkdir(parents=True, exist_ok=True)
    wanted = {out / f"{md.stem}.ipynb" for md in chapters}
    for stale in sorted(set(out.glob("*.ipynb")) - wanted):
        stale.unlink()
    (out / "README.md").write_text(readme(root))
    for md, notebook in written.items():
        (out / f"{md.stem}.ipynb").write_text(nbformat.writes(notebook) + "\n")
    if zip_path is not None:
        write_zip(out, zip_path)
    return editions


def _display(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", type=Path, nargs="*",
                        help="chapters to convert (default: every chapter in _toc.yml)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: _build/student)")
    parser.add_argument("--myst", action="store_true",
                        help="keep the chapters' MyST markdown (no built book needed); by "
                        "default the notebooks are plain Jupyter, see tools/notebook_edition.py")
    parser.add_argument("--zip", type=Path, default=None,
                        help="zip file to write (default: the output folder's name + .zip, "
                        "next to it: _build/student.zip)")
    args = parser.parse_args(argv)
    chapters = [p.resolve() for p in args.chapters] or toc_chapters()
    if not chapters:
        print("student_edition: _toc.yml lists no chapters", file=sys.stderr)
        return 1
    out = args.out.resolve()
    zip_path = (args.zip or out.with_name(out.name + ".zip")).resolve()
    try:
        convert = None if args.myst else notebook_edition.student_converter(
            notebook_edition.BuildData.load())
        editions = write_edition(chapters, out, zip_path, convert=convert)
    except (StudentEditionError, notebook_edition.EditionError) as error:
        print(f"student_edition: {error}", file=sys.stderr)
        return 1
    for md, edition in editions.items():
        target = _display(out / f"{md.stem}.ipynb")
        print(f"student_edition: {_display(md)} -> {target} ({len(edition.exercises)} "
              f"exercises, {edition.solutions_removed} solutions removed)")
    print(f"student_edition: zip for handing out: {_display(zip_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
