"""Tests of chapter 7's exercise checks: their expected values against a second route, and
that they reject the mistakes they are about."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from bayesbook import vi
from bayesbook.checks import CheckFailed
from bayesbook.exercises import check
from bayesbook.exercises import vi as checks


def test_factor_optimum_is_the_conjugate_update():
    x, resp = np.array([-0.8, 0.3, 1.1]), np.array([0.9, 0.5, 0.2])
    mean, variance = checks._factor_optimum(tuple(x), tuple(resp), 1.0, 2.0)
    precision = 1 / 4 + resp.sum()
    assert variance == pytest.approx(1 / precision, rel=1e-6)
    assert mean == pytest.approx((1.0 / 4 + resp @ x) / precision, rel=1e-6)


def test_best_centred_kl_is_below_the_kl_of_any_other_centred_gaussian():
    best = checks._best_centred_kl(0.5)
    for sd in (0.8, 1.0, 1.2, 1.5):
        assert vi.exclusive_kl(checks._symmetric_log_density(0.5), 0.0, sd) >= best - 1e-9


def _elbo_of_the_library(x, means, variances, resp, prior_sd):
    return vi.gmm_elbo(x, means, variances, resp, prior_sd=prior_sd)


def _circulating_elbo(x, means, variances, resp, prior_sd):
    """The circulating notebook's faults: the entropy of q(mu) subtracted, s_k^2 forgotten."""
    second = variances + means**2
    return (np.sum(-np.log(prior_sd) - 0.5 * np.log(2 * np.pi) - second / (2 * prior_sd**2))
            - np.sum(0.5 * np.log(2 * np.pi * np.e * variances))
            + np.sum(resp * (-0.5 * np.log(2 * np.pi) - 0.5 * (x[:, None] - means) ** 2))
            - x.size * np.log(means.size) - np.sum(special.xlogy(resp, resp)))


def _data():
    rng = np.random.default_rng(20260707)
    x = rng.normal(np.repeat([-6.0, -1.0, 1.0, 6.0], 50), 1.0)
    return x, x[:4]


def test_the_monotone_test_catches_the_circulating_elbo():
    x, start = _data()
    trace = checks._cavi_trace(_circulating_elbo, x, start, 5.0, 20)
    assert np.sum(np.diff(trace) < -1e-8) > 0
    exact = checks._cavi_trace(_elbo_of_the_library, x, start, 5.0, 20)
    assert np.all(np.diff(exact) > -1e-10 * np.abs(exact[1:]))


def test_vi_ex6_accepts_the_library_elbo_and_rejects_the_circulating_one(capsys):
    x, start = _data()
    trace = np.diff(checks._cavi_trace(_circulating_elbo, x, start, 5.0, 20))
    n_decreases = int(np.sum(trace < 0))
    context = {"buggy_elbo": _circulating_elbo, "x": x, "start_means": start,
               "prior_sd": 5.0, "n_iter": 20}
    check("vi-ex6", fixed_elbo=_elbo_of_the_library, n_decreases=n_decreases, **context)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="does not equal the complete ELBO"):
        check("vi-ex6", fixed_elbo=_circulating_elbo, n_decreases=n_decreases, **context)
    with pytest.raises(CheckFailed, match="n_decreases"):
        check("vi-ex6", fixed_elbo=_elbo_of_the_library, n_decreases=0, **context)
