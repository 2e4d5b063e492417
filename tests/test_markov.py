"""Tests of bayesbook.markov against answers computed another way.

Independent answers: closed forms for two-state chains, ``numpy.linalg.eig`` and matrix
powers for stationary distributions and evolution, a Metropolis matrix built here by hand
for detailed balance, and chi-square tests (scipy) for the simulated walkers. Statistical
tests use fixed seeds; their thresholds come from the multinomial (or Markov-chain) Monte
Carlo error, as each comment says.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bayesbook import markov

# Significance level for the chi-square tests: with fixed seeds a correct sampler passes
# deterministically, and a level this small keeps the chance that a seed was "unlucky" tiny.
ALPHA = 1e-3


def two_state(a: float, b: float) -> np.ndarray:
    """P(0 -> 1) = a, P(1 -> 0) = b, in the column convention."""
    return np.array([[1 - a, b], [a, 1 - b]])


def random_chain(n: int, seed: int) -> np.ndarray:
    """A dense column-stochastic matrix with Dirichlet(1, ..., 1) columns."""
    return np.random.default_rng(seed).dirichlet(np.ones(n), size=n).T


def eig_stationary(W: np.ndarray) -> np.ndarray:
    """Stationary distribution from numpy.linalg.eig: the eigenvector of eigenvalue 1."""
    values, vectors = np.linalg.eig(W)
    v = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    return v / v.sum()


def cycle(n: int, forward: float) -> np.ndarray:
    """Walk on a ring of n states: one step forward with prob. `forward`, else back."""
    eye = np.eye(n)
    return forward * np.roll(eye, 1, axis=0) + (1 - forward) * np.roll(eye, -1, axis=0)


def reflecting_walk(n: int) -> np.ndarray:
    """Simple random walk on 0..n-1, pushed back into the line at both ends (no holding)."""
    W = np.zeros((n, n))
    for j in range(1, n - 1):
        W[j - 1, j] = W[j + 1, j] = 0.5
    W[1, 0] = W[n - 2, n - 1] = 1.0
    return W


# --- evolve -----------------------------------------------------------------------------


def test_evolve_matches_matrix_powers():
    W = random_chain(5, seed=1)
    p0 = np.array([0.5, 0.0, 0.2, 0.3, 0.0])
    history = markov.evolve(W, p0, 7)
    assert history.shape == (8, 5)
    for t in range(8):
        np.testing.assert_allclose(history[t], np.linalg.matrix_power(W, t) @ p0, atol=1e-14)


def test_evolve_two_state_closed_form():
    # p_0(t) = pi_0 + (p_0(0) - pi_0) (1 - a - b)^t for the two-state chain.
    a, b = 0.3, 0.1
    history = markov.evolve(two_state(a, b), [1.0, 0.0], 10)
    pi0 = b / (a + b)
    expected = pi0 + (1 - pi0) * (1 - a - b) ** np.arange(11)
    np.testing.assert_allclose(history[:, 0], expected, atol=1e-14)


# --- stationary_distribution --------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [2, 6, 30])
def test_stationary_matches_numpy_eig(n, seed):
    W = random_chain(n, seed)
    pi = markov.stationary_distribution(W)
    np.testing.assert_allclose(pi, eig_stationary(W), atol=1e-12)
    assert np.all(pi >= 0)


def test_stationary_two_state_closed_form():
    a, b = 0.25, 0.05
    np.testing.assert_allclose(
        markov.stationary_distribution(two_state(a, b)), [b / (a + b), a / (a + b)], atol=1e-14
    )


def test_stationary_of_absorbing_chain_is_unique():
    # Not irreducible, but with one closed class (state 2 absorbs) the answer is unique.
    W = np.array([[0.5, 0.2, 0.0], [0.3, 0.5, 0.0], [0.2, 0.3, 1.0]])
    np.testing.assert_allclose(markov.stationary_distribution(W), [0, 0, 1], atol=1e-12)


def neighbour_metropolis(p: np.ndarray) -> np.ndarray:
    """Metropolis matrix by hand: propose i - 1 or i + 1 with prob. 1/2 each (off the ends:
    stay), accept with min(1, p_new / p_old)."""
    n = p.size
    W = np.zeros((n, n))
    for j in range(n):
        for i in (j - 1, j + 1):
            if 0 <= i < n:
                W[i, j] = 0.5 * min(1.0, p[i] / p[j])
        W[j, j] = 1.0 - W[:, j].sum()
    return W


def double_well(n: int, depth: float) -> np.ndarray:
    """A bimodal target on n states whose valley is exp(-depth) times lower than its peaks."""
    x = np.linspace(-1.0, 1.0, n)
    log_p = -depth * (x**2 - 1.0) ** 2
    return np.exp(log_p - log_p.max()) / np.exp(log_p - log_p.max()).sum()


@pytest.mark.parametrize("depth", [18.0, 25.0, 30.0])
def test_stationary_of_metastable_chain(depth):
    # Irreducible, so pi is unique, but the spectral gap is ~1e-9 or smaller: a tolerance on
    # singular values of W - I used to count two stationary distributions. Detailed balance
    # holds by construction, so the answer is the target itself.
    p = double_well(40, depth)
    W = neighbour_metropolis(p)
    assert markov.is_irreducible(W)
    assert markov.spectrum(W).spectral_gap < 1e-8
    np.testing.assert_allclose(markov.stationary_distribution(W), p, rtol=1e-9)


def test_stationary_of_near_identity_chain():
    # Off-diagonal entries of 1e-9: W - I is tiny everywhere (SVD counted 0 null vectors),
    # but W = (1 - eps) I + eps R has R's stationary distribution, from numpy.linalg.eig.
    R = random_chain(6, seed=4)
    eps = 1e-9
    W = (1 - eps) * np.eye(6) + eps * R
    np.testing.assert_allclose(markov.stationary_distribution(W), eig_stationary(R), rtol=1e-7)
    a, b = 1e-10, 3e-10
    np.testing.assert_allclose(
        markov.stationary_distribution(two_state(a, b)), [b / (a + b), a / (a + b)], rtol=1e-9
    )


def test_closed_classes():
    W = np.zeros((5, 5))
    W[:2, :2] = two_state(0.3, 0.4)
    W[2:4, 2:4] = two_state(0.1, 0.2)
    W[:, 4] = [0.25, 0.25, 0.25, 0.0, 0.25]  # state 4 is transient: it leaks into both classes
    assert [c.tolist() for c in markov.closed_classes(W)] == [[0, 1], [2, 3]]
    assert [c.tolist() for c in markov.closed_classes(random_chain(4, seed=0))] == [[0, 1, 2, 3]]


def test_stationary_refuses_reducible_chain():
    W = np.zeros((4, 4))
    W[:2, :2] = two_state(0.3, 0.4)
    W[2:, 2:] = two_state(0.1, 0.2)
    with pytest.raises(ValueError, match="2 linearly independent stationary distributions"):
        markov.stationary_distribution(W)


# --- simulate ---------------------------------------------------------------------------


def test_simulate_shape_start_and_dtype():
    W = random_chain(4, seed=3)
    states = markov.simulate(W, [0, 1, 2], 5, rng=0, n_walkers=3)
    assert states.shape == (3, 6)
    assert np.issubdtype(states.dtype, np.integer)
    np.testing.assert_array_equal(states[:, 0], [0, 1, 2])
    assert states.min() >= 0 and states.max() <= 3


def test_simulate_is_reproducible_with_a_seed():
    W = random_chain(4, seed=3)
    first = markov.simulate(W, 0, 20, rng=7, n_walkers=5)
    second = markov.simulate(W, 0, 20, rng=np.random.default_rng(7), n_walkers=5)
    np.testing.assert_array_equal(first, second)


def test_simulate_never_takes_an_impossible_transition():
    W = reflecting_walk(6)
    states = markov.simulate(W, 0, 200, rng=11, n_walkers=50)
    steps = np.abs(np.diff(states, axis=1))
    assert np.all(steps == 1)


def test_simulated_ensemble_matches_evolved_distribution():
    # An asymmetric chain, so a sampler that used rows instead of columns would fail.
    W = np.array([[0.1, 0.6, 0.3], [0.7, 0.2, 0.0], [0.2, 0.2, 0.7]])
    n_walkers, t = 20_000, 3
    states = markov.simulate(W, 0, t, rng=2024, n_walkers=n_walkers)
    counts = np.bincount(states[:, t], minlength=3)
    expected = n_walkers * markov.evolve(W, [1, 0, 0], t)[t]
    # The counts are multinomial(n_walkers, p(t)); chi-square measures that error.
    assert stats.chisquare(counts, expected).pvalue > ALPHA
    # The test has power: the row-convention answer is rejected decisively.
    wrong = n_walkers * (np.linalg.matrix_power(W.T / W.T.sum(axis=0), t) @ [1, 0, 0])
    assert stats.chisquare(counts, wrong).pvalue < 1e-12


def test_simulated_transitions_match_columns_of_W():
    W = random_chain(4, seed=5)
    states = markov.simulate(W, 0, 40_000, rng=99)[0]
    pairs = np.zeros((4, 4))
    np.add.at(pairs, (states[1:], states[:-1]), 1)  # pairs[i, j] counts j -> i
    # Given the current state j the next state is multinomial with probabilities W[:, j];
    # one chi-square test per column, Bonferroni-corrected.
    for j in range(4):
        observed = pairs[:, j]
        pvalue = stats.chisquare(observed, observed.sum() * W[:, j]).pvalue
        assert pvalue > ALPHA / 4


def test_time_averages_match_stationary_distribution():
    # Two-state chain: the indicator of state 1 has autocorrelation lambda^k, so the time
    # average over N steps of a chain started in pi has variance about
    # pi_0 pi_1 (1 + lambda) / ((1 - lambda) N). Independent walkers average that down.
    a, b = 0.2, 0.3
    lam, pi1 = 1 - a - b, a / (a + b)
    n_walkers, n_steps = 40, 5000
    starts = np.random.default_rng(1).choice(2, size=n_walkers, p=[1 - pi1, pi1])
    states = markov.simulate(two_state(a, b), starts, n_steps, rng=314, n_walkers=n_walkers)
    sd = math.sqrt(pi1 * (1 - pi1) * (1 + lam) / ((1 - lam) * n_steps * n_walkers))
    assert abs(states[:, 1:].mean() - pi1) < 4 * sd


# --- detailed_balance ---------------------------------------------------------------------


def metropolis_by_hand(p: np.ndarray) -> np.ndarray:
    """Metropolis matrix with a uniform proposal over the other states."""
    n = p.size
    W = np.zeros((n, n))
    for j in range(n):
        for i in range(n):
            if i != j:
                W[i, j] = min(1.0, p[i] / p[j]) / (n - 1)
        W[j, j] = 1.0 - W[:, j].sum()
    return W


def test_metropolis_matrix_satisfies_detailed_balance():
    p = np.array([0.1, 0.4, 0.2, 0.05, 0.25])
    W = metropolis_by_hand(p)
    assert markov.detailed_balance(W, p)
    np.testing.assert_allclose(markov.stationary_distribution(W), p, atol=1e-12)
    # ... but not with respect to another distribution.
    assert not markov.detailed_balance(W, np.full(5, 0.2))


def test_detailed_balance_is_relative_to_each_flow():
    # A discretised N(0, 1) on 81 points over +-10 (tail probabilities ~1e-22): its
    # Metropolis matrix is reversible; corrupted so that state 0 always jumps right, it is
    # not (p is not even stationary), though every flow changes by less than 1e-20.
    x = np.linspace(-10.0, 10.0, 81)
    p = np.exp(-0.5 * x**2) / np.exp(-0.5 * x**2).sum()
    W = neighbour_metropolis(p)
    assert markov.detailed_balance(W, p)
    W_bad = W.copy()
    W_bad[:, 0] = 0.0
    W_bad[1, 0] = 1.0
    assert np.max(np.abs(W_bad * p - W * p)) < 1e-20
    assert markov.stationary_distribution(W_bad)[0] < 0.6 * p[0]
    assert not markov.detailed_balance(W_bad, p)


def test_birth_death_chain_is_reversible():
    # Every chain whose transitions form a path (tridiagonal W) is reversible.
    rng = np.random.default_rng(8)
    n = 7
    up, down = rng.uniform(0.1, 0.5, n), rng.uniform(0.1, 0.5, n)
    W = np.diag(1 - up - down)
    W += np.diag(up[:-1], -1) + np.diag(down[1:], 1)
    W[0, 0] += down[0]
    W[-1, -1] += up[-1]
    assert markov.detailed_balance(W, eig_stationary(W))


def test_biased_cycle_is_stationary_but_not_reversible():
    W = cycle(5, forward=0.8)
    uniform = np.full(5, 0.2)
    np.testing.assert_allclose(W @ uniform, uniform)
    assert not markov.detailed_balance(W, uniform)
    assert markov.detailed_balance(cycle(5, forward=0.5), uniform)


# --- spectrum -----------------------------------------------------------------------------


def test_spectrum_is_sorted_and_satisfies_the_eigen_equation():
    W = random_chain(6, seed=4)
    spec = markov.spectrum(W)
    moduli = np.abs(spec.eigenvalues)
    assert np.all(np.diff(moduli) <= 1e-12)
    assert spec.eigenvalues[0] == pytest.approx(1.0)
    np.testing.assert_allclose(
        np.sort_complex(spec.eigenvalues), np.sort_complex(np.linalg.eigvals(W)), atol=1e-12
    )
    np.testing.assert_allclose(
        W @ spec.eigenvectors, spec.eigenvectors * spec.eigenvalues, atol=1e-12
    )


def test_spectral_gap_two_state_closed_form():
    a, b = 0.3, 0.5
    spec = markov.spectrum(two_state(a, b))
    np.testing.assert_allclose(spec.eigenvalues, [1.0, 1 - a - b], atol=1e-14)
    assert spec.spectral_gap == pytest.approx(1 - abs(1 - a - b))
    # A flip-flop chain has eigenvalue -1 and no gap.
    assert markov.spectrum(two_state(1.0, 1.0)).spectral_gap == pytest.approx(0.0, abs=1e-14)


def test_spectrum_of_a_deterministic_cycle_is_the_roots_of_unity():
    n = 5
    spec = markov.spectrum(np.roll(np.eye(n), 1, axis=0))
    np.testing.assert_allclose(np.abs(spec.eigenvalues), 1.0, atol=1e-12)
    np.testing.assert_allclose(spec.eigenvalues**n, 1.0, atol=1e-12)
    assert spec.eigenvalues[0] == pytest.approx(1.0)


def test_eigen_expansion_reproduces_evolution():
    W = random_chain(5, seed=6)
    p0 = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    spec = markov.spectrum(W)
    alpha = spec.coefficients(p0)
    for t in (0, 1, 4, 9):
        expanded = spec.eigenvectors @ (spec.eigenvalues**t * alpha)
        np.testing.assert_allclose(expanded, np.linalg.matrix_power(W, t) @ p0, atol=1e-12)


def test_one_state_chain_has_gap_one():
    assert markov.spectrum([[1.0]]).spectral_gap == 1.0


# --- total_variation ----------------------------------------------------------------------


def test_total_variation_values():
    assert markov.total_variation([1, 0], [0, 1]) == pytest.approx(1.0)
    assert markov.total_variation([0.5, 0.5], [0.5, 0.5]) == 0.0
    # TV is also the largest difference in probability of any event: here the event {0}.
    assert markov.total_variation([0.7, 0.2, 0.1], [0.4, 0.3, 0.3]) == pytest.approx(0.3)


def test_total_variation_broadcasts_over_leading_axes():
    W = two_state(0.3, 0.1)
    history = markov.evolve(W, [1, 0], 5)
    pi = np.array([0.25, 0.75])
    tv = markov.total_variation(history, pi)
    assert tv.shape == (6,)
    # Two states: TV = |p_0(t) - pi_0| = 0.75 * 0.6^t.
    np.testing.assert_allclose(tv, 0.75 * 0.6 ** np.arange(6), atol=1e-14)


# --- is_irreducible and period ------------------------------------------------------------


def reachability_by_powers(W: np.ndarray) -> bool:
    """Irreducible iff (I + A)^(n-1) has no zero entry, A the adjacency of W."""
    n = W.shape[0]
    reach = np.linalg.matrix_power(np.eye(n) + (W > 0), n - 1)
    return bool(np.all(reach > 0))


def period_by_powers(W: np.ndarray) -> int:
    """gcd of the return times t <= 3 n to state 0 (enough for small chains)."""
    n = W.shape[0]
    A = (W > 0).astype(float)
    power, times = np.eye(n), []
    for t in range(1, 3 * n + 1):
        power = np.minimum(A @ power, 1.0)
        if power[0, 0] > 0:
            times.append(t)
    return math.gcd(*times)


@pytest.mark.parametrize(
    "W",
    [
        two_state(0.3, 0.4),
        two_state(1.0, 1.0),
        reflecting_walk(6),
        cycle(5, 1.0),
        cycle(6, 0.7),
        cycle(5, 0.7),
        markov.lazy(cycle(6, 1.0)),
        # cycles of length 2 (0 <-> 1) and 3 (0 -> 1 -> 2 -> 0): aperiodic
        np.array([[0.0, 0.5, 1.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.0]]),
    ],
)
def test_period_and_irreducibility_match_matrix_powers(W):
    assert markov.is_irreducible(W) == reachability_by_powers(W)
    assert markov.period(W) == period_by_powers(W)


def test_reducible_chains_are_detected():
    W = np.array([[0.5, 0.2, 0.0], [0.3, 0.5, 0.0], [0.2, 0.3, 1.0]])
    assert not markov.is_irreducible(W)
    assert not reachability_by_powers(W)
    with pytest.raises(ValueError, match="irreducible chains only"):
        markov.period(W)


# --- lazy and mixing_time ----------------------------------------------------------------


def test_lazy_chain_eigenvalues_and_stationary_distribution():
    # The lazy chain is checked through what laziness does, not by restating its formula:
    # its eigenvalues are those of W pulled towards 1, the stationary distribution stays,
    # and the ring's period 2 disappears.
    W = cycle(6, 0.9)
    holding = 0.3
    L = markov.lazy(W, holding)
    assert markov.period(W) == 2 and markov.period(L) == 1
    np.testing.assert_allclose(
        np.sort_complex(np.linalg.eigvals(L)),
        np.sort_complex(holding + (1 - holding) * np.linalg.eigvals(W)),
        atol=1e-12,
    )
    np.testing.assert_allclose(markov.stationary_distribution(L), np.full(6, 1 / 6), atol=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "epsilon"), [(0.3, 0.1, 0.25), (0.05, 0.02, 0.01), (0.9, 0.8, 0.1)]
)
def test_mixing_time_two_state_closed_form(a, b, epsilon):
    # From state 0 the distance is a/(a+b) |lambda|^t, from state 1 b/(a+b) |lambda|^t.
    lam = abs(1 - a - b)
    worst_start = max(a, b) / (a + b)
    expected = max(0, math.ceil(math.log(epsilon / worst_start) / math.log(lam)))
    assert markov.mixing_time(two_state(a, b), epsilon) == expected


# --- input validation ---------------------------------------------------------------------


def test_non_stochastic_matrices_are_refused():
    with pytest.raises(ValueError, match=r"column 1 sums to 0\.9"):
        markov.evolve([[0.5, 0.4], [0.5, 0.5]], [1, 0], 3)
    with pytest.raises(ValueError, match="non-negative entries"):
        markov.stationary_distribution([[1.2, 0.0], [-0.2, 1.0]])
    with pytest.raises(ValueError, match="must be square"):
        markov.simulate(np.full((2, 3), 0.5), 0, 3, rng=0)
    with pytest.raises(ValueError, match="finite numbers"):
        markov.spectrum([[np.nan, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="column-stochastic"):
        markov.detailed_balance(two_state(0.2, 0.2).T * 1.1, [0.5, 0.5])
    with pytest.raises(ValueError, match="W must be 2-dimensional"):
        markov.lazy([0.5, 0.5])
    with pytest.raises(TypeError, match="W must be numeric array-like"):
        markov.is_irreducible("not a matrix")


def test_evolve_validation():
    W = two_state(0.2, 0.3)
    with pytest.raises(ValueError, match="one entry per state: W has 2 states, p0 has 3"):
        markov.evolve(W, [0.2, 0.3, 0.5], 2)
    with pytest.raises(ValueError, match="p0 must sum to one"):
        markov.evolve(W, [0.2, 0.3], 2)
    with pytest.raises(ValueError, match="p0 must not be empty"):
        markov.evolve(W, [], 2)
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        markov.evolve(W, [1, 0], 0)
    with pytest.raises(TypeError, match="n_steps must be a positive integer"):
        markov.evolve(W, [1, 0], 2.5)


def test_simulate_validation():
    W = two_state(0.2, 0.3)
    with pytest.raises(TypeError, match="start must be an integer state index"):
        markov.simulate(W, 0.5, 3, rng=0)
    with pytest.raises(ValueError, match=r"one state per walker, shape \(3,\)"):
        markov.simulate(W, [0, 1], 3, rng=0, n_walkers=3)
    with pytest.raises(ValueError, match="states between 0 and 1"):
        markov.simulate(W, 2, 3, rng=0)
    with pytest.raises(ValueError, match="n_walkers must be a positive integer"):
        markov.simulate(W, 0, 3, rng=0, n_walkers=0)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        markov.simulate(W, 0, 3, rng=None)


def test_detailed_balance_validation():
    W = two_state(0.2, 0.3)
    with pytest.raises(ValueError, match="one entry per state: W has 2 states, p has 1"):
        markov.detailed_balance(W, [1.0])
    with pytest.raises(ValueError, match="p must be non-negative"):
        markov.detailed_balance(W, [1.5, -0.5])
    with pytest.raises(ValueError, match="rtol must be a positive finite number"):
        markov.detailed_balance(W, [0.6, 0.4], rtol=-1e-3)


def test_coefficients_validation():
    spec = markov.spectrum(two_state(0.2, 0.3))
    with pytest.raises(ValueError, match=r"one entry per state \(2\), got 3"):
        spec.coefficients([1.0, 0.0, 0.0])


def test_total_variation_validation():
    with pytest.raises(ValueError, match="q must be an array of non-negative probabilities"):
        markov.total_variation([0.5, 0.5], [1.5, -0.5])
    with pytest.raises(ValueError, match="p must be an array of non-negative probabilities"):
        markov.total_variation(1.0, [1.0])
    with pytest.raises(ValueError, match="p must sum to one along its last axis"):
        markov.total_variation([0.5, 0.4], [0.5, 0.5])
    with pytest.raises(ValueError, match="same states: last axes 2 and 3"):
        markov.total_variation([0.5, 0.5], [0.2, 0.3, 0.5])


def test_lazy_validation():
    with pytest.raises(ValueError, match="holding must be a positive finite number"):
        markov.lazy(two_state(0.2, 0.3), 0.0)
    with pytest.raises(ValueError, match="holding must be strictly between 0 and 1"):
        markov.lazy(two_state(0.2, 0.3), 1.0)


def test_mixing_time_validation():
    with pytest.raises(ValueError, match="epsilon must be strictly between 0 and 1"):
        markov.mixing_time(two_state(0.2, 0.3), 1.0)
    with pytest.raises(ValueError, match="epsilon must be a positive finite number"):
        markov.mixing_time(two_state(0.2, 0.3), 0.0)
    with pytest.raises(ValueError, match="max_steps must be a positive integer"):
        markov.mixing_time(two_state(0.2, 0.3), max_steps=0)
    with pytest.raises(ValueError, match="periodic chain never does"):
        markov.mixing_time(cycle(4, 1.0), max_steps=50)
