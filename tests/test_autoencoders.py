"""Tests of bayesbook.autoencoders against independent answers: scikit-learn's PCA and the
eigendecomposition of the covariance, scipy.linalg.subspace_angles, central finite
differences, scipy quadrature, scipy.stats densities, and PyMC's Adam."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytensor
import pytest
from scipy import integrate, stats
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA as SklearnPCA

from bayesbook import autoencoders as ae

# A tiny architecture shared by the tests, so PyTensor compiles it once per session.
TINY = (4, 3, 2)


def sheet_data(n: int = 300, seed: int = 0) -> np.ndarray:
    """3-D points near a curved 2-D sheet, rotated so no axis is special."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(0, 1.0, n), rng.normal(0, 0.6, n)
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    sheet = np.column_stack([u, v, 0.3 * (u**2 - v**2)])
    return sheet @ rotation.T + 0.05 * rng.normal(size=(n, 3)) + np.array([1.0, -2.0, 0.5])


def pixel_data(n: int = 120, d: int = 4, seed: int = 1) -> np.ndarray:
    """Data in [0, 1] with structure: smooth functions of 2 latent numbers."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    mixing = rng.normal(size=(2, d))
    return 1.0 / (1.0 + np.exp(-latent @ mixing))


def random_params(kind: str, layer_sizes: tuple[int, ...], seed: int) -> dict:
    rng = np.random.default_rng(seed)
    shapes = ae._parameter_shapes(kind, layer_sizes)
    return {name: 0.7 * rng.normal(size=shape) for name, shape in shapes.items()}


def central_differences(f, params: dict, h: float = 1e-6) -> dict:
    """Gradient of f(params) by central differences, one parameter entry at a time."""
    gradient = {}
    for name, value in params.items():
        grad = np.zeros(np.shape(value))
        for index in np.ndindex(grad.shape):
            shifted = {k: np.array(v, dtype=float) for k, v in params.items()}
            shifted[name][index] += h
            up = f(shifted)
            shifted[name][index] -= 2 * h
            down = f(shifted)
            grad[index] = (up - down) / (2 * h)
        gradient[name] = grad
    return gradient


# --------------------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------------------


def test_pca_matches_scikit_learn_and_the_covariance_eigendecomposition():
    X = sheet_data()
    result = ae.pca(X, 2)
    reference = SklearnPCA(n_components=2).fit(X)
    np.testing.assert_allclose(result.mean, reference.mean_, atol=1e-12)
    np.testing.assert_allclose(result.explained_variance, reference.explained_variance_, rtol=1e-10)
    # The same axes up to sign.
    np.testing.assert_allclose(
        np.abs(np.sum(result.components * reference.components_, axis=1)), 1.0, atol=1e-10
    )
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(X, rowvar=False))
    np.testing.assert_allclose(result.explained_variance, eigenvalues[::-1][:2], rtol=1e-10)
    np.testing.assert_allclose(result.total_variance, eigenvalues.sum(), rtol=1e-10)
    assert np.max(subspace_angles(result.components.T, eigenvectors[:, ::-1][:, :2])) < 1e-8


def test_pca_components_are_orthonormal_and_signed():
    result = ae.pca(sheet_data(), 3)
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(3), atol=1e-12)
    largest = np.argmax(np.abs(result.components), axis=1)
    assert np.all(result.components[np.arange(3), largest] > 0)


def test_pca_with_all_components_reconstructs_exactly_and_fewer_is_optimal():
    X = sheet_data()
    full = ae.pca(X, 3)
    np.testing.assert_allclose(full.decode(full.encode(X)), X, atol=1e-10)
    # Eckart–Young: the mean squared error of the rank-2 reconstruction is the discarded
    # variance, (N - 1) / N times the smallest covariance eigenvalue.
    two = ae.pca(X, 2)
    error = np.mean(np.sum((two.decode(two.encode(X)) - X) ** 2, axis=1))
    smallest = np.linalg.eigvalsh(np.cov(X, rowvar=False))[0]
    np.testing.assert_allclose(error, smallest * (X.shape[0] - 1) / X.shape[0], rtol=1e-10)


@pytest.mark.parametrize(
    ("X", "n_components", "error", "match"),
    [
        (np.ones(5), 1, ValueError, "X must be 2-dimensional"),
        (np.ones((1, 3)), 1, ValueError, "at least 2 data points"),
        (np.ones((5, 3)), 4, ValueError, r"at most min\(N, D\) = 3"),
        (np.ones((5, 3)), 0, ValueError, "n_components must be a positive integer"),
        (np.ones((5, 3)), 1.5, TypeError, "n_components must be a positive integer"),
        (np.full((5, 3), np.nan), 1, ValueError, "only finite numbers"),
        (np.ones((0, 3)), 1, ValueError, "at least one row"),
    ],
)
def test_pca_rejects_bad_input(X, n_components, error, match):
    with pytest.raises(error, match=match):
        ae.pca(X, n_components)


def test_pca_truncate_equals_a_fit_with_fewer_components():
    X = sheet_data()
    truncated, direct = ae.pca(X, 3).truncate(2), ae.pca(X, 2)
    np.testing.assert_allclose(truncated.components, direct.components, atol=1e-12)
    np.testing.assert_allclose(truncated.explained_variance, direct.explained_variance)
    with pytest.raises(ValueError, match="n_components must be at most 2"):
        direct.truncate(3)


def test_pca_encode_and_decode_check_shapes():
    result = ae.pca(sheet_data(), 2)
    with pytest.raises(ValueError, match="X must have 3 columns"):
        result.encode(np.ones((4, 2)))
    with pytest.raises(ValueError, match="Z must have 2 columns"):
        result.decode(np.ones((4, 3)))


# --------------------------------------------------------------------------------------
# The linear autoencoder
# --------------------------------------------------------------------------------------


def test_linear_autoencoder_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(7, 3))
    params = {
        "encoder_weights": rng.normal(size=(3, 2)),
        "encoder_bias": rng.normal(size=2),
        "decoder_weights": rng.normal(size=(2, 3)),
        "decoder_bias": rng.normal(size=3),
    }
    _, gradient = ae.linear_autoencoder_loss(X, params)
    numerical = central_differences(lambda p: ae.linear_autoencoder_loss(X, p)[0], params)
    for name in params:
        np.testing.assert_allclose(gradient[name], numerical[name], rtol=1e-6, atol=1e-8)


def test_linear_autoencoder_spans_the_principal_subspace_of_the_svd():
    X = sheet_data()
    model = ae.fit_linear_autoencoder(X, 2, rng=3, n_steps=5000, learning_rate=0.05)
    assert model.decoder_weights.shape == (2, 3)
    _, _, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    angles = subspace_angles(model.decoder_weights.T, vt[:2].T)
    assert np.max(angles) < 1e-6
    # Its loss reaches the PCA optimum: (N - 1)/N times the discarded covariance eigenvalue
    # (gradient descent converges linearly; 5000 steps leave a relative excess far below 1e-8).
    smallest = np.linalg.eigvalsh(np.cov(X, rowvar=False))[0]
    np.testing.assert_allclose(
        model.loss_history[-1], smallest * (X.shape[0] - 1) / X.shape[0], rtol=1e-8
    )
    reconstruction = model.decode(model.encode(X))
    np.testing.assert_allclose(
        np.mean(np.sum((reconstruction - X) ** 2, axis=1)), model.loss_history[-1], rtol=1e-12
    )
    assert np.all(np.diff(model.loss_history) <= 1e-12)  # small steps: monotone descent


def test_linear_autoencoder_defaults_work_on_data_of_any_scale_and_offset():
    # LIBRARY.md: a default step size must not fail on data of another scale. The same
    # data in other units (x 100, shifted by 1000) reach the PCA optimum with the defaults,
    # with the same weights (the descent runs on standardised data) and the loss in the
    # data's units.
    X = sheet_data()
    reference = ae.fit_linear_autoencoder(X, 2, rng=3)
    rescaled = ae.fit_linear_autoencoder(100.0 * X + 1000.0, 2, rng=3)
    np.testing.assert_allclose(rescaled.decoder_weights, reference.decoder_weights, atol=1e-10)
    np.testing.assert_allclose(rescaled.loss_history, 1e4 * reference.loss_history, rtol=1e-8)
    smallest = np.linalg.eigvalsh(np.cov(100.0 * X, rowvar=False))[0]
    np.testing.assert_allclose(
        rescaled.loss_history[-1], smallest * (X.shape[0] - 1) / X.shape[0], rtol=1e-6
    )
    reconstruction = rescaled.decode(rescaled.encode(100.0 * X + 1000.0))
    np.testing.assert_allclose(
        np.mean(np.sum((reconstruction - 100.0 * X - 1000.0) ** 2, axis=1)),
        rescaled.loss_history[-1], rtol=1e-8,
    )


def test_linear_autoencoder_keeps_the_biases_of_the_centred_descent():
    # On centred data the biases of the descent stay zero, so the code is (x - mean) W_e
    # and the decoder adds the mean back.
    X = sheet_data()
    model = ae.fit_linear_autoencoder(X, 2, rng=1, n_steps=200)
    np.testing.assert_allclose(model.decoder_bias, X.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(model.encode(X), (X - X.mean(axis=0)) @ model.encoder_weights,
                               atol=1e-12)


def test_linear_autoencoder_is_reproducible():
    X = sheet_data()
    first = ae.fit_linear_autoencoder(X, 1, rng=5, n_steps=50)
    second = ae.fit_linear_autoencoder(X, 1, rng=np.random.default_rng(5), n_steps=50)
    np.testing.assert_array_equal(first.decoder_weights, second.decoder_weights)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_code": 4}, ValueError, "n_code must be at most the data dimension D = 3"),
        ({"n_code": 0}, ValueError, "n_code must be a positive integer"),
        ({"n_code": 2, "learning_rate": 10.0}, ValueError, "gradient descent diverged"),
        ({"n_code": 2, "learning_rate": -0.1}, ValueError, "learning_rate must be a positive"),
        ({"n_code": 2, "n_steps": 0}, ValueError, "n_steps must be a positive integer"),
        ({"n_code": 2, "init_scale": 0.0}, ValueError, "init_scale must be a positive"),
    ],
)
def test_fit_linear_autoencoder_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        ae.fit_linear_autoencoder(sheet_data(), rng=0, **kwargs)


@pytest.mark.parametrize("X", [np.ones((5, 3)), np.ones((1, 3))])
def test_fit_linear_autoencoder_needs_two_different_points(X):
    with pytest.raises(ValueError, match="at least two different data points"):
        ae.fit_linear_autoencoder(X, 1, rng=0)


def test_fit_linear_autoencoder_needs_explicit_randomness():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        ae.fit_linear_autoencoder(sheet_data(), 2, rng=None)


def test_linear_autoencoder_encode_and_decode_check_shapes():
    model = ae.fit_linear_autoencoder(sheet_data(), 2, rng=0, n_steps=5)
    with pytest.raises(ValueError, match="X must have 3 columns"):
        model.encode(np.ones((2, 2)))
    with pytest.raises(ValueError, match="Z must have 2 columns"):
        model.decode(np.ones((2, 3)))


# --------------------------------------------------------------------------------------
# The optimiser
# --------------------------------------------------------------------------------------


def test_adam_matches_pymc_adam():
    from pymc.variational.updates import adam

    def trajectory(make_updates) -> np.ndarray:
        param = pytensor.shared(np.array([1.0, -2.0, 0.5]), name="w")
        loss = (param**2 * np.array([1.0, 10.0, 0.1])).sum() + param.prod()
        step = pytensor.function([], loss, updates=make_updates(loss, param))
        return np.array([step() for _ in range(25)] + [param.get_value()[0]])

    ours = trajectory(lambda loss, p: ae._adam_updates(loss, [p], 0.05))
    pymcs = trajectory(lambda loss, p: adam(loss, [p], learning_rate=0.05))
    np.testing.assert_allclose(ours, pymcs, rtol=1e-12)


# --------------------------------------------------------------------------------------
# The autoencoder and the denoising autoencoder
# --------------------------------------------------------------------------------------


def tiny_autoencoder(seed: int = 4) -> ae.Autoencoder:
    return ae.Autoencoder(TINY, random_params("autoencoder", TINY, seed), 0.0, np.empty(0),
                          np.empty(0))


def test_autoencoder_gradients_match_finite_differences():
    model = tiny_autoencoder()
    X = pixel_data(n=6)
    targets = np.clip(X + 0.1, 0, 1)
    gradient = model.gradients(X, targets)
    numerical = central_differences(
        lambda p: dataclasses.replace(model, params=p).reconstruction_error(X, targets),
        model.params,
    )
    assert set(gradient) == set(model.params)
    for name in model.params:
        np.testing.assert_allclose(gradient[name], numerical[name], rtol=1e-5, atol=1e-9)


def test_autoencoder_forward_pass_by_hand():
    model = tiny_autoencoder()
    X = pixel_data(n=5)
    p = model.params
    hidden = np.tanh(X @ p["encoder_weight_0"] + p["encoder_bias_0"])
    code = hidden @ p["encoder_weight_1"] + p["encoder_bias_1"]
    np.testing.assert_allclose(model.encode(X), code, rtol=1e-12)
    back = np.tanh(code @ p["decoder_weight_0"] + p["decoder_bias_0"])
    output = 1 / (1 + np.exp(-(back @ p["decoder_weight_1"] + p["decoder_bias_1"])))
    np.testing.assert_allclose(model.decode(code), output, rtol=1e-12)
    np.testing.assert_allclose(model.reconstruction_error(X), np.mean((output - X) ** 2))


def test_training_reduces_the_loss_and_is_reproducible():
    X = pixel_data(n=200)
    kwargs = {"rng": 7, "X_validation": pixel_data(n=50, seed=9), "n_epochs": 30,
              "batch_size": 32, "learning_rate": 0.02}
    model = ae.fit_autoencoder(X, TINY, **kwargs)
    assert model.train_loss.shape == model.validation_loss.shape == (30,)
    assert model.train_loss[-1] < 0.5 * model.train_loss[0]
    assert model.validation_loss[-1] < 0.5 * model.validation_loss[0]
    # The reported loss of an epoch is the average over its minibatches while the weights
    # move, so the final weights' loss differs from it by at most about one epoch's change.
    last_epoch_change = abs(model.train_loss[-2] - model.train_loss[-1])
    assert abs(model.reconstruction_error(X) - model.train_loss[-1]) <= last_epoch_change
    # A second fit starts afresh (new weights, Adam's moments reset): identical result.
    again = ae.fit_autoencoder(X, TINY, **kwargs)
    for name in model.params:
        np.testing.assert_array_equal(model.params[name], again.params[name])


def test_denoising_training_and_no_validation_data():
    X = pixel_data(n=100)
    model = ae.fit_autoencoder(X, TINY, rng=1, noise_sd=0.2, n_epochs=3)
    assert model.noise_sd == 0.2
    assert model.validation_loss.shape == (0,)
    assert model.train_loss.shape == (3,)


def test_corrupt_adds_noise_of_the_right_size():
    X = np.zeros((400, 50))
    noisy = ae.corrupt(X, 0.3, rng=0)
    # The sample sd of 20 000 normal draws has standard error about sd / sqrt(2 * 20 000);
    # allow four standard errors.
    assert abs(noisy.std() - 0.3) < 4 * 0.3 / np.sqrt(2 * X.size)
    assert abs(noisy.mean()) < 4 * 0.3 / np.sqrt(X.size)
    np.testing.assert_array_equal(ae.corrupt(X, 0.0, rng=0), X)


def test_mask_pixels_zeroes_a_binomial_fraction_and_keeps_the_rest():
    X = np.random.default_rng(3).uniform(0.1, 1.0, size=(400, 50))
    masked = ae.mask_pixels(X, 0.3, rng=0)
    zeroed = masked == 0
    # The number of masked entries is Binomial(20 000, 0.3); allow four standard deviations.
    assert abs(zeroed.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / X.size)
    np.testing.assert_array_equal(masked[~zeroed], X[~zeroed])
    np.testing.assert_array_equal(ae.mask_pixels(X, 0.0, rng=0), X)


@pytest.mark.parametrize(
    ("mask_rate", "error", "match"),
    [(1.0, ValueError, r"mask_rate must be a probability in \[0, 1\)"),
     (-0.1, ValueError, "mask_rate must be a probability"),
     (True, TypeError, "mask_rate must be a number")],
)
def test_mask_pixels_rejects_bad_rates(mask_rate, error, match):
    with pytest.raises(error, match=match):
        ae.mask_pixels(np.zeros((2, 2)), mask_rate, rng=0)


@pytest.mark.parametrize(
    ("options", "corrupted"),
    [({"noise_sd": 0.3}, lambda inputs, clean: np.abs(inputs - clean).mean() > 0.1),
     ({"mask_rate": 0.5}, lambda inputs, clean: 0.3 < np.mean((inputs == 0) & (clean > 0))),
     ({}, lambda inputs, clean: np.array_equal(inputs, clean))],
)
def test_denoising_trains_on_corrupted_inputs_against_clean_targets(monkeypatch, options,
                                                                   corrupted):
    # Spy on the compiled step: its inputs must be corrupted (or clean for a plain
    # autoencoder) and its targets must be rows of the clean training data.
    X = pixel_data(n=64)
    trainer = ae._trainer("autoencoder", TINY)
    seen = []
    original = trainer.step

    def spy(inputs, targets, learning_rate):
        seen.append((inputs.copy(), targets.copy()))
        return original(inputs, targets, learning_rate)

    monkeypatch.setattr(trainer, "step", spy)
    model = ae.fit_autoencoder(X, TINY, rng=4, n_epochs=2, batch_size=32, **options)
    assert len(seen) == 4
    rows = {row.tobytes() for row in X}
    for inputs, targets in seen:
        assert all(row.tobytes() in rows for row in targets)
        assert corrupted(inputs, targets)
    assert model.mask_rate == options.get("mask_rate", 0.0)
    assert model.noise_sd == options.get("noise_sd", 0.0)


@pytest.mark.parametrize(
    ("noise_sd", "error", "match"),
    [(-0.1, ValueError, "noise_sd must be a non-negative"),
     ("big", TypeError, "noise_sd must be a number")],
)
def test_corrupt_rejects_bad_noise(noise_sd, error, match):
    with pytest.raises(error, match=match):
        ae.corrupt(np.zeros((2, 2)), noise_sd, rng=0)


@pytest.mark.parametrize(
    ("X", "layer_sizes", "kwargs", "error", "match"),
    [
        (2 * pixel_data(), TINY, {}, ValueError, r"must lie in \[0, 1\]"),
        (pixel_data(), (5, 3, 2), {}, ValueError, r"layer_sizes\[0\] must equal .* \(4\)"),
        (pixel_data(), (4,), {}, ValueError, "at least the input and the code size"),
        (pixel_data(), (4, 0, 2), {}, ValueError, "each entry of layer_sizes must be a positive"),
        (pixel_data(), (4, 2.5, 2), {}, TypeError, "each entry of layer_sizes must be a positive"),
        (pixel_data(), TINY, {"n_epochs": 0}, ValueError, "n_epochs must be a positive integer"),
        (pixel_data(), TINY, {"batch_size": -3}, ValueError, "batch_size must be a positive"),
        (pixel_data(), TINY, {"noise_sd": -1.0}, ValueError, "noise_sd must be a non-negative"),
        (pixel_data(), TINY, {"mask_rate": 1.5}, ValueError, "mask_rate must be a probability"),
        (pixel_data(), TINY, {"X_validation": np.ones((3, 5))}, ValueError,
         "X_validation must have 4 columns"),
    ],
)
def test_fit_autoencoder_rejects_bad_input(X, layer_sizes, kwargs, error, match):
    with pytest.raises(error, match=match):
        ae.fit_autoencoder(X, layer_sizes, rng=0, **{"n_epochs": 2, **kwargs})


def test_autoencoder_methods_check_shapes():
    model = tiny_autoencoder()
    with pytest.raises(ValueError, match="targets must have the shape of X"):
        model.reconstruction_error(pixel_data(n=5), pixel_data(n=4))
    with pytest.raises(ValueError, match="Z must have 2 columns"):
        model.decode(np.ones((2, 3)))


# --------------------------------------------------------------------------------------
# The variational autoencoder
# --------------------------------------------------------------------------------------


def kl_by_quadrature(mean: float, log_var: float) -> float:
    q = stats.norm(mean, np.exp(0.5 * log_var))
    p = stats.norm(0.0, 1.0)
    value, _ = integrate.quad(lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z)), -30, 30,
                              points=[mean], limit=200)
    return value


def test_kl_standard_normal_matches_quadrature():
    means = np.array([[0.0, 1.5, -2.0], [0.3, 0.0, 0.7]])
    log_vars = np.array([[0.0, -1.0, 1.2], [-3.0, 0.5, 0.0]])
    expected = np.array(
        [[kl_by_quadrature(m, v) for m, v in zip(row_m, row_v, strict=True)]
         for row_m, row_v in zip(means, log_vars, strict=True)]
    ).sum(axis=1)
    np.testing.assert_allclose(ae.kl_standard_normal(means, log_vars), expected, rtol=1e-8)
    assert ae.kl_standard_normal([0.0, 0.0], [0.0, 0.0]) == 0.0


def test_kl_standard_normal_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        ae.kl_standard_normal(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="same shape"):
        ae.kl_standard_normal(0.0, 0.0)


def tiny_vae(seed: int = 5, kl_weight: float = 1.0) -> ae.VariationalAutoencoder:
    params = random_params("vae", TINY, seed)
    params["log_noise_sd"] = np.array(-1.0)
    return ae.VariationalAutoencoder(TINY, params, kl_weight, np.empty(0), np.empty(0))


def test_vae_loss_matches_scipy_densities_and_the_closed_form_kl():
    model = tiny_vae(kl_weight=0.7)
    X = pixel_data(n=8)
    noise = np.random.default_rng(3).standard_normal((8, 2))
    mean, sd = model.encode_distribution(X)
    z = mean + sd * noise
    log_likelihood = stats.norm(model.decode(z), model.noise_sd).logpdf(X).sum(axis=1)
    kl = np.array([sum(kl_by_quadrature(m, 2 * np.log(s)) for m, s in zip(mr, sr, strict=True))
                   for mr, sr in zip(mean, sd, strict=True)])
    np.testing.assert_allclose(model.loss(X, noise), np.mean(-log_likelihood + 0.7 * kl),
                               rtol=1e-8)


def test_vae_elbo_terms_and_loss_use_the_same_noise_stream():
    # Plumbing only (both call the same objective): elbo_terms(rng=s) draws the noise that
    # loss(X, noise) is given; the terms themselves are tested against scipy above.
    model = tiny_vae()
    X = pixel_data(n=8)
    log_likelihood, kl = model.elbo_terms(X, rng=11)
    noise = np.random.default_rng(11).standard_normal((8, 2))
    np.testing.assert_allclose(np.mean(kl - log_likelihood), model.loss(X, noise), rtol=1e-12)
    mean, sd = model.encode_distribution(X)
    np.testing.assert_allclose(kl, ae.kl_standard_normal(mean, 2 * np.log(sd)), rtol=1e-12)


def test_vae_gradients_match_finite_differences():
    model = tiny_vae(kl_weight=0.5)
    X = pixel_data(n=6)
    noise = np.random.default_rng(8).standard_normal((6, 2))
    gradient = model.gradients(X, noise)
    numerical = central_differences(
        lambda p: dataclasses.replace(model, params=p).loss(X, noise), model.params
    )
    assert set(gradient) == set(model.params)
    for name in model.params:
        np.testing.assert_allclose(gradient[name], numerical[name], rtol=1e-5, atol=1e-7)


def test_vae_training_increases_the_elbo():
    X = pixel_data(n=200)
    model = ae.fit_vae(X, TINY, rng=2, X_validation=pixel_data(n=50, seed=9), n_epochs=30,
                       batch_size=32, learning_rate=0.02)
    assert model.train_loss.shape == model.validation_loss.shape == (30,)
    # The exact ELBO (Gauss–Hermite in the 2-D latent space, no sampling noise) of the
    # trained model against that of its initial weights (the first draws of rng=2).
    start_params = ae._initial_params("vae", TINY, np.random.default_rng(2))
    start = ae.VariationalAutoencoder(TINY, start_params, 1.0, np.empty(0), np.empty(0))
    exact = {}
    for name, vae in (("start", start), ("end", model)):
        expected, kl = ae.elbo_by_quadrature(vae, X, *vae.encode_distribution(X))
        exact[name] = np.mean(expected - kl)
    # The reported losses are one-sample estimates: their noise is the sd of the per-point
    # estimate over sqrt(N). The ELBO rises by more than ten such standard errors, and the
    # last reported loss matches the exact one within four plus one epoch's change.
    log_likelihood, kl = model.elbo_terms(X, rng=0)
    train_se = np.std(log_likelihood - kl) / np.sqrt(X.shape[0])
    validation_se = np.std(log_likelihood - kl) / np.sqrt(50)
    assert exact["end"] > exact["start"] + 10 * train_se
    assert model.validation_loss[-1] < model.validation_loss[0] - 10 * validation_se
    last_epoch_change = abs(model.train_loss[-2] - model.train_loss[-1])
    assert abs(-model.train_loss[-1] - exact["end"]) < 4 * train_se + last_epoch_change
    samples = model.sample(10, rng=0)
    assert samples.shape == (10, 4)
    assert np.all((samples > 0) & (samples < 1))
    np.testing.assert_array_equal(samples, model.sample(10, rng=0))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"kl_weight": 0.0}, ValueError, "kl_weight must be a positive"),
     ({"learning_rate": 0.0}, ValueError, "learning_rate must be a positive"),
     ({"learning_rate": 1e3}, ValueError, "training diverged"),
     ({"decoder_output": "relu"}, ValueError, 'decoder_output must be "sigmoid" or "linear"')],
)
def test_fit_vae_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        ae.fit_vae(pixel_data(), TINY, rng=0, n_epochs=1, **kwargs)


def test_linear_gaussian_vae_reaches_the_maximum_likelihood_of_probabilistic_pca():
    # A VAE with one linear layer each way and a linear output is probabilistic PCA,
    # x = W z + b + noise, whose maximum log-likelihood is in closed form from the sample
    # covariance's eigenvalues (Tipping and Bishop 1999): per point,
    # -(D log 2 pi + sum_{j<=k} log lambda_j + (D - k) log sigma^2 + D) / 2 with sigma^2 the
    # mean of the D - k smallest. Its posterior is Gaussian, and diagonal at the optimum, so
    # the encoder can match it and the ELBO is tight there (Lucas et al. 2019).
    n_points, n_features, n_code = 1000, 5, 2
    rng = np.random.default_rng(0)
    loadings = rng.standard_normal((n_code, n_features)) * np.array([[2.0], [1.0]])
    X = (rng.standard_normal((n_points, n_code)) @ loadings
         + 0.5 * rng.standard_normal((n_points, n_features)) + 1.0)
    variances = np.linalg.eigvalsh(np.cov(X.T, bias=True))[::-1]

    def max_log_likelihood(k: int) -> float:
        noise_variance = variances[k:].mean()
        return -0.5 * (n_features * np.log(2 * np.pi) + np.log(variances[:k]).sum()
                       + (n_features - k) * np.log(noise_variance) + n_features)

    vae = ae.fit_vae(X, (n_features, n_code), rng=1, decoder_output="linear", n_epochs=600,
                     batch_size=250, learning_rate=0.01)
    expected, kl = ae.elbo_by_quadrature(vae, X, *vae.encode_distribution(X))
    elbo = np.mean(expected - kl)  # exact: the integrand is quadratic in z
    weights, bias = vae.params["decoder_weight_0"], vae.params["decoder_bias_0"]
    covariance = weights.T @ weights + vae.noise_sd**2 * np.eye(n_features)
    log_likelihood = stats.multivariate_normal(bias, covariance).logpdf(X).mean()
    best = max_log_likelihood(n_code)
    # Bounds that hold exactly: ELBO <= log p(x) under the fitted model <= its maximum.
    assert elbo <= log_likelihood + 1e-10 and log_likelihood <= best + 1e-10
    # Adam with a fixed step leaves the parameters jittering near the optimum and turns the
    # decoder's columns towards orthogonality (where the posterior is diagonal) only slowly;
    # after 2400 steps the shortfall is about 0.01 nats per point. The tolerance, 0.03, is a
    # thirtieth of what one principal direction is worth (the k - 1 model's maximum is
    # 0.89 nats lower), so a VAE that missed a direction, or a loose ELBO, fails.
    assert best - max_log_likelihood(n_code - 1) > 0.5
    assert best - elbo < 0.03
    # The noise variance converges with the rest (measured 1.3 % above its optimum).
    np.testing.assert_allclose(vae.noise_sd**2, variances[n_code:].mean(), rtol=0.05)


def test_vae_methods_check_shapes():
    model = tiny_vae()
    with pytest.raises(ValueError, match="noise must have one row per row of X"):
        model.loss(pixel_data(n=5), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="noise must have 2 columns"):
        model.gradients(pixel_data(n=5), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        model.sample(0, rng=0)


def test_grid_posterior_matches_gauss_hermite_quadrature():
    # p(x) = E_{z ~ N(0, I)}[p(x|z)], computed with a 2-D Gauss–Hermite product rule (a
    # different quadrature from the grid's midpoint rule).
    model = tiny_vae()
    X = pixel_data(n=3)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / np.sqrt(2 * np.pi)
    z = np.stack(np.meshgrid(nodes, nodes, indexing="ij"), axis=-1).reshape(-1, 2)
    w = np.outer(weights, weights).ravel()
    likelihood = np.exp(stats.norm(model.decode(z)[None], model.noise_sd).logpdf(X[:, None])
                        .sum(axis=-1))
    expected = np.log(likelihood @ w)
    posterior = ae.grid_posterior(model, X, np.linspace(-8, 8, 321))
    np.testing.assert_allclose(posterior.log_marginal, expected, atol=1e-8)
    # The posterior means E[z | x] = E_prior[z p(x|z)] / p(x), by the same Gauss–Hermite rule.
    grid_probabilities = np.exp(posterior.log_posterior) * posterior.cell_area
    expected_means = (likelihood * w) @ z / (likelihood @ w)[:, None]
    np.testing.assert_allclose(grid_probabilities @ posterior.points, expected_means, atol=1e-8)


def test_elbo_by_quadrature_matches_grid_integration_and_monte_carlo():
    model = tiny_vae()
    X = pixel_data(n=3)
    mean = np.array([[0.3, -0.2], [1.0, 0.5], [-0.7, 0.1]])
    sd = np.array([[0.5, 0.8], [0.3, 0.4], [1.0, 0.6]])
    expected, kl = ae.elbo_by_quadrature(model, X, mean, sd)
    np.testing.assert_allclose(kl, ae.kl_standard_normal(mean, 2 * np.log(sd)), rtol=1e-12)
    # E_q[log p(x|z)] by the midpoint rule on a fine grid (a different quadrature).
    grid = np.linspace(-7, 7, 561)
    z = np.stack(np.meshgrid(grid, grid, indexing="xy"), axis=-1).reshape(-1, 2)
    log_lik = stats.norm(model.decode(z)[None], model.noise_sd).logpdf(X[:, None]).sum(axis=-1)
    q = stats.norm(mean[:, None], sd[:, None]).pdf(z).prod(axis=-1) * (grid[1] - grid[0]) ** 2
    np.testing.assert_allclose(expected, np.sum(q * log_lik, axis=1), rtol=1e-8)
    # And the ELBO never exceeds log p(x).
    log_px = ae.grid_posterior(model, X, np.linspace(-8, 8, 321)).log_marginal
    assert np.all(expected - kl <= log_px)


def test_optimal_gaussian_refuses_to_return_an_unconverged_search():
    model = tiny_vae()
    x = pixel_data(n=1)[0]
    with pytest.raises(ValueError, match="did not converge"):
        ae.optimal_gaussian(model, x, np.array([2.0, -2.0]), np.array([0.1, 3.0]),
                            max_iterations=5)


def test_optimal_gaussian_improves_on_the_encoder_and_is_a_maximum():
    model = tiny_vae()
    x = pixel_data(n=1)[0]
    mean, sd = model.encode_distribution(x[None, :])
    start_elbo = np.subtract(*ae.elbo_by_quadrature(model, x[None, :], mean, sd))[0]
    best = ae.optimal_gaussian(model, x, mean[0], sd[0])
    log_px = ae.grid_posterior(model, x[None, :], np.linspace(-8, 8, 321)).log_marginal[0]
    assert start_elbo <= best.elbo <= log_px
    expected, kl = ae.elbo_by_quadrature(model, x[None, :], best.mean[None], best.sd[None])
    np.testing.assert_allclose(best.elbo, expected[0] - kl[0], rtol=1e-12)
    # No small step in any coordinate increases the ELBO.
    for i in range(4):
        for step in (-1e-3, 1e-3):
            theta = np.concatenate([best.mean, np.log(best.sd)])
            theta[i] += step
            e, k = ae.elbo_by_quadrature(model, x[None, :], theta[None, :2],
                                         np.exp(theta[None, 2:]))
            assert e[0] - k[0] <= best.elbo + 1e-9


def test_elbo_by_quadrature_and_optimal_gaussian_reject_bad_input():
    model = tiny_vae()
    X = pixel_data(n=2)
    with pytest.raises(ValueError, match="one row per row of X"):
        ae.elbo_by_quadrature(model, X, np.zeros((3, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="sd must be positive"):
        ae.elbo_by_quadrature(model, X, np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="start_sd must be positive"):
        ae.optimal_gaussian(model, X[0], np.zeros(2), -np.ones(2))
    with pytest.raises(ValueError, match="start_mean must have 2 columns"):
        ae.optimal_gaussian(model, X[0], np.zeros(3), np.ones(2))


def test_grid_posterior_rejects_bad_input():
    model = tiny_vae()
    with pytest.raises(ValueError, match="equally spaced"):
        ae.grid_posterior(model, pixel_data(n=2), np.array([0.0, 1.0, 3.0]))
    wide = ae.VariationalAutoencoder((4, 3), random_params("vae", (4, 3), 0) | {
        "log_noise_sd": np.array(0.0)}, 1.0, np.empty(0), np.empty(0))
    with pytest.raises(ValueError, match="needs a 2-D latent space, got 3-D"):
        ae.grid_posterior(wide, pixel_data(n=2), np.linspace(-1, 1, 5))


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def test_sample_per_class_draws_n_distinct_points_from_every_class():
    labels = np.repeat(np.arange(5), [3, 7, 4, 9, 5])
    indices = ae.sample_per_class(labels, 3, rng=0)
    assert len(set(indices.tolist())) == indices.size == 15
    np.testing.assert_array_equal(np.bincount(labels[indices]), np.full(5, 3))
    np.testing.assert_array_equal(labels[indices], np.repeat(np.arange(5), 3))


@pytest.mark.parametrize(
    ("labels", "n", "error", "match"),
    [(np.array([0, 0, 1]), 2, ValueError, "class 1 has only 1 points"),
     (np.array([0.5, 1.0]), 1, ValueError, "labels must be a 1-D array of integers"),
     (np.array([0, 1]), 0, ValueError, "n_per_class must be a positive integer")],
)
def test_sample_per_class_rejects_bad_input(labels, n, error, match):
    with pytest.raises(error, match=match):
        ae.sample_per_class(labels, n, rng=0)


def test_tile_images_places_every_image():
    images = np.arange(5 * 6, dtype=float).reshape(5, 6) + 1
    tiled = ae.tile_images(images, 3, image_shape=(2, 3), gap=1)
    assert tiled.shape == (2 * 2 + 1, 3 * 3 + 2)
    for i, image in enumerate(images):
        row, column = divmod(i, 3)
        block = tiled[row * 3 : row * 3 + 2, column * 4 : column * 4 + 3]
        np.testing.assert_array_equal(block, image.reshape(2, 3))
    assert np.all(tiled[2, :] == 0) and np.all(tiled[3:, 8:] == 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"gap": -1}, "gap must be a non-negative integer"),
     ({"image_shape": (3, 3)}, "images must have 9 columns")],
)
def test_tile_images_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ae.tile_images(np.zeros((2, 4)), 2, **{"image_shape": (2, 2), **kwargs})
