"""Every page of the built book is usable by every reader (Chromium + axe-core).

* axe-core (the engine behind Lighthouse's accessibility score, pinned in
  ``tools/a11y/package-lock.json``) finds no serious or critical WCAG 2.1 A/AA violation on
  any page, in the light and in the dark colour mode;
* no request of any kind answers 404 (a favicon included);
* figures stay readable in dark mode: each chapter's first figure sits on a light frame;
* the launch, download and solution controls can be reached with Tab and used with the
  keyboard alone.

Screenshots of the dark-mode figures are written to ``_build/a11y/`` for a person to look at.
"""

from __future__ import annotations

import json

import pytest
from conftest import REPO, toc_chapters, toc_files
from test_browser import PageWatch, browser, site  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.book, pytest.mark.slow]

AXE = REPO / "tools" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = [f"{name}.html" for name in toc_files()] + ["genindex.html", "search.html"]
CHAPTER_PAGES = [f"book/{path.stem}.html" for path in toc_chapters()]
SHOTS = REPO / "_build" / "a11y"


def open_page(browser, site, path, *, mode="light"):  # noqa: F811
    watch = PageWatch(browser, site)
    watch.page.add_init_script(
        f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
    )
    watch.page.goto(site + path, wait_until="networkidle")
    return watch


def serious_violations(page) -> list[dict]:
    assert AXE.exists(), "axe-core is missing: make a11y-deps (npm ci --prefix tools/a11y)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "count": len(v["nodes"]),
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations_and_no_404(browser, site, path, mode):  # noqa: F811
    watch = open_page(browser, site, path, mode=mode)
    try:
        if watch.page.locator(".math").count():
            watch.page.wait_for_function(
                "document.querySelectorAll('mjx-container').length > 0", timeout=30_000
            )
        violations = serious_violations(watch.page)
        assert violations == [], json.dumps(violations, indent=1)
        assert watch.problems == [], "\n".join(watch.problems)
    finally:
        watch.close()


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("path", CHAPTER_PAGES)
def test_figures_are_framed_and_readable_in_dark_mode(browser, site, path):  # noqa: F811
    from PIL import Image

    watch = open_page(browser, site, path, mode="dark")
    try:
        page = watch.page
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        figure = page.locator("figure img, div.cell_output img").first
        if figure.count() == 0:
            pytest.skip(f"{path} has no figure")
        figure.scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"{path.replace('/', '_')}.dark.png"
        # The figure with a margin of page around it: the frame must separate the two.
        box = figure.bounding_box()
        margin = 24
        page.screenshot(path=str(shot), clip={
            "x": max(box["x"] - margin, 0), "y": max(box["y"] - margin, 0),
            "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin,
        })
        background = page.evaluate(
            "(img) => getComputedStyle(img).backgroundColor", figure.element_handle()
        )
        with Image.open(shot) as image:
            rgb = image.convert("RGB")
            page_pixel = rgb.getpixel((2, 2))
            inside = rgb.getpixel((margin + 3, margin + 3))
        # Dark page around, a light frame under the figure: the axes' black text and lines
        # keep their contrast, as in light mode.
        assert _luminance(page_pixel) < 0.1, f"the page around the figure is not dark: {page_pixel}"
        assert _luminance(inside) > 0.8, (
            f"the figure's corner is dark in dark mode ({inside}, background {background}): "
            "black axes and labels would vanish"
        )
    finally:
        watch.close()


def _tab_until(page, predicate_js: str, limit: int = 200) -> bool:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate_js):
            return True
    return False


@pytest.mark.parametrize("path", ["book/04_metropolis.html"])
def test_launch_download_and_solution_controls_work_from_the_keyboard(
    browser, site, path  # noqa: F811
):
    watch = open_page(browser, site, path)
    try:
        page = watch.page
        for label in ("launch-buttons", "download-buttons"):
            # The dropdown's toggle is reachable by Tab; Enter opens it; its links follow.
            reached = _tab_until(
                page,
                f"!!document.activeElement.closest('.dropdown-{label}')"
                " && document.activeElement.matches('button')",
            )
            assert reached, f"Tab never reaches the {label} menu"
            page.keyboard.press("Enter")
            menu = page.locator(f".dropdown-{label} .dropdown-menu")
            assert menu.is_visible(), f"Enter does not open the {label} menu"
            page.keyboard.press("Tab")
            assert page.evaluate(
                f"!!document.activeElement.closest('.dropdown-{label} .dropdown-menu')"
                " && document.activeElement.matches('a, button')"
            ), f"Tab from the {label} toggle does not move into its menu"
            page.keyboard.press("Escape")
            page.evaluate("document.activeElement.blur()")
        # A solution's dropdown (sphinx-togglebutton's button) opens with the keyboard.
        reached = _tab_until(
            page, "!!document.activeElement.closest('.solution') "
            "&& document.activeElement.matches('button.toggle-button')", limit=1500,
        )
        assert reached, "Tab never reaches a solution's toggle"
        assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") == "false"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") == "true", (
            "Enter does not open the solution"
        )
        assert page.evaluate(
            "!document.activeElement.closest('.solution').classList.contains('toggle-hidden')"
        ), "the solution stays hidden after Enter"
    finally:
        watch.close()
