"""Facts one chapter states about another, checked so an edit to one cannot falsify the other."""

from __future__ import annotations

import re

from conftest import REPO


def _code(chapter: str) -> str:
    text = (REPO / "book" / f"{chapter}.md").read_text()
    return "\n".join(re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, re.S))


def test_chapter_7_fits_chapter_6s_own_data():
    # Chapters 6 and 7 both say chapter 7 regenerates chapter 6's 100 points: chapter 6's
    # generator must be seeded as chapter 7 seeds it, and its first draw must be those points.
    six, seven = _code("06_mixtures"), _code("07_variational_inference")
    seed = re.search(r"^rng = np\.random\.default_rng\((\d+)\)", six, re.M).group(1)
    first_use = re.search(r"^.*\brng=rng\b.*$", six, re.M).group(0)
    assert first_use.startswith("x, z_true = sample_gmm(100, "), first_use
    assert re.search(
        rf"x_two, _ = sample_gmm\(100, \[0\.5, 0\.5\], \[-1\.0, 1\.0\], \[1\.0, 1\.0\],\s*"
        rf"rng=np\.random\.default_rng\({seed}\)\)", seven,
    ), "chapter 7 no longer regenerates chapter 6's data with chapter 6's seed"
    assert "true_weights = np.array([0.5, 0.5])" in six
    assert "true_means = np.array([-1.0, 1.0])" in six
    assert "true_sds = np.array([1.0, 1.0])" in six
