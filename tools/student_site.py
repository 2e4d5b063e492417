"""Build the student web book: the book's pages without solutions, into ``_build/student/html``.

    python tools/student_site.py [--notebooks DIR] [--out DIR]

``make student`` runs it after the book build and ``tools/student_edition.py``. It is a
second Sphinx build of the same sources with ``bayesbook_student: true`` added to the
configuration (see ``tools/sphinx/bookext.py``): every solution (the whole gated block
between ``solution-start`` and ``solution-end``) and every check cell's output is removed
before pages, the search index and images are written; there is no ``_sources``; the
download button offers the student notebook (``_notebooks/<chapter>.ipynb`` in the site,
copied from ``--notebooks``), and the launch buttons open ``student/<chapter>.ipynb`` on the
repository's student branch (``bayesbook_student_branch`` in ``_config.yml``).

Nothing is executed again: the chapters' outputs come from the book's execution cache
(``_build/.jupyter_cache``). A chapter missing from the cache is an error (run
``make book`` first), not a silent second execution. The Sphinx work folder is
``_build/.student_site``; only its HTML is copied to ``--out``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_book import REPO, build_environment

WORK = REPO / "_build" / ".student_site"
DEFAULT_NOTEBOOKS = REPO / "_build" / "student"
DEFAULT_OUT = DEFAULT_NOTEBOOKS / "html"
DOWNLOAD_DIR = "_notebooks"  # bookext.SITE_NOTEBOOKS
_EXECUTED = "Executed notebook in"  # MyST-NB's log line for a cache miss


def student_config(root: Path) -> dict:
    """The book's configuration with the student switch on."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("config", {})["bayesbook_student"] = True
    # Jupyter Book resolves local extensions against the configuration file's folder.
    sphinx["local_extensions"] = {name: str((root / path).resolve())
                                  for name, path in sphinx.get("local_extensions", {}).items()}
    return config


def build(root: Path, notebooks: Path, out: Path, work: Path = WORK) -> int:
    """Build the student site of the book at ``root`` into ``out``; 0 on success."""
    cache = root / "_build" / ".jupyter_cache"
    if not cache.exists():
        print(f"student_site: no execution cache at {cache}: run `make book` first",
              file=sys.stderr)
        return 1
    students = sorted(notebooks.glob("*.ipynb"))
    if not students:
        print(f"student_site: no student notebooks in {notebooks}: run "
              "tools/student_edition.py first", file=sys.stderr)
        return 1
    html = work / "_build" / "html"
    if html.exists():
        shutil.rmtree(html)
    (html / DOWNLOAD_DIR).mkdir(parents=True)
    for notebook in students:
        shutil.copy2(notebook, html / DOWNLOAD_DIR / notebook.name)
    config = work / "_config.yml"
    config.write_text(yaml.safe_dump(student_config(root), sort_keys=False, allow_unicode=True))
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")), "build", str(root),
        "--config", str(config), "--path-output", str(work),
        "--builder", "html", "-W", "-n", "--keep-going",
    ]
    start = time.perf_counter()
    done = subprocess.run(cmd, env=build_environment(root), cwd=root, check=False,
                          capture_output=True, text=True)
    print(done.stdout[-4000:], end="")
    print(done.stderr[-4000:], end="", file=sys.stderr)
    if done.returncode != 0:
        print(f"student_site: the Sphinx build failed (exit {done.returncode})", file=sys.stderr)
        return done.returncode
    executed = [line for line in done.stdout.splitlines() if _EXECUTED in line]
    if executed:
        print(f"student_site: {len(executed)} chapters were not in the book's execution cache "
              "and ran again: run `make book` before `make student`", file=sys.stderr)
        return 1
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(html, out)
    print(f"student_site: {out} in {time.perf_counter() - start:.1f} s "
          f"({len(students)} student notebooks offered for download)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=Path, default=DEFAULT_NOTEBOOKS,
                        help="the student notebooks (default: _build/student)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where the site goes (default: _build/student/html)")
    args = parser.parse_args(argv)
    return build(REPO, args.notebooks.resolve(), args.out.resolve())


if __name__ == "__main__":
    sys.exit(main())
