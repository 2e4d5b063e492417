"""The book's own Sphinx extension (loaded through ``_config.yml`` ``local_extensions``).

Styles: ``static/bayesbook.css`` (glued numbers in running prose are set as plain text).

No Thebe: Jupyter Book always loads sphinx-thebe, which declares its configuration script
twice on every page (a JavaScript error in every browser console) and points at a CDN copy
of Thebe. The book offers Binder, Colab and JupyterHub instead, so sphinx-thebe's event
handlers and stylesheet are removed before anything is read.

Launch buttons: sphinx-book-theme builds Binder, Colab and JupyterHub links to a page's
*source*, ``book/<chapter>.md``. Colab cannot open MyST markdown, and a class should get the
same notebook everywhere, so every launch link is retargeted to the paired, output-free
notebook ``notebooks/<chapter>.ipynb`` (kept in sync by ``make sync``).

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
* Launch buttons open ``student/<chapter>.ipynb`` on the branch ``bayesbook_student_branch``
  (default ``notebooks``, the branch the notebook editions are published to; an instructor
  may publish the student notebooks to a repository or branch of their own, see the
  teaching guide).
"""

from __future__ import annotations

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
#: Where the student site's launch buttons and download buttons find the student notebooks.
STUDENT_NOTEBOOK_DIR = "student"
STUDENT_DOWNLOAD_DIR = "_notebooks"
_SOURCE_PATH = re.compile(rf"\b{SOURCE_DIR}/([A-Za-z0-9_\-]+)\.(?:md|ipynb)\b")


def notebook_path(url: str, folder: str = NOTEBOOK_DIR) -> str:
    """Rewrite ``book/<name>.md`` (or ``.ipynb``) in a launch URL to ``<folder>/<name>.ipynb``."""
    return _SOURCE_PATH.sub(rf"{folder}/\1.ipynb", url)


def _retarget_launch_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            url = button.get("url")
            if not url:
                continue
            student = app.config.bayesbook_student
            new_url = notebook_path(url, STUDENT_NOTEBOOK_DIR if student else NOTEBOOK_DIR)
            name = pagename.rsplit("/", 1)[-1]
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
    has_notebook = Path(app.outdir, STUDENT_DOWNLOAD_DIR, f"{name}.ipynb").exists()
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [b for b in group["buttons"] if "_sources" not in str(b.get("url", ""))]
        if has_notebook:
            buttons.insert(0, {
                "type": "link", "text": ".ipynb", "icon": "fas fa-code",
                "url": context["pathto"](f"{STUDENT_DOWNLOAD_DIR}/{name}.ipynb", 1),
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
    app.connect("html-page-context", _student_download_button, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
