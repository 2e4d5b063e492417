"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

from sync_notebooks import toc_chapters, toc_files  # noqa: E402  (re-exported for the tests)

__all__ = ["REPO", "launch_links", "toc_chapters", "toc_files"]


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
