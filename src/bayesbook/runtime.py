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


def glue(name: str, value: object, display: bool = False) -> None:
    """Record ``value`` under ``name`` for the web book's prose, where MyST-NB is installed.

    The chapters glue every number their prose states (``{glue:text}`name``` in the page).
    The notebook edition already carries those numbers in its text, and the places a
    student opens it (Colab, a hub) need not have MyST-NB, so its notebooks import this
    function instead of ``myst_nb.glue``: with MyST-NB installed it is ``myst_nb.glue``;
    without it, it checks its arguments and records nothing.

    Parameters
    ----------
    name : str
        The key the prose refers to.
    value : object
        The value glued.
    display : bool
        Must be False: the book glues values for its prose, never for display.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"glue needs a non-empty string name, got {name!r}")
    if display:
        raise ValueError("the book glues values for its prose only: pass display=False")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=False)
