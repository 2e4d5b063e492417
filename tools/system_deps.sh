#!/usr/bin/env bash
# Make sure the machine has what pip cannot provide:
#   * a BLAS that PyTensor can link (Debian: libopenblas-dev + gfortran's runtime library),
#     without which PyTensor warns and runs its matrix products slowly;
#   * with --browser, Debian's chromium for the book's browser tests;
#   * with --pdf, Debian's TeX Live (XeLaTeX, latexmk, xindy), the fonts the PDF uses and
#     poppler's pdffonts/pdftotext for its tests (make pdf). Only what is missing is installed.
# Options combine: tools/system_deps.sh --browser --pdf
# Installs with apt-get when it can (root, or password-less sudo); otherwise says exactly
# what to install and fails.
set -euo pipefail

want_browser=0
want_pdf=0
for option in "$@"; do
  case "$option" in
    --browser) want_browser=1 ;;
    --pdf) want_pdf=1 ;;
    *) echo "system_deps: unknown option $option (expected --browser and/or --pdf)" >&2; exit 2 ;;
  esac
done

have_blas() {
  # PyTensor's detection needs the development symlinks, not just the runtime libraries.
  ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so ' || [[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ]] || return 1
  gcc -print-file-name=libgfortran.so | grep -q / || return 1
}

missing=()
have_blas || missing+=(libopenblas-dev gfortran)
if (( want_browser )) && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
if (( want_pdf )); then
  command -v xelatex >/dev/null 2>&1 || missing+=(texlive-xetex texlive-latex-recommended
    texlive-latex-extra texlive-fonts-recommended texlive-plain-generic)
  command -v latexmk >/dev/null 2>&1 || missing+=(latexmk)
  command -v xindy >/dev/null 2>&1 || missing+=(xindy)
  fc-list :family=FreeSerif 2>/dev/null | grep -q . || missing+=(fonts-freefont-otf)
  fc-list :family="DejaVu Sans" 2>/dev/null | grep -q . || missing+=(fonts-dejavu-core)
  command -v pdffonts >/dev/null 2>&1 || missing+=(poppler-utils)
fi
(( ${#missing[@]} == 0 )) && exit 0

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "system_deps: missing Debian packages: ${missing[*]}" >&2
  echo "system_deps: install them once with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system_deps: no apt-get here; install the equivalents of: ${missing[*]}" >&2
  exit 1
fi
echo "system_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
  || { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
