"""The notebook edition (``make book`` writes ``_build/edition``): plain Jupyter, no MyST.

The reading edition (``notebooks/``) is what the Binder, Colab and JupyterHub links open
and what the download button offers; the student edition (``student/``) is handed out. No
front end without extensions renders MyST, so neither may contain any: no roles, no
directives, no targets, no book macros. Every TeX command must be one MathJax knows.
The converter's pieces are tested on small inputs first (no build needed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import notebook_edition as ne
import pytest
from conftest import REPO, toc_chapters

BUILD = Path(os.environ.get("BAYESBOOK_BUILD_DIR", REPO / "_build"))  # another build to test
EDITION = BUILD / "edition"
#: What MyST leaves behind when a notebook front end shows it as text.
MYST_MARKERS = re.compile(
    r"\{glue|\{numref\}|\{doc\}|\{eq\}|\{cite|\{prf:|\{ref\}|```\{|:::|^:label:|^\([\w.-]+\)=\s*$",
    re.M,
)
MATHJAX = REPO / ".venv/lib/python3.11/site-packages/sphinx-mathjax-offline/static/mathjax"


def myst_markers(text: str) -> int:
    """How many raw MyST markers ``text`` holds."""
    return len(MYST_MARKERS.findall(text))


# ---------------------------------------------------------------- the converter's pieces

FAKE_XREFS = {
    "baseurl": "https://example.org/book/",
    "docs": {"book/09_x": {"title": "Ex", "number": "9"},
             "book/05_gibbs": {"title": "Gibbs sampling", "number": "5"}},
    "labels": {"x-fig": {"doc": "book/09_x", "anchor": "x-fig", "title": "cap",
                         "number": "9.2", "type": "figure"},
               "gibbs-chapter": {"doc": "book/05_gibbs", "anchor": "gibbs-chapter",
                                 "title": "Gibbs sampling", "number": "", "type": "section"}},
    "equations": {"x-eq": {"doc": "book/09_x", "anchor": "equation-x-eq", "number": "9.3"}},
    "proofs": {"x-def": {"doc": "book/09_x", "anchor": "x-def", "type": "definition",
                         "number": "9.1"}},
    "exercises": {"x-ex1": {"doc": "book/09_x", "anchor": "x-ex1", "number": "9.4"}},
    "citations": {"gelman1992": {"doc": "book/references", "anchor": "id7",
                                 "authors": "Gelman and Rubin", "year": "1992"}},
}
FAKE_MACROS = {"T": "^{\\top}", "E": "\\mathbb{E}", "ELBO": "\\operatorname{ELBO}",
               "given": "\\mid", "bx": "\\mathbf{x}"}


def converter(glue: dict[str, str] | None = None) -> ne.Converter:
    """A converter for a made-up chapter ``book/09_x`` and its neighbour ``book/05_gibbs``."""
    data = ne.BuildData(FAKE_XREFS, FAKE_MACROS, REPO / "_build")
    return ne.Converter(data, REPO / "book" / "09_x.md", glue or {})


def test_macros_expand_by_whole_name_only():
    c = converter()
    assert c.expand_macros(r"$\bx\T \Theta \E \ELBO \left(a \given b\right)$") == (
        r"$\mathbf{x}^{\top} \Theta \mathbb{E} \operatorname{ELBO} \left(a \mid b\right)$")


def test_roles_become_text_and_links():
    c = converter({"x_val": "0.123456", "x_n": "np.int64(7)"})
    text = c.inline("{glue:text}`x_val:.2f`, {numref}`x-fig`, {eq}`x-eq`, "
                    "{prf:ref}`x-def`, {ref}`x-ex1`, {cite:p}`gelman1992`, "
                    "{cite:t}`gelman1992`, {doc}`05_gibbs`, {ref}`gibbs-chapter`")
    assert text == (
        "0.12, Figure 9.2, (9.3), Definition 9.1, Exercise 9.4, "
        "([Gelman and Rubin 1992](https://example.org/book/book/references.html#id7)), "
        "[Gelman and Rubin (1992)](https://example.org/book/book/references.html#id7), "
        "[Chapter 5, Gibbs sampling](https://example.org/book/book/05_gibbs.html), "
        "[Chapter 5, Gibbs sampling](https://example.org/book/book/05_gibbs.html#gibbs-chapter)"
    )


def test_an_unknown_glue_name_or_label_is_an_error():
    with pytest.raises(ne.EditionError, match="glued name 'nope' is not in the build"):
        converter().inline("{glue:text}`nope:.2f`")
    with pytest.raises(ne.EditionError, match="is not in the build"):
        converter().inline("{numref}`no-such-figure`")


def test_directives_become_block_quotes_with_numbered_titles_and_one_line_math():
    c = converter()
    text = c.markdown("(x-def-target)=\n```{prf:definition} Balance\n:label: x-def\n\n"
                      "It holds:\n\n$$\na\n\\given b\n$$ (x-eq)\n```\n")
    assert text == ("> **Definition 9.1** (Balance)\n>\n> It holds:\n>\n"
                    "> $$ a \\mid b \\tag{9.3} $$")
    with pytest.raises(ne.EditionError, match="has no notebook form"):
        c.markdown("```{mystery}\nx\n```\n")


# ---------------------------------------------------------------- the generated edition

def _macro_names_mathjax_knows() -> str:
    return (MATHJAX / "tex-chtml-full.js").read_text()


def _editions() -> list[tuple[str, Path]]:
    return [(f"{kind}/{md.stem}", EDITION / kind / f"{md.stem}.ipynb")
            for kind in ("notebooks", "student") for md in toc_chapters()]


@pytest.mark.book
@pytest.mark.parametrize("name,path", _editions(), ids=[n for n, _ in _editions()])
def test_the_edition_is_plain_jupyter(name, path):
    if not (EDITION / "notebooks").is_dir():
        pytest.fail("the notebook edition is missing: run `make book` (make test does) first")
    assert path.is_file(), f"{name}: not written"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert len({c.id for c in nb.cells}) == len(nb.cells), "cell ids must be unique"
    assert "jupytext" not in nb.metadata
    markdown = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    raw = MYST_MARKERS.findall(markdown)
    assert not raw, f"{name}: MyST left in the markdown: {raw[:10]}"
    book_macros = set(ne.BuildData.load(BUILD).macros)
    used = set(re.findall(r"\\([A-Za-z]+)", markdown))
    assert not used & book_macros, f"{name}: book macros not expanded: {used & book_macros}"
    mathjax = _macro_names_mathjax_knows()
    unknown = sorted(m for m in used if not re.search(rf"(?:[\"'{{,]|\\\\){m}[\"']?:", mathjax))
    assert not unknown, f"{name}: TeX commands MathJax does not define: {unknown}"
    colab = next(c for c in nb.cells if c.cell_type == "code")
    assert 'if "google.colab" in sys.modules:' in colab.source, "the Colab install cell must stay"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "myst_nb" not in code, f"{name}: Colab has no MyST-NB; import glue from bayesbook"
    assert ne.EDITION_GLUE_IMPORT in code, f"{name}: the glue import is missing"


def test_the_edition_replaces_only_the_glue_import_line():
    source = "import numpy as np\nfrom myst_nb import glue\n# from myst_nb import glue, too"
    assert ne.edition_code(source) == (
        "import numpy as np\nfrom bayesbook.runtime import glue\n# from myst_nb import glue, too")


@pytest.mark.book
def test_the_edition_tree_holds_what_binder_needs():
    for name in ("binder/requirements.txt", "binder/postBuild", "pyproject.toml",
                 "src/bayesbook/__init__.py", "README.md", "jupytext.toml",
                 "tools/jupyterlab_settings.py", "tools/check_env.py"):
        assert (EDITION / name).is_file(), f"{name} is missing from the edition tree"
    html = BUILD / "html" / ne.SITE_NOTEBOOKS
    for md in toc_chapters():
        assert (html / f"{md.stem}.ipynb").read_bytes() == \
            (EDITION / "notebooks" / f"{md.stem}.ipynb").read_bytes()
