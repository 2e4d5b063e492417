"""The exercise index (book/exercises.md, tools/sphinx/exercise_index.py) and the guide's facts.

* the metadata line of every exercise in every chapter of ``_toc.yml`` (and the template)
  parses, read straight from the source;
* small Sphinx books prove the extension: every exercise listed and linked in book order,
  the by-topic table, a warning (so a failed ``-W`` build) for each malformed metadata line,
  an incremental build that picks up a new exercise, and a parallel build;
* a fixture book built by ``tools/build_book.py`` with the real ``_config.yml`` proves it
  under the book's own gates (slow);
* the built book's index lists exactly the book's exercises (``book``: needs ``make book``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import student_edition
import sync_notebooks
import yaml
from conftest import REPO, launch_links, toc_chapters, toc_files
from test_student_edition import CHAPTERS, TEMPLATE, chapter_id, check_cell_problems, read_chapter

from bayesbook.exercises import exercise as register_check
from bayesbook.exercises import lookup

sys.path.insert(0, str(REPO / "tools" / "sphinx"))
import exercise_index

INDEX_PAGE = REPO / "book" / "exercises.md"
GUIDE = REPO / "book" / "teaching_guide.md"
_META = re.compile(
    r"^\*\*Difficulty:\*\* (?P<difficulty>\S+) · \*\*Kind:\*\* (?P<kind>.+?) · "
    r"\*\*Topics:\*\* (?P<topics>.+)$"
)


@dataclass(frozen=True)
class Expected:
    """An exercise as the index must show it, read from the chapter's source."""

    doc: str
    label: str
    title: str
    difficulty: str
    kind: str
    topics: tuple[str, ...]


def first_paragraph(body: list[str]) -> str:
    lines = []
    for line in body:
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


def expected_exercises(md: Path, doc: str | None = None) -> list[Expected]:
    out = []
    for exercise in read_chapter(md).exercises:
        match = _META.match(first_paragraph(exercise.block.options_and_body()[1]))
        assert match, f"{md.name}: {exercise.label} has no well-formed metadata line"
        out.append(Expected(
            doc or md.stem, exercise.label, exercise.block.argument, match["difficulty"],
            match["kind"], tuple(t.strip() for t in match["topics"].split(",")),
        ))
    return out


# ---------------------------------------------------------------- the metadata line

@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_every_exercise_has_a_well_formed_metadata_line(md):
    problems = []
    for exercise in read_chapter(md).exercises:
        line = first_paragraph(exercise.block.options_and_body()[1])
        bold = re.findall(r"\*\*(.+?)\*\*", line)
        try:
            exercise_index.parse_metadata(line.replace("**", ""), bold)
        except exercise_index.MetadataError as error:
            problems.append(f"{exercise.label}: {error}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("md", toc_chapters(), ids=lambda p: p.stem)
def test_every_topic_is_in_a_topic_group(md):
    unmapped = sorted({t for e in expected_exercises(md) for t in e.topics
                       if exercise_index.topic_group(t) is None})
    assert not unmapped, (f"{md.name}: topics in no group of TOPIC_GROUPS "
                          f"(tools/sphinx/exercise_index.py): {unmapped}")


def test_topic_groups_are_few_and_used():
    groups = exercise_index.TOPIC_GROUPS
    assert 15 <= len(groups) <= 40
    used = {exercise_index.topic_group(t) for md in toc_chapters()
            for e in expected_exercises(md) for t in e.topics}
    assert used <= set(groups)


def test_parse_metadata_reads_the_three_fields():
    meta = exercise_index.parse_metadata(
        "Difficulty: ★★☆ · Kind: pencil and paper, coding · Topics: Bayes' theorem,\n"
        "   screening ,  natural frequencies"
    )
    assert meta == exercise_index.Metadata(
        "★★☆", "pencil and paper, coding", ("Bayes' theorem", "screening", "natural frequencies")
    )


@pytest.mark.parametrize(
    ("line", "bold", "message"),
    [
        ("Find the posterior.", None, "must be its metadata line"),
        ("Difficulty: ★★☆ · Kind: coding", None, "must be its metadata line"),
        ("Difficulty: ★★☆ · Kind: coding · Topics: a", ["Difficulty:", "Kind:"], "must be bold"),
        ("Difficulty: hard · Kind: coding · Topics: a", None, "difficulty 'hard' is not one of"),
        ("Difficulty: ★★☆ · Kind: code · Topics: a", None, "kind 'code' is not one of"),
        ("Difficulty: ★★☆ · Kind: coding · Topics: ", None, "the list of topics is empty"),
        ("Difficulty: ★★☆ · Kind: coding · Topics: a,, b", None, "contain an empty entry"),
        ("Difficulty: ★★☆ · Kind: coding · Topics: MCMC, mcmc", None, "listed twice"),
    ],
    ids=["no-line", "no-topics-field", "not-bold", "difficulty", "kind", "no-topics",
         "empty-topic", "repeated-topic"],
)
def test_parse_metadata_says_what_is_wrong(line, bold, message):
    bold = exercise_index._FIELDS if bold is None else bold
    with pytest.raises(exercise_index.MetadataError, match=message):
        exercise_index.parse_metadata(line, bold)


# ---------------------------------------------------------------- reading the built page

@dataclass
class Cell:
    text: str = ""
    hrefs: list[str] = field(default_factory=list)
    rowspan: int = 1


class IndexTables(HTMLParser):
    """The rows of every ``exercise-index-*`` table on a page, keyed by its view."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[Cell]]] = {}
        self._view: str | None = None
        self._cell: Cell | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "table" and "exercise-index" in classes:
            self._view = next(c for c in classes if c.startswith("exercise-index-"))
            self.tables[self._view] = []
        elif self._view and tag == "thead":
            self._in_head = True
        elif self._view and tag == "tr" and not self._in_head:
            self.tables[self._view].append([])
        elif self._view and tag == "td":
            self._cell = Cell(rowspan=int(attrs.get("rowspan", 1)))
        elif self._cell is not None and tag == "a":
            self._cell.hrefs.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._view = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "td" and self._cell is not None:
            self._cell.text = " ".join(self._cell.text.split())
            self.tables[self._view][-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.text += data


def index_tables(page: Path) -> dict[str, list[list[Cell]]]:
    parser = IndexTables()
    parser.feed(page.read_text())
    return parser.tables


def assert_index_lists(page: Path, expected: list[Expected], chapter_href) -> None:
    """The page's tables list exactly ``expected``, in order, linked; each topic row right."""
    tables = index_tables(page)
    assert set(tables) == {"exercise-index-chapters", "exercise-index-topics"}, tables.keys()
    rows = tables["exercise-index-chapters"]
    assert len(rows) == len(expected), f"{len(rows)} rows for {len(expected)} exercises"
    previous = None
    for row, want in zip(rows, expected, strict=True):
        if want.doc != previous:  # the first row of a chapter carries the chapter, linked
            chapter, row = row[0], row[1:]
            assert chapter.hrefs == [chapter_href(want.doc)], (want.label, chapter.hrefs)
            assert chapter.rowspan == sum(e.doc == want.doc for e in expected)
            previous = want.doc
        assert len(row) == 5, [c.text for c in row]
        exercise, title, difficulty, kind, topics = row
        assert exercise.text == want.label
        assert exercise.hrefs == [f"{chapter_href(want.doc)}#{want.label}"]
        assert title.text == want.title
        assert difficulty.text.split()[0] == want.difficulty
        assert kind.text == want.kind
        assert topics.text == ", ".join(want.topics)
    by_group = {row[0].text: row[2:] for row in tables["exercise-index-topics"]}
    groups = {want.label: {exercise_index.topic_group(t) for t in want.topics}
              for want in expected}
    for want in expected:
        column = list(exercise_index.DIFFICULTIES).index(want.difficulty)
        for group in groups[want.label]:
            cell = by_group[group][column]
            assert f"{chapter_href(want.doc)}#{want.label}" in cell.hrefs, (group, want.label)
    listed = sum(len(cell.hrefs) for row in by_group.values() for cell in row)
    assert listed == sum(len(g) for g in groups.values()), "the topic table lists extra links"


# ---------------------------------------------------------------- small Sphinx books

CONF = f"""
import sys
sys.path.insert(0, {str(REPO / "tools" / "sphinx")!r})
extensions = ["myst_parser", "sphinx_exercise", "exercise_index"]
myst_enable_extensions = ["colon_fence", "dollarmath"]
exclude_patterns = ["_build"]
"""


def exercise(label: str, title: str, meta: str, body: str = "Do it.") -> str:
    return f"```{{exercise}} {title}\n:label: {label}\n\n{meta}\n\n{body}\n```\n\n"


def meta(difficulty: str = "★☆☆", kind: str = "coding", topics: str = "simulation") -> str:
    return f"**Difficulty:** {difficulty} · **Kind:** {kind} · **Topics:** {topics}"


def sphinx_book(root: Path, chapters: dict[str, str]) -> Path:
    """A Sphinx project: an index page with a toctree, the chapters, the book's exercises.md."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "conf.py").write_text(CONF)
    toctree = "\n".join([*chapters, "exercises"])
    (root / "index.md").write_text(f"# Toy book\n\n```{{toctree}}\n{toctree}\n```\n")
    for name, text in chapters.items():
        (root / f"{name}.md").write_text(text)
    shutil.copy(INDEX_PAGE, root / "exercises.md")
    return root


def sphinx_build(root: Path, *options: str) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-b", "html", *options,
         str(root), str(root / "_build" / "html")],
        capture_output=True, text=True, check=False,
    )
    return result.returncode, result.stdout + result.stderr


TOY = {
    "one": "# Chapter one\n\n" + exercise(
        "one-ex1", "Standard error by simulation",
        meta("★☆☆", "coding", "standard error, Gibbs sampling"))
    + exercise("one-ex2", "Bayes by hand",
               meta("★★★", "pencil and paper", "Bayes' theorem, gibbs sampling")),
    "two": "# Chapter two\n\n" + exercise(
        "two-ex1", "Screening", meta("★★☆", "pencil and paper, coding", "screening")),
}


def toy_expected(root: Path) -> list[Expected]:
    return [e for name in TOY for e in expected_exercises(root / f"{name}.md", doc=name)]


def test_the_index_lists_every_exercise_linked_in_book_order(tmp_path):
    root = sphinx_book(tmp_path / "toy", TOY)
    code, log = sphinx_build(root)
    assert code == 0, log
    page = root / "_build" / "html" / "exercises.html"
    assert_index_lists(page, toy_expected(root), lambda doc: f"{doc}.html")
    text = page.read_text()
    assert "3 exercises in 2 chapters: 1 introductory (★☆☆), 1 intermediate (★★☆), " \
           "1 challenging (★★★)" in text
    # "Gibbs sampling" and "gibbs sampling" are one topic; screening and Bayes' theorem
    # are one group.
    assert "4 topics in 3 groups." in text


def test_a_malformed_metadata_line_fails_the_build_and_names_the_exercise(tmp_path):
    bad = {
        "bad-ex1": meta(kind="code"),
        "bad-ex2": meta(difficulty="★★"),
        "bad-ex3": meta().replace("**", ""),
        "bad-ex4": "Just the question, no metadata line.",
        "bad-ex5": meta(topics="a,, b"),
    }
    chapters = dict(TOY)
    chapters["bad"] = "# Bad\n\n" + "".join(exercise(k, "Bad", v) for k, v in bad.items())
    chapters["bad"] += "```{exercise} No label\n\n" + meta() + "\n```\n"
    code, log = sphinx_build(sphinx_book(tmp_path / "toy", chapters))
    assert code != 0, log
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert len(warnings) == len(bad) + 1, "\n".join(warnings)
    for label in bad:
        assert any("bad.md:" in w and f"exercise {label}:" in w for w in warnings), label
    assert any("has no :label:" in w for w in warnings)


@pytest.mark.slow
def test_an_incremental_build_shows_a_new_exercise(tmp_path):
    root = sphinx_book(tmp_path / "toy", TOY)
    assert sphinx_build(root)[0] == 0
    (root / "two.md").write_text(TOY["two"] + exercise("two-ex2", "Added", meta(topics="odds")))
    code, log = sphinx_build(root)  # no -E: Sphinx re-reads only what changed
    assert code == 0, log
    assert_index_lists(root / "_build" / "html" / "exercises.html", toy_expected(root),
                       lambda doc: f"{doc}.html")


@pytest.mark.slow
def test_a_parallel_build_gives_the_same_index(tmp_path):
    # Sphinx reads in parallel only with more than five documents to read.
    topics = ("odds", "PCA", "R-hat")
    chapters = {f"c{i}": f"# Chapter {i}\n\n" + exercise(f"c{i}-ex1", f"Title {i}",
                                                           meta(topics=topics[i % 3]))
                for i in range(8)}
    pages = []
    for jobs in ("1", "2"):
        root = sphinx_book(tmp_path / f"j{jobs}", chapters)
        code, log = sphinx_build(root, "-j", jobs)
        assert code == 0, log
        page = root / "_build" / "html" / "exercises.html"
        pages.append(index_tables(page))
    assert pages[0] == pages[1]
    assert len(pages[0]["exercise-index-chapters"]) == len(chapters)


# ---------------------------------------------------------------- under the book's gates

def fixture_book(root: Path, chapter_text: str) -> Path:
    """The template as the only chapter, the book's exercises.md, the real configuration
    plus the extension (the one line the lead adds to _config.yml)."""
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    config["sphinx"]["local_extensions"]["exercise_index"] = "tools/sphinx/"
    (root / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    for name in ("references.bib", "references.md"):
        shutil.copy(REPO / "book" / name, root / "book" / name)
    shutil.copy(INDEX_PAGE, root / "book" / "exercises.md")
    (root / "tools").symlink_to(REPO / "tools")
    # The template links the preface's notation section, as every chapter does.
    (root / "book" / "intro.md").write_text(
        "# Fixture book\n\nA book with one chapter.\n\n"
        "(preface-notation)=\n## Notation\n\nAs in the book.\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/template\n"
        "  - file: book/exercises\n  - file: book/references\n"
    )
    chapter = root / "book" / "template.md"
    chapter.write_text(chapter_text)
    (root / "notebooks" / "template.ipynb").write_text(sync_notebooks.render(chapter))
    return root


def build_book(root: Path) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_book.py"), "--root", str(root)],
        capture_output=True, text=True, check=False,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.slow
def test_the_index_builds_under_the_book_gates_and_fails_on_a_bad_metadata_line(tmp_path):
    root = fixture_book(tmp_path / "book", TEMPLATE.read_text())
    code, log = build_book(root)
    assert code == 0, log
    html = root / "_build" / "html" / "book"
    expected = expected_exercises(root / "book" / "template.md")
    assert expected, "the template has an exercise"
    assert_index_lists(html / "exercises.html", expected, lambda doc: f"{doc}.html")
    for want in expected:
        assert f'id="{want.label}"' in (html / "template.html").read_text()

    # The guide quotes the JupyterHub link a chapter's launch button produces; it must be
    # the link the build really makes (here for the template; the guide shows chapter 3).
    hub = yaml.safe_load((REPO / "_config.yml").read_text())["launch_buttons"]["jupyterhub_url"]
    link = next(u for u in launch_links((html / "template.html").read_text())
                if u.startswith(hub))
    assert link.replace("notebooks/template.ipynb", "notebooks/03_markov_chains.ipynb") \
        in GUIDE.read_text(), link

    # A malformed metadata line now fails the same build (the code cells are unchanged, so
    # the chapter's executed outputs come from the cache).
    text = TEMPLATE.read_text().replace("**Kind:** coding", "**Kind:** programming")
    (root / "book" / "template.md").write_text(text)
    code, log = build_book(root)
    assert code != 0, "a malformed metadata line built successfully"
    assert "exercise template-ex1: kind 'programming' is not one of" in log, log


# ---------------------------------------------------------------- the book itself

def test_the_index_and_the_guide_are_wired_into_the_book():
    files = toc_files()
    missing = [f for f in ("book/exercises", "book/teaching_guide") if f not in files]
    assert not missing, f"_toc.yml must list {missing}"
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"].get("exercise_index") == "tools/sphinx/", (
        "_config.yml sphinx.local_extensions needs `exercise_index: tools/sphinx/`"
    )


@pytest.mark.book
def test_the_built_index_lists_every_exercise_of_the_book(built_html):
    page = built_html / "book" / "exercises.html"
    if not page.exists():
        pytest.fail(f"{page} is missing: run `make book` (with book/exercises in _toc.yml)")
    expected = [e for md in toc_chapters() for e in expected_exercises(md)]
    assert_index_lists(page, expected, lambda doc: f"{doc}.html")


def test_the_guide_states_what_the_tools_do(tmp_path):
    guide = GUIDE.read_text()
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["launch_buttons"]["jupyterhub_url"] in guide
    out = student_edition.DEFAULT_OUT.relative_to(REPO)
    assert f"`{out}/`" in guide and f"`{out}.zip`" in guide
    for command in ("make student", "make test", "make book", "make chapter", "make sync"):
        assert command in guide, command
    assert "CONTRIBUTING.md" in guide
    # The guide's example of the exercise format is one the tools accept.
    example = re.search(r"^(`{5})md\n(?P<body>.*?)^\1$", guide, re.M | re.S)
    assert example, "the guide shows the exercise format in a ````` md fence"
    md = tmp_path / "example.md"
    front = TEMPLATE.read_text().split("---", 2)[1]
    md.write_text(f"---{front}---\n\n# Example\n\n{example['body']}")
    label = re.search(r":label: (\S+)", example["body"]).group(1)
    try:
        lookup(label)
    except ValueError:  # the guide's example exercise is not in the book: register it here
        register_check(label, answers=("posterior_mean",))(lambda posterior_mean: None)
    result = student_edition.student_notebook(md)
    assert len(result.exercises) == 1 and result.solutions_removed == 1
    assert len(expected_exercises(md)) == 1
    assert not check_cell_problems(read_chapter(md))


def test_the_guides_chapter_links_point_at_chapters_in_the_book():
    docs = set(re.findall(r"\{doc\}`(?:[^`<]*<)?([\w/.-]+?)>?`", GUIDE.read_text()))
    pages = {Path(name).name for name in toc_files()} | {
        p.stem for p in (REPO / "book").glob("*.md")}
    missing = sorted(d for d in docs if Path(d).name not in pages)
    assert not missing, f"the guide links to pages that do not exist: {missing}"



def test_the_course_time_table_is_computed_from_the_chapters(tmp_path):
    chapters = dict(TOY)
    chapters["one"] = chapters["one"].replace(
        "# Chapter one\n\n", "# Chapter one\n\n" + "word " * 250 + "\n\n")
    root = sphinx_book(tmp_path / "toy", chapters)
    (root / "exercises.md").write_text(
        (root / "exercises.md").read_text() + "\n## Time\n\n```{course-time}\n```\n")
    code, log = sphinx_build(root)
    assert code == 0, log
    rows = index_tables(root / "_build" / "html" / "exercises.html")["exercise-index-times"]
    by_chapter = {row[0].text: [c.text for c in row[1:]] for row in rows}
    minutes = exercise_index.EXERCISE_MINUTES
    one = minutes[("coding", "★☆☆")] + minutes[("pencil and paper", "★★★")]
    words, reading, running, exercises, _ = by_chapter["Chapter one"]
    assert int(words.replace(",", "")) >= 250  # the 250 words, the title; not the exercises
    assert int(words.replace(",", "")) < 260
    assert reading == "3 min" and running == "0 min" and exercises == f"2: {one} min"
    assert by_chapter["Chapter two"][3] == f"1: {minutes[('pencil and paper, coding', '★★☆')]} min"
    assert "All chapters" in by_chapter and "words a minute" in (
        root / "_build" / "html" / "exercises.html").read_text()
