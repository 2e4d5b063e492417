"""The exercise index: every exercise in the book, generated at build time.

A page says where the index goes::

    ```{exercise-index}
    :by: chapter
    ```

``:by: chapter`` (the default) renders one table with a row per exercise in book order:
the chapter (linked), the label (linked to the exercise), the title, the difficulty
(★☆☆, ★★☆ or ★★★), the kind and the topics, with a line counting exercises by difficulty
and kind.
``:by: topic`` renders one row per *topic group* (``TOPIC_GROUPS``: the chapters' ~100
topics, many used by one exercise, gathered into a couple of dozen an instructor and a
student can use), the topics it covers, and the exercises that practise it in three
columns, one per difficulty, so an instructor can assign by topic and level. Every topic of
every exercise must belong to a group: an unmapped topic is a warning at the exercise
(so ``-W`` fails the build), and a new exercise cannot bypass the grouping.

``{course-time}`` renders the estimated time a student needs for each chapter of the
table of contents (every executed page with exercises), computed on every build from the
chapters themselves: the words of prose (solutions, exercises, code and display math left
out) at ``READING_WPM`` words a minute, the time the chapter's cells took to execute in
the build (rounded up to whole minutes), and per exercise a time by kind and difficulty
(``EXERCISE_MINUTES``). The basis is printed under the table.

Design
------
The data is the exercises Sphinx itself has read, not a second parse of the sources:
sphinx-exercise keeps every ``exercise`` directive's node (label, document, title and
parsed body) in ``env.sphinx_exercise_registry``, merged across parallel readers. The
first paragraph of each exercise's body is its metadata line (CONTRIBUTING.md)::

    **Difficulty:** ★★☆ · **Kind:** pencil and paper · **Topics:** Bayes' theorem, screening

1. *Read.* The directive only leaves a placeholder node and records which documents hold
   an index (``env.bayesbook_exercise_index_docs``, purged and merged per document, so
   reading is parallel-safe).
2. *Collect* (``env-updated``: once per build, after every document was read and merged).
   Every exercise in the registry is parsed into an :class:`ExerciseRecord`; a missing or
   malformed metadata line, or a missing label, is a Sphinx warning at the exercise, which
   fails the book build (``-W``). Book order comes from the table of contents
   (``env.toctree_includes`` from the root document).
3. *Render* (a post-transform at write time, before references are resolved). The
   placeholder becomes the table. Links are ``pending_xref`` nodes (``doc`` to the chapter,
   ``ref`` to the exercise label), so Sphinx resolves them for every builder and reports a
   broken one under ``-n``. Post-transforms run in the main process even in a parallel
   write, so writing is parallel-safe too.

When any document is added, changed or removed, the pages holding an index are re-read
(``env-get-outdated``), so an incremental build never shows a stale index.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

#: Difficulty marks and what they mean (CONTRIBUTING.md, Exercises).
DIFFICULTIES = {"★☆☆": "introductory", "★★☆": "intermediate", "★★★": "challenging"}
#: The kinds an exercise may be.
KINDS = ("pencil and paper", "coding", "pencil and paper, coding")
#: The metadata line as an example, quoted in warnings.
EXAMPLE = "**Difficulty:** ★★☆ · **Kind:** coding · **Topics:** a topic, another topic"

_FIELDS = ("Difficulty:", "Kind:", "Topics:")
_METADATA = re.compile(
    r"^Difficulty:\s*(?P<difficulty>.*?)\s*·\s*Kind:\s*(?P<kind>.*?)\s*·\s*"
    r"Topics:\s*(?P<topics>.*?)\s*$"
)
#: The curated topic groups: group -> the exercise topics it gathers (matched ignoring case).
TOPIC_GROUPS: dict[str, tuple[str, ...]] = {
    "Bayes' theorem and odds": (
        "Bayes' theorem", "screening", "odds", "likelihood ratio", "sequential updating"),
    "Conjugate and grid posteriors": (
        "conjugacy", "conjugate prior", "semi-conjugate prior", "grid posterior",
        "Beta posterior"),
    "Evidence and model comparison": (
        "evidence", "model comparison", "Bayes factor", "Occam factor", "marginal likelihood",
        "prior sensitivity"),
    "Maximum likelihood and MAP": (
        "maximum likelihood", "MAP", "penalised likelihood", "observed information", "bias"),
    "Standard errors and coverage": (
        "standard error", "coverage", "exponential distribution", "likelihood-ratio interval"),
    "Monte Carlo error and simulation": ("Monte Carlo error", "simulation"),
    "Variance reduction and gradient estimators": (
        "Rao-Blackwellization", "control variate", "variance", "score-function gradient"),
    "Energy-based models and Boltzmann machines": (
        "energy-based models", "moment matching", "gradient", "RBM", "free energy",
        "partition function", "contrastive divergence", "conditional distribution",
        "conditional distributions"),
    "Markov chains and stationarity": (
        "stationary distribution", "absorbing chains", "reducibility", "hitting probabilities",
        "transition matrix", "cycles"),
    "Detailed balance and reversibility": (
        "detailed balance", "reversibility", "acceptance rule", "Peskun ordering"),
    "Mixing time and spectral gap": (
        "mixing time", "lazy chain", "diffusion", "eigenvalues", "spectral gap",
        "relaxation time"),
    "Autocorrelation and effective sample size": (
        "ergodic theorem", "autocorrelation", "effective sample size", "scan order"),
    "Metropolis–Hastings": (
        "random-walk Metropolis", "step size", "acceptance rate", "Metropolis–Hastings",
        "Hastings ratio", "independence sampler", "Gaussian"),
    "Change of variables": ("change of variables", "Jacobian"),
    "Convergence diagnostics": ("R-hat", "ArviZ"),
    "Gibbs sampling": (
        "Gibbs sampling", "full conditionals", "Gaussian conditional", "Schur complement",
        "autoregression", "data augmentation"),
    "Mixtures, symmetry and label switching": (
        "label switching", "symmetry", "label symmetry", "label invariance", "co-clustering",
        "multimodality", "combinatorics", "local optima"),
    "Mixture models in code": ("log-sum-exp", "PyMC"),
    "The EM algorithm": ("EM algorithm", "responsibilities"),
    "Variational inference and KL divergence": (
        "CAVI", "ELBO", "testing", "mean-field", "mean-field approximation",
        "variational inference",
        "KL divergence", "exclusive KL", "correlation"),
    "Importance sampling": ("importance sampling", "annealed importance sampling"),
    "PCA and linear autoencoders": (
        "PCA", "Eckart–Young theorem", "linear autoencoder", "reconstruction error", "code size",
        "gradient flow", "conserved quantity"),
    "Learned representations": ("denoising autoencoder", "representation", "nearest neighbour"),
    "Variational autoencoders": ("variational autoencoder", "beta-VAE"),
}
#: Reading speed for careful reading of technical prose with mathematics (words a minute).
READING_WPM = 100
#: Minutes a student is expected to spend on one exercise, by kind and difficulty.
EXERCISE_MINUTES: dict[tuple[str, str], int] = {
    ("pencil and paper", "★☆☆"): 10, ("pencil and paper", "★★☆"): 20,
    ("pencil and paper", "★★★"): 40,
    ("coding", "★☆☆"): 15, ("coding", "★★☆"): 30, ("coding", "★★★"): 50,
    ("pencil and paper, coding", "★☆☆"): 20, ("pencil and paper, coding", "★★☆"): 40,
    ("pencil and paper, coding", "★★★"): 70,
}
_ENV_DOCS = "bayesbook_exercise_index_docs"
_ENV_TIMES = "bayesbook_chapter_times"
_ENV_RECORDS = "bayesbook_exercise_records"


class MetadataError(ValueError):
    """An exercise's metadata line is missing or malformed."""


@dataclass(frozen=True)
class Metadata:
    difficulty: str
    kind: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class ExerciseRecord:
    """One exercise as the index shows it."""

    docname: str
    label: str
    title: tuple[nodes.Node, ...]
    difficulty: str
    kind: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class ChapterTime:
    """The estimated time for one chapter: reading, running its cells, its exercises."""

    docname: str
    words: int
    run_seconds: float
    exercises: int
    exercise_minutes: int

    @property
    def reading_minutes(self) -> int:
        return math.ceil(self.words / READING_WPM)

    @property
    def run_minutes(self) -> int:
        return math.ceil(self.run_seconds / 60)

    @property
    def total_minutes(self) -> int:
        return self.reading_minutes + self.run_minutes + self.exercise_minutes


def parse_metadata(text: str, bold: Iterable[str] = _FIELDS) -> Metadata:
    """Parse the text of an exercise's metadata line.

    Parameters
    ----------
    text : str
        The line as plain text, e.g. ``"Difficulty: ★☆☆ · Kind: coding · Topics: a, b"``.
    bold : iterable of str
        The texts set in bold in that line; they must be the three field names.

    Returns
    -------
    Metadata
        Difficulty mark, kind and the tuple of topics.

    Raises
    ------
    MetadataError
        Saying in one sentence what is wrong.
    """
    text = " ".join(text.split())
    match = _METADATA.match(text)
    if match is None:
        raise MetadataError(
            "the first paragraph of the exercise must be its metadata line, "
            f"like '{EXAMPLE}', but it is '{_shorten(text)}'"
        )
    if tuple(bold) != _FIELDS:
        raise MetadataError(
            "the field names of the metadata line must be bold: "
            "**Difficulty:**, **Kind:** and **Topics:**"
        )
    difficulty, kind = match["difficulty"], match["kind"]
    if difficulty not in DIFFICULTIES:
        raise MetadataError(
            f"difficulty '{difficulty}' is not one of {', '.join(DIFFICULTIES)}"
        )
    if kind not in KINDS:
        raise MetadataError(
            f"kind '{kind}' is not one of " + ", ".join(f"'{k}'" for k in KINDS)
        )
    topics = tuple(t.strip() for t in match["topics"].split(","))
    if not any(topics):
        raise MetadataError("the list of topics is empty")
    if not all(topics):
        raise MetadataError(f"the topics '{match['topics']}' contain an empty entry")
    repeated = [t for t, n in Counter(_topic_key(t) for t in topics).items() if n > 1]
    if repeated:
        raise MetadataError(f"topic '{repeated[0]}' is listed twice")
    return Metadata(difficulty, kind, topics)


def _shorten(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _topic_key(topic: str) -> str:
    return " ".join(topic.casefold().split())


def _group_of() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for group, topics in TOPIC_GROUPS.items():
        for topic in topics:
            if _topic_key(topic) in mapping:
                raise ValueError(f"topic {topic!r} is in two groups")
            mapping[_topic_key(topic)] = group
    return mapping


_GROUP_OF = _group_of()


def topic_group(topic: str) -> str | None:
    """The group of ``topic`` in ``TOPIC_GROUPS`` (ignoring case), or None if it has none."""
    return _GROUP_OF.get(_topic_key(topic))


# ---------------------------------------------------------------- reading

class exercise_index_node(nodes.General, nodes.Element):
    """Placeholder for the index; replaced by a table at write time."""


class ExerciseIndexDirective(SphinxDirective):
    """``{exercise-index}``: where the generated index goes."""

    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {
        "by": lambda value: directives.choice(value, ("chapter", "topic")),
    }

    def run(self) -> list[nodes.Node]:
        docs = getattr(self.env, _ENV_DOCS, None)
        if docs is None:
            docs = set()
            setattr(self.env, _ENV_DOCS, docs)
        docs.add(self.env.docname)
        node = exercise_index_node(by=self.options.get("by", "chapter"))
        self.set_source_info(node)
        return [node]


class course_time_node(nodes.General, nodes.Element):
    """Placeholder for the table of chapter times; replaced at write time."""


class CourseTimeDirective(SphinxDirective):
    """``{course-time}``: where the table of estimated times per chapter goes."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        docs = getattr(self.env, _ENV_DOCS, None)
        if docs is None:
            docs = set()
            setattr(self.env, _ENV_DOCS, docs)
        docs.add(self.env.docname)
        node = course_time_node()
        self.set_source_info(node)
        return [node]


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, _ENV_DOCS, set()).discard(docname)


def _merge(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    mine = getattr(env, _ENV_DOCS, None)
    if mine is None:
        mine = set()
        setattr(env, _ENV_DOCS, mine)
    mine.update(getattr(other, _ENV_DOCS, set()) & docnames)


def _outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Re-read the index pages whenever any other document comes, changes or goes."""
    if not (added or changed or removed):
        return []
    return sorted(getattr(env, _ENV_DOCS, set()) - removed)


# ---------------------------------------------------------------- collecting

def book_order(env: BuildEnvironment) -> list[str]:
    """Every document reachable from the root's toctrees, depth first, in reading order."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(docname: str) -> None:
        if docname in seen:
            return
        seen.add(docname)
        order.append(docname)
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(env.config.root_doc)
    return order


def _first_paragraph(exercise: nodes.Element) -> nodes.paragraph | None:
    for section in exercise.findall(nodes.section):
        first = section.children[0] if section.children else None
        return first if isinstance(first, nodes.paragraph) else None
    return None


def _title(exercise: nodes.Element) -> tuple[nodes.Node, ...]:
    title = exercise.children[0] if exercise.children else None
    if title is None or len(title.children) < 2:
        return ()
    return tuple(child.deepcopy() for child in title.children[1].children)


def _location(exercise: nodes.Element, docname: str) -> tuple[str, int | None]:
    paragraph = _first_paragraph(exercise)
    line = getattr(paragraph, "line", None) or exercise.line
    return docname, line


def collect(env: BuildEnvironment, *, warn: bool) -> list[ExerciseRecord]:
    """Every exercise the build read, in book order; warn about malformed ones if ``warn``."""
    registry = getattr(env, "sphinx_exercise_registry", {})
    rank = {docname: i for i, docname in enumerate(book_order(env))}
    entries = []
    for label, entry in registry.items():
        node = entry["node"]
        if entry.get("type") != "exercise" or node.get("hidden"):
            continue
        docname = entry["docname"]
        location = _location(node, docname)
        if label.startswith(f"{docname}-exercise-"):
            if warn:
                logger.warning(
                    "an exercise has no :label: (the index links to exercises by label)",
                    location=location, type="bayesbook", subtype="exercise_index",
                )
            continue
        paragraph = _first_paragraph(node)
        try:
            if paragraph is None:
                raise MetadataError(
                    f"the exercise does not start with its metadata line, like '{EXAMPLE}'"
                )
            metadata = parse_metadata(
                paragraph.astext(), [n.astext() for n in paragraph.findall(nodes.strong)]
            )
        except MetadataError as error:
            if warn:
                logger.warning(
                    f"exercise {label}: {error} (see CONTRIBUTING.md, Exercises)",
                    location=location, type="bayesbook", subtype="exercise_index",
                )
            continue
        unmapped = [t for t in metadata.topics if topic_group(t) is None]
        if unmapped and warn:
            logger.warning(
                f"exercise {label}: topic '{unmapped[0]}' is in no topic group: use a topic "
                "of an existing group or add it to TOPIC_GROUPS in "
                "tools/sphinx/exercise_index.py (see CONTRIBUTING.md, Exercises)",
                location=location, type="bayesbook", subtype="exercise_index",
            )
        record = ExerciseRecord(
            docname=docname, label=label, title=_title(node), difficulty=metadata.difficulty,
            kind=metadata.kind, topics=metadata.topics,
        )
        key = (rank.get(docname, len(rank)), docname, node.get("serial_number", 0))
        entries.append((key, record))
    return [record for _, record in sorted(entries, key=lambda item: item[0])]


def _skipped(node: nodes.Node) -> bool:
    """Parts of a page that are not prose to read: solutions, exercises, code, maths."""
    from sphinx_exercise.nodes import (
        exercise_enumerable_node,
        exercise_node,
        solution_node,
        solution_start_node,
    )

    if isinstance(node, solution_node | solution_start_node | exercise_node
                  | exercise_enumerable_node | nodes.literal_block | nodes.math_block
                  | nodes.raw | nodes.comment | addnodes.toctree):
        return True
    return isinstance(node, nodes.container) and str(node.get("nb_element", "")).startswith(
        "cell_code")


def prose_words(doctree: nodes.Node) -> int:
    """Words of prose in a page, leaving out solutions, exercises, code and display math."""
    words = 0

    def visit(node: nodes.Node) -> None:
        nonlocal words
        if _skipped(node):
            return
        if isinstance(node, nodes.Text):
            words += len(node.astext().split())
            return
        for child in node.children:
            visit(child)

    visit(doctree)
    return words


def chapter_times(env: BuildEnvironment, records: list[ExerciseRecord]) -> list[ChapterTime]:
    """The estimated time of every chapter with exercises, in book order."""
    from myst_nb.sphinx_ import NbMetadataCollector

    times = []
    for docname in dict.fromkeys(r.docname for r in records):
        mine = [r for r in records if r.docname == docname]
        exec_data = NbMetadataCollector.get_exec_data(env, docname) or {}
        times.append(ChapterTime(
            docname=docname, words=prose_words(env.get_doctree(docname)),
            run_seconds=float(exec_data.get("runtime") or 0.0), exercises=len(mine),
            exercise_minutes=sum(EXERCISE_MINUTES[(r.kind, r.difficulty)] for r in mine),
        ))
    return times


def _collect_and_check(app: Sphinx, env: BuildEnvironment) -> None:
    records = collect(env, warn=True)
    setattr(env, _ENV_RECORDS, records)
    setattr(env, _ENV_TIMES, chapter_times(env, records))
    # A title with math needs MathJax on the index page, which Sphinx loads only on pages
    # whose own source had math in it.
    if any(True for r in records for node in r.title for _ in node.findall(nodes.math)):
        math = env.get_domain("math")
        for docname in getattr(env, _ENV_DOCS, set()):
            math.data["has_equations"][docname] = True


# ---------------------------------------------------------------- rendering

def _doc_link(docname: str, refdoc: str) -> nodes.Node:
    xref = addnodes.pending_xref(
        "", refdomain="std", reftype="doc", reftarget="/" + docname, refexplicit=False,
        refwarn=True, refdoc=refdoc,
    )
    xref += nodes.inline(docname, docname)
    return xref


def _exercise_link(record: ExerciseRecord, refdoc: str) -> nodes.Node:
    xref = addnodes.pending_xref(
        "", refdomain="std", reftype="ref", reftarget=record.label, refexplicit=True,
        refwarn=True, refdoc=refdoc,
    )
    xref += nodes.literal(record.label, record.label)
    return xref


def _paragraph(*children: nodes.Node | str) -> nodes.paragraph:
    paragraph = nodes.paragraph()
    for child in children:
        paragraph += nodes.Text(child) if isinstance(child, str) else child
    return paragraph


def _entry(*children: nodes.Node | str, **attributes: Any) -> nodes.entry:
    entry = nodes.entry(**attributes)
    entry += _paragraph(*children)
    return entry


def _table(header: list[str], widths: list[int], rows: list[list[nodes.entry]],
           classes: list[str]) -> nodes.table:
    table = nodes.table(classes=["exercise-index", *classes])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for name in header:
        row += _entry(name)
    head += row
    body = nodes.tbody()
    group += body
    for entries in rows:
        row = nodes.row()
        for entry in entries:
            row += entry
        body += row
    return table


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _difficulty(mark: str) -> str:
    return f"{mark} {DIFFICULTIES[mark]}"


def by_chapter(records: list[ExerciseRecord], refdoc: str) -> list[nodes.Node]:
    """A summary line and one table, a row per exercise, grouped by chapter in book order."""
    chapters = list(dict.fromkeys(r.docname for r in records))
    difficulty = Counter(r.difficulty for r in records)
    kind = Counter(r.kind for r in records)
    summary = _paragraph(
        f"{_count(len(records), 'exercise')} in {_count(len(chapters), 'chapter')}: "
        + ", ".join(f"{difficulty[m]} {DIFFICULTIES[m]} ({m})" for m in DIFFICULTIES)
        + f"; {kind[KINDS[0]]} pencil and paper only, {kind[KINDS[1]]} coding only, "
        f"{kind[KINDS[2]]} both."
    )
    rows = []
    for docname in chapters:
        mine = [r for r in records if r.docname == docname]
        for i, record in enumerate(mine):
            row = []
            if i == 0:
                row.append(_entry(_doc_link(docname, refdoc), morerows=len(mine) - 1))
            row += [
                _entry(_exercise_link(record, refdoc)),
                _entry(*(node.deepcopy() for node in record.title)),
                _entry(record.difficulty),
                _entry(record.kind),
                _entry(", ".join(record.topics)),
            ]
            rows.append(row)
    header = ["Chapter", "Exercise", "Title", "Difficulty", "Kind", "Topics"]
    return [summary, _table(header, [18, 14, 28, 12, 12, 28], rows, ["exercise-index-chapters"])]


def by_topic(records: list[ExerciseRecord], refdoc: str) -> list[nodes.Node]:
    """One row per topic group (in ``TOPIC_GROUPS`` order) with the topics it covers and
    its exercises in one column per difficulty; an exercise appears once per group."""
    spelling: dict[str, str] = {}
    members: dict[str, list[ExerciseRecord]] = {}
    covered: dict[str, list[str]] = {}
    for record in records:
        for topic in record.topics:
            group = topic_group(topic)
            if group is None:
                continue
            key = _topic_key(topic)
            if key not in spelling:
                spelling[key] = topic
                covered.setdefault(group, []).append(topic)
            if record not in members.setdefault(group, []):
                members[group].append(record)
    rows = []
    for group in (g for g in TOPIC_GROUPS if g in members):
        row = [_entry(group), _entry(", ".join(sorted(covered[group], key=_topic_key)))]
        for mark in DIFFICULTIES:
            links: list[nodes.Node | str] = []
            for record in (r for r in members[group] if r.difficulty == mark):
                if links:
                    links.append(", ")
                links.append(_exercise_link(record, refdoc))
            row.append(_entry(*links))
        rows.append(row)
    summary = _paragraph(f"{_count(len(spelling), 'topic')} in {_count(len(rows), 'group')}.")
    header = ["Group", "Topics", *(_difficulty(mark) for mark in DIFFICULTIES)]
    return [summary, _table(header, [22, 27, 17, 17, 17], rows, ["exercise-index-topics"])]


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f} h"


def by_time(times: list[ChapterTime], refdoc: str) -> list[nodes.Node]:
    """One row per chapter: reading, running, exercises and the total; then the basis."""
    rows = []
    for t in times:
        rows.append([
            _entry(_doc_link(t.docname, refdoc)), _entry(f"{t.words:,}"),
            _entry(f"{t.reading_minutes} min"), _entry(f"{t.run_minutes} min"),
            _entry(f"{t.exercises}: {t.exercise_minutes} min"), _entry(_hours(t.total_minutes)),
        ])
    total = sum(t.total_minutes for t in times)
    rows.append([_entry("All chapters"), _entry(f"{sum(t.words for t in times):,}"),
                 _entry(f"{sum(t.reading_minutes for t in times)} min"),
                 _entry(f"{sum(t.run_minutes for t in times)} min"),
                 _entry(f"{sum(t.exercises for t in times)}: "
                        f"{sum(t.exercise_minutes for t in times)} min"),
                 _entry(_hours(total))])
    per_kind = "; ".join(
        f"{kind}: " + ", ".join(f"{mark} {EXERCISE_MINUTES[(kind, mark)]}" for mark in DIFFICULTIES)
        for kind in KINDS)
    basis = _paragraph(
        f"Basis: prose (solutions, exercises, code and display maths left out) read at "
        f"{READING_WPM} words a minute; the time the chapter's cells took in this build of "
        f"the book, rounded up to whole minutes; and per exercise, in minutes by kind and "
        f"difficulty, {per_kind}. The exercise times are the authors' estimates for a "
        "student who has read the chapter; the rest is computed from the chapters on "
        "every build."
    )
    header = ["Chapter", "Words", "Reading", "Running", "Exercises", "Total"]
    return [_table(header, [30, 12, 12, 12, 20, 14], rows, ["exercise-index-times"]), basis]


class RenderExerciseIndex(SphinxPostTransform):
    """Replace each placeholder by the index; runs before references are resolved (10)."""

    default_priority = 4

    def run(self, **kwargs: Any) -> None:
        for placeholder in list(self.document.findall(course_time_node)):
            times = getattr(self.env, _ENV_TIMES, None)
            if times is None:
                times = chapter_times(self.env, collect(self.env, warn=False))
            container = nodes.container(classes=["exercise-index-container"])
            container.extend(by_time(times, self.env.docname))
            placeholder.replace_self(container)
        placeholders = list(self.document.findall(exercise_index_node))
        if not placeholders:
            return
        records = getattr(self.env, _ENV_RECORDS, None)
        if records is None:
            records = collect(self.env, warn=False)
        for placeholder in placeholders:
            if not records:
                placeholder.replace_self(_paragraph("The book has no exercises yet."))
                continue
            render = by_topic if placeholder["by"] == "topic" else by_chapter
            container = nodes.container(classes=["exercise-index-container"])
            container.extend(render(records, self.env.docname))
            placeholder.replace_self(container)


#: Labels are short; keep each on one line in the narrow table columns.
_CSS = "table.exercise-index .std-ref { white-space: nowrap; }\n"
_CSS_FILE = "exercise-index.css"


def _write_css(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir, "_static")
        static.mkdir(parents=True, exist_ok=True)
        (static / _CSS_FILE).write_text(_CSS)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_exercise")
    app.add_node(exercise_index_node)
    app.add_node(course_time_node)
    app.add_directive("exercise-index", ExerciseIndexDirective)
    app.add_directive("course-time", CourseTimeDirective)
    app.add_post_transform(RenderExerciseIndex)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-updated", _collect_and_check)
    app.connect("build-finished", _write_css)
    app.add_css_file(_CSS_FILE)
    return {
        "version": "1.0",
        "env_version": 2,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
