"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))


def toc_files() -> list[str]:
    """Every file listed in ``_toc.yml``, root first, as paths without suffix."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                if key in entry:
                    walk(entry[key])

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def toc_chapters() -> list[Path]:
    """The MyST-notebook chapters in ``_toc.yml`` (pages with a kernelspec)."""
    import sync_notebooks

    paths = [REPO / f"{name}.md" for name in toc_files()]
    return [p for p in paths if p.exists() and sync_notebooks.is_chapter(p)]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def built_html() -> Path:
    """The built book; tests marked ``book`` need ``make book`` to have run first."""
    html = REPO / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail("the built book is missing: run `make book` (make test does) first")
    return html


def launch_links(html: str) -> list[str]:
    """The Binder, Colab and JupyterHub launch URLs on a built page."""
    import html as html_lib
    import re

    config = yaml.safe_load((REPO / "_config.yml").read_text())["launch_buttons"]
    hosts = [config[k] for k in ("binderhub_url", "colab_url", "jupyterhub_url")]
    links = [html_lib.unescape(h) for h in re.findall(r'href="([^"]+)"', html)]
    return [link for link in links if any(link.startswith(host) for host in hosts)]
