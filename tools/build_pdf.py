"""Build the PDF edition of the book with every gate on.

    python tools/build_pdf.py [--root DIR] [--max-overfull PT]

``make pdf`` runs it after ``make book``. It runs Jupyter Book's LaTeX builder
(``--builder pdflatex``, XeLaTeX per ``_config.yml``) on the same execution cache as the
web book, so no chapter is executed a second time when the HTML build is up to date, and

* fails on any Sphinx warning (``-W -n --keep-going``), as the HTML build does;
* reads the LaTeX log and fails on an undefined reference or citation, a character missing
  from the fonts, or a line that overflows the text block by more than ``--max-overfull``
  points (an ``Overfull \\hbox``: code or math running into the margin);
* writes ``_build/pdf/book.pdf`` and copies it into the web site as ``_build/html/book.pdf``,
  where every page's download menu links to it.

Exit status: 0 when the PDF is written and every gate passed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_book import REPO, build_environment, guard_cache

#: An overfull box this many points wide or less is invisible in print; more is a defect.
DEFAULT_MAX_OVERFULL_PT = 10.0

_UNDEFINED = re.compile(
    r"^(?:LaTeX|Package natbib) Warning: (?:Reference|Citation|Hyper reference) [`']([^']*)' "
    r"(?:on page \d+ )?undefined", re.M
)
# TeX wraps its log at 79 columns, so the font's name may continue on the next line.
_MISSING_CHAR = re.compile(r"^Missing character: There is no (\S+(?: \(U\+[0-9A-F]+\))?) in font "
                           r"([^!\n]*)", re.M)
_OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (.*)$", re.M)


@dataclass
class LatexReport:
    """What the LaTeX log says is wrong with the PDF."""

    undefined: list[str] = field(default_factory=list)
    missing_characters: list[str] = field(default_factory=list)
    overfull: list[tuple[float, str]] = field(default_factory=list)

    def problems(self, max_overfull_pt: float) -> list[str]:
        out = [f"undefined reference or citation: {name}" for name in self.undefined]
        out += [f"missing glyph: {text}" for text in self.missing_characters]
        out += [
            f"overfull line, {width:.1f} pt into the margin: {where}"
            for width, where in self.overfull if width > max_overfull_pt
        ]
        return out


def read_latex_log(text: str) -> LatexReport:
    """Collect undefined references, missing glyphs and overfull boxes from a LaTeX log.

    latexmk rewrites the log on every pass, so this is the last pass's: a reference still
    undefined there is undefined in the PDF.
    """
    report = LatexReport()
    report.undefined = sorted(set(_UNDEFINED.findall(text)))
    report.missing_characters = sorted(
        {f"{char} (font {font})" for char, font in _MISSING_CHAR.findall(text)}
    )
    report.overfull = [(float(width), where.strip()) for width, where in _OVERFULL.findall(text)]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="book root (holds _config.yml)")
    parser.add_argument("--max-overfull", type=float, default=DEFAULT_MAX_OVERFULL_PT,
                        help="widest tolerated overfull line, in points")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    build = root / "_build"
    if guard_cache(build, [REPO / "src" / "bayesbook", REPO / "requirements.lock",
                           REPO / "pyproject.toml"]):
        print("build_pdf: library or environment changed; execution cache dropped", flush=True)
    if shutil.which("xelatex") is None or shutil.which("latexmk") is None:
        print("build_pdf: xelatex and latexmk are needed: bash tools/system_deps.sh --pdf",
              file=sys.stderr)
        return 2

    latex_dir = build / "latex"
    if latex_dir.exists():
        shutil.rmtree(latex_dir)   # a stale .aux would hide an undefined reference
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")), "build", str(root),
        "--builder", "pdflatex", "-W", "-n", "--keep-going",
    ]
    start = time.perf_counter()
    result = subprocess.run(cmd, env=build_environment(root), cwd=root, check=False)
    elapsed = time.perf_counter() - start
    pdf = latex_dir / "book.pdf"
    log = latex_dir / "book.log"
    problems = []
    if result.returncode != 0:
        problems.append(f"jupyter-book exited {result.returncode}")
    if not pdf.exists() or not log.exists():
        problems.append(f"no PDF was written ({pdf} missing)")
    else:
        report = read_latex_log(log.read_text(errors="replace"))
        problems += report.problems(args.max_overfull)
    if problems:
        for problem in problems:
            print(f"build_pdf: {problem}", file=sys.stderr)
        print(f"build_pdf: FAILED in {elapsed:.1f} s", flush=True)
        return 1
    out = build / "pdf"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pdf, out / "book.pdf")
    if (build / "html").is_dir():
        shutil.copy2(pdf, build / "html" / "book.pdf")
    size_mb = pdf.stat().st_size / 1e6
    print(f"build_pdf: ok in {elapsed:.1f} s: {out / 'book.pdf'} ({size_mb:.1f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
