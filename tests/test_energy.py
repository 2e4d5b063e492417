"""Tests of bayesbook.energy against brute-force loops, closed forms and finite differences."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from bayesbook.energy import (
    MAX_ENUMERABLE_UNITS,
    IsingModel,
    all_states,
    data_moments,
    energy,
    fit_exact,
    log_likelihood,
    log_likelihood_gradient,
    log_partition,
    model_moments,
    probabilities,
    sample_exact,
)


def random_model(n_units: int, seed: int, scale: float = 0.4) -> IsingModel:
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.normal(0.0, scale, size=(n_units, n_units)), k=1)
    return IsingModel(rng.normal(0.0, scale, size=n_units), upper + upper.T)


def brute_force_energy(model: IsingModel, state) -> float:
    """E(x) = −Σ b_i x_i − Σ_{i<j} J_ij x_i x_j with explicit Python loops."""
    m = len(state)
    value = -sum(model.biases[i] * state[i] for i in range(m))
    pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    value -= sum(model.couplings[i, j] * state[i] * state[j] for i, j in pairs)
    return value


def test_all_states_lists_every_configuration_once() -> None:
    states = all_states(4)
    expected = sorted(itertools.product([-1.0, 1.0], repeat=4))
    assert states.shape == (16, 4)
    assert sorted(map(tuple, states)) == expected


def test_energy_matches_explicit_loops() -> None:
    model = random_model(5, seed=1)
    states = all_states(5)
    expected = [brute_force_energy(model, s) for s in states]
    np.testing.assert_allclose(energy(model, states), expected, rtol=1e-12)


def test_log_partition_and_moments_match_a_python_sum() -> None:
    model = random_model(5, seed=2)
    configurations = itertools.product([-1, 1], repeat=5)
    weights = {s: math.exp(-brute_force_energy(model, s)) for s in configurations}
    z = sum(weights.values())
    assert log_partition(model) == pytest.approx(math.log(z), rel=1e-12)
    mean = [sum(w * s[i] for s, w in weights.items()) / z for i in range(5)]
    second = [
        [sum(w * s[i] * s[j] for s, w in weights.items()) / z for j in range(5)] for i in range(5)
    ]
    moments = model_moments(model)
    np.testing.assert_allclose(moments.mean, mean, atol=1e-12)
    np.testing.assert_allclose(moments.second, second, atol=1e-12)
    probs = probabilities(model)
    np.testing.assert_allclose(probs.sum(), 1.0, rtol=1e-12)


def test_independent_units_have_closed_forms() -> None:
    # J = 0: Z = Π 2 cosh(b_i) and E[x_i] = tanh(b_i), E[x_i x_j] = tanh(b_i) tanh(b_j).
    b = np.array([0.3, -1.2, 0.0, 2.0])
    model = IsingModel(b, np.zeros((4, 4)))
    assert log_partition(model) == pytest.approx(np.sum(np.log(2 * np.cosh(b))), rel=1e-12)
    moments = model_moments(model)
    expected_second = np.outer(np.tanh(b), np.tanh(b))
    np.fill_diagonal(expected_second, 1.0)
    np.testing.assert_allclose(moments.mean, np.tanh(b), atol=1e-12)
    np.testing.assert_allclose(moments.second, expected_second, atol=1e-12)


def test_two_units_closed_form() -> None:
    # Z = 2 e^J cosh(b1 + b2) + 2 e^{−J} cosh(b1 − b2).
    b1, b2, coupling = 0.4, -0.9, 0.7
    model = IsingModel([b1, b2], [[0.0, coupling], [coupling, 0.0]])
    z = 2 * np.exp(coupling) * np.cosh(b1 + b2) + 2 * np.exp(-coupling) * np.cosh(b1 - b2)
    assert log_partition(model) == pytest.approx(np.log(z), rel=1e-12)


def test_gradient_matches_central_finite_differences() -> None:
    model = random_model(6, seed=3)
    data = sample_exact(random_model(6, seed=4), 300, rng=5)
    gradient = log_likelihood_gradient(model, data)
    h = 1e-5  # central differences: error ~ h² ≈ 1e-10 plus rounding ~ 1e-16 / h ≈ 1e-11

    def shifted(db, dJ) -> float:
        return log_likelihood(IsingModel(model.biases + db, model.couplings + dJ), data)

    zero_b, zero_J = np.zeros(6), np.zeros((6, 6))
    for i in range(6):
        e = np.eye(6)[i] * h
        numeric = (shifted(e, zero_J) - shifted(-e, zero_J)) / (2 * h)
        assert gradient.biases[i] == pytest.approx(numeric, abs=1e-8)
        for j in range(i + 1, 6):
            d = np.zeros((6, 6))
            d[i, j] = d[j, i] = h  # the shared parameter J_ij = J_ji moves as one
            numeric = (shifted(zero_b, d) - shifted(zero_b, -d)) / (2 * h)
            assert gradient.couplings[i, j] == pytest.approx(numeric, abs=1e-8)
            assert gradient.couplings[j, i] == gradient.couplings[i, j]
    np.testing.assert_array_equal(np.diag(gradient.couplings), 0.0)


def test_data_moments_are_averages() -> None:
    data = np.array([[1, -1, 1], [1, 1, -1], [-1, 1, 1], [1, 1, 1]])
    moments = data_moments(data)
    np.testing.assert_allclose(moments.mean, [0.5, 0.5, 0.5])
    assert moments.second[0, 1] == pytest.approx((-1 + 1 - 1 + 1) / 4)
    np.testing.assert_allclose(np.diag(moments.second), 1.0)


def test_fit_matches_moments_and_beats_the_true_model() -> None:
    true_model = random_model(6, seed=6)
    data = sample_exact(true_model, 500, rng=7)
    fit = fit_exact(data, learning_rate=0.2, tol=1e-8)
    assert fit.converged
    fitted = model_moments(fit.model)
    observed = data_moments(data)
    np.testing.assert_allclose(fitted.mean, observed.mean, atol=1e-7)
    np.testing.assert_allclose(fitted.second, observed.second, atol=1e-7)
    # Concave objective and a small enough step: the log-likelihood never decreases.
    assert np.all(np.diff(fit.log_likelihood) >= -1e-12)
    # The trace is the log-likelihood computed the direct way.
    assert fit.log_likelihood[-1] == pytest.approx(log_likelihood(fit.model, data), rel=1e-12)
    # The maximum-likelihood model fits the data at least as well as the one that made them.
    assert fit.log_likelihood[-1] >= log_likelihood(true_model, data)
    assert fit.log_likelihood.shape == (fit.n_steps + 1,)


@pytest.mark.parametrize("learning_rate", [5.0, 50.0])
def test_a_too_long_step_is_shortened_not_taken(learning_rate) -> None:
    # Far above 2 / L for these data, plain gradient ascent oscillates and never converges;
    # the fit must still reach the moment-matching maximum with a non-decreasing trace.
    data = sample_exact(random_model(6, seed=6), 500, rng=7)
    fit = fit_exact(data, learning_rate=learning_rate, tol=1e-8)
    assert fit.converged
    np.testing.assert_allclose(model_moments(fit.model).second, data_moments(data).second,
                               atol=1e-7)
    assert np.all(np.diff(fit.log_likelihood) >= -1e-12)


def test_every_state_once_gives_the_uniform_model() -> None:
    # All 2^M states once each: data moments are 0 off the diagonal, so the MLE is b = 0, J = 0.
    fit = fit_exact(all_states(4), learning_rate=0.2, tol=1e-9, initial=random_model(4, seed=8))
    np.testing.assert_allclose(fit.model.biases, 0.0, atol=1e-8)
    np.testing.assert_allclose(fit.model.couplings, 0.0, atol=1e-8)
    assert fit.log_likelihood[-1] == pytest.approx(-4 * np.log(2), rel=1e-12)


def test_fit_reports_running_out_of_steps() -> None:
    fit = fit_exact(sample_exact(random_model(4, seed=9), 100, rng=10), max_steps=3)
    assert not fit.converged
    assert fit.n_steps == 3


def test_exact_samples_have_the_model_frequencies() -> None:
    model = random_model(3, seed=11, scale=0.8)
    n = 40_000
    samples = sample_exact(model, n, rng=12)
    index = ((samples > 0) * (2 ** np.arange(2, -1, -1))).sum(axis=1)
    freq = np.bincount(index, minlength=8) / n
    p = probabilities(model)
    # Each frequency is a binomial proportion with SE sqrt(p(1-p)/n); allow 4 SE (seeded).
    np.testing.assert_array_less(np.abs(freq - p), 4 * np.sqrt(p * (1 - p) / n))


@pytest.mark.parametrize(
    ("biases", "couplings", "message"),
    [
        ([[0.0, 1.0]], np.zeros((2, 2)), "biases must be 1-dimensional"),
        ([], np.zeros((0, 0)), "at least one unit"),
        ([0.0, 1.0], np.zeros((3, 3)), r"couplings must have shape \(2, 2\)"),
        ([0.0, 1.0], [[0.0, 1.0], [0.5, 0.0]], "symmetric"),
        ([0.0, 1.0], [[1.0, 0.0], [0.0, 0.0]], "zero on the diagonal"),
        ([0.0, np.inf], np.zeros((2, 2)), "finite"),
        ([0.0, 1.0], [0.0, 0.0], "couplings must be 2-dimensional"),
    ],
)
def test_ising_model_rejects_bad_parameters(biases, couplings, message) -> None:
    with pytest.raises(ValueError, match=message):
        IsingModel(biases, couplings)


def test_enumeration_refuses_too_many_units() -> None:
    with pytest.raises(ValueError, match="too many to enumerate"):
        all_states(MAX_ENUMERABLE_UNITS + 1)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: all_states(0), ValueError, "n_units must be a positive integer"),
        (lambda: IsingModel.zeros(2.0), TypeError, "n_units must be a positive integer"),
        (lambda: energy(IsingModel.zeros(3), [1, -1]), ValueError, "last axis of length 3"),
        (lambda: energy(IsingModel.zeros(2), [1, 0]), ValueError, "only -1 and \\+1"),
        (lambda: log_likelihood(IsingModel.zeros(2), [1, -1]), ValueError, r"shape \(N, 2\)"),
        (lambda: log_likelihood(IsingModel.zeros(2), np.zeros((0, 2))), ValueError, "N ≥ 1"),
        (lambda: data_moments([1, -1]), ValueError, "data must be 2-dimensional"),
        (lambda: fit_exact(all_states(2), initial=IsingModel.zeros(3)), ValueError,
         "initial has 3 units"),
        (lambda: fit_exact(all_states(2), learning_rate=0.0), ValueError, "learning_rate"),
        (lambda: fit_exact(all_states(2), max_steps=0), ValueError, "max_steps"),
        (lambda: fit_exact(all_states(2), tol=-1.0), ValueError, "tol must be"),
        (lambda: sample_exact(IsingModel.zeros(2), 5, rng=None), TypeError, "rng must be"),
        (lambda: sample_exact(IsingModel.zeros(2), 0, rng=1), ValueError, "n_samples"),
    ],
)
def test_bad_input_is_explained(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()
