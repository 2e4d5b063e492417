"""The chapters and their paired notebooks: in sync, output-free, and in the house shape."""

from __future__ import annotations

import json
import re

import jupytext
import pytest
import sync_notebooks
import yaml
from conftest import REPO, toc_chapters, toc_files

CHAPTERS = sync_notebooks.chapters()
TOC_CHAPTERS = toc_chapters()


def chapter_id(path):
    return path.stem


def test_toc_files_walks_parts_chapters_and_sections_in_book_order(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: a/intro\nparts:\n"
        "  - caption: One\n    chapters:\n      - file: a/ch1\n"
        "        sections:\n          - file: a/ch1_s1\n      - file: a/ch2\n"
        "  - caption: Two\n    chapters:\n      - file: a/ch3\n"
    )
    assert sync_notebooks.toc_files(tmp_path) == ["a/intro", "a/ch1", "a/ch1_s1", "a/ch2", "a/ch3"]
    book = tmp_path / "a"
    book.mkdir()
    (book / "ch1.md").write_text(
        "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n# One\n"
    )
    (book / "ch2.md").write_text("# Two, plain markdown\n")
    assert sync_notebooks.toc_chapters(tmp_path) == [book / "ch1.md"]


def test_every_toc_entry_exists():
    missing = [name for name in toc_files() if not (REPO / f"{name}.md").exists()]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_every_chapter_file_is_in_the_toc():
    listed = {REPO / f"{name}.md" for name in toc_files()}
    orphans = [p.name for p in CHAPTERS if p not in listed]
    assert not orphans, f"chapters missing from _toc.yml (they would never be built): {orphans}"


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_paired_notebook_matches_its_chapter(md):
    nb_path = sync_notebooks.notebook_for(md)
    assert nb_path.exists(), f"{nb_path.name} is missing: run `make sync`"
    assert nb_path.read_text() == sync_notebooks.render(md), (
        f"{nb_path.relative_to(REPO)} is out of date with {md.relative_to(REPO)}: run `make sync`"
    )


@pytest.mark.parametrize("nb_path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=chapter_id)
def test_committed_notebooks_have_no_outputs_and_a_chapter(nb_path):
    assert (REPO / "book" / f"{nb_path.stem}.md").exists(), f"{nb_path.name} has no chapter"
    nb = json.loads(nb_path.read_text())
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{nb_path.name} cell {index} has outputs"
            assert cell["execution_count"] is None, f"{nb_path.name} cell {index} was executed"


def test_render_is_deterministic_and_strips_outputs(tmp_path):
    md = REPO / "tools" / "templates" / "chapter.md"
    first, second = sync_notebooks.render(md), sync_notebooks.render(md)
    assert first == second
    nb = json.loads(first)
    assert all(c.get("outputs", []) == [] for c in nb["cells"])
    # Round trip: the notebook converts back to the same cells as the chapter.
    back = jupytext.reads(first, fmt="ipynb")
    source = jupytext.read(md, fmt="md:myst")
    assert [c.source for c in back.cells] == [c.source for c in source.cells]


@pytest.mark.parametrize("md", [*CHAPTERS, REPO / "tools" / "templates" / "chapter.md"],
                         ids=chapter_id)
def test_jupytext_sees_the_pair_as_identical_inputs(md):
    """JupyterLab (jupytext) opens a pair whatever the timestamps only if their inputs match.

    This is jupytext's own check when the .ipynb is newer than the .md, as in a fresh clone
    on Binder: both files are written back as MyST and compared.
    """
    from jupytext.compare import compare

    from_md = jupytext.writes(jupytext.read(md, fmt="md:myst"), "md:myst")
    from_nb = jupytext.writes(jupytext.reads(sync_notebooks.render(md), fmt="ipynb"), "md:myst")
    assert not compare(from_nb, from_md, "notebook", "chapter", return_diff=True)


def test_jupytext_pairs_the_two_folders():
    config = (REPO / "jupytext.toml").read_text()
    assert 'formats = "book///md:myst,notebooks///ipynb"' in config


# ---------------------------------------------------------------- the house shape

def _repository_url() -> str:
    return yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["url"]


def _cells(md):
    return jupytext.read(md, fmt="md:myst").cells


def _tags(cell):
    return cell.metadata.get("tags", [])


def _everything():
    return [*TOC_CHAPTERS, REPO / "tools" / "templates" / "chapter.md"]


@pytest.mark.parametrize("md", _everything(), ids=chapter_id)
def test_first_code_cell_installs_bayesbook_only_in_colab(md):
    code = [c for c in _cells(md) if c.cell_type == "code"]
    first = code[0]
    assert "remove-cell" in _tags(first), "the Colab cell must be hidden from the HTML book"
    assert 'if "google.colab" in sys.modules:' in first.source
    assert f'"bayesbook @ git+{_repository_url()}"' in first.source, (
        "the Colab cell must install bayesbook from the repository in _config.yml"
    )


@pytest.mark.parametrize("md", _everything(), ids=chapter_id)
def test_chapter_has_the_template_sections_in_order(md):
    text = md.read_text()
    assert re.search(r"^# \S", text, re.M), "a chapter starts with a '# Title'"
    assert ":::{admonition} In this chapter" in text, "learning objectives admonition missing"
    assert "**Prerequisites:**" in text
    headings = re.findall(r"^## (.+)$", text, re.M)
    tail = [h for h in headings if h in ("Summary", "Further reading", "Exercises", "Environment")]
    assert tail == ["Summary", "Further reading", "Exercises", "Environment"], headings
    assert headings[-1] == "Environment"


@pytest.mark.parametrize("md", _everything(), ids=chapter_id)
def test_one_imports_cell_sets_the_theme_and_one_seeded_rng(md):
    code = [c.source for c in _cells(md) if c.cell_type == "code"]
    theme = [i for i, src in enumerate(code) if re.search(r"^set_theme\(\)", src, re.M)]
    assert len(theme) == 1, "set_theme() is called once, in the imports cell"
    assert re.search(r"^rng = np\.random\.default_rng\(\d+\)", code[theme[0]], re.M), (
        "the imports cell creates the chapter's one seeded rng"
    )
    assert "%watermark" in code[-1], "the last cell reports the environment (watermark)"


@pytest.mark.parametrize("md", _everything(), ids=chapter_id)
def test_no_hidden_warnings_or_global_seeds(md):
    text = md.read_text()
    for forbidden in ("filterwarnings", "simplefilter", "np.random.seed", "catch_warnings",
                      "logging.disable"):
        assert forbidden not in text, f"{md.name} uses {forbidden}: fix the cause instead"
