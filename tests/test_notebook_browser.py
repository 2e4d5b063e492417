"""The notebook edition in JupyterLab, in a real browser (Debian's Chromium via Playwright).

The book's own JupyterLab serves the generated edition tree (``_build/edition``, what the
``notebooks`` branch holds and Binder checks out) on loopback, token-free, with notebook
windowing off so that every cell renders. Each chapter is opened by the path its Binder
launch link names; the rendered markdown must hold no raw MyST and no MathJax error, and
opening must not mark the notebook modified. The two cheapest chapters are also run top
to bottom. The student edition gets the same checks; run, its only errors are the checks'
"not answered yet".
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import launch_links, toc_chapters
from test_browser import CHROMIUM, CHROMIUM_ARGS
from test_notebook_edition import BUILD, EDITION

pytestmark = [pytest.mark.book, pytest.mark.slow]

RUN_ALL = ("01_bayes", "03_markov_chains")  # the two cheapest chapters
SCREENSHOT = BUILD / "edition-screenshot.png"

#: Counted in the rendered markdown (math taken out): MyST a reader would see as text.
MARKERS_JS = r"""
() => {
  const pattern = /\{glue|\{numref\}|\{doc\}|\{eq\}|\{cite|\{prf:|\{ref\}|```\{|:label:/g;
  let markers = [], dollars = 0;
  for (const cell of document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')) {
    const copy = cell.cloneNode(true);
    copy.querySelectorAll('mjx-container').forEach(e => e.remove());
    // An untranslated directive renders as a code block: count markers in code too.
    markers.push(...(copy.textContent.match(pattern) || []));
    copy.querySelectorAll('code, pre').forEach(e => e.remove());
    dollars += (copy.textContent.match(/\$/g) || []).length;
  }
  const red = [...document.querySelectorAll('mjx-container [style*="color"]')]
    .filter(e => /red|rgb\(255, 0, 0\)/.test(e.getAttribute('style'))).length;
  return {markers, dollars, merror: document.querySelectorAll('mjx-merror').length, red,
          math: document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
          cells: document.querySelectorAll('.jp-Notebook .jp-Cell').length};
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not (EDITION / "notebooks").is_dir():
        pytest.fail("the notebook edition is missing: run `make book` (make test does) first")
    home = tmp_path_factory.mktemp("lab")
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = _free_port()
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_CONFIG_DIR": str(home / "config"),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    command = [
        str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={EDITION}", "--IdentityProvider.token=", "--ServerApp.password=",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--allow-root",  # containers and CI images often run as root
    ]
    log_path = home / "lab.log"
    log = log_path.open("wb")
    server = subprocess.Popen(command, env=env, cwd=EDITION, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "api/status", timeout=5).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                server.wait()
                log.close()
                raise RuntimeError("JupyterLab did not start: "
                                   + log_path.read_text()[-2000:]) from None
            time.sleep(0.5)
    yield url
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def binder_path(chapter: Path) -> str:
    """The notebook path the chapter page's Binder link opens (``urlpath=lab/tree/<path>``)."""
    page = (BUILD / "html" / "book" / f"{chapter.stem}.html").read_text()
    binder = next(link for link in launch_links(page) if "mybinder" in link)
    urlpath = parse_qs(urlparse(binder).query)["urlpath"][0]
    assert urlpath.startswith("lab/tree/"), binder
    return urlpath.removeprefix("lab/tree/")


def open_notebook(browser, lab: str, path: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    host = urlparse(lab).netloc
    off_host: list[str] = []

    def on_route(route):
        if urlparse(route.request.url).netloc != host:
            off_host.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", on_route)
    # ?reset: a fresh workspace, so no notebook opened by an earlier test is restored.
    page.goto(f"{lab}lab/tree/{path}?reset", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    # Rendering and typesetting are asynchronous: wait for the first typeset formula (every
    # chapter has math), then until the counts stop changing.
    page.wait_for_selector(".jp-RenderedMarkdown mjx-container", timeout=120_000,
                           state="attached")
    last, stable = None, 0
    deadline = time.monotonic() + 120
    while stable < 4 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        now = page.evaluate(MARKERS_JS)
        now = (now["cells"], now["math"], now["dollars"])
        stable = stable + 1 if now == last else 0
        last = now
    return context, page, off_host


def dirty(page) -> bool:
    return page.locator(".lm-TabBar-tab.jp-mod-dirty").count() > 0 or \
        page.locator(".jp-NotebookPanel .jp-mod-dirty").count() > 0


def run_all(page) -> list[str]:
    """Run every cell from the Run menu; the text of every error output."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    # Done when no cell is queued or running ([*]) and every cell ran or one raised (a
    # collapsed solution cell shows no prompt).
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".map(e => e.textContent); return p.length > 0 && !p.some(t => t.includes('*'))"
        " && (p.every(t => t === '' || /\\[\\d+\\]/.test(t))"
        " || document.querySelector('.jp-OutputArea-output[data-mime-type="
        "\"application/vnd.jupyter.stderr\"]') !== null); }",
        timeout=600_000, polling=2000)
    return page.evaluate(
        "[...document.querySelectorAll('.jp-OutputArea-output')]"
        ".filter(e => e.dataset.mimeType === 'application/vnd.jupyter.stderr'"
        " || /No renderer could be found/.test(e.textContent)).map(e => e.textContent)")


CASES = [(kind, md) for kind in ("notebooks", "student") for md in toc_chapters()]


@pytest.mark.parametrize("kind,chapter", CASES, ids=[f"{k}/{m.stem}" for k, m in CASES])
def test_the_notebook_reads_cleanly_in_jupyterlab(browser, lab, kind, chapter):
    path = binder_path(chapter)
    if kind == "student":
        path = path.replace("notebooks/", "student/", 1)
    assert (EDITION / path).is_file(), f"the Binder link names {path}, not in the edition"
    context, page, off_host = open_notebook(browser, lab, path)
    try:
        found = page.evaluate(MARKERS_JS)
        assert found["markers"] == [], f"{path}: raw MyST in JupyterLab: {found['markers'][:10]}"
        assert found["merror"] == 0 and found["red"] == 0, f"{path}: MathJax errors: {found}"
        assert found["dollars"] == 0, f"{path}: {found['dollars']} untypeset $ in the markdown"
        assert found["math"] > 0, f"{path}: no math typeset"
        assert not dirty(page), f"{path}: opening the notebook marked it modified"
        if kind == "notebooks" and chapter.stem == RUN_ALL[0]:
            page.screenshot(path=str(SCREENSHOT))
        if chapter.stem in RUN_ALL:
            errors = run_all(page)
            if kind == "student":
                wrong = [e for e in errors if "not answered yet" not in e]
                assert not wrong, f"{path}: errors other than 'not answered yet': {wrong[:3]}"
            else:
                assert not errors, f"{path}: error output after Run All: {errors[:3]}"
        assert off_host == [], f"{path}: requests off the machine: {off_host[:5]}"
    finally:
        context.close()
