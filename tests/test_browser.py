"""The built book in a real browser (Debian's headless Chromium, driven by Playwright).

The site is served from a sub-path, as GitHub Pages serves it (``/<repo>/``), by a local
server that answers nothing else. Every page must load without console errors, failed or
off-host requests; math must be typeset by MathJax; every image must load; search must work.
"""

from __future__ import annotations

import functools
import http.client
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
from conftest import toc_files
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.book, pytest.mark.slow]

SUBPATH = "/bayesian-inference-book/"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a sandbox without network: no background services phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]


class SubPathHandler(SimpleHTTPRequestHandler):
    """Serve the book under SUBPATH only; everything else is a 404."""

    def translate_path(self, path):
        parsed = urlparse(path).path
        if not parsed.startswith(SUBPATH):
            return "/nonexistent/outside-the-book"
        return super().translate_path("/" + parsed[len(SUBPATH):])

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def site(built_html):
    handler = functools.partial(SubPathHandler, directory=str(built_html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{SUBPATH}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    assert shutil.which("chromium"), (
        "Debian's chromium is needed for the browser tests: bash tools/system_deps.sh --browser"
    )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """Open a page and record console errors, page errors, failed and off-host requests."""

    def __init__(self, browser, site):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.problems: list[str] = []
        host = urlparse(site).netloc

        def on_route(route):
            if urlparse(route.request.url).netloc != host:
                self.problems.append(f"off-host request: {route.request.url}")
                route.abort()
            else:
                route.continue_()

        self.context.route("**/*", on_route)
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(
            f"failed request: {r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))

    def close(self):
        self.context.close()


PAGES = [f"{name}.html" for name in toc_files()] + ["genindex.html"]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_with_math_and_figures(browser, site, built_html, path):
    watch = PageWatch(browser, site)
    try:
        page = watch.page
        page.goto(site + path, wait_until="networkidle")
        source = (built_html / path).read_text()
        if 'class="math' in source:
            page.wait_for_function(
                "document.querySelectorAll('mjx-container').length > 0", timeout=30_000
            )
            assert page.locator("mjx-merror").count() == 0, "MathJax reported a TeX error"
            unrendered = page.evaluate(
                "[...document.querySelectorAll('.math')].filter("
                "e => !e.querySelector('mjx-container')).length"
            )
            assert unrendered == 0, f"{unrendered} math elements were not typeset"
        broken = page.evaluate(
            "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)"
        )
        assert broken == [], f"images that did not load: {broken}"
        assert watch.problems == [], "\n".join(watch.problems)
    finally:
        watch.close()


def test_search_returns_results(browser, site):
    watch = PageWatch(browser, site)
    try:
        page = watch.page
        page.goto(site + "search.html?q=posterior", wait_until="networkidle")
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        assert page.locator("#search-results ul.search li").count() > 0
        assert watch.problems == [], "\n".join(watch.problems)
    finally:
        watch.close()


def test_the_sub_path_server_refuses_pages_outside_it(site):
    url = urlparse(site)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", "/index.html")
        response = connection.getresponse()
        response.read()
        assert response.status == 404
    finally:
        connection.close()
