"""The book's one look: a seaborn theme applied once at the top of every chapter."""

from __future__ import annotations

import matplotlib as mpl
import seaborn as sns

#: The qualitative palette used for categories (chains, components, digits).
PALETTE = "colorblind"


def set_theme() -> None:
    """Apply the book's plotting theme (seaborn ``whitegrid``, colour-blind-safe palette).

    Call it once, in the imports cell of a chapter. It only changes matplotlib's
    ``rcParams``, so calling it again is harmless.
    """
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=1.0)
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 110,
            "figure.constrained_layout.use": True,
            "axes.titlesize": "medium",
            "axes.titleweight": "regular",
            "legend.frameon": False,
            "image.cmap": "viridis",
        }
    )
