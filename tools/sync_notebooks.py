"""Regenerate ``notebooks/<chapter>.ipynb`` from ``book/<chapter>.md`` (``make sync``).

The MyST-markdown chapters are the source of truth. Their ``.ipynb`` twins are generated,
never edited: no outputs, no execution counts, deterministic cell ids, so a regenerated
notebook is byte-identical unless its chapter changed (tests/test_notebooks.py checks
exactly that). Conversion always runs book -> notebooks, explicitly; ``jupytext --sync``
would pick the direction by file age.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml
from nbformat.v4.rwbase import split_lines, strip_transient

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
NOTEBOOKS = REPO / "notebooks"


def is_chapter(md: Path) -> bool:
    """A chapter is a MyST notebook: a ``book/*.md`` file whose front matter has a kernelspec."""
    return "kernelspec" in jupytext.read(md, fmt="md:myst").metadata


def chapters() -> list[Path]:
    """Every chapter in ``book/``, listed in the table of contents or not."""
    return sorted(md for md in BOOK.glob("*.md") if is_chapter(md))


def toc_files(root: Path = REPO) -> list[str]:
    """Every ``file:`` entry of ``root/_toc.yml``, root first, in book order (no suffix)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def toc_chapters(root: Path = REPO) -> list[Path]:
    """The chapters listed in ``root/_toc.yml``, in book order."""
    paths = [root / f"{name}.md" for name in toc_files(root)]
    return [p for p in paths if p.exists() and is_chapter(p)]


def notebook_for(md: Path) -> Path:
    return NOTEBOOKS / f"{md.stem}.ipynb"


def render(md: Path) -> str:
    """The exact text of the paired notebook for chapter ``md``."""
    nb = jupytext.read(md, fmt="md:myst")
    # Pairing comes from jupytext.toml, not from notebook metadata, and the lexer keeps
    # ``{code-cell} ipython3``: jupytext then sees a notebook and its chapter as identical
    # inputs, so JupyterLab opens either one whatever the files' timestamps (a fresh clone
    # can leave the .ipynb newer than the .md, which jupytext otherwise refuses).
    nb.metadata = {
        "kernelspec": nb.metadata["kernelspec"],
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        digest = hashlib.sha1(f"{index}\0{cell.source}".encode()).hexdigest()[:12]
        cell.id = digest if digest not in seen else f"{digest}-{index}"
        seen.add(cell.id)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    # nbformat.writes sorts every key; jupytext compares the pair as MyST text, so cell
    # metadata written in the chapter's order (a check cell's tags, streams, mutations)
    # would read back reordered and the pair would differ. Keep the chapter's order.
    nb = split_lines(strip_transient(copy.deepcopy(nb)))
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    NOTEBOOKS.mkdir(exist_ok=True)
    wanted = {notebook_for(md): md for md in chapters()}
    for stale in sorted(set(NOTEBOOKS.glob("*.ipynb")) - set(wanted)):
        stale.unlink()
        print(f"sync: removed {stale.relative_to(REPO)} (no chapter)")
    for nb_path, md in wanted.items():
        text = render(md)
        if not nb_path.exists() or nb_path.read_text() != text:
            nb_path.write_text(text)
            print(f"sync: {md.relative_to(REPO)} -> {nb_path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
