"""The build's gates, proven on small fixture books built with the real configuration.

Each fixture is a book in a temporary folder with the repository's own ``_config.yml``,
Sphinx extension and ``tools/build_book.py``; only the chapter differs. A gate is proven
when a clean chapter builds and the same chapter with one defect does not.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sync_notebooks
from conftest import REPO, launch_links

pytestmark = pytest.mark.slow

FRONT_MATTER = (REPO / "tools" / "templates" / "chapter.md").read_text().split("---", 2)[1]
TEMPLATE = REPO / "tools" / "templates" / "chapter.md"


def small_chapter(*cells: str, prose: str = "") -> str:
    """A minimal chapter: front matter, a title, optional prose, the given code cells."""
    fence = "```"
    body = "".join(
        f"{fence}{{code-cell}} ipython3\n{textwrap.dedent(c).strip()}\n{fence}\n\n" for c in cells
    )
    return f"---{FRONT_MATTER}---\n\n# Gate\n\n{prose}\n\n{body}"


def build(tmp_path, chapter_text: str, *, extra_files: dict[str, str] | None = None,
          library: str = "book/fakelib.py") -> tuple[int, str, object]:
    """Build a one-chapter fixture book; return (exit code, log, root)."""
    root = tmp_path / "fixture"
    (root / "book").mkdir(parents=True, exist_ok=True)
    (root / "notebooks").mkdir(exist_ok=True)
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    shutil.copy(REPO / "book" / "references.bib", root / "book" / "references.bib")
    shutil.copy(REPO / "book" / "references.md", root / "book" / "references.md")
    if not (root / "tools").exists():
        (root / "tools").symlink_to(REPO / "tools")
    # The template links the preface's notation section, as every chapter does.
    (root / "book" / "intro.md").write_text(
        "# Fixture book\n\nA book that tests the gates.\n\n"
        "(preface-notation)=\n## Notation\n\nAs in the book.\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n"
        "  - file: book/gate\n  - file: book/references\n"
    )
    for name, text in (extra_files or {}).items():
        (root / name).write_text(text)
    chapter = root / "book" / "gate.md"
    chapter.write_text(chapter_text)
    (root / "notebooks" / "gate.ipynb").write_text(sync_notebooks.render(chapter))
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_book.py"), "--root", str(root),
         "--library", str(root / library)],
        capture_output=True, text=True, check=False,
    )
    return result.returncode, result.stdout + result.stderr, root


def test_the_template_chapter_builds_cleanly(tmp_path):
    code, log, root = build(tmp_path, TEMPLATE.read_text(), extra_files={"book/fakelib.py": ""})
    assert code == 0, log
    html = (root / "_build" / "html" / "book" / "gate.html").read_text()
    assert "✓ template-ex1: correct." in html, "the solution's check cell did not run"
    glued = html.split("The sample mean is")[1][:200]
    assert re.search(r"\d\.\d{3}", glued) and "template_mean" not in glued
    assert 'src="../_static/mathjax/tex-chtml.js' in html or "mathjax/tex-chtml.js" in html
    assert (root / "_build" / "html" / "_static" / "mathjax" / "tex-chtml.js").exists()
    links = launch_links(html)
    assert len(links) == 3, links  # Binder, JupyterHub, Colab
    assert all("notebooks/gate.ipynb" in link and "book/gate" not in link for link in links)


@pytest.mark.parametrize(
    ("defect", "cell"),
    [
        ("a failing cell", "raise RuntimeError('this cell fails')"),
        ("stderr output", "import sys\nprint('something went wrong', file=sys.stderr)"),
        ("a Python warning", "import warnings\nwarnings.warn('a deprecated call', FutureWarning)"),
    ],
)
def test_execution_gates_fail_the_build(tmp_path, defect, cell):
    clean_code, clean_log, _ = build(tmp_path / "clean", small_chapter("x = 1\nprint(x)"))
    assert clean_code == 0, clean_log
    code, log, _ = build(tmp_path / "broken", small_chapter("x = 1", cell))
    assert code != 0, f"a chapter with {defect} built successfully:\n{log}"


def test_a_sphinx_warning_fails_the_build(tmp_path):
    code, log, _ = build(tmp_path, small_chapter("x = 1", prose="See {ref}`no-such-label`."))
    assert code != 0, log
    assert "no-such-label" in log


def test_a_library_change_reexecutes_the_chapter(tmp_path):
    chapter = small_chapter("import fakelib\nprint(f'fakelib says {fakelib.VALUE}')")
    code, log, root = build(tmp_path, chapter, extra_files={"book/fakelib.py": "VALUE = 1\n"})
    assert code == 0, log
    page = root / "_build" / "html" / "book" / "gate.html"
    assert "fakelib says 1" in page.read_text()

    # No change: the cache is kept.
    code, log, _ = build(tmp_path, chapter)
    assert code == 0, log
    assert "execution cache dropped" not in log

    # Control: a bare jupyter-book build does not notice the library change and serves the
    # stale output, which is exactly the failure the guard exists to prevent.
    (root / "book" / "fakelib.py").write_text("VALUE = 2\n")
    bare = subprocess.run(
        [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root)],
        capture_output=True, text=True, check=False,
    )
    assert bare.returncode == 0, bare.stdout + bare.stderr
    assert "fakelib says 1" in page.read_text(), "jupyter-cache re-executed on its own?"

    # Through the build tool, the library change drops the cache and re-executes.
    code, log, _ = build(tmp_path, chapter)
    assert code == 0, log
    assert "execution cache dropped" in log
    assert "fakelib says 2" in page.read_text()
