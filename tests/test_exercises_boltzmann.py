"""The chapter 9 exercise checks: their expected values against the library's, computed
another way, and their failures on wrong answers."""

from __future__ import annotations

import numpy as np
import pytest

from bayesbook import boltzmann as bm
from bayesbook.checks import CheckFailed, NotAnswered
from bayesbook.exercises import boltzmann as ex
from bayesbook.exercises import check


def model(n_visible, n_hidden, seed):
    g = np.random.default_rng(seed)
    return (g.normal(0, 1.5, size=(n_visible, n_hidden)), g.normal(0, 0.5, size=n_visible),
            g.normal(0, 0.5, size=n_hidden))


def test_joint_table_gives_the_library_free_energy_and_log_z():
    W, a, b = model(3, 2, 0)
    log_joint = ex._log_joint(W, a, b)
    xs = bm.all_binary_states(3)
    np.testing.assert_allclose(-np.log(np.exp(log_joint).sum(axis=1)),
                               bm.free_energy(xs, W, a, b), atol=1e-12)
    W2, a2 = W[:2], a[:2]
    check("rbm-ex2", free_energies=bm.free_energy(bm.all_binary_states(2), W2, a2, b),
          log_z=bm.exact_log_partition(W2, a2, b), W=W2, a=a2, b=b)
    with pytest.raises(CheckFailed, match="log Z"):
        check("rbm-ex2", free_energies=bm.free_energy(bm.all_binary_states(2), W2, a2, b),
              log_z=0.0, W=W2, a=a2, b=b)


def test_visible_conditional_check_accepts_the_library_and_refuses_the_transpose():
    W, a, b = model(3, 3, 1)
    h = bm.all_binary_states(3)
    check("rbm-ex1", p_visible=bm.visible_probabilities(h, W, a), W=W, a=a, b=b, h=h)
    with pytest.raises(CheckFailed):
        check("rbm-ex1", p_visible=bm.visible_probabilities(h, W.T, a), W=W, a=a, b=b, h=h)
    with pytest.raises(NotAnswered):
        check("rbm-ex1", p_visible=..., W=W, a=a, b=b, h=h)


def test_layer_by_layer_propagation_matches_the_transition_matrix():
    W, a, b = model(4, 3, 2)
    g = np.random.default_rng(3)
    data = (g.random((30, 4)) < 0.5).astype(float)
    exact_model_term = bm.exact_gradient(data, W, a, b).W
    data_term = data.T @ bm.hidden_probabilities(data, W, b) / len(data)
    bias = [np.linalg.norm((data_term - bm.expected_cd_gradient(data, W, a, b, k=k).W)
                           - (data_term - exact_model_term))
            for k in range(1, 9)]
    check("rbm-ex3", cd_bias=np.array(bias), W=W, a=a, b=b, data=data)
    with pytest.raises(CheckFailed):
        check("rbm-ex3", cd_bias=np.array([*bias[1:], 0.0]), W=W, a=a, b=b, data=data)


def test_mean_field_check_needs_a_fixed_point_and_the_exact_marginals():
    W, a, b = model(4, 3, 4)
    xs = bm.all_binary_states(4)
    log_p = -bm.free_energy(xs, W, a, b)
    exact = np.exp(log_p - np.logaddexp.reduce(log_p)) @ xs
    mu = 1 / (1 + np.exp(-a))
    for _ in range(2000):
        mu = 1 / (1 + np.exp(-(a + W @ (1 / (1 + np.exp(-(b + mu @ W)))))))
    error = np.abs(mu - exact).max()
    check("rbm-ex5", mf_means=mu, exact_means=exact, mf_error=error, W=W, a=a, b=b)
    with pytest.raises(CheckFailed, match="fixed-point"):
        check("rbm-ex5", mf_means=exact, exact_means=exact, mf_error=0.0, W=W, a=a, b=b)
