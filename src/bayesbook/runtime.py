"""Quiet, reproducible PyMC runs inside the book build, with progress bars for readers.

The book build (``make book``) exports ``BAYESBOOK_BUILD=1``. Inside the build, PyMC must
not write progress bars or its informational sampler messages ("Initializing NUTS...",
"Sampling 4 chains...") to the page or to stderr; a reader running the notebook by hand
should still see progress on long runs. This module is the one place where that is decided.
"""

from __future__ import annotations

import logging
import os

#: True while the book is being built by ``make book`` (the build exports ``BAYESBOOK_BUILD=1``).
IN_BOOK_BUILD: bool = os.environ.get("BAYESBOOK_BUILD") == "1"

#: Pass as ``progressbar=SHOW_PROGRESS`` to ``pm.sample``, ``pm.fit`` and friends.
SHOW_PROGRESS: bool = not IN_BOOK_BUILD


def configure_pymc() -> None:
    """Keep PyMC's informational log lines out of the built book.

    In the book build, the ``pymc`` logger is raised to ``WARNING``: the "Initializing
    NUTS" and "Sampling: [y]" lines carry no information for a reader of the page, while
    real warnings (divergences, failed convergence checks) still reach stderr and so fail
    the build, as they should. Outside the build nothing changes.
    """
    if IN_BOOK_BUILD:
        logging.getLogger("pymc").setLevel(logging.WARNING)
