"""Tests of bayesbook.boltzmann against brute-force enumeration of all 2^(n_v + n_h) joint
states, finite differences, and exact stationary distributions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from bayesbook import boltzmann as bm
from bayesbook.energy import IsingModel, model_moments


def random_rbm(n_visible, n_hidden, seed, scale=1.0):
    g = np.random.default_rng(seed)
    return (
        g.normal(0, scale, size=(n_visible, n_hidden)),
        g.normal(0, 0.5, size=n_visible),
        g.normal(0, 0.5, size=n_hidden),
    )


def joint_table(W, a, b):
    """Every (x, h) pair by loops over itertools.product, with its exact probability."""
    n_v, n_h = W.shape
    xs, hs, log_f = [], [], []
    for bits in itertools.product((0.0, 1.0), repeat=n_v + n_h):
        x, h = np.array(bits[:n_v]), np.array(bits[n_v:])
        e = -sum(a[i] * x[i] for i in range(n_v)) - sum(b[j] * h[j] for j in range(n_h))
        e -= sum(x[i] * W[i, j] * h[j] for i in range(n_v) for j in range(n_h))
        xs.append(x)
        hs.append(h)
        log_f.append(-e)
    log_f = np.array(log_f)
    return np.array(xs), np.array(hs), log_f, np.exp(log_f - logsumexp(log_f))


def brute_log_likelihood(data, W, a, b):
    xs, _, log_f, _ = joint_table(W, a, b)
    log_z = logsumexp(log_f)
    total = 0.0
    for x in data:
        match = np.all(xs == x, axis=1)
        total += logsumexp(log_f[match]) - log_z
    return total / len(data)


def brute_gradient(data, W, a, b):
    xs, hs, _, p = joint_table(W, a, b)
    model_xh = np.einsum("s,si,sj->ij", p, xs, hs)
    data_xh = np.zeros_like(W)
    data_h = np.zeros(W.shape[1])
    for x in data:
        h_given_x = 1 / (1 + np.exp(-(b + x @ W)))
        data_xh += np.outer(x, h_given_x)
        data_h += h_given_x
    n = len(data)
    return data_xh / n - model_xh, data.mean(0) - p @ xs, data_h / n - p @ hs


@pytest.fixture(params=[(4, 3), (3, 5)], ids=["hidden-smaller", "visible-smaller"])
def model(request):
    return random_rbm(*request.param, seed=sum(request.param))


@pytest.fixture
def data(model):
    g = np.random.default_rng(3)
    return (g.random((25, model[0].shape[0])) < 0.4).astype(float)


def test_energy_matches_the_loop_formula(model):
    W, a, b = model
    xs, hs, log_f, _ = joint_table(W, a, b)
    np.testing.assert_allclose(bm.energy(xs, hs, W, a, b), -log_f, atol=1e-12)


def test_free_energy_sums_out_the_hidden_units(model):
    W, a, b = model
    xs, _, log_f, _ = joint_table(W, a, b)
    for x in bm.all_binary_states(W.shape[0]):
        brute = -logsumexp(log_f[np.all(xs == x, axis=1)])
        assert bm.free_energy(x, W, a, b) == pytest.approx(brute, abs=1e-12)


def test_exact_log_partition_against_the_joint_sum(model):
    W, a, b = model
    _, _, log_f, _ = joint_table(W, a, b)
    assert bm.exact_log_partition(W, a, b) == pytest.approx(logsumexp(log_f), abs=1e-12)


def test_log_likelihood_against_enumeration(model, data):
    W, a, b = model
    assert bm.log_likelihood(data, W, a, b) == pytest.approx(
        brute_log_likelihood(data, W, a, b), abs=1e-12
    )


def test_exact_gradient_against_enumeration(model, data):
    W, a, b = model
    grad = bm.exact_gradient(data, W, a, b)
    gW, ga, gb = brute_gradient(data, W, a, b)
    np.testing.assert_allclose(grad.W, gW, atol=1e-12)
    np.testing.assert_allclose(grad.a, ga, atol=1e-12)
    np.testing.assert_allclose(grad.b, gb, atol=1e-12)


def test_exact_gradient_against_finite_differences(model, data):
    W, a, b = model
    grad = bm.exact_gradient(data, W, a, b).flat()
    theta = np.concatenate([W.ravel(), a, b])
    n_w = W.size

    def loglik(t):
        return bm.log_likelihood(
            data, t[:n_w].reshape(W.shape), t[n_w : n_w + a.size], t[n_w + a.size :]
        )

    step = 1e-5
    numeric = np.array([
        (loglik(theta + step * e) - loglik(theta - step * e)) / (2 * step)
        for e in np.eye(theta.size)
    ])
    # Central differences have error O(step²) ≈ 1e-10 times the third derivative.
    np.testing.assert_allclose(grad, numeric, atol=1e-7)


def test_conditionals_against_the_joint(model):
    W, a, b = model
    xs, hs, _, p = joint_table(W, a, b)
    x = np.array([1.0, 0.0, 1.0] + [0.0] * (W.shape[0] - 3))
    match = np.all(xs == x, axis=1)
    brute_h = p[match] @ hs[match] / p[match].sum()
    np.testing.assert_allclose(bm.hidden_probabilities(x, W, b), brute_h, atol=1e-12)
    h = np.array([0.0, 1.0] + [1.0] * (W.shape[1] - 2))
    match = np.all(hs == h, axis=1)
    brute_x = p[match] @ xs[match] / p[match].sum()
    np.testing.assert_allclose(bm.visible_probabilities(h, W, a), brute_x, atol=1e-12)


def test_block_gibbs_draws_the_exact_joint():
    W, a, b = random_rbm(3, 2, seed=11, scale=1.5)
    _, _, _, p = joint_table(W, a, b)
    n_chains = 40_000
    state = bm.block_gibbs(np.zeros((n_chains, 3)), W, a, b, n_steps=30, rng=5)
    index = (np.hstack([state.x, state.h]) @ (2 ** np.arange(4, -1, -1))).astype(int)
    counts = np.bincount(index, minlength=32)
    # joint_table enumerates (x, h) in the same binary order as the index above.
    # Independent chains after 30 sweeps (the chain's mixing time here is a few sweeps):
    # counts are multinomial, so a chi-square test with p > 1e-4 is a sound tolerance.
    assert stats.chisquare(counts, n_chains * p).pvalue > 1e-4
    assert 0.5 * np.abs(counts / n_chains - p).sum() < 0.02


def test_visible_transition_matrix_keeps_the_marginal(model):
    W, a, b = model
    if W.shape[0] > 4:
        pytest.skip("one model is enough")
    T = bm.visible_transition_matrix(W, a, b)
    xs, _, _, p = joint_table(W, a, b)
    p_x = np.array([p[np.all(xs == x, axis=1)].sum() for x in bm.all_binary_states(W.shape[0])])
    np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(p_x @ T, p_x, atol=1e-12)


def test_expected_cd_gradient_tends_to_the_exact_gradient(data, model):
    W, a, b = model
    exact = bm.exact_gradient(data, W, a, b).flat()
    far = bm.expected_cd_gradient(data, W, a, b, k=200).flat()
    np.testing.assert_allclose(far, exact, atol=1e-8)
    one = bm.expected_cd_gradient(data, W, a, b, k=1).flat()
    assert np.abs(one - exact).max() > 1e-3


def test_cd_gradient_averages_to_its_expectation(data, model):
    W, a, b = model
    replicas = 2000
    gradient, final = bm.cd_gradient(np.tile(data, (replicas, 1)), W, a, b, k=2, rng=8)
    expected = bm.expected_cd_gradient(data, W, a, b, k=2)
    assert final.shape == (replicas * len(data), W.shape[0])
    # Each negative-phase term is an average of n values in [0, 1] (sd ≤ 1/2).
    tol = 5 * 0.5 / np.sqrt(replicas * len(data))
    np.testing.assert_allclose(gradient.flat(), expected.flat(), atol=tol)


def test_pcd_chains_continue_from_the_given_states(model, data):
    W, a, b = model
    chains = np.ones((7, W.shape[0]))
    _, final = bm.cd_gradient(data, W, a, b, k=1, rng=1, chains=chains)
    assert final.shape == (7, W.shape[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ais_agrees_with_exact_log_z_within_its_error(seed):
    W, a, b = random_rbm(6, 4, seed=100 + seed, scale=1.0)
    exact = bm.exact_log_partition(W, a, b)
    result = bm.ais_log_partition(W, a, b, n_temperatures=300, n_chains=200, rng=seed)
    # The delta-method standard error; 4 of them bounds a correct estimate's error
    # (it is a ratio estimator, slightly biased low by O(1/n_chains)).
    assert abs(result.log_z - exact) < 4 * result.stderr
    assert result.stderr < 0.1
    assert 1 < result.effective_sample_size <= 200


def test_ais_from_a_base_rate_model_and_its_spread_across_runs():
    W, a, b = random_rbm(6, 4, seed=7, scale=1.0)
    exact = bm.exact_log_partition(W, a, b)
    runs = [
        bm.ais_log_partition(W, a, b, n_temperatures=100, n_chains=100, rng=s,
                             base_biases=a)
        for s in range(20)
    ]
    estimates = np.array([r.log_z for r in runs])
    # The reported stderr should match the actual spread of independent runs (within a
    # factor of 2: the spread of 20 runs is itself uncertain by about 1/sqrt(2 * 19) = 16 %).
    ratio = estimates.std(ddof=1) / np.median([r.stderr for r in runs])
    assert 0.5 < ratio < 2
    assert abs(estimates.mean() - exact) < 4 * estimates.std(ddof=1) / np.sqrt(20) + 0.01
    assert runs[0].log_z_base == pytest.approx(np.logaddexp(0, a).sum() + 4 * np.log(2))


def test_ais_is_exact_for_a_model_equal_to_its_base():
    a = np.array([0.3, -1.0, 2.0])
    result = bm.ais_log_partition(np.zeros((3, 2)), a, np.zeros(2), n_temperatures=5,
                                  n_chains=10, rng=0, base_biases=a)
    assert result.log_z == pytest.approx(bm.exact_log_partition(np.zeros((3, 2)), a, np.zeros(2)))
    assert result.stderr == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("method, k", [("cd", 1), ("cd", 5), ("pcd", 1)])
def test_training_raises_the_exact_log_likelihood(method, k):
    W0, _, _ = random_rbm(6, 4, seed=21, scale=3.0)
    a0, b0 = -W0.sum(axis=1) / 2, -W0.sum(axis=0) / 2
    xs = bm.all_binary_states(6)
    log_p = -bm.free_energy(xs, W0, a0, b0)
    g = np.random.default_rng(4)
    data = xs[g.choice(64, size=300, p=np.exp(log_p - logsumexp(log_p)))]
    initial = (g.normal(0, 0.1, size=(6, 4)), np.zeros(6), np.zeros(4))
    fit = bm.train_rbm(data, 4, method=method, k=k, n_epochs=30, batch_size=20,
                       learning_rate=0.2, rng=9, track_likelihood=True, initial=initial)
    assert fit.log_likelihood.shape == (31,)
    assert fit.reconstruction_error.shape == (30,)
    assert fit.log_likelihood[-1] > fit.log_likelihood[0] + 1.0
    assert fit.log_likelihood[-1] == pytest.approx(bm.log_likelihood(data, fit.W, fit.a, fit.b))


def test_ising_samplers_match_the_exact_moments():
    g = np.random.default_rng(2)
    upper = np.triu(g.normal(0.0, 0.3, size=(6, 6)), k=1)
    model = IsingModel(g.normal(0.0, 0.3, size=6), upper + upper.T)
    exact = model_moments(model)
    x0 = np.where(g.random((400, 6)) < 0.5, -1.0, 1.0)
    for sampler in (bm.ising_gibbs, bm.ising_metropolis):
        trace = sampler(model, x0, n_sweeps=60, rng=3)[10:]
        per_chain = trace.mean(axis=0)  # (n_chains, M): independent chain averages
        se = per_chain.std(axis=0, ddof=1) / np.sqrt(per_chain.shape[0])
        assert np.all(np.abs(per_chain.mean(axis=0) - exact.mean) < 5 * se)
        second = np.einsum("tci,tcj->cij", trace, trace) / trace.shape[0]
        se2 = second.std(axis=0, ddof=1) / np.sqrt(second.shape[0]) + 1e-12
        assert np.all(np.abs(second.mean(axis=0) - exact.second) < 5 * se2)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


def test_non_binary_states_are_refused():
    W, a, b = random_rbm(3, 2, seed=0)
    with pytest.raises(ValueError, match="only 0 and 1"):
        bm.free_energy([0.0, 0.5, 1.0], W, a, b)
    with pytest.raises(ValueError, match="only 0 and 1"):
        bm.energy([0, 1, 1], [-1, 1], W, a, b)
    with pytest.raises(ValueError, match="only -1 and \\+1"):
        bm.ising_gibbs(IsingModel.zeros(2), [[0, 1]], n_sweeps=1, rng=0)


def test_shape_mismatches_are_refused():
    W, a, b = random_rbm(3, 2, seed=0)
    with pytest.raises(ValueError, match="a must have one bias per visible unit"):
        bm.exact_log_partition(W, a[:2], b)
    with pytest.raises(ValueError, match="b must have one bias per hidden unit"):
        bm.exact_log_partition(W, a, np.zeros(3))
    with pytest.raises(ValueError, match="last axis of length 3"):
        bm.free_energy([0, 1], W, a, b)
    with pytest.raises(ValueError, match=r"data must have shape \(N, 3\)"):
        bm.exact_gradient([0, 1, 1], W, a, b)
    with pytest.raises(ValueError, match="base_biases must have shape"):
        bm.ais_log_partition(W, a, b, n_temperatures=3, n_chains=3, rng=0, base_biases=[0])
    with pytest.raises(ValueError, match=r"initial W must have shape \(3, 4\)"):
        bm.train_rbm(np.ones((4, 3)), 4, n_epochs=1, batch_size=2, learning_rate=0.1,
                     rng=0, initial=(W, a, b))


def test_too_large_a_layer_to_enumerate_is_refused():
    W = np.zeros((30, 21))
    with pytest.raises(ValueError, match="21 units, 2\\*\\*21 states: too many"):
        bm.exact_log_partition(W, np.zeros(30), np.zeros(21))
    with pytest.raises(ValueError, match="too many to enumerate"):
        bm.exact_gradient(np.zeros((1, 30)), W, np.zeros(30), np.zeros(21))
    with pytest.raises(ValueError, match="at most 12 visible"):
        bm.visible_transition_matrix(np.zeros((13, 2)), np.zeros(13), np.zeros(2))


def test_bad_settings_are_refused():
    W, a, b = random_rbm(3, 2, seed=0)
    with pytest.raises(ValueError, match="n_temperatures ≥ 2"):
        bm.ais_log_partition(W, a, b, n_temperatures=1, n_chains=5, rng=0)
    with pytest.raises(ValueError, match="method must be 'cd' or 'pcd'"):
        bm.train_rbm(np.ones((4, 3)), 2, method="pc", n_epochs=1, batch_size=2,
                     learning_rate=0.1, rng=0)
    with pytest.raises(ValueError, match="n_chains is for method='pcd'"):
        bm.train_rbm(np.ones((4, 3)), 2, method="cd", n_chains=3, n_epochs=1, batch_size=2,
                     learning_rate=0.1, rng=0)
    with pytest.raises(ValueError, match="exceeds the 4 data vectors"):
        bm.train_rbm(np.ones((4, 3)), 2, n_epochs=1, batch_size=5, learning_rate=0.1, rng=0)
    with pytest.raises(ValueError, match=r"x0 must have shape \(n_chains, 3\)"):
        bm.block_gibbs(np.ones(3), W, a, b, n_steps=1, rng=0)
