"""The book's own Sphinx extension (loaded through ``_config.yml`` ``local_extensions``).

Styles: ``static/bayesbook.css`` (glued numbers in running prose are set as plain text).

No Thebe: Jupyter Book always loads sphinx-thebe, which declares its configuration script
twice on every page (a JavaScript error in every browser console) and points at a CDN copy
of Thebe. The book offers Binder, Colab and JupyterHub instead, so sphinx-thebe's event
handlers and stylesheet are removed before anything is read.

Launch buttons: sphinx-book-theme builds Binder, Colab and JupyterHub links to a page's
*source*, ``book/<chapter>.md`` on the ``main`` branch. No Jupyter front end without
extensions renders MyST (Colab cannot open it at all), so every launch link is retargeted to
the chapter's *reading edition*, ``notebooks/<chapter>.ipynb`` on the branch ``notebooks``:
plain Jupyter markdown written by ``tools/notebook_edition.py`` after the build
(``_build/edition``) and published to that branch by the Pages workflow. The download
button's ``.ipynb`` is the same notebook, served from the site's ``_notebooks/`` folder.

Cross-reference data for the notebook edition: when an HTML build finishes, the numbers and
titles Sphinx gave every chapter, section, figure, equation, ``prf:`` directive and exercise,
and the author-year labels of every citation, are written as JSON to
``_build/bayesbook-xrefs.json`` (next to the HTML folder). ``tools/notebook_edition.py``
reads it to write "Figure 6.2", "(6.3)" and "Gelman and Rubin (1992)" into the notebooks, so
the notebooks use exactly the web book's numbering.

Student site (``bayesbook_student = True``, set only by ``tools/student_site.py``, which
``make student`` runs after the book): the same pages without any solution, for an
instructor to publish instead of the full book.

* The transform ``RemoveSolutions`` runs after sphinx-exercise has merged each
  ``solution-start`` ... ``solution-end`` block into one ``solution_node`` and deletes
  every solution node (with all the prose, code and outputs gated inside it), before the
  page, its search-index entry and its images are written. (sphinx-exercise's own
  ``hide_solutions`` does *not* do this: it drops only the ``solution-start`` marker and
  leaves the gated content in plain view.) The outputs of ``check``-tagged cells go too.
* No ``_sources`` (``html_copy_source = False``); the download button offers the page's
  student notebook (copied into ``_notebooks/``) instead of its source.
* Launch buttons open ``student/<chapter>.ipynb`` (the student edition, also plain Jupyter
  markdown) on the branch ``bayesbook_student_branch`` (default ``notebooks``, the branch the
  notebook editions are published to; an instructor may publish the student notebooks to a
  repository or branch of their own, see the teaching guide).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform

#: Where the chapters' sources live and where their paired notebooks live.
SOURCE_DIR = "book"
NOTEBOOK_DIR = "notebooks"
#: The branch the Pages workflow publishes the notebook edition to (``_build/edition``).
EDITION_BRANCH = "notebooks"
#: The site folder holding the page's notebook for the download buttons (the reading
#: edition in the full book, the student edition on the student site).
SITE_NOTEBOOKS = "_notebooks"
#: Where the student site's launch buttons find the student notebooks on the edition branch.
STUDENT_NOTEBOOK_DIR = "student"
_SOURCE_PATH = re.compile(rf"\b{SOURCE_DIR}/([A-Za-z0-9_\-]+)\.(?:md|ipynb)\b")


def notebook_path(
    url: str, branch: str = "main", *, folder: str = NOTEBOOK_DIR,
    edition_branch: str = EDITION_BRANCH,
) -> str:
    """Point a launch URL at ``<folder>/<name>.ipynb`` on the edition branch.

    ``book/<name>.md`` (or ``.ipynb``) becomes ``<folder>/<name>.ipynb``, and the source
    ``branch`` becomes ``edition_branch`` where the three launchers name it: Binder
    (``/<branch>?urlpath=``), Colab (``/blob/<branch>/``) and nbgitpuller (``branch=``).
    """
    url = _SOURCE_PATH.sub(rf"{folder}/\1.ipynb", url)
    b = re.escape(branch)
    url = re.sub(rf"/{b}\?", f"/{edition_branch}?", url)
    url = re.sub(rf"/blob/{b}/", f"/blob/{edition_branch}/", url)
    return re.sub(rf"([?&])branch={b}(&|$)", rf"\1branch={edition_branch}\2", url)


def _retarget_launch_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    branch = app.config.html_theme_options.get("repository_branch") or "main"
    name = pagename.rsplit("/", 1)[-1]
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            for button in group.get("buttons", []):
                if button.get("label") == "download-notebook-button":
                    button["url"] = f"{context['pathto'](SITE_NOTEBOOKS, 1)}/{name}.ipynb"
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            url = button.get("url")
            if not url:
                continue
            if app.config.bayesbook_student:
                new_url = notebook_path(url, branch, folder=STUDENT_NOTEBOOK_DIR,
                                        edition_branch=app.config.bayesbook_student_branch)
            else:
                new_url = notebook_path(url, branch)
            notebook = Path(app.srcdir, NOTEBOOK_DIR, f"{name}.ipynb")
            if not notebook.exists():
                raise ExtensionError(
                    f"{pagename}: launch buttons need the paired notebook {notebook} "
                    "(run `make sync`)"
                )
            button["url"] = new_url


def _solution_node_types() -> tuple[type, ...]:
    from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

    return solution_node, solution_start_node, solution_end_node


class RemoveSolutions(SphinxTransform):
    """On the student site: delete every solution and every check cell's output.

    Runs after sphinx-exercise's ``MergeGatedSolutions`` (priority 10), which gathers the
    content between ``solution-start`` and ``solution-end`` into one solution node.
    """

    default_priority = 15

    def apply(self, **kwargs: Any) -> None:
        if not self.config.bayesbook_student:
            return
        for node in list(self.document.findall(
                lambda n: isinstance(n, _solution_node_types()))):
            node.parent.remove(node)
        for cell in list(self.document.findall(nodes.container)):
            if cell.get("nb_element") != "cell_code" or "tag_check" not in cell["classes"]:
                continue
            for output in [c for c in cell.children if c.get("nb_element") == "cell_code_output"]:
                cell.remove(output)


def _student_config(app: Sphinx, config: Any) -> None:
    if not config.bayesbook_student:
        return
    config.html_copy_source = False
    config.html_theme_options["repository_branch"] = config.bayesbook_student_branch


def _student_download_button(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if not app.config.bayesbook_student:
        return
    name = pagename.rsplit("/", 1)[-1]
    has_notebook = Path(app.outdir, SITE_NOTEBOOKS, f"{name}.ipynb").exists()
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [b for b in group["buttons"]
                   if "_sources" not in str(b.get("url", ""))
                   and b.get("label") != "download-notebook-button"]
        if has_notebook:
            buttons.insert(0, {
                "type": "link", "text": ".ipynb", "icon": "fas fa-code",
                "url": context["pathto"](f"{SITE_NOTEBOOKS}/{name}.ipynb", 1),
                "tooltip": "Download the student notebook",
                "label": "download-notebook-button",
            })
        group["buttons"] = buttons


STATIC = Path(__file__).resolve().parent / "static"


def _add_static_path(app: Sphinx, config: Any) -> None:
    config.html_static_path.append(str(STATIC))


def _remove_thebe(app: Sphinx, config: Any) -> None:
    for event, listeners in app.events.listeners.items():
        app.events.listeners[event] = [
            listener for listener in listeners
            if getattr(listener.handler, "__module__", "") != "sphinx_thebe"
        ]
    app.registry.css_files = [
        (filename, attributes) for filename, attributes in app.registry.css_files
        if "thebe" not in str(filename)
    ]


#: The cross-reference data file, written next to the HTML output folder.
XREF_FILE = "bayesbook-xrefs.json"


def _number(numbers: tuple[int, ...] | None) -> str:
    return ".".join(map(str, numbers or ()))


def _strip_braces(text: str) -> str:
    return text.replace("{", "").replace("}", "")


def _authors(entry: Any) -> str:
    """The author part of an author-year label, as sphinxcontrib-bibtex sets it."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_strip_braces(" ".join(person.prelast_names + person.last_names))
             for person in people]
    if len(names) >= 3:
        return f"{names[0]} et al."
    return " and ".join(names)


def cross_references(env: Any) -> dict[str, Any]:
    """Every number, title and citation label of the built book, as plain data."""
    fignumbers = env.toc_fignumbers
    docs = {
        docname: {
            "title": env.titles[docname].astext(),
            "number": _number(env.toc_secnumbers.get(docname, {}).get("")),
        }
        for docname in env.found_docs if docname in env.titles
    }
    labels = {}
    for label, (docname, anchor, title) in env.domaindata["std"]["labels"].items():
        number, kind = "", "section"
        for figtype, numbers in fignumbers.get(docname, {}).items():
            if anchor in numbers:
                number, kind = _number(numbers[anchor]), figtype
                break
        labels[label] = {"doc": docname, "anchor": anchor, "title": str(title),
                         "number": number, "type": kind}
    equations = {}
    for label, (docname, _) in env.domaindata["math"]["objects"].items():
        anchor = f"equation-{label}"
        equations[label] = {"doc": docname, "anchor": anchor, "number": _number(
            fignumbers.get(docname, {}).get("displaymath", {}).get(anchor))}
    proofs = {
        label: {"doc": item["docname"], "anchor": label, "type": item["realtype"],
                "number": "" if item["nonumber"] else _number(
                    fignumbers.get(item["docname"], {}).get(item["countertype"], {}).get(label))}
        for label, item in getattr(env, "proof_list", {}).items()
    }
    exercises = {
        label: {"doc": item["docname"], "anchor": label, "number": _number(
            fignumbers.get(item["docname"], {}).get("exercise", {}).get(label))}
        for label, item in getattr(env, "sphinx_exercise_registry", {}).items()
    }
    citations = {
        citation.key: {
            "doc": citation.bibliography_key.docname, "anchor": citation.citation_id,
            "authors": _authors(citation.entry),
            "year": citation.entry.fields.get("year", ""),
        }
        for citation in env.domaindata.get("cite", {}).get("citations", [])
    }
    return {"baseurl": env.config.html_baseurl, "docs": docs, "labels": labels,
            "equations": equations, "proofs": proofs, "exercises": exercises,
            "citations": citations}


def _write_cross_references(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    path = Path(app.outdir).parent / XREF_FILE
    path.write_text(json.dumps(cross_references(app.env), indent=1, sort_keys=True) + "\n")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _remove_thebe)
    app.connect("config-inited", _add_static_path)
    app.add_config_value("bayesbook_student", False, "env", [bool])
    app.add_config_value("bayesbook_student_branch", "notebooks", "html", [str])
    app.connect("config-inited", _student_config)
    app.add_transform(RemoveSolutions)
    app.add_css_file("bayesbook.css")
    # sphinx-book-theme adds the launch buttons at priority 501; run after it.
    app.connect("html-page-context", _retarget_launch_buttons, priority=900)
    app.connect("html-page-context", _student_download_button, priority=901)
    app.connect("build-finished", _write_cross_references)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
