"""The book's PDF edition and the parts of its pages that serve every reader.

Loaded through ``_config.yml`` ``local_extensions`` beside ``bookext``.

PDF (``make pdf``, Jupyter Book's LaTeX builder with XeLaTeX):

* the TeX macros the web book gives MathJax (``mathjax3_config.tex.macros`` in
  ``_config.yml``) are written into the LaTeX preamble as ``\\newcommand``s, from the same
  list, so an equation reads the same in both editions;
* solutions are left out of the PDF (a printed book is read with a pencil; the web book and
  the notebooks have them); the exercise statements and their check cells stay;
* tables wrap their columns within the page and long code lines wrap;
* fonts with every glyph the book uses (Debian's FreeFont, as Sphinx's XeLaTeX default
  expects, with DejaVu as the fallback for symbols such as ★).

Web pages:

* every page's download menu offers the whole book as a PDF (``book.pdf`` at the site root,
  copied there by ``make pdf``);
* a favicon, so no browser asks the site for one it does not have;
* links (equation references too) with AA contrast on tinted boxes, and figures on a white
  frame in dark mode (``static/a11y.css``);
* bibliography entries as list items of their list (a translator mixin);
* the theme's search and colour-mode buttons say what they show (``templates/``: their
  accessible names contain their visible text, WCAG 2.5.3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Where ``make pdf`` puts the book in the built site, relative to its root.
PDF_IN_SITE = "book.pdf"


#: Code cells and their outputs as jupyterbook-latex writes them (it wraps them in these two
#: environments, which its own document class would define): inputs on a grey panel, outputs
#: indented on a lighter one, so a reader tells code from what it printed.
CELL_ENVIRONMENTS = r"""
\usepackage[strict]{changepage}
\definecolor{bbInputBorder}{RGB}{200,200,200}
\definecolor{bbInputBack}{RGB}{246,246,246}
\definecolor{bbOutputBorder}{RGB}{235,235,235}
\definecolor{bbOutputBack}{RGB}{253,253,253}
% Long tables (the exercise index: six columns) in a smaller type, so that their longest
% words fit their columns.
\AtBeginEnvironment{longtable}{\footnotesize}
\newenvironment{sphinxVerbatimInput}
  {\colorlet{VerbatimBorderColor}{bbInputBorder}\colorlet{VerbatimColor}{bbInputBack}%
   \begin{adjustwidth}{4pt}{}}
  {\end{adjustwidth}}
\newenvironment{sphinxVerbatimOutput}
  {\colorlet{VerbatimBorderColor}{bbOutputBorder}\colorlet{VerbatimColor}{bbOutputBack}%
   \begin{adjustwidth}{18pt}{}}
  {\end{adjustwidth}}
"""


#: The PDF's fonts (Debian: fonts-freefont-otf, fonts-dejavu-core). FreeSerif for the text,
#: as Sphinx's XeLaTeX default; DejaVu Sans and DejaVu Sans Mono for headings and code, which
#: hold the glyphs the book's code and exercise lines use and FreeSans/FreeMono lack (the
#: difficulty stars, subscript letters such as ᵢ and ₖ in comments, ᵀ). Code's italic
#: (comments) is the upright face slanted: DejaVu Sans Mono Oblique lacks ℓ.
FONTS = r"""
\setmainfont{FreeSerif}[
  Extension = .otf, UprightFont = *, ItalicFont = *Italic,
  BoldFont = *Bold, BoldItalicFont = *BoldItalic]
\setsansfont{DejaVu Sans}[Scale = MatchLowercase]
\setmonofont{DejaVu Sans Mono}[
  Scale = MatchLowercase, ItalicFont = DejaVu Sans Mono, ItalicFeatures = {FakeSlant = 0.2},
  BoldItalicFont = DejaVu Sans Mono Bold, BoldItalicFeatures = {FakeSlant = 0.2}]
"""

#: unicode-math prints \setminus as U+29F5, which Latin Modern Math lacks; the backslash
#: operator looks the same. Set after unicode-math's own set-up at \begin{document}.
MATH_FIXES = r"""
\AddToHook{begindocument/end}{\renewcommand{\setminus}{\mathbin{\backslash}}}
"""


def latex_macros(macros: dict[str, Any]) -> str:
    """``\\newcommand`` lines for MathJax-style macro definitions.

    ``macros`` maps a name to its expansion, or to ``[expansion, n_arguments]`` as MathJax
    allows. A name LaTeX already defines is redefined (``\\providecommand`` then
    ``\\renewcommand``), so the PDF means what the web page means.
    """
    lines = []
    for name, definition in macros.items():
        if not name.isalpha():
            raise ExtensionError(f"MathJax macro {name!r}: a TeX macro name is letters only")
        if isinstance(definition, str):
            body, n_args = definition, 0
        elif (
            isinstance(definition, list | tuple)
            and len(definition) == 2
            and isinstance(definition[0], str)
            and isinstance(definition[1], int)
        ):
            body, n_args = definition
        else:
            raise ExtensionError(
                f"MathJax macro {name!r}: expected a string or [expansion, n_arguments], "
                f"got {definition!r}"
            )
        arity = f"[{n_args}]" if n_args else ""
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{arity}{{{body}}}")
    return "\n".join(lines)


def _configure_latex(app: Sphinx, config: Any) -> None:
    # sphinx-jupyterbook-latex switches to its own document class, which needs the bbm
    # package from TeX Live's 1 GB font collection; Sphinx's own book class ("manual")
    # needs nothing beyond texlive-latex-extra and keeps every jupyterbook-latex transform.
    config.latex_theme = "manual"
    # The per-domain indices (sphinx-proof's list of theorems) point at labels that
    # sphinx-proof never writes in LaTeX; the general index and the exercise index remain.
    config.latex_domain_indices = False
    macros = (config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    elements = dict(config.latex_elements or {})
    preamble = elements.get("preamble", "")
    elements["preamble"] = "\n".join(
        part for part in (preamble, CELL_ENVIRONMENTS, MATH_FIXES,
                          "% The book's math macros (from _config.yml)",
                          latex_macros(macros)) if part
    )
    # Long code lines (a library function shown by literalinclude) wrap, even inside a
    # string, instead of running off the page.
    elements["sphinxsetup"] = ", ".join(
        part for part in (elements.get("sphinxsetup", ""), "verbatimforcewraps") if part
    )
    elements["fontpkg"] = FONTS
    config.latex_elements = elements


def _labelled_blocks(doctree: nodes.document) -> list[nodes.Element]:
    """Exercises and sphinx-proof blocks (definitions, theorems, ...) that carry a label."""
    import sphinx_proof.nodes as proof_nodes
    from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node

    kinds = (
        exercise_node,
        exercise_enumerable_node,
        *(cls for cls in vars(proof_nodes).values()
          if isinstance(cls, type) and issubclass(cls, nodes.Admonition)),
    )
    return [n for n in doctree.findall(lambda n: isinstance(n, kinds)) if n.get("label")]


#: The PDF's text block (points), a column's padding (2 x \tabcolsep) and an average
#: character of the body font (points): how many characters a table row can hold.
_TEXT_WIDTH_PT, _COLUMN_PADDING_PT, _CHARACTER_PT = 470.0, 12.0, 5.6


def _fit_table_to_page(table: nodes.table) -> None:
    """Give a table without column widths some, in proportion to what its columns hold.

    Sphinx sets a long table without widths in ``l`` columns, which never wrap: a table of
    exercises with a column of topics runs hundreds of points into the margin. With widths,
    every column is a paragraph column that wraps within the text block. Each column gets
    at least its longest word (a word cannot wrap) and shares the rest of the line in
    proportion to its longest entry.
    """
    if "colwidths-given" in table["classes"]:
        return
    for tgroup in table.findall(nodes.tgroup):
        colspecs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
        longest = [1] * len(colspecs)
        word = [1] * len(colspecs)
        for row in tgroup.findall(nodes.row):
            for i, entry in enumerate(e for e in row.children if isinstance(e, nodes.entry)):
                if i < len(longest):
                    text = entry.astext()
                    longest[i] = max(longest[i], min(len(text), 60))
                    word[i] = max([word[i], *(len(w) for w in text.split())])
        floors = [w + 3 for w in word]
        capacity = (_TEXT_WIDTH_PT - _COLUMN_PADDING_PT * len(colspecs)) / _CHARACTER_PT
        spare = max(int(capacity) - sum(floors), 0)
        wants = [max(n - f, 0) for n, f in zip(longest, floors, strict=True)]
        total = sum(wants) or 1
        for colspec, floor, want in zip(colspecs, floors, wants, strict=True):
            colspec["colwidth"] = floor + round(spare * want / total)
    table["classes"].append("colwidths-given")


def _prepare_print(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Leave solutions out of the PDF and make every exercise and theorem a link target.

    sphinx-exercise and sphinx-proof write LaTeX labels that Sphinx's own references do
    not use (``exercise:<label>``; ``None:<label>``), so a ``{ref}`` to an exercise or a
    theorem would print as an undefined reference. A label in Sphinx's own form,
    ``<docname>:<label>``, is set just before each of them.
    """
    if app.builder.format != "latex":
        return
    from sphinx_exercise.nodes import solution_node

    for solution in list(doctree.findall(solution_node)):
        solution.parent.remove(solution)
    for table in doctree.findall(nodes.table):
        _fit_table_to_page(table)
    # The LaTeX builder hands over the whole book as one doctree (docname is the root's):
    # the document a label belongs to comes from the standard domain's label table.
    labels = app.env.domains["std"].labels
    for block in _labelled_blocks(doctree):
        if block["label"] not in labels:
            continue
        home, anchor, _title = labels[block["label"]]
        target = f"\\phantomsection\\label{{\\detokenize{{{home}:{anchor}}}}}"
        block.parent.insert(block.parent.index(block), nodes.raw("", target, format="latex"))


def _add_pdf_download(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    pathto = context.get("pathto")
    if pathto is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        group["buttons"].append(
            {
                "type": "link",
                "url": pathto(PDF_IN_SITE, 1),
                "text": "book (PDF)",
                "tooltip": "Download the whole book as a PDF",
                "icon": "fas fa-book",
                "label": "download-book-pdf-button",
            }
        )


class _CitationListMixin:
    """Write a bibliography as an ARIA list whose items are list items.

    docutils marks each entry ``role="doc-biblioentry"``, a role ARIA 1.2 deprecates; inside
    ``role="list"`` assistive technology then finds no list items, only stray links (axe:
    ``aria-required-children``). Each entry becomes ``role="listitem"``.
    """

    def visit_citation(self, node: nodes.citation) -> None:
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append('<div role="list" class="citation-list">\n')
        self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def _fix_html_translator(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    base = app.registry.translators.get(app.builder.name) or app.builder.default_translator_class
    translator = type(f"BayesbookA11y{base.__name__}", (_CitationListMixin, base), {})
    app.set_translator(app.builder.name, translator, override=True)


def _add_templates(app: Sphinx, config: Any) -> None:
    config.templates_path = [str(TEMPLATES), *config.templates_path]


def _add_static(app: Sphinx, config: Any) -> None:
    if str(STATIC) not in map(str, config.html_static_path):
        config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _add_templates)
    app.connect("config-inited", _add_static)
    app.add_css_file("a11y.css")
    # pydata-sphinx-theme sets its translator at builder-inited (priority 500): run after it.
    app.connect("builder-inited", _fix_html_translator, priority=900)
    app.connect("config-inited", _configure_latex, priority=900)  # after jupyterbook-latex
    app.connect("doctree-resolved", _prepare_print)
    # sphinx-book-theme adds the download buttons at priority 501; run after it.
    app.connect("html-page-context", _add_pdf_download, priority=901)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
