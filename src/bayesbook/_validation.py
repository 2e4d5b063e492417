"""Input validation shared by the library's public functions.

Every public function checks its inputs at the boundary and raises ``ValueError`` (or
``TypeError``) with a message a student can act on: what was wrong and what was expected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Tolerance for "sums to one" and "is symmetric" checks on floating-point input.
ATOL = 1e-8


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a Generator or an integer seed.

    ``None`` is refused on purpose: every random result in the book is reproducible, so
    randomness always comes in explicitly.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be a numpy.random.Generator or an integer seed, "
        f"got {type(rng).__name__}; use rng=np.random.default_rng(seed)"
    )


def as_float_array(x: ArrayLike, name: str, *, ndim: int | None = None) -> NDArray[np.float64]:
    """Convert to a float64 array, checking the number of dimensions and finiteness."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numeric array-like, got {type(x).__name__}") from err
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return arr


def check_probability_vector(p: ArrayLike, name: str) -> NDArray[np.float64]:
    """A 1-D array of non-negative numbers summing to one."""
    arr = as_float_array(p, name, ndim=1)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if np.any(arr < 0):
        i = int(np.argmin(arr))
        raise ValueError(f"{name} must be non-negative: entry {i} is {arr[i]:.6g}")
    total = arr.sum()
    if not np.isclose(total, 1.0, rtol=0, atol=ATOL * max(1, arr.size)):
        raise ValueError(f"{name} must sum to one: it sums to {total:.6g}")
    return arr


def check_positive(value: Any, name: str, *, integer: bool = False) -> Any:
    """A strictly positive scalar (an int if ``integer``)."""
    if integer:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a positive integer, got {value!r}")
        if value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value}")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return float(value)


def check_column_stochastic(W: ArrayLike, name: str = "W") -> NDArray[np.float64]:
    """A square matrix with non-negative entries whose columns each sum to one."""
    arr = as_float_array(W, name, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square, got shape {arr.shape}")
    if np.any(arr < 0):
        i, j = np.unravel_index(int(np.argmin(arr)), arr.shape)
        raise ValueError(
            f"{name} must have non-negative entries: {name}[{i}, {j}] = {arr[i, j]:.6g}"
        )
    sums = arr.sum(axis=0)
    bad = np.flatnonzero(~np.isclose(sums, 1.0, rtol=0, atol=ATOL * max(1, arr.shape[0])))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"{name} must be column-stochastic (W[i, j] = P(j -> i)): "
            f"column {j} sums to {sums[j]:.6g}"
        )
    return arr


def check_covariance(cov: ArrayLike, name: str = "cov") -> NDArray[np.float64]:
    """A symmetric positive-definite matrix (checked by a Cholesky factorisation)."""
    arr = as_float_array(cov, name, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square, got shape {arr.shape}")
    if not np.allclose(arr, arr.T, rtol=0, atol=ATOL * max(1.0, float(np.abs(arr).max()))):
        raise ValueError(f"{name} must be symmetric")
    try:
        np.linalg.cholesky(arr)
    except np.linalg.LinAlgError as err:
        raise ValueError(
            f"{name} must be positive definite (its Cholesky factorisation failed)"
        ) from err
    return arr
