"""Checks of the exercises of chapter 8 (autoencoders).

Each check computes its expected value another way than the reference solution: the
minimal losses from an SVD (ae-ex1), the principal plane from an SVD and the starting
balance from the prescribed draws (ae-ex2), PCA errors with scikit-learn (ae-ex3), 1-NN
accuracies by explicit distances (ae-ex4), the KL term from its closed form written with
log standard deviations and the reconstruction error from the models handed in (ae-ex5),
and log p(x) on a grid with the importance-sampling error from independent draws (ae-ex6).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from scipy.linalg import subspace_angles
from scipy.special import logsumexp
from sklearn.decomposition import PCA as SklearnPCA

from bayesbook.autoencoders import (
    VariationalAutoencoder,
    elbo_by_quadrature,
    grid_posterior,
    linear_autoencoder_loss,
)
from bayesbook.checks import require, require_close
from bayesbook.exercises import exercise

#: ae-ex2's prescribed run: seed, code size, number of steps and step size.
AE_EX2_SEED, AE_EX2_CODE, AE_EX2_STEPS, AE_EX2_STEP_SIZE = 7, 2, 5000, 0.03
#: ae-ex4's prescribed labelled sets: seed, number of sets, labels per class.
AE_EX4_SEED, AE_EX4_SETS, AE_EX4_PER_CLASS = 4, 20, 10
#: ae-ex5's KL weights and training length.
AE_EX5_WEIGHTS, AE_EX5_EPOCHS = (0.2, 1.0, 5.0), 60
#: ae-ex6's number of importance draws per digit.
AE_EX6_DRAWS = 20_000


def _shaped(label: str, answer: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The answer as a finite float array of the given shape, or CheckFailed."""
    try:
        array = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        require(label, False, f"{what} should be an array of numbers")
    require(label, array.shape == shape,
            f"{what} should have shape {shape}, but it has shape {array.shape}")
    require(label, bool(np.all(np.isfinite(array))), f"{what} contains NaN or infinite values")
    return array


# --------------------------------------------------------------------------------------
# ae-ex1: the minimal losses of linear autoencoders
# --------------------------------------------------------------------------------------


def minimal_linear_losses(X: np.ndarray, code_sizes: tuple[int, ...]) -> np.ndarray:
    """Smallest mean squared reconstruction error of a linear autoencoder with each code size.

    By Eckart–Young: the sum of the discarded squared singular values of the centred data,
    divided by N.
    """
    X = np.asarray(X, dtype=float)
    singular_values = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return np.array([np.sum(singular_values[k:] ** 2) for k in code_sizes]) / X.shape[0]


@exercise("ae-ex1", answers=("optimal_losses",))
def _ae_ex1(optimal_losses, X):
    expected = minimal_linear_losses(X, (1, 2, 3))
    _shaped("ae-ex1", optimal_losses, (3,), "optimal_losses")
    require_close("ae-ex1", optimal_losses, expected, rtol=1e-8,
                  atol=1e-12 * float(expected[0]), what="the minimal losses for k = 1, 2, 3")


# --------------------------------------------------------------------------------------
# ae-ex2: balanced layers
# --------------------------------------------------------------------------------------


def balance_matrix(encoder_weights, encoder_bias, decoder_weights) -> np.ndarray:
    """B = W_e^T W_e + b_e b_e^T - W_d W_d^T, shape (k, k)."""
    return (encoder_weights.T @ encoder_weights + np.outer(encoder_bias, encoder_bias)
            - decoder_weights @ decoder_weights.T)


def ae_ex2_start(n_features: int) -> dict[str, np.ndarray]:
    """ae-ex2's prescribed start: W_e then W_d drawn from N(0, 1) with seed 7, zero biases."""
    generator = np.random.default_rng(AE_EX2_SEED)
    return {
        "encoder_weights": generator.standard_normal((n_features, AE_EX2_CODE)),
        "encoder_bias": np.zeros(AE_EX2_CODE),
        "decoder_weights": generator.standard_normal((AE_EX2_CODE, n_features)),
        "decoder_bias": np.zeros(n_features),
    }


@cache
def _ae_ex2_run(X_bytes: bytes, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    X = np.frombuffer(X_bytes).reshape(shape)
    params = ae_ex2_start(shape[1])
    for _ in range(AE_EX2_STEPS):
        _, gradient = linear_autoencoder_loss(X, params)
        params = {name: value - AE_EX2_STEP_SIZE * gradient[name] for name, value in params.items()}
    return params


@exercise("ae-ex2", answers=("balance_start", "encoder_weights_wide", "encoder_bias_wide",
                             "decoder_weights_wide"))
def _ae_ex2(balance_start, encoder_weights_wide, encoder_bias_wide, decoder_weights_wide, X):
    X = np.ascontiguousarray(X, dtype=float)
    n_features = X.shape[1]
    label, k = "ae-ex2", AE_EX2_CODE
    balance_start = _shaped(label, balance_start, (k, k), "balance_start")
    encoder_weights = _shaped(label, encoder_weights_wide, (n_features, k), "encoder_weights_wide")
    encoder_bias = _shaped(label, encoder_bias_wide, (k,), "encoder_bias_wide")
    decoder_weights = _shaped(label, decoder_weights_wide, (k, n_features), "decoder_weights_wide")
    start = ae_ex2_start(n_features)
    expected_start = balance_matrix(start["encoder_weights"], start["encoder_bias"],
                                    start["decoder_weights"])
    require(label, np.allclose(balance_start, expected_start, rtol=1e-10, atol=1e-12),
            "balance_start is not B at the prescribed start (np.random.default_rng(7): "
            "W_e first, then W_d, from N(0, 1); zero biases)")
    _, _, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    require(label, np.max(subspace_angles(decoder_weights.T, vt[:k].T)) < 1e-4,
            "the decoder rows do not span the principal plane")
    # Gradient descent changes B by O(step^2) per step: 0.7 % of max|B| over this run.
    final_balance = balance_matrix(encoder_weights, encoder_bias, decoder_weights)
    require(label, np.allclose(final_balance, balance_start,
                               atol=0.05 * np.abs(balance_start).max()),
            "the balance B of your final weights is far from balance_start")
    reference = _ae_ex2_run(X.tobytes(), X.shape)
    require(label, np.allclose(encoder_weights, reference["encoder_weights"], rtol=1e-6,
                               atol=1e-8)
            and np.allclose(encoder_bias, reference["encoder_bias"], rtol=1e-6, atol=1e-8)
            and np.allclose(decoder_weights, reference["decoder_weights"], rtol=1e-6, atol=1e-8),
            "the final weights are not those of 5000 steps of size 0.03 from the prescribed "
            "start")


# --------------------------------------------------------------------------------------
# ae-ex3: reconstruction error against code size
# --------------------------------------------------------------------------------------


def pca_validation_errors(X_train, X_val, max_components: int) -> np.ndarray:
    """Per-pixel validation MSE of PCA fitted to X_train with k = 1, ..., max_components
    (scikit-learn's PCA, truncated by hand)."""
    reference = SklearnPCA(n_components=max_components).fit(X_train)
    centred = X_val - reference.mean_
    return np.array([
        np.mean((centred @ axes.T @ axes - centred) ** 2)
        for axes in (reference.components_[:k] for k in range(1, max_components + 1))
    ])


@exercise("ae-ex3", answers=("pca_errors", "pca_size_matching"))
def _ae_ex3(pca_errors, pca_size_matching, X_train, X_val, autoencoder):
    label = "ae-ex3"
    expected = pca_validation_errors(X_train, X_val, 20)
    _shaped(label, pca_errors, (20,), "pca_errors")
    require_close(label, pca_errors, expected, rtol=1e-8,
                  what="the PCA validation errors for k = 1, ..., 20")
    target = autoencoder.reconstruction_error(X_val)
    matching = np.flatnonzero(expected <= target)
    require(label, matching.size > 0, "no PCA with at most 20 components matches the autoencoder")
    require(label, isinstance(pca_size_matching, (int, np.integer))
            and int(pca_size_matching) == int(matching[0]) + 1,
            "pca_size_matching is not the smallest number of components at which PCA's "
            "validation error is at most the autoencoder's")


# --------------------------------------------------------------------------------------
# ae-ex4: which noise level helps recognition?
# --------------------------------------------------------------------------------------


def one_nn_accuracies(train_codes, train_labels, test_codes, test_labels, labelled_sets):
    """1-NN accuracy for each labelled set, by explicit squared distances."""
    accuracies = []
    for labelled in labelled_sets:
        reference = train_codes[labelled]
        distances = (np.sum(test_codes**2, axis=1)[:, None] - 2 * test_codes @ reference.T
                     + np.sum(reference**2, axis=1))
        predicted = train_labels[labelled][np.argmin(distances, axis=1)]
        accuracies.append(np.mean(predicted == test_labels))
    return np.array(accuracies)


def ae_ex4_labelled_sets(y_train) -> list[np.ndarray]:
    """The 20 prescribed labelled sets: sample_per_class with np.random.default_rng(4)."""
    from bayesbook.autoencoders import sample_per_class

    generator = np.random.default_rng(AE_EX4_SEED)
    return [sample_per_class(y_train, AE_EX4_PER_CLASS, rng=generator)
            for _ in range(AE_EX4_SETS)]


@exercise("ae-ex4", answers=("accuracy_by_noise", "best_noise_sd", "best_test_accuracy"))
def _ae_ex4(accuracy_by_noise, best_noise_sd, best_test_accuracy, models, noise_sds,
            X_train, y_train, X_val, y_val, X_test, y_test):
    label = "ae-ex4"
    n_models = len(models)
    accuracy_by_noise = _shaped(label, accuracy_by_noise, (n_models,), "accuracy_by_noise")
    sets = ae_ex4_labelled_sets(np.asarray(y_train))
    validation = np.array([
        one_nn_accuracies(m.encode(X_train), y_train, m.encode(X_val), y_val, sets).mean()
        for m in models
    ])
    # The accuracies are means of 20 fractions of 300: rounding is the only tolerance.
    require_close(label, accuracy_by_noise, validation, rtol=0, atol=1e-9,
                  what="the mean validation accuracies (clean validation digits, the 20 "
                       "prescribed labelled sets)")
    best = int(np.argmax(validation))
    require(label, np.isclose(float(best_noise_sd), noise_sds[best]),
            "best_noise_sd is not the noise level with the highest mean validation accuracy")
    test = one_nn_accuracies(models[best].encode(X_train), y_train, models[best].encode(X_test),
                             y_test, sets).mean()
    require_close(label, best_test_accuracy, test, rtol=0, atol=1e-9,
                  what="the chosen model's mean test accuracy")


# --------------------------------------------------------------------------------------
# ae-ex5: the weight of the KL term
# --------------------------------------------------------------------------------------


def mean_kl_to_prior(model: VariationalAutoencoder, X) -> float:
    """Mean over X of KL(q(z|x) || N(0, I)), written with log standard deviations."""
    mean, sd = model.encode_distribution(X)
    return float(np.mean(np.sum(-np.log(sd) + 0.5 * (sd**2 + mean**2) - 0.5, axis=1)))


@exercise("ae-ex5", answers=("weighted_vaes", "kl_by_weight", "mse_by_weight"))
def _ae_ex5(weighted_vaes, kl_by_weight, mse_by_weight, X_val, vae):
    label = "ae-ex5"
    require(label, isinstance(weighted_vaes, dict)
            and sorted(map(float, weighted_vaes)) == list(AE_EX5_WEIGHTS),
            "weighted_vaes should be a dict with the keys 0.2, 1.0 and 5.0")
    models = [weighted_vaes[w] for w in sorted(weighted_vaes, key=float)]
    for w, model in zip(AE_EX5_WEIGHTS, models, strict=True):
        require(label, isinstance(model, VariationalAutoencoder) and model.kl_weight == w,
                f"weighted_vaes[{w}] is not a VAE trained with kl_weight {w}")
        require(label, model.layer_sizes == vae.layer_sizes
                and model.train_loss.size == AE_EX5_EPOCHS,
                f"weighted_vaes[{w}] does not have vae's layer sizes and {AE_EX5_EPOCHS} epochs")
    require(label, all(np.array_equal(models[1].params[n], vae.params[n]) for n in vae.params),
            "weighted_vaes[1.0] should be the chapter's vae")
    kl_by_weight = _shaped(label, kl_by_weight, (3,), "kl_by_weight")
    mse_by_weight = _shaped(label, mse_by_weight, (3,), "mse_by_weight")
    require_close(label, kl_by_weight, [mean_kl_to_prior(m, X_val) for m in models], rtol=1e-8,
                  what="the mean KL divergences of q(z|x) from the prior on X_val")
    mse = [np.mean((m.decode(m.encode_distribution(X_val)[0]) - X_val) ** 2) for m in models]
    require_close(label, mse_by_weight, mse, rtol=1e-8,
                  what="the per-pixel reconstruction errors on X_val")
    require(label, kl_by_weight[0] > kl_by_weight[1] > kl_by_weight[2],
            "your KLs do not shrink as the weight grows; train with the weights in the "
            "right order")
    # Between neighbouring weights the change in reconstruction error can be within the
    # variation between training runs; between 0.2 and 5 it is not.
    require(label, mse_by_weight[2] > mse_by_weight[0],
            "the reconstruction error should be larger with KL weight 5 than with 0.2")


# --------------------------------------------------------------------------------------
# ae-ex6: importance sampling the marginal likelihood
# --------------------------------------------------------------------------------------


def _log_weights(vae: VariationalAutoencoder, x: np.ndarray, z: np.ndarray, mean, sd):
    """log p(x, z) - log q(z | x) for draws z (n, k) of q = N(mean, diag(sd^2))."""
    s = vae.noise_sd
    pixels = vae.decode(z)
    log_likelihood = np.sum(-0.5 * ((x - pixels) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi),
                            axis=1)
    log_prior = np.sum(-0.5 * z**2, axis=1) - 0.5 * z.shape[1] * np.log(2 * np.pi)
    log_q = np.sum(-0.5 * ((z - mean) / sd) ** 2 - np.log(sd), axis=1) \
        - 0.5 * z.shape[1] * np.log(2 * np.pi)
    return log_likelihood + log_prior - log_q


_EX6_CACHE: dict[bytes, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}


def ae_ex6_reference(vae: VariationalAutoencoder, digits: np.ndarray):
    """For each digit: log p(x) on a grid, the ELBO by quadrature, and the standard errors
    of a 20 000-draw importance estimate and of a 20 000-draw mean of log weights.

    The standard errors come from 20 000 independent draws of q: the delta method for
    log(mean w) (sd(w) / (mean(w) sqrt(n))) and sd(log w) / sqrt(n) for the ELBO. The
    delta method is trustworthy only where q is close to the posterior (the smallest gap)."""
    key = digits.tobytes() + b"".join(v.tobytes() for v in vae.params.values())
    if key not in _EX6_CACHE:
        grid = np.linspace(-6, 6, 241)
        log_px = grid_posterior(vae, digits, grid).log_marginal
        mean, sd = vae.encode_distribution(digits)
        expected, kl = elbo_by_quadrature(vae, digits, mean, sd)
        generator = np.random.default_rng(2016)
        is_error, elbo_error = [], []
        for x, m, s in zip(digits, mean, sd, strict=True):
            z = m + s * generator.standard_normal((AE_EX6_DRAWS, m.size))
            log_w = _log_weights(vae, x, z, m, s)
            w = np.exp(log_w - logsumexp(log_w))
            is_error.append(w.std() / (w.mean() * np.sqrt(w.size)))
            elbo_error.append(log_w.std() / np.sqrt(w.size))
        _EX6_CACHE[key] = (log_px, expected - kl, np.array(is_error), np.array(elbo_error))
    return _EX6_CACHE[key]


@exercise("ae-ex6", answers=("log_px_importance", "z_importance"))
def _ae_ex6(log_px_importance, z_importance, vae, digits):
    label = "ae-ex6"
    digits = np.ascontiguousarray(digits, dtype=float)
    n_digits, n_code = digits.shape[0], vae.layer_sizes[-1]
    estimates = _shaped(label, log_px_importance, (n_digits,), "log_px_importance")
    z = _shaped(label, z_importance, (n_digits, AE_EX6_DRAWS, n_code), "z_importance")
    mean, sd = vae.encode_distribution(digits)
    # The draws must come from q(z|x): their means within five standard errors
    # (sd / sqrt(n)) and their standard deviations within five standard errors
    # (about sd / sqrt(2 n) for a normal sample) of q's.
    n = AE_EX6_DRAWS
    require(label, bool(np.all(np.abs(z.mean(axis=1) - mean) <= 5 * sd / np.sqrt(n))
                        and np.all(np.abs(z.std(axis=1) / sd - 1) <= 5 / np.sqrt(2 * n))),
            "z_importance is not a set of 20 000 draws from each digit's q(z|x)")
    # The estimates must be the importance-sampling estimates from those draws.
    from_draws = np.array([logsumexp(_log_weights(vae, x, zi, m, s)) - np.log(n)
                           for x, zi, m, s in zip(digits, z, mean, sd, strict=True)])
    require_close(label, estimates, from_draws, rtol=1e-9, atol=1e-9,
                  what="the importance-sampling estimates computed from your draws")
    # Smallest gap: q is close to the posterior and the estimator is nearly Gaussian; five
    # delta-method standard errors plus the grid's error (below 1e-2) bound a correct answer.
    log_px, _, is_error, _ = ae_ex6_reference(vae, digits)
    require(label, abs(estimates[0] - log_px[0]) <= 5 * is_error[0] + 1e-2,
            "the estimate for the smallest-gap digit is off by more than its Monte Carlo error")
