"""Numerical maximum likelihood with standard errors from the observed information.

Chapter 2 (``book/02_mle.md``) teaches these: minimise the negative log-likelihood with
``scipy.optimize.minimize`` and read the standard errors off the curvature (the Hessian of
the negative log-likelihood) at the minimum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from bayesbook._validation import as_float_array, check_positive

#: A negative log-likelihood: parameters of shape (P,) in, one float out.
NegLogLikelihood = Callable[[NDArray[np.float64]], float]


def _evaluate(neg_log_likelihood: NegLogLikelihood, theta: NDArray[np.float64]) -> float:
    value = np.asarray(neg_log_likelihood(theta), dtype=float)
    if value.shape != ():
        raise ValueError(
            "neg_log_likelihood must return a single number (sum over the data points), "
            f"got shape {value.shape}"
        )
    if not np.isfinite(value):
        raise ValueError(
            f"neg_log_likelihood returned {float(value)} at parameters {theta.tolist()}: "
            "start inside the parameter space, or reparametrise (e.g. log σ for σ > 0)"
        )
    return float(value)


def observed_information(
    neg_log_likelihood: NegLogLikelihood, theta: ArrayLike, *, step: float = 1e-4
) -> NDArray[np.float64]:
    """Return the observed information, the Hessian of the negative log-likelihood at ``theta``.

    Central finite differences with step ``h_i = step * max(1, |theta_i|)`` along each
    parameter; the truncation error is O(h²) and the rounding error about
    ε |L| / h² with ε the machine precision, which balance near ``step = 1e-4``.

    Parameters
    ----------
    neg_log_likelihood : callable
        Maps parameters of shape (P,) to the negative log-likelihood (a float).
    theta : array-like, shape (P,)
        Where to evaluate the Hessian, usually the maximum-likelihood estimate.
    step : float
        Relative finite-difference step.

    Returns
    -------
    ndarray, shape (P, P)
        The symmetric matrix of second derivatives ∂²(−log L) / ∂θ_i ∂θ_j.
    """
    x = as_float_array(theta, "theta", ndim=1)
    step = check_positive(step, "step")
    steps = step * np.maximum(1.0, np.abs(x))
    offsets = np.diag(steps)
    n_params = x.size
    hessian = np.empty((n_params, n_params))
    centre = _evaluate(neg_log_likelihood, x)
    for i in range(n_params):
        up = _evaluate(neg_log_likelihood, x + offsets[i])
        down = _evaluate(neg_log_likelihood, x - offsets[i])
        hessian[i, i] = (up - 2.0 * centre + down) / steps[i] ** 2
        for j in range(i):
            corners = [
                _evaluate(neg_log_likelihood, x + si * offsets[i] + sj * offsets[j])
                for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1))
            ]
            mixed = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * steps[i] * steps[j])
            hessian[i, j] = hessian[j, i] = mixed
    return hessian


@dataclass(frozen=True)
class MLEResult:
    """A maximum-likelihood fit.

    Attributes
    ----------
    estimate : ndarray, shape (P,)
        The parameters that minimise the negative log-likelihood.
    standard_errors : ndarray, shape (P,)
        Square roots of the diagonal of ``covariance``.
    covariance : ndarray, shape (P, P)
        The inverse of the observed information: the estimate's approximate covariance.
    observed_information : ndarray, shape (P, P)
        Hessian of the negative log-likelihood at ``estimate``.
    neg_log_likelihood : float
        The minimised negative log-likelihood.
    converged : bool
        Whether the optimiser reported success (gradient norm below ``gtol``).
    message : str
        The optimiser's own account of why it stopped.
    """

    estimate: NDArray[np.float64]
    standard_errors: NDArray[np.float64]
    covariance: NDArray[np.float64]
    observed_information: NDArray[np.float64]
    neg_log_likelihood: float
    converged: bool
    message: str


def _initial_inverse_hessian(
    neg_log_likelihood: NegLogLikelihood,
    start: NDArray[np.float64],
    gradient: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None,
) -> NDArray[np.float64]:
    """BFGS's starting inverse Hessian, scaled so that no first step exceeds one per parameter.

    BFGS starts from the identity, so its first step is the raw gradient: on data of a
    large scale (say in the millions) that gradient is huge and the first line search leaps
    to parameters where the likelihood overflows. Dividing each coordinate by
    ``max(1, |gradient_i|)`` at the start bounds the first step and leaves well-scaled
    problems (gradients of order one) as they were.
    """
    if gradient is not None:
        initial_gradient = np.asarray(gradient(start), dtype=float)
    else:
        initial_gradient = optimize.approx_fprime(start, neg_log_likelihood)
    if initial_gradient.shape != start.shape or not np.all(np.isfinite(initial_gradient)):
        raise ValueError(
            f"the gradient of neg_log_likelihood at x0 = {start.tolist()} is not a finite "
            f"array of shape {start.shape}: start inside the parameter space"
        )
    return np.diag(1.0 / np.maximum(1.0, np.abs(initial_gradient)))


def _require_positive_definite(information: NDArray[np.float64], message: str) -> None:
    smallest = np.linalg.eigvalsh(information)[0]
    if smallest <= 0:
        raise ValueError(
            "the observed information at the optimum is not positive definite "
            f"(smallest eigenvalue {smallest:.3g}): the likelihood has no strict "
            "maximum there; check the model is identifiable and the optimiser converged "
            f"({message})"
        )


def _information_at_optimum(
    neg_log_likelihood: NegLogLikelihood, theta: NDArray[np.float64], message: str
) -> NDArray[np.float64]:
    information = observed_information(neg_log_likelihood, theta)
    _require_positive_definite(information, message)
    return information


def fit_mle(
    neg_log_likelihood: NegLogLikelihood,
    x0: ArrayLike,
    *,
    gradient: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
    gtol: float = 1e-6,
    max_iter: int = 1000,
) -> MLEResult:
    """Return the maximum-likelihood estimate and its standard errors (a ``MLEResult``).

    Minimises ``neg_log_likelihood`` with BFGS (``scipy.optimize.minimize``), then polishes
    the optimum in standard-error units, and inverts the observed information
    (:func:`observed_information`) for the covariance of the estimate. Parameters must be
    unconstrained: write a positive parameter through its logarithm. Data of any scale work
    with the default settings: BFGS's first step is scaled by the gradient at ``x0`` (at most
    one unit per parameter), and the stopping rule and the finite-difference steps of the
    information are measured in standard errors (from a first pass), not in raw units.

    Parameters
    ----------
    neg_log_likelihood : callable
        Maps parameters of shape (P,) to −log L (a float), vectorised over the data inside.
    x0 : array-like, shape (P,)
        Starting point, where ``neg_log_likelihood`` must be finite.
    gradient : callable, optional
        The gradient of ``neg_log_likelihood``, shape (P,); by default central finite
        differences.
    gtol : float
        Stop when every component of the gradient with respect to the standardised
        parameters (θ_i divided by its standard error) is below this in absolute value;
        the estimate is then within about ``gtol`` standard errors of the optimum.
    max_iter : int
        Largest number of BFGS iterations, over both passes.

    Returns
    -------
    MLEResult

    Raises
    ------
    ValueError
        If the observed information at the optimum is not positive definite (no strict
        local maximum of the likelihood: a flat direction, a saddle or a boundary).
    """
    start = as_float_array(x0, "x0", ndim=1)
    if start.size == 0:
        raise ValueError("x0 must have at least one parameter")
    gtol = check_positive(gtol, "gtol")
    max_iter = check_positive(max_iter, "max_iter", integer=True)
    _evaluate(neg_log_likelihood, start)
    first = optimize.minimize(
        neg_log_likelihood,
        start,
        method="BFGS",
        jac=gradient if gradient is not None else "3-point",
        options={
            "gtol": gtol,
            "maxiter": max_iter,
            "hess_inv0": _initial_inverse_hessian(neg_log_likelihood, start, gradient),
        },
    )
    # Polish in standard-error units, u = (theta - first.x) / se: there every parameter's
    # curvature is about one, so gtol means the same on data of any scale.
    centre = np.asarray(first.x, dtype=float)
    scale = np.sqrt(np.diag(np.linalg.inv(_information_at_optimum(
        neg_log_likelihood, centre, first.message))))

    def standardised(u: NDArray[np.float64]) -> float:
        return neg_log_likelihood(centre + scale * u)

    def standardised_gradient(u: NDArray[np.float64]) -> NDArray[np.float64]:
        return scale * np.asarray(gradient(centre + scale * u), dtype=float)

    remaining = max_iter - int(first.nit)
    if remaining > 0:
        second = optimize.minimize(
            standardised,
            np.zeros_like(centre),
            method="BFGS",
            jac=standardised_gradient if gradient is not None else "3-point",
            options={"gtol": gtol, "maxiter": remaining},
        )
        estimate = centre + scale * np.asarray(second.x, dtype=float)
        converged, message, value = bool(second.success), str(second.message), float(second.fun)
    else:
        estimate, converged, message = centre, False, str(first.message)
        value = float(first.fun)
    # In these units a step of 0.01 standard errors keeps rounding (ε |L| / h²) and
    # truncation (h² times the relative fourth derivative) both far below 1e-6.
    information = observed_information(standardised, (estimate - centre) / scale, step=1e-2)
    information = information / np.outer(scale, scale)
    _require_positive_definite(information, message)
    covariance = np.linalg.inv(information)
    return MLEResult(
        estimate=estimate,
        standard_errors=np.sqrt(np.diag(covariance)),
        covariance=covariance,
        observed_information=information,
        neg_log_likelihood=value,
        converged=converged,
        message=message,
    )
