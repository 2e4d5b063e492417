"""The check of the chapter template's exercise (``tools/templates/chapter.md``).

It shows the shape of a chapter's check module: the expected value is computed here, by
another route than the solution (here a closed form), and the tolerance comes from the
Monte Carlo error of a correct answer.
"""

from __future__ import annotations

import numpy as np

from bayesbook.checks import require_close
from bayesbook.exercises import exercise


@exercise("template-ex1", answers=("simulated_se",))
def _template_ex1(simulated_se):
    # The standard error of a mean of 400 N(1, 2^2) draws is 2 / sqrt(400). A sample
    # standard deviation of 2000 means has relative error about 1 / sqrt(2 * 2000); four
    # of those are exceeded with probability 6e-5.
    require_close("template-ex1", simulated_se, 2.0 / np.sqrt(400), rtol=4 / np.sqrt(2 * 2000),
                  what="the simulated standard error")
