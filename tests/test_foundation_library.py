"""Tests of the library's shared helpers: validation, exercise checks, theme, runtime."""

from __future__ import annotations

import importlib
import logging
import sys
import types

import matplotlib as mpl
import numpy as np
import pytest

from bayesbook import _validation as v
from bayesbook import checks, plotting, runtime

# ---------------------------------------------------------------- _validation


def test_as_rng_accepts_generator_and_seed():
    gen = np.random.default_rng(3)
    assert v.as_rng(gen) is gen
    # An int seed gives the same stream as default_rng(seed).
    assert v.as_rng(7).random() == np.random.default_rng(7).random()
    assert v.as_rng(np.int64(7)).random() == np.random.default_rng(7).random()


@pytest.mark.parametrize("bad", [None, 1.5, "3", True])
def test_as_rng_refuses_anything_else(bad):
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator or an integer seed"):
        v.as_rng(bad)


def test_as_float_array_checks_dimension_and_finiteness():
    assert v.as_float_array([1, 2], "x", ndim=1).dtype == np.float64
    with pytest.raises(ValueError, match="x must be 2-dimensional, got shape \\(2,\\)"):
        v.as_float_array([1, 2], "x", ndim=2)
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        v.as_float_array([1, np.nan], "x")
    with pytest.raises(TypeError, match="x must be numeric array-like"):
        v.as_float_array(["a", "b"], "x")


def test_probability_vector():
    np.testing.assert_array_equal(v.check_probability_vector([0.25, 0.75], "p"), [0.25, 0.75])
    with pytest.raises(ValueError, match="p must be non-negative: entry 1 is -0.1"):
        v.check_probability_vector([1.1, -0.1], "p")
    with pytest.raises(ValueError, match="p must sum to one: it sums to 0.9"):
        v.check_probability_vector([0.5, 0.4], "p")
    with pytest.raises(ValueError, match="p must not be empty"):
        v.check_probability_vector([], "p")


def test_check_positive():
    assert v.check_positive(0.5, "step_size") == 0.5
    assert v.check_positive(3, "n", integer=True) == 3
    with pytest.raises(ValueError, match="step_size must be a positive finite number, got 0"):
        v.check_positive(0, "step_size")
    with pytest.raises(ValueError, match="must be a positive finite number, got inf"):
        v.check_positive(np.inf, "step_size")
    for bad in ([1.0], "big", None):
        with pytest.raises(TypeError, match="step_size must be a positive number"):
            v.check_positive(bad, "step_size")
    with pytest.raises(ValueError, match="n must be a positive integer, got -2"):
        v.check_positive(-2, "n", integer=True)
    with pytest.raises(TypeError, match="n must be a positive integer, got 2.0"):
        v.check_positive(2.0, "n", integer=True)


def test_column_stochastic():
    W = np.array([[0.9, 0.5], [0.1, 0.5]])
    np.testing.assert_array_equal(v.check_column_stochastic(W), W)
    with pytest.raises(ValueError, match="W must be column-stochastic .* column 1 sums to 0.9"):
        v.check_column_stochastic([[0.9, 0.5], [0.1, 0.4]])
    with pytest.raises(ValueError, match="W must be square"):
        v.check_column_stochastic(np.ones((2, 3)) / 2)
    with pytest.raises(ValueError, match=r"W must have non-negative entries: W\[1, 0\] = -0.1"):
        v.check_column_stochastic([[1.1, 0.5], [-0.1, 0.5]])


def test_covariance():
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    np.testing.assert_array_equal(v.check_covariance(cov), cov)
    with pytest.raises(ValueError, match="cov must be symmetric"):
        v.check_covariance([[1.0, 0.5], [0.4, 1.0]])
    with pytest.raises(ValueError, match="cov must be positive definite"):
        v.check_covariance([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="cov must be square"):
        v.check_covariance(np.ones((2, 3)))


# ---------------------------------------------------------------- checks


def test_check_close_passes_without_printing_the_answer(capsys):
    checks.check_close("demo-ex1", 0.3001, 0.3, rtol=1e-3)
    out = capsys.readouterr().out
    assert out == "✓ demo-ex1: correct.\n"
    assert "0.3" not in out


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (..., "demo-ex1: not answered yet — put the rate in the cell above and run it."),
        (None, "demo-ex1: not answered yet"),
        (0.5, "demo-ex1: the rate is too large."),
        (0.1, "demo-ex1: the rate is too small."),
        ([0.3, 0.3], r"demo-ex1: the rate should have shape \(\), but it has shape \(2,\)."),
        (np.nan, "demo-ex1: the rate contains NaN or infinite values."),
        ("abc", "demo-ex1: the rate should be a number or an array of numbers, got str."),
    ],
)
def test_check_close_failures_say_what_is_wrong_in_one_sentence(answer, message):
    with pytest.raises(AssertionError, match=message) as info:
        checks.check_close("demo-ex1", answer, 0.3, rtol=1e-3, what="the rate")
    text = str(info.value)
    assert "0.3" not in text  # the expected value is never revealed
    # one sentence: a single line ending in the only full stop
    assert "\n" not in text and text.endswith(".") and ". " not in text


def test_check_close_counts_wrong_entries():
    with pytest.raises(AssertionError, match="2 of 3 entries of your answer are not right"):
        checks.check_close("demo-ex2", [1.0, 5.0, 6.0], [1.0, 2.0, 3.0])


def test_check_true_and_check_all(capsys):
    checks.check_true("demo-ex3", True, "never shown")
    assert capsys.readouterr().out == "✓ demo-ex3: correct.\n"
    with pytest.raises(AssertionError, match="demo-ex3: the matrix is not symmetric."):
        checks.check_true("demo-ex3", False, "the matrix is not symmetric.")
    calls = []
    with pytest.raises(AssertionError, match="demo-ex4: second failed."):
        checks.check_all(
            "demo-ex4",
            [
                (lambda: calls.append(1) or True, "first failed."),
                (lambda: calls.append(2) or False, "second failed."),
                (lambda: calls.append(3) or True, "third failed."),
            ],
        )
    assert calls == [1, 2]  # stops at the first failure


# ---------------------------------------------------------------- plotting and runtime


def test_set_theme_sets_the_book_look():
    mpl.rcParams["figure.dpi"] = 42
    plotting.set_theme()
    assert mpl.rcParams["figure.dpi"] == 110
    assert mpl.rcParams["axes.grid"] is True  # seaborn whitegrid
    assert mpl.rcParams["figure.constrained_layout.use"] is True


def test_runtime_follows_the_build_flag(monkeypatch):
    logger = logging.getLogger("pymc")
    before = logger.level
    try:
        monkeypatch.setenv("BAYESBOOK_BUILD", "1")
        built = importlib.reload(runtime)
        assert built.IN_BOOK_BUILD and not built.SHOW_PROGRESS
        logger.setLevel(logging.INFO)
        built.configure_pymc()
        assert logger.level == logging.WARNING

        monkeypatch.delenv("BAYESBOOK_BUILD")
        interactive = importlib.reload(runtime)
        assert not interactive.IN_BOOK_BUILD and interactive.SHOW_PROGRESS
        logger.setLevel(logging.INFO)
        interactive.configure_pymc()
        assert logger.level == logging.INFO  # readers keep PyMC's messages
    finally:
        logger.setLevel(before)
        importlib.reload(runtime)


def test_runtime_glue_records_through_myst_nb_when_it_is_installed(monkeypatch):
    recorded = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display: recorded.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    runtime.glue("x_val", 0.5, display=False)
    assert recorded == [("x_val", 0.5, False)]


def test_runtime_glue_does_nothing_without_myst_nb(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb now raises ImportError
    with pytest.raises(ImportError):
        import myst_nb  # noqa: F401
    assert runtime.glue("x_val", 0.5) is None
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("name,display,match", [
    ("", False, "non-empty string name"),
    (3, False, "non-empty string name"),
    ("x_val", True, "display=False"),
])
def test_runtime_glue_refuses_bad_arguments(name, display, match):
    with pytest.raises(ValueError, match=match):
        runtime.glue(name, 0.5, display=display)


def test_a_one_element_array_answer_gets_the_direction_hint():
    # shape (1,) against (1,): float() of such arrays is deprecated in NumPy; the hint must not be
    with pytest.raises(AssertionError, match="demo-ex1: your answer is too large"):
        checks.check_close("demo-ex1", np.array([0.5]), np.array([0.3]))
