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
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

#: Where the chapters' sources live and where their paired notebooks live.
SOURCE_DIR = "book"
NOTEBOOK_DIR = "notebooks"
_SOURCE_PATH = re.compile(rf"\b{SOURCE_DIR}/([A-Za-z0-9_\-]+)\.(?:md|ipynb)\b")


def notebook_path(url: str) -> str:
    """Rewrite ``book/<name>.md`` (or ``.ipynb``) in a launch URL to ``notebooks/<name>.ipynb``."""
    return _SOURCE_PATH.sub(rf"{NOTEBOOK_DIR}/\1.ipynb", url)


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
            new_url = notebook_path(url)
            name = pagename.rsplit("/", 1)[-1]
            notebook = Path(app.srcdir, NOTEBOOK_DIR, f"{name}.ipynb")
            if not notebook.exists():
                raise ExtensionError(
                    f"{pagename}: launch buttons need the paired notebook {notebook} "
                    "(run `make sync`)"
                )
            button["url"] = new_url


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
    app.add_css_file("bayesbook.css")
    # sphinx-book-theme adds the launch buttons at priority 501; run after it.
    app.connect("html-page-context", _retarget_launch_buttons, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
