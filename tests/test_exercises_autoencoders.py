"""Tests of the expected values behind chapter 8's exercise checks, each against a second
computation (bayesbook's PCA, scikit-learn's nearest-neighbour classifier, the library's
closed-form KL), and of the checks' verdicts on a right and a wrong answer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from bayesbook import autoencoders as ae
from bayesbook.checks import CheckFailed, NotAnswered
from bayesbook.exercises import autoencoders as ex
from bayesbook.exercises import check


def sheet(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)) @ np.diag([2.0, 1.0, 0.3]) + np.array([1.0, -2.0, 5.0])


def test_minimal_linear_losses_are_the_pca_reconstruction_errors():
    X = sheet()
    errors = [np.mean(np.sum((p.decode(p.encode(X)) - X) ** 2, axis=1))
              for p in (ae.pca(X, k) for k in (1, 2))]
    np.testing.assert_allclose(ex.minimal_linear_losses(X, (1, 2)), errors, rtol=1e-10)
    np.testing.assert_allclose(ex.minimal_linear_losses(X, (3,)), [0.0], atol=1e-20)


def test_ae_ex1_accepts_the_eigenvalue_answer_and_rejects_the_uncentred_one(capsys):
    X = sheet()
    n = X.shape[0]
    eigenvalues = np.linalg.eigvalsh(np.cov(X, rowvar=False))[::-1]
    right = np.array([eigenvalues[k:].sum() for k in (1, 2, 3)]) * (n - 1) / n
    check("ae-ex1", optimal_losses=right, X=X)
    assert "✓ ae-ex1: correct." in capsys.readouterr().out
    uncentred = np.linalg.eigvalsh(X.T @ X / (n - 1))[::-1]
    with pytest.raises(CheckFailed, match="minimal losses"):
        check("ae-ex1", optimal_losses=np.array([uncentred[k:].sum() for k in (1, 2, 3)]), X=X)
    with pytest.raises(NotAnswered, match="not answered yet"):
        check("ae-ex1", optimal_losses=..., X=X)


def test_pca_validation_errors_match_bayesbook_pca():
    rng = np.random.default_rng(1)
    X_train, X_val = rng.uniform(size=(80, 6)), rng.uniform(size=(20, 6))
    model = ae.pca(X_train, 4)
    expected = [np.mean((p.decode(p.encode(X_val)) - X_val) ** 2)
                for p in (model.truncate(k) for k in range(1, 5))]
    np.testing.assert_allclose(ex.pca_validation_errors(X_train, X_val, 4), expected, rtol=1e-8)


def test_one_nn_accuracies_match_scikit_learn():
    rng = np.random.default_rng(2)
    train, test = rng.normal(size=(60, 3)), rng.normal(size=(40, 3))
    y_train, y_test = rng.integers(0, 3, 60), rng.integers(0, 3, 40)
    sets = [ae.sample_per_class(y_train, 4, rng=s) for s in range(3)]
    expected = [KNeighborsClassifier(n_neighbors=1).fit(train[s], y_train[s]).score(test, y_test)
                for s in sets]
    np.testing.assert_allclose(ex.one_nn_accuracies(train, y_train, test, y_test, sets),
                               expected, rtol=0, atol=1e-12)


def test_mean_kl_to_prior_matches_the_library_closed_form():
    rng = np.random.default_rng(3)
    params = {name: 0.5 * rng.normal(size=shape)
              for name, shape in ae._parameter_shapes("vae", (4, 3, 2)).items()}
    model = ae.VariationalAutoencoder((4, 3, 2), params, 1.0, np.empty(0), np.empty(0))
    X = rng.uniform(size=(10, 4))
    mean, sd = model.encode_distribution(X)
    np.testing.assert_allclose(ex.mean_kl_to_prior(model, X),
                               ae.kl_standard_normal(mean, 2 * np.log(sd)).mean(), rtol=1e-12)


def test_ae_ex2_start_is_the_prescribed_draw():
    start = ex.ae_ex2_start(3)
    generator = np.random.default_rng(7)
    np.testing.assert_array_equal(start["encoder_weights"], generator.standard_normal((3, 2)))
    np.testing.assert_array_equal(start["decoder_weights"], generator.standard_normal((2, 3)))
    assert not start["encoder_bias"].any() and not start["decoder_bias"].any()
