"""Write the reading edition: every chapter as a plain Jupyter notebook, as the web book reads.

    python tools/notebook_edition.py [--build DIR] [--out DIR]

``tools/build_book.py`` runs it after Sphinx has built the HTML (so ``make book`` writes
it); it needs that build: the execution cache ``_build/.jupyter_cache`` (outputs and glued
values) and ``_build/bayesbook-xrefs.json`` (Sphinx's numbers and titles, the citations'
author-year labels; written by ``tools/sphinx/bookext.py``).

The chapters are MyST markdown, which no Jupyter front end renders without extensions
(Colab and a downloaded ``.ipynb`` have none). Every chapter listed in ``_toc.yml`` becomes a
notebook of plain Jupyter markdown and math:

* the book's TeX macros (``_config.yml``, ``mathjax3_config.tex.macros``) are expanded in
  place, so no macro needs defining;
* ``{glue:text}`` roles become the number the web page shows (the same value, formatted by
  MyST-NB's own formatter); ``{numref}``, ``{eq}``, ``{prf:ref}``, ``{ref}``, ``{doc}`` and
  ``{cite:p}``/``{cite:t}`` become "Figure 6.2", "(6.3)", "Definition 4.1", linked section
  and chapter titles and author-year citations linked to the web book's pages;
* ``prf:`` and ``exercise`` directives and admonitions become block quotes with a bold
  title and number ("**Definition 4.1** (Detailed balance)"); labelled display equations
  carry their number as ``\\tag``; figures get their caption in a cell below; ``literalinclude``
  becomes the included function's code; ``(label)=`` targets are dropped;
* a solution (``solution-start`` .. ``solution-end``) becomes a "Solution to Exercise 4.2"
  cell followed by its cells, hidden (``jupyter.source_hidden``/``outputs_hidden``: JupyterLab
  and Notebook 7 show a collapsed bar that opens on a click; other front ends show the cells
  under the clearly marked heading);
* code cells carry the build's outputs (figures and tables visible before anything runs, as
  in Jupyter Book's own download), except MyST-NB's invisible glue records.

Written under ``--out`` (default ``_build/edition``), the tree the Pages workflow publishes to
the ``notebooks`` branch that the launch buttons open: ``notebooks/`` (the reading edition),
``student/`` (the student edition through the same converter), and what Binder needs
(``binder/``, ``src/``, ``pyproject.toml``, ``requirements.lock``, two tools, a README).
The reading edition is also copied into the site, ``_build/html/_notebooks/``, for the pages'
download buttons. ``make student`` (``tools/student_edition.py``) uses the same converter for
``_build/student``.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jupytext
import nbformat
import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from myst_nb.core.variables import format_plain_text
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_notebooks import toc_chapters

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "_build"
XREF_FILE = "bayesbook-xrefs.json"
#: The web site's folder the download buttons fetch the reading edition from.
SITE_NOTEBOOKS = "_notebooks"


class EditionError(ValueError):
    """The chapter uses MyST the notebook edition cannot translate, or the build is missing."""


# ---------------------------------------------------------------- what the build knows

@dataclass(frozen=True)
class BuildData:
    """Sphinx's cross-reference data and each chapter's executed notebook."""

    xrefs: dict
    macros: dict[str, str]
    build: Path

    @classmethod
    def load(cls, build: Path = BUILD, root: Path = REPO) -> BuildData:
        path = build / XREF_FILE
        if not path.exists():
            raise EditionError(f"{path} is missing: build the book first (make book)")
        config = yaml.safe_load((root / "_config.yml").read_text())
        macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
        return cls(json.loads(path.read_text()), dict(macros), build)

    def executed(self, md: Path) -> nbformat.NotebookNode:
        """The build's executed notebook of chapter ``md`` (code cells only, with outputs)."""
        from jupyter_cache import get_cache

        cache_dir = self.build / ".jupyter_cache"
        records = [r for r in get_cache(cache_dir).list_cache_records()
                   if Path(r.uri).stem == md.stem] if cache_dir.exists() else []
        if not records:
            raise EditionError(f"{md.name} has no executed notebook in {cache_dir} "
                               "(build the book first: make book)")
        latest = max(records, key=lambda r: r.created)
        return get_cache(cache_dir).get_cache_bundle(latest.pk).nb


#: ``glue_records`` keeps a glued Markdown value under its name plus this suffix.
MARKDOWN_SUFFIX = "\0text/markdown"


#: Text ending where a macro is read as one argument: an accent or font command, ``\frac``
#: or ``\sqrt``, or ``_``/``^``.
_ARGUMENT_BEFORE = re.compile(
    r"(?:\\(?:hat|bar|tilde|vec|dot|ddot|check|breve|acute|grave|widehat|widetilde|"
    r"overline|underline|boldsymbol|mathbf|mathrm|mathcal|mathbb|sqrt|frac|tfrac|dfrac)"
    r"|[_^])\s*$")


def glue_records(executed: nbformat.NotebookNode) -> dict[str, str]:
    """Every glued name of an executed notebook and its ``text/plain`` value."""
    values = {}
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if record:
                prefix = record.get("mime_prefix", "")
                values[record["name"]] = output["data"].get(prefix + "text/plain", "")
                markdown = output["data"].get(prefix + "text/markdown")
                if markdown is not None:
                    values[record["name"] + MARKDOWN_SUFFIX] = markdown
    return values


def _is_glue_record(output: dict) -> bool:
    return bool(output.get("metadata", {}).get("scrapbook", {}).get("mime_prefix"))


# ---------------------------------------------------------------- markdown

@cache
def _parser() -> MarkdownIt:
    config = MdParserConfig(enable_extensions={"colon_fence", "dollarmath", "amsmath", "deflist"})
    return create_md_parser(config, RendererHTML)


_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<argument>.*)$")
_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]+)`")
_TARGET = re.compile(r"^\([\w:.-]+\)=[ \t]*\n?", re.M)
_LABELLED_MATH = re.compile(r"\$\$(?P<math>.+?)\$\$[ \t]*\((?P<label>[\w:.-]+)\)", re.S)
_MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?!\$).+?(?<![\\$])\$", re.S)
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_ADMONITIONS = {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
                "warning": "Warning", "caution": "Caution", "attention": "Attention",
                "danger": "Danger", "error": "Error", "seealso": "See also"}
_PROOF_TITLES = {"algorithm": "Algorithm", "axiom": "Axiom", "conjecture": "Conjecture",
                 "corollary": "Corollary", "criterion": "Criterion", "definition": "Definition",
                 "example": "Example", "lemma": "Lemma", "observation": "Observation",
                 "property": "Property", "proposition": "Proposition", "remark": "Remark",
                 "theorem": "Theorem", "assumption": "Assumption", "notation": "Notation"}


def directive_options(content: str) -> tuple[dict[str, str], str]:
    """A directive's options (``:key: value`` lines or a YAML block) and its body."""
    lines = content.split("\n")
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        options = {k: str(v) for k, v in (yaml.safe_load("\n".join(lines[1:end])) or {}).items()}
        lines = lines[end + 1:]
    else:
        while lines and (match := re.match(r"^:([\w-]+):\s*(.*)$", lines[0])):
            options[match[1]] = match[2].strip()
            lines = lines[1:]
    return options, "\n".join(lines).strip("\n")


def blockquote(title: str, body: str) -> str:
    """``body`` (markdown) in a block quote under a bold ``title``.

    Math is joined onto one line first: JupyterLab takes math out of the text before it
    parses the markdown, so a ``>`` inside a multi-line formula would reach MathJax.
    """
    body = _MATH.sub(lambda m: re.sub(r"\s*\n\s*", " ", m.group(0)), body)
    lines = [title, "", *body.split("\n")] if body.strip() else [title]
    return "\n".join(f"> {line}".rstrip() for line in lines)


def python_object(path: Path, name: str) -> str:
    """The source of the function or class ``name`` (``Class.method`` too) in ``path``.

    The same object Sphinx's ``literalinclude :pyobject:`` shows, decorators included.
    """
    source = path.read_text()
    body = ast.parse(source).body
    node = None
    for part in name.split("."):
        node = next((n for n in body if isinstance(
            n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef) and n.name == part), None)
        if node is None:
            raise EditionError(f"literalinclude: no {name} in {path}")
        body = node.body
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    lines = source.split("\n")[start - 1:node.end_lineno]
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)


class Converter:
    """Turns one chapter's MyST markdown into plain Jupyter markdown."""

    def __init__(self, data: BuildData, md: Path, glue: dict[str, str]) -> None:
        self.data = data
        self.md = md
        self.docname = f"book/{md.stem}"
        self.glue = glue
        self.baseurl = data.xrefs["baseurl"].rstrip("/") + "/"
        names = sorted(data.macros, key=len, reverse=True)
        self._macro = re.compile(r"\\(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z])")

    # ------------------------------------------------ references
    def url(self, docname: str, anchor: str = "") -> str:
        return f"{self.baseurl}{docname}.html" + (f"#{anchor}" if anchor else "")

    def _lookup(self, table: str, label: str, role: str) -> dict:
        try:
            return self.data.xrefs[table][label]
        except KeyError:
            raise EditionError(f"{self.md.name}: {{{role}}}`{label}` is not in the build "
                               "(rebuild the book: make book)") from None

    def _link(self, text: str, item: dict) -> str:
        if item["doc"] == self.docname:
            return text
        return f"[{text}]({self.url(item['doc'], item['anchor'])})"

    def chapter_title(self, docname: str) -> str:
        doc = self._lookup("docs", docname, "doc")
        return f"Chapter {doc['number']}, {doc['title']}" if doc["number"] else doc["title"]

    def role(self, match: re.Match) -> str:
        role, content = match["role"], match["content"]
        explicit = _EXPLICIT.match(content) if role not in ("glue:text", "glue:md") else None
        text, target = (explicit["text"], explicit["target"]) if explicit else ("", content)
        if role == "glue:text":
            key, _, spec = target.rpartition(":") if ":" in target else (target, "", "s")
            if key not in self.glue:
                raise EditionError(f"{self.md.name}: glued name {key!r} is not in the build")
            return format_plain_text(self.glue[key], spec)
        if role == "glue:md":  # a glued Markdown value, inline (``name`` or ``name:inline``)
            key = target.split(":", 1)[0]
            if key + MARKDOWN_SUFFIX not in self.glue:
                raise EditionError(
                    f"{self.md.name}: glued Markdown {key!r} is not in the build")
            return self.glue[key + MARKDOWN_SUFFIX].strip()
        if role == "eq":
            item = self._lookup("equations", target, role)
            return self._link(text or f"({item['number']})", item)
        if role == "numref":  # figures (and any other numbered label)
            item = self._lookup("labels", target, role)
            kind = {"figure": "Figure", "table": "Table", "code-block": "Listing"}.get(
                item["type"], "Section")
            label = text.replace("%s", item["number"]).replace("{number}", item["number"]) \
                if text else f"{kind} {item['number']}"
            return self._link(label, item)
        if role == "prf:ref":
            item = self._lookup("proofs", target, role)
            title = f"{_PROOF_TITLES.get(item['type'], item['type'].title())} {item['number']}"
            return self._link(text or title.strip(), item)
        if role in ("ref", "numref") and target in self.data.xrefs["exercises"]:
            item = self.data.xrefs["exercises"][target]  # sphinx-exercise numbers these
            return self._link(text or f"Exercise {item['number']}", item)
        if role in ("ref", "numref") and target in self.data.xrefs["proofs"]:
            item = self.data.xrefs["proofs"][target]
            title = f"{_PROOF_TITLES.get(item['type'], item['type'].title())} {item['number']}"
            return self._link(text or title.strip(), item)
        if role == "ref":
            item = self._lookup("labels", target, role)
            doc = self._lookup("docs", item["doc"], role)
            if not text and item["title"] == doc["title"]:  # a chapter's own label
                text = self.chapter_title(item["doc"])
            return self._link(text or item["title"], item)
        if role == "doc":
            docname = target.lstrip("/") if target.startswith("/") else \
                (Path(self.docname).parent / target).as_posix()
            return f"[{text or self.chapter_title(docname)}]({self.url(docname)})"
        if role in ("cite:p", "cite:t", "cite"):
            keys = [k.strip() for k in target.split(",")]
            items = [self._lookup("citations", k, role) for k in keys]
            links = [(i["authors"], i["year"], self.url(i["doc"], i["anchor"])) for i in items]
            if role == "cite:t":
                return ", ".join(f"[{who} ({year})]({url})" for who, year, url in links)
            return "(" + "; ".join(f"[{who} {year}]({url})" for who, year, url in links) + ")"
        if role == "math":
            return f"${content}$"
        raise EditionError(f"{self.md.name}: the role {{{role}}} has no notebook form")

    # ------------------------------------------------ text
    def expand_macros(self, text: str) -> str:
        """Every book macro replaced by its definition (``\\given`` by ``\\mid``, ...).

        A macro's name ends where its letters end, so ``\\T`` never matches ``\\Theta``
        and ``\\E`` never matches ``\\ELBO``; the definitions carry no arguments, so the
        text that follows (``\\bx\\T``, ``\\left(a \\given b\\right)``) reads as it did.
        """
        def expand(m: re.Match) -> str:
            body = self.data.macros[m[1]]
            # After a command that takes an argument (``\hat\bx``) or a sub/superscript
            # (``x_\bz``) the macro was one token; its definition must stay one group.
            if _ARGUMENT_BEFORE.search(text, 0, m.start()) and not body.startswith("^"):
                return "{" + body + "}"
            return body

        return self._macro.sub(expand, text)

    def inline(self, text: str) -> str:
        """Roles, macros, equation labels and targets of a run of ordinary markdown."""
        text = _TARGET.sub("", text)

        def tag(match: re.Match) -> str:
            item = self._lookup("equations", match["label"], "eq")
            return f"$${match['math'].rstrip()} \\tag{{{item['number']}}}\n$$"

        text = _LABELLED_MATH.sub(tag, text)
        text = _ROLE.sub(self.role, text)
        return self.expand_macros(text)

    def markdown(self, source: str) -> str:
        """A whole markdown text: top-level directives translated, the rest ``inline``."""
        lines = source.split("\n")
        out: list[str] = []
        start = 0
        for token in _parser().parse(source):
            if token.level != 0 or not token.map or \
                    token.type not in ("fence", "colon_fence", "myst_line_comment"):
                continue
            begin, end = token.map
            out.append(self.inline("\n".join(lines[start:begin])))
            if token.type == "myst_line_comment":
                pass
            elif match := _DIRECTIVE.match(token.info.strip()):
                out.append(self.directive(match["name"], match["argument"].strip(),
                                          token.content))
            else:
                out.append("\n".join(lines[begin:end]))
            start = end
        out.append(self.inline("\n".join(lines[start:])))
        text = "\n".join(out)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")

    def title(self, argument: str) -> str:
        return f" ({self.markdown(argument)})" if argument else ""

    def directive(self, name: str, argument: str, content: str) -> str:
        options, body = directive_options(content)
        if name == "literalinclude":
            path = (self.md.parent / argument).resolve()
            code = python_object(path, options["pyobject"]) if "pyobject" in options \
                else path.read_text().rstrip("\n")
            return f"```python\n{code}\n```"
        if name.startswith("prf:"):
            kind = name[4:]
            if kind == "proof":
                return blockquote("*Proof.*", self.markdown(body) + " $\\square$")
            number = ""
            if "label" in options:
                number = " " + self._lookup("proofs", options["label"], name)["number"]
            heading = f"**{_PROOF_TITLES.get(kind, kind.title())}{number.rstrip()}**"
            return blockquote(heading + self.title(argument), self.markdown(body))
        if name == "exercise":
            number = self._lookup("exercises", options["label"], name)["number"] \
                if "label" in options else ""
            heading = f"**Exercise {number}**".replace(" **", "**")
            return blockquote(heading + self.title(argument), self.markdown(body))
        if name == "solution":
            return blockquote(f"**{self.solution_title(argument)}**", self.markdown(body))
        if name == "admonition":
            return blockquote(f"**{self.markdown(argument)}**", self.markdown(body))
        if name in _ADMONITIONS:
            text = "\n\n".join(p for p in (argument, body) if p)
            return blockquote(f"**{_ADMONITIONS[name]}**", self.markdown(text))
        if name in ("math", "amsmath"):
            math = self.expand_macros(body)
            if "label" in options:
                math += f" \\tag{{{self._lookup('equations', options['label'], 'eq')['number']}}}"
            return f"$$\n{math}\n$$"
        raise EditionError(f"{self.md.name}: the directive {{{name}}} has no notebook form")

    def solution_title(self, label: str) -> str:
        number = self._lookup("exercises", label, "solution")["number"] if label else ""
        return f"Solution to Exercise {number}".rstrip()


# ---------------------------------------------------------------- cells

_SOLUTION_MARKER = re.compile(r"^(`{3,}|:{3,})\{(solution-start|solution-end)\}\s*(\S*)")


def _split_solution_markers(source: str) -> list[tuple[str, str]]:
    """A markdown cell cut at its top-level solution markers: ``(kind, text)`` pieces."""
    lines = source.split("\n")
    pieces: list[tuple[str, str]] = []
    start = 0
    for token in _parser().parse(source):
        if token.level != 0 or not token.map or token.type not in ("fence", "colon_fence"):
            continue
        match = _DIRECTIVE.match(token.info.strip())
        if match is None or match["name"] not in ("solution-start", "solution-end"):
            continue
        begin, end = token.map
        pieces.append(("markdown", "\n".join(lines[start:begin])))
        pieces.append((match["name"], match["argument"].strip()))
        start = end
    pieces.append(("markdown", "\n".join(lines[start:])))
    return [(kind, text) for kind, text in pieces if kind != "markdown" or text.strip()]


def _hidden(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell.metadata["jupyter"] = {"source_hidden": True}
    if cell.cell_type == "code":
        cell.metadata["jupyter"]["outputs_hidden"] = True
    return cell


def _code_metadata(metadata: dict) -> dict:
    """Only what a Jupyter front end uses: tags (``remove-input`` hides the code).

    A check cell raises until its exercise is answered ("not answered yet"): tagged
    ``raises-exception``, it does not stop JupyterLab's Run All (nor nbclient) there.
    """
    kept = {"tags": list(metadata["tags"])} if metadata.get("tags") else {}
    if "check" in kept.get("tags", []) and "raises-exception" not in kept["tags"]:
        kept["tags"].append("raises-exception")
    if {"remove-input", "hide-input"} & set(kept.get("tags", [])):
        kept["jupyter"] = {"source_hidden": True}
    if {"remove-output", "hide-output"} & set(kept.get("tags", [])):
        kept["jupyter"] = {**kept.get("jupyter", {}), "outputs_hidden": True}
    return kept


def figure_caption(converter: Converter, metadata: dict) -> str | None:
    figure = (metadata.get("mystnb") or {}).get("figure") or {}
    if "caption" not in figure:
        return None
    number = ""
    if "name" in figure:
        number = " " + converter._lookup("labels", figure["name"], "numref")["number"]
    caption = converter.markdown(str(figure["caption"]).strip())
    return f"**Figure{number}.** {caption}"


#: The build's glue import, and the one the edition's notebooks use: Colab and a hub need not
#: have MyST-NB, and the edition's text already carries the glued numbers.
GLUE_IMPORT = "from myst_nb import glue"
EDITION_GLUE_IMPORT = "from bayesbook.runtime import glue"


def edition_code(source: str) -> str:
    """A code cell's source as the edition's notebooks show it (the glue import replaced)."""
    return "\n".join(EDITION_GLUE_IMPORT if line.strip() == GLUE_IMPORT else line
                     for line in source.split("\n"))


def convert(nb: nbformat.NotebookNode, md: Path, data: BuildData,
            executed: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """The plain-Jupyter form of ``nb``, a notebook of chapter ``md`` with MyST markdown cells.

    ``executed`` (the build's executed notebook) supplies the code cells' outputs; without
    it the code cells are left output-free (the student edition). Glued values always come
    from the build.
    """
    built = executed if executed is not None else data.executed(md)
    converter = Converter(data, md, glue_records(built))
    built_code = [c for c in built.cells if c.cell_type == "code"]
    cells: list[nbformat.NotebookNode] = []
    in_solution = False
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for kind, text in _split_solution_markers(cell.source):
                if kind == "solution-start":
                    title = converter.solution_title(text)
                    cells.append(nbformat.v4.new_markdown_cell(
                        f"#### {title}\n\nThe solution's cells below are collapsed: "
                        "click the bar to open them (try the exercise first)."))
                    in_solution = True
                elif kind == "solution-end":
                    in_solution = False
                else:
                    new = nbformat.v4.new_markdown_cell(converter.markdown(text))
                    cells.append(_hidden(new) if in_solution else new)
        elif cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(edition_code(cell.source),
                                            metadata=_code_metadata(cell.metadata))
            if executed is not None:
                built_cell = built_code[code_index] if code_index < len(built_code) else None
                if built_cell is None or built_cell.source.strip() != cell.source.strip():
                    raise EditionError(f"{md.name}: code cell {code_index} differs from the "
                                       "build's executed notebook (rebuild: make book)")
                new.outputs = [o for o in built_cell.outputs if not _is_glue_record(o)]
                new.execution_count = built_cell.get("execution_count")
            code_index += 1
            cells.append(_hidden(new) if in_solution else new)
            caption = figure_caption(converter, cell.metadata)
            if caption:
                cap = nbformat.v4.new_markdown_cell(caption)
                cells.append(_hidden(cap) if in_solution else cap)
        else:
            cells.append(nbformat.v4.new_raw_cell(cell.source))
    out = nbformat.v4.new_notebook()
    # The kernel's full language_info, as the build's kernel reported it: JupyterLab writes
    # the running kernel's into the notebook when it starts, so a partial one marks the
    # notebook modified the moment it opens.
    language_info = dict(built.metadata.get("language_info") or {"name": "python"})
    out.metadata = {"kernelspec": dict(nb.metadata["kernelspec"]),
                    "language_info": language_info}
    out.nbformat, out.nbformat_minor = 4, 5
    out.cells = [c for c in cells if c.cell_type != "markdown" or c.source.strip()]
    seen: set[str] = set()
    for index, cell in enumerate(out.cells):
        digest = hashlib.sha1(f"{index}\0{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:12]
        cell.id = digest if digest not in seen else f"{digest}-{index}"
        seen.add(cell.id)
    nbformat.validate(out)
    return out


def reading_notebook(md: Path, data: BuildData) -> nbformat.NotebookNode:
    """Chapter ``md`` as the reading edition: converted, with the build's outputs."""
    return convert(jupytext.read(md, fmt="md:myst"), md, data, executed=data.executed(md))


def student_converter(data: BuildData) -> Callable[[nbformat.NotebookNode, Path],
                                                   nbformat.NotebookNode]:
    """The conversion ``student_edition.write_edition`` applies to each student notebook."""
    def student(nb: nbformat.NotebookNode, md: Path) -> nbformat.NotebookNode:
        return convert(nb, md, data)
    return student


# ---------------------------------------------------------------- the edition tree

#: Copied from the repository into the edition, for Binder (repo2docker) and a class hub.
BINDER_FILES = ("binder", "src", "pyproject.toml", "requirements.lock",
                "tools/jupyterlab_settings.py", "tools/check_env.py")

JUPYTEXT_TOML = """\
# The notebooks here are generated (make book); they are not paired with any text file.
formats = "ipynb"
"""


def edition_readme(root: Path) -> str:
    config = yaml.safe_load((root / "_config.yml").read_text())
    return f"""# {config['title']}: the notebooks

Generated by `make book` from the book's sources ({config['repository']['url']});
do not edit here. The book itself: {config['html']['baseurl']}

- `notebooks/`: every chapter, as the web book reads (numbers, cross-references,
  citations and definitions resolved), with the outputs of the book's build;
- `student/`: the student edition (solutions removed, each exercise followed by an empty
  answer cell and its check).

Open them on Binder, Colab or a JupyterHub from the launch buttons of the web book, or
locally with `pip install -e . jupyterlab` in this folder.
"""


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "*.egg-info"))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _write_notebooks(notebooks: dict[str, nbformat.NotebookNode], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in set(folder.glob("*.ipynb")) - {folder / f"{n}.ipynb" for n in notebooks}:
        stale.unlink()
    for name, nb in notebooks.items():
        (folder / f"{name}.ipynb").write_text(nbformat.writes(nb) + "\n")


def write_student(chapters: list[Path], data: BuildData, out: Path) -> None:
    import student_edition  # it imports this module for its converter

    student_edition.write_edition(chapters, out, convert=student_converter(data))


def write_edition(chapters: list[Path], data: BuildData, out: Path,
                  site: Path | None = None, root: Path = REPO) -> dict[str, nbformat.NotebookNode]:
    """Write the edition tree into ``out`` (and the reading notebooks into ``site``)."""
    reading = {md.stem: reading_notebook(md, data) for md in chapters}
    out.mkdir(parents=True, exist_ok=True)
    for name in BINDER_FILES:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        _copy(REPO / name, target)
    (out / "README.md").write_text(edition_readme(root))
    (out / "jupytext.toml").write_text(JUPYTEXT_TOML)
    _write_notebooks(reading, out / "notebooks")
    write_student(chapters, data, out / "student")
    if site is not None and site.exists():
        _write_notebooks(reading, site / SITE_NOTEBOOKS)
    return reading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, default=BUILD,
                        help="the book's build folder (default: _build)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the edition tree (default: BUILD/edition)")
    parser.add_argument("--root", type=Path, default=REPO, help="book root (holds _config.yml)")
    args = parser.parse_args(argv)
    build, root = args.build.resolve(), args.root.resolve()
    chapters = toc_chapters(root)
    try:
        data = BuildData.load(build, root)
        out = (args.out or build / "edition").resolve()
        write_edition(chapters, data, out, site=build / "html", root=root)
    except EditionError as error:
        print(f"notebook_edition: {error}", file=sys.stderr)
        return 1
    print(f"notebook_edition: {len(chapters)} chapters in {out}/notebooks and "
          f"{out}/student; downloads in {build / 'html' / SITE_NOTEBOOKS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
