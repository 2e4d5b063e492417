"""PCA, linear and nonlinear autoencoders, and the variational autoencoder (chapter 8).

The linear autoencoder is trained by plain NumPy gradient descent with a hand-written
gradient, because that gradient is part of the lesson. The nonlinear networks (the
autoencoder, its denoising variant and the variational autoencoder) are trained with
PyTensor's automatic differentiation, the engine under PyMC, and the Adam optimiser.

Every network is a stack of dense layers. Its parameters are a dictionary of named NumPy
arrays (``"encoder_weight_0"``, ``"decoder_bias_1"``, ...), and the forward pass is written
once, for an array module ``xp``: called with ``xp=numpy`` it runs a trained network on
data, called with ``xp=pytensor.tensor`` it builds the symbolic graph that PyTensor
differentiates. The training step of each architecture is compiled once per session and
reused by every later fit (new seeds, noise levels, KL weights), because compiling is the
slow part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import pairwise
from types import ModuleType

import numpy as np
import pytensor
import pytensor.tensor as pt
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import expit, logsumexp

from bayesbook._validation import as_float_array, as_rng, check_positive

Params = dict[str, NDArray[np.float64]]

__all__ = [
    "PCA",
    "Autoencoder",
    "GaussianApproximation",
    "GridPosterior",
    "LinearAutoencoder",
    "VariationalAutoencoder",
    "corrupt",
    "elbo_by_quadrature",
    "fit_autoencoder",
    "fit_linear_autoencoder",
    "fit_vae",
    "grid_posterior",
    "kl_standard_normal",
    "linear_autoencoder_loss",
    "mask_pixels",
    "optimal_gaussian",
    "pca",
    "sample_per_class",
    "tile_images",
]


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _data_matrix(X: ArrayLike, name: str, n_columns: int | None = None) -> NDArray[np.float64]:
    """A finite (N, D) float array with N >= 1 (and D == n_columns when given)."""
    arr = as_float_array(X, name, ndim=2)
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row (data point), got shape {arr.shape}")
    if n_columns is not None and arr.shape[1] != n_columns:
        raise ValueError(
            f"{name} must have {n_columns} columns to match the model, got shape {arr.shape}"
        )
    return arr


def _check_layer_sizes(layer_sizes: Sequence[int], n_features: int) -> tuple[int, ...]:
    """Layer widths from the input to the code, e.g. (64, 32, 2); the first must equal D."""
    sizes = tuple(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes must list at least the input and the code size, e.g. (64, 32, 2), "
            f"got {sizes}"
        )
    sizes = tuple(check_positive(size, "each entry of layer_sizes", integer=True) for size in sizes)
    if sizes[0] != n_features:
        raise ValueError(
            f"layer_sizes[0] must equal the number of columns of X ({n_features}), got {sizes[0]}"
        )
    return sizes


# --------------------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PCA:
    """The top principal axes of a data set.

    Attributes
    ----------
    components : ndarray, shape (n_components, D)
        Orthonormal rows: the principal axes, in order of decreasing variance. Each axis is
        signed so that its largest-magnitude entry is positive.
    mean : ndarray, shape (D,)
        The data mean.
    explained_variance : ndarray, shape (n_components,)
        The variance of the data along each axis (divisor N - 1).
    total_variance : float
        The total variance of the data, summed over all D coordinates (divisor N - 1).
    """

    components: NDArray[np.float64]
    mean: NDArray[np.float64]
    explained_variance: NDArray[np.float64]
    total_variance: float

    def encode(self, X: ArrayLike) -> NDArray[np.float64]:
        """Return the codes (N, n_components): coordinates of X - mean along the axes."""
        X = _data_matrix(X, "X", self.mean.size)
        return (X - self.mean) @ self.components.T

    def decode(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Return the reconstructions (N, D) of codes Z (N, n_components)."""
        Z = _data_matrix(Z, "Z", self.components.shape[0])
        return Z @ self.components + self.mean

    def truncate(self, n_components: int) -> PCA:
        """Return the PCA with only the first ``n_components`` axes (no new SVD needed)."""
        n_components = check_positive(n_components, "n_components", integer=True)
        if n_components > self.components.shape[0]:
            raise ValueError(
                f"n_components must be at most {self.components.shape[0]}, got {n_components}"
            )
        return PCA(self.components[:n_components], self.mean,
                   self.explained_variance[:n_components], self.total_variance)


def pca(X: ArrayLike, n_components: int) -> PCA:
    """Return the principal component analysis of ``X`` (N, D), computed by an SVD.

    Parameters
    ----------
    X : array-like, shape (N, D)
        Data, one row per data point; N >= 2.
    n_components : int
        How many axes to keep, 1 <= n_components <= min(N, D).
    """
    X = _data_matrix(X, "X")
    n_components = check_positive(n_components, "n_components", integer=True)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"pca needs at least 2 data points to estimate a variance, got {n}")
    if n_components > min(n, d):
        raise ValueError(
            f"n_components must be at most min(N, D) = {min(n, d)}, got {n_components}"
        )
    mean = X.mean(axis=0)
    _, singular_values, vt = np.linalg.svd(X - mean, full_matrices=False)
    components = vt[:n_components]
    largest = np.argmax(np.abs(components), axis=1)
    components = components * np.sign(components[np.arange(n_components), largest])[:, None]
    variances = singular_values**2 / (n - 1)
    return PCA(
        components=components,
        mean=mean,
        explained_variance=variances[:n_components],
        total_variance=float(variances.sum()),
    )


# --------------------------------------------------------------------------------------
# The linear autoencoder, by hand
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinearAutoencoder:
    """A trained linear autoencoder: code = x W_enc + b_enc, reconstruction = code W_dec + b_dec.

    Attributes
    ----------
    encoder_weights : ndarray, shape (D, n_code)
    encoder_bias : ndarray, shape (n_code,)
    decoder_weights : ndarray, shape (n_code, D)
    decoder_bias : ndarray, shape (D,)
    loss_history : ndarray, shape (n_steps + 1,)
        The loss (mean over data points of the squared reconstruction error) before every
        gradient step and after the last one.
    """

    encoder_weights: NDArray[np.float64]
    encoder_bias: NDArray[np.float64]
    decoder_weights: NDArray[np.float64]
    decoder_bias: NDArray[np.float64]
    loss_history: NDArray[np.float64]

    def encode(self, X: ArrayLike) -> NDArray[np.float64]:
        """Return the codes (N, n_code) of data X (N, D)."""
        X = _data_matrix(X, "X", self.encoder_weights.shape[0])
        return X @ self.encoder_weights + self.encoder_bias

    def decode(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Return the reconstructions (N, D) of codes Z (N, n_code)."""
        Z = _data_matrix(Z, "Z", self.decoder_weights.shape[0])
        return Z @ self.decoder_weights + self.decoder_bias


def linear_autoencoder_loss(X: NDArray[np.float64], params: Params) -> tuple[float, Params]:
    """Return the loss of a linear autoencoder on X (N, D) and its gradient, by backpropagation.

    The loss is the mean over data points of the squared reconstruction error,
    ``sum((code @ W_dec + b_dec - X) ** 2) / N`` with ``code = X @ W_enc + b_enc``.
    ``params`` holds ``encoder_weights`` (D, k), ``encoder_bias`` (k,), ``decoder_weights``
    (k, D) and ``decoder_bias`` (D,); the gradient is a dictionary with the same keys and shapes.
    """
    code = X @ params["encoder_weights"] + params["encoder_bias"]
    residual = code @ params["decoder_weights"] + params["decoder_bias"] - X
    loss = np.sum(residual**2) / X.shape[0]
    d_reconstruction = 2.0 * residual / X.shape[0]  # dL/d(reconstruction), (N, D)
    d_code = d_reconstruction @ params["decoder_weights"].T  # chain rule back to the code, (N, k)
    gradient = {
        "encoder_weights": X.T @ d_code,
        "encoder_bias": d_code.sum(axis=0),
        "decoder_weights": code.T @ d_reconstruction,
        "decoder_bias": d_reconstruction.sum(axis=0),
    }
    return float(loss), gradient


def fit_linear_autoencoder(
    X: ArrayLike,
    n_code: int,
    *,
    rng: np.random.Generator | int,
    n_steps: int = 3000,
    learning_rate: float = 0.1,
    init_scale: float = 0.1,
) -> LinearAutoencoder:
    """Return a linear autoencoder fitted to X (N, D) by full-batch gradient descent.

    The data are centred and divided by ``sqrt(lambda_1)``, the square root of the largest
    eigenvalue of their covariance (divisor N), before the descent, and the fitted
    weights are mapped back to the units of X. So the descent, and whether it converges,
    is the same for X, 100 X and X + 1000: ``learning_rate`` is the step in units of
    ``1 / lambda_1``, and steps up to about 0.5 are stable. On centred data both biases
    stay exactly zero during the descent; the returned biases put back the mean
    (``encoder_bias = -mean @ encoder_weights``, ``decoder_bias = mean``).

    Parameters
    ----------
    X : array-like, shape (N, D)
        Training data; N >= 2, not all points equal.
    n_code : int
        Size of the code, 1 <= n_code <= D.
    rng : numpy.random.Generator or int
        Randomness for the initial weights, drawn from N(0, init_scale^2); biases start at 0.
    n_steps : int
        Number of gradient steps.
    learning_rate : float
        Step size in units of ``1 / lambda_1``; too large a step makes the loss grow, which
        raises a ``ValueError``.
    init_scale : float
        Standard deviation of the initial weights.

    Returns
    -------
    LinearAutoencoder
        Its ``loss_history`` is in the units of X (the loss of the standardised problem
        times ``lambda_1``).
    """
    X = _data_matrix(X, "X")
    n_points, n_features = X.shape
    n_code = check_positive(n_code, "n_code", integer=True)
    if n_code > n_features:
        raise ValueError(
            f"n_code must be at most the data dimension D = {n_features}, got {n_code}"
        )
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    learning_rate = check_positive(learning_rate, "learning_rate")
    init_scale = check_positive(init_scale, "init_scale")
    rng = as_rng(rng)
    mean = X.mean(axis=0)
    top_eigenvalue = np.linalg.norm(X - mean, ord=2) ** 2 / n_points  # lambda_1 (divisor N)
    if n_points < 2 or not top_eigenvalue > 0:
        raise ValueError("X must hold at least two different data points to fit a subspace")
    scale = np.sqrt(top_eigenvalue)
    standardised = (X - mean) / scale
    params = {
        "encoder_weights": init_scale * rng.standard_normal((n_features, n_code)),
        "encoder_bias": np.zeros(n_code),
        "decoder_weights": init_scale * rng.standard_normal((n_code, n_features)),
        "decoder_bias": np.zeros(n_features),
    }
    losses = np.empty(n_steps + 1)
    for step in range(n_steps):
        losses[step], gradient = linear_autoencoder_loss(standardised, params)
        if losses[step] > 1e3 * losses[0]:
            raise ValueError(
                f"gradient descent diverged (the loss grew by a factor of more than 1000); "
                f"use a smaller learning_rate than {learning_rate}"
            )
        for name in params:
            params[name] = params[name] - learning_rate * gradient[name]
    losses[-1], _ = linear_autoencoder_loss(standardised, params)
    # Back to the units of X: code = (x - mean) W_e, reconstruction = code W_d + mean.
    return LinearAutoencoder(
        encoder_weights=params["encoder_weights"],
        encoder_bias=scale * params["encoder_bias"] - mean @ params["encoder_weights"],
        decoder_weights=params["decoder_weights"],
        decoder_bias=scale * params["decoder_bias"] + mean,
        loss_history=top_eigenvalue * losses,
    )


# --------------------------------------------------------------------------------------
# Networks written once for NumPy and PyTensor
# --------------------------------------------------------------------------------------


def _sigmoid(x, xp: ModuleType):
    return pt.sigmoid(x) if xp is pt else expit(x)


def _dense_stack(x, params, prefix: str, n_layers: int, output: str, xp: ModuleType):
    """Apply dense layers ``prefix_weight_i``, ``prefix_bias_i``: tanh between, ``output`` last."""
    for i in range(n_layers):
        x = x @ params[f"{prefix}_weight_{i}"] + params[f"{prefix}_bias_{i}"]
        if i < n_layers - 1:
            x = xp.tanh(x)
    return _sigmoid(x, xp) if output == "sigmoid" else x


def _stack_shapes(prefix: str, sizes: Sequence[int]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        shapes[f"{prefix}_weight_{i}"] = (n_in, n_out)
        shapes[f"{prefix}_bias_{i}"] = (n_out,)
    return shapes


def _parameter_shapes(kind: str, layer_sizes: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Names and shapes of a network's parameters; the decoder mirrors the encoder."""
    encoder_sizes = list(layer_sizes)
    if kind == "vae":
        encoder_sizes[-1] *= 2  # the encoder's last layer gives means and log-variances
    shapes = _stack_shapes("encoder", encoder_sizes) | _stack_shapes("decoder", layer_sizes[::-1])
    if kind == "vae":
        shapes["log_noise_sd"] = ()
    return shapes


def _initial_params(kind: str, layer_sizes: tuple[int, ...], rng: np.random.Generator) -> Params:
    """Weights from N(0, 1/fan_in), biases (and the VAE's log noise scale) zero."""
    return {
        name: rng.standard_normal(shape) / np.sqrt(shape[0]) if len(shape) == 2 else np.zeros(shape)
        for name, shape in _parameter_shapes(kind, layer_sizes).items()
    }


def _squared_error(params, x, target, n_layers: int, xp: ModuleType):
    """Mean over all entries of (decode(encode(x)) - target)^2."""
    code = _dense_stack(x, params, "encoder", n_layers, "linear", xp)
    reconstruction = _dense_stack(code, params, "decoder", n_layers, "sigmoid", xp)
    return xp.mean((reconstruction - target) ** 2)


def _kl_standard_normal(mean, log_var, xp: ModuleType):
    """KL(N(mean, exp(log_var)) || N(0, I)) summed over the last axis."""
    return 0.5 * xp.sum(mean**2 + xp.exp(log_var) - 1.0 - log_var, axis=-1)


def _vae_terms(params, x, noise, n_layers: int, output: str, xp: ModuleType):
    """One-sample estimate of E_q[log p(x|z)] per data point, and KL(q(z|x) || p(z)) per point.

    ``noise`` (N, k) are standard normal draws: z = mean + exp(log_var / 2) * noise is the
    reparameterization trick, which makes z a differentiable function of the encoder's output.
    ``output`` is the decoder's last activation, ``"sigmoid"`` or ``"linear"``.
    """
    n_code = noise.shape[-1]
    encoded = _dense_stack(x, params, "encoder", n_layers, "linear", xp)
    mean, log_var = encoded[:, :n_code], encoded[:, n_code:]
    z = mean + xp.exp(0.5 * log_var) * noise
    pixel_mean = _dense_stack(z, params, "decoder", n_layers, output, xp)
    log_sd = params["log_noise_sd"]
    log_likelihood = xp.sum(
        -0.5 * ((x - pixel_mean) / xp.exp(log_sd)) ** 2 - log_sd - 0.5 * np.log(2 * np.pi), axis=-1
    )
    return log_likelihood, _kl_standard_normal(mean, log_var, xp)


def _vae_loss(params, x, noise, kl_weight, n_layers: int, output: str, xp: ModuleType):
    """Mean over data points of -(E_q[log p(x|z)] - kl_weight * KL): the negative ELBO if 1."""
    log_likelihood, kl = _vae_terms(params, x, noise, n_layers, output, xp)
    return xp.mean(-log_likelihood + kl_weight * kl)


# --------------------------------------------------------------------------------------
# Compiled training steps
# --------------------------------------------------------------------------------------


def _adam_updates(
    loss, params: list, learning_rate, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
) -> dict:
    """Symbolic Adam updates (Kingma and Ba, 2015) of shared ``params`` to decrease ``loss``.

    Adam keeps running averages of each gradient (m) and of its square (v), corrects
    their bias towards zero at the start, and steps by learning_rate * m / sqrt(v): a
    step of about learning_rate in every direction, whatever the gradient's scale.
    """
    step_count = pytensor.shared(np.array(0.0), name="adam_step_count")
    t = step_count + 1.0
    corrected_rate = learning_rate * pt.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
    updates = {step_count: t}
    for param, grad in zip(params, pytensor.grad(loss, params), strict=True):
        m = pytensor.shared(np.zeros_like(param.get_value()), name=f"adam_m_{param.name}")
        v = pytensor.shared(np.zeros_like(param.get_value()), name=f"adam_v_{param.name}")
        updates[m] = beta1 * m + (1.0 - beta1) * grad
        updates[v] = beta2 * v + (1.0 - beta2) * grad**2
        updates[param] = param - corrected_rate * updates[m] / (pt.sqrt(updates[v]) + eps)
    return updates


class _Trainer:
    """PyTensor functions for one architecture, compiled once and reused by every fit.

    The parameters live in shared variables; ``step`` takes one Adam step on a minibatch.
    The loss is ``_squared_error(x, target)`` for ``kind="autoencoder"`` and
    ``_vae_loss(x, noise, kl_weight)`` for ``kind="vae"``, whose decoder ends in ``output``.
    """

    def __init__(self, kind: str, layer_sizes: tuple[int, ...], output: str) -> None:
        self.n_layers = len(layer_sizes) - 1
        self.shared = {
            name: pytensor.shared(np.zeros(shape), name=name)
            for name, shape in _parameter_shapes(kind, layer_sizes).items()
        }
        x = pt.matrix("x")
        if kind == "autoencoder":
            target = pt.matrix("target")
            self.inputs = [x, target]
            self.loss = _squared_error(self.shared, x, target, self.n_layers, pt)
        else:
            noise, kl_weight = pt.matrix("noise"), pt.scalar("kl_weight")
            self.inputs = [x, noise, kl_weight]
            self.loss = _vae_loss(self.shared, x, noise, kl_weight, self.n_layers, output, pt)
        learning_rate = pt.scalar("learning_rate")
        updates = _adam_updates(self.loss, list(self.shared.values()), learning_rate)
        parameter_ids = {id(var) for var in self.shared.values()}
        self.optimizer_state = [var for var in updates if id(var) not in parameter_ids]
        self.step = pytensor.function([*self.inputs, learning_rate], self.loss, updates=updates)

    @cached_property
    def gradient(self) -> Callable[..., list[NDArray[np.float64]]]:
        """Compiled gradient of the loss with respect to every parameter (compiled on first use)."""
        return pytensor.function(self.inputs, pytensor.grad(self.loss, list(self.shared.values())))

    def set_params(self, params: Params) -> None:
        """Load ``params`` into the shared variables and restart Adam from zero moments."""
        for name, var in self.shared.items():
            var.set_value(np.array(params[name], dtype=float))
        for var in self.optimizer_state:
            var.set_value(np.zeros_like(var.get_value()))

    def params(self) -> Params:
        return {name: var.get_value().copy() for name, var in self.shared.items()}

    def gradients(self, params: Params, *inputs) -> Params:
        self.set_params(params)
        return dict(zip(self.shared, self.gradient(*inputs), strict=True))


@cache
def _trainer(kind: str, layer_sizes: tuple[int, ...], output: str = "sigmoid") -> _Trainer:
    return _Trainer(kind, layer_sizes, output)


def _train(
    trainer: _Trainer,
    params: Params,
    X: NDArray[np.float64],
    make_inputs: Callable[[NDArray[np.float64]], list],
    validation_loss: Callable[[Params], float] | None,
    *,
    n_epochs: int,
    batch_size: int,
    learning_rate: float,
    rng: np.random.Generator,
) -> tuple[Params, NDArray[np.float64], NDArray[np.float64]]:
    """Adam on shuffled minibatches; return the parameters and per-epoch training and
    validation losses (the training loss of an epoch is the average over its minibatches)."""
    trainer.set_params(params)
    n = X.shape[0]
    train_losses = np.empty(n_epochs)
    validation_losses = np.empty(n_epochs if validation_loss is not None else 0)
    for epoch in range(n_epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = X[order[start : start + batch_size]]
            total += float(trainer.step(*make_inputs(batch), learning_rate)) * batch.shape[0]
        train_losses[epoch] = total / n
        if not np.isfinite(train_losses[epoch]):
            raise ValueError(
                f"training diverged (the loss became {train_losses[epoch]}) in epoch {epoch}; "
                f"use a smaller learning_rate than {learning_rate}"
            )
        if validation_loss is not None:
            validation_losses[epoch] = validation_loss(trainer.params())
    return trainer.params(), train_losses, validation_losses


def _check_training(n_epochs: int, batch_size: int, learning_rate: float) -> tuple[int, int, float]:
    return (
        check_positive(n_epochs, "n_epochs", integer=True),
        check_positive(batch_size, "batch_size", integer=True),
        check_positive(learning_rate, "learning_rate"),
    )


def _check_pixels(X: NDArray[np.float64], name: str) -> None:
    if X.min() < 0 or X.max() > 1:
        raise ValueError(
            f"{name} must lie in [0, 1] (the decoder ends in a sigmoid); "
            f"got values in [{X.min():.3g}, {X.max():.3g}]; divide raw pixels by their maximum"
        )


# --------------------------------------------------------------------------------------
# The autoencoder and its denoising variant
# --------------------------------------------------------------------------------------


def _check_noise_sd(noise_sd: float) -> float:
    if isinstance(noise_sd, bool) or not isinstance(noise_sd, (int, float, np.number)):
        raise TypeError(f"noise_sd must be a number, got {noise_sd!r}")
    if not np.isfinite(noise_sd) or noise_sd < 0:
        raise ValueError(f"noise_sd must be a non-negative finite number, got {noise_sd}")
    return float(noise_sd)


def corrupt(
    X: ArrayLike, noise_sd: float, *, rng: np.random.Generator | int
) -> NDArray[np.float64]:
    """Return X (N, D) plus independent Gaussian noise of standard deviation ``noise_sd``."""
    X = _data_matrix(X, "X")
    return X + _check_noise_sd(noise_sd) * as_rng(rng).standard_normal(X.shape)


def _check_mask_rate(mask_rate: float) -> float:
    if isinstance(mask_rate, bool) or not isinstance(mask_rate, (int, float, np.number)):
        raise TypeError(f"mask_rate must be a number, got {mask_rate!r}")
    if not 0 <= mask_rate < 1:
        raise ValueError(
            f"mask_rate must be a probability in [0, 1) (the fraction of inputs set to 0), "
            f"got {mask_rate}"
        )
    return float(mask_rate)


def mask_pixels(
    X: ArrayLike, mask_rate: float, *, rng: np.random.Generator | int
) -> NDArray[np.float64]:
    """Return X (N, D) with each entry set to 0 independently with probability ``mask_rate``.

    This is the *masking noise* of denoising autoencoders (Vincent et al., 2008). A dropout
    layer on the inputs does the same and also divides the kept entries by
    ``1 - mask_rate``; for a network that learns its first layer, that factor only
    rescales the first weights.
    """
    X = _data_matrix(X, "X")
    mask_rate = _check_mask_rate(mask_rate)
    return np.where(as_rng(rng).random(X.shape) < mask_rate, 0.0, X)


@dataclass(frozen=True)
class Autoencoder:
    """A trained (possibly denoising) autoencoder.

    The encoder maps D inputs through tanh layers to a linear code; the decoder mirrors it
    and ends in a sigmoid, so reconstructions lie in (0, 1).

    Attributes
    ----------
    layer_sizes : tuple of int
        Widths from the input to the code, e.g. (64, 32, 2); the decoder uses them reversed.
    params : dict of str to ndarray
        ``encoder_weight_i`` (n_in, n_out), ``encoder_bias_i`` (n_out,), and the same for
        ``decoder_...``.
    noise_sd : float
        Standard deviation of the Gaussian corruption of the inputs in training (0: none).
    train_loss : ndarray, shape (n_epochs,)
        Per-pixel mean squared error against the clean training data in each epoch (with
        corrupted inputs if noise_sd > 0 or mask_rate > 0).
    validation_loss : ndarray, shape (n_epochs,) or (0,)
        The same loss on the validation data after each epoch (empty without validation data).
    mask_rate : float
        Probability with which each input was set to 0 in training (0: no masking).
    """

    layer_sizes: tuple[int, ...]
    params: Params
    noise_sd: float
    train_loss: NDArray[np.float64]
    validation_loss: NDArray[np.float64]
    mask_rate: float = 0.0

    @property
    def n_layers(self) -> int:
        return len(self.layer_sizes) - 1

    def encode(self, X: ArrayLike) -> NDArray[np.float64]:
        """Return the codes (N, k) of inputs X (N, D)."""
        X = _data_matrix(X, "X", self.layer_sizes[0])
        return _dense_stack(X, self.params, "encoder", self.n_layers, "linear", np)

    def decode(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Return the reconstructions (N, D) of codes Z (N, k)."""
        Z = _data_matrix(Z, "Z", self.layer_sizes[-1])
        return _dense_stack(Z, self.params, "decoder", self.n_layers, "sigmoid", np)

    def _inputs_and_targets(self, X: ArrayLike, targets: ArrayLike | None):
        X = _data_matrix(X, "X", self.layer_sizes[0])
        if targets is None:
            return X, X
        targets = _data_matrix(targets, "targets", self.layer_sizes[0])
        if targets.shape != X.shape:
            raise ValueError(f"targets must have the shape of X {X.shape}, got {targets.shape}")
        return X, targets

    def reconstruction_error(self, X: ArrayLike, targets: ArrayLike | None = None) -> float:
        """Return the per-pixel mean squared error of decode(encode(X)) against targets (or X)."""
        X, targets = self._inputs_and_targets(X, targets)
        return float(_squared_error(self.params, X, targets, self.n_layers, np))

    def gradients(self, X: ArrayLike, targets: ArrayLike | None = None) -> Params:
        """Return the gradient of ``reconstruction_error(X, targets)`` for every parameter,
        computed by PyTensor's automatic differentiation (a dict like ``params``)."""
        X, targets = self._inputs_and_targets(X, targets)
        return _trainer("autoencoder", self.layer_sizes).gradients(self.params, X, targets)


def fit_autoencoder(
    X: ArrayLike,
    layer_sizes: Sequence[int],
    *,
    rng: np.random.Generator | int,
    X_validation: ArrayLike | None = None,
    noise_sd: float = 0.0,
    mask_rate: float = 0.0,
    n_epochs: int = 100,
    batch_size: int = 64,
    learning_rate: float = 0.01,
) -> Autoencoder:
    """Return an autoencoder trained with Adam on minibatches to reconstruct X (N, D).

    Parameters
    ----------
    X : array-like, shape (N, D)
        Training data in [0, 1] (the decoder ends in a sigmoid).
    layer_sizes : sequence of int
        Widths from the input to the code, starting with D, e.g. (64, 32, 2).
    rng : numpy.random.Generator or int
        Randomness for the initial weights, the minibatch order and the corruption.
    X_validation : array-like, shape (M, D), optional
        Held-out data; its loss is recorded after every epoch.
    noise_sd : float
        With noise_sd > 0, a denoising autoencoder: every minibatch's inputs get fresh
        Gaussian noise of this standard deviation, and the targets stay clean (the
        validation inputs are corrupted once, with the same noise level).
    mask_rate : float
        With 0 < mask_rate < 1, a denoising autoencoder with masking noise: every
        minibatch's inputs have each entry set to 0 with this probability (``mask_pixels``),
        and the targets stay clean. Combined with noise_sd > 0, the inputs are masked and
        then get Gaussian noise.
    n_epochs, batch_size : int
        Passes over the data and minibatch size.
    learning_rate : float
        Adam's step size.
    """
    X = _data_matrix(X, "X")
    _check_pixels(X, "X")
    layer_sizes = _check_layer_sizes(layer_sizes, X.shape[1])
    n_epochs, batch_size, learning_rate = _check_training(n_epochs, batch_size, learning_rate)
    noise_sd = _check_noise_sd(noise_sd)
    mask_rate = _check_mask_rate(mask_rate)
    rng = as_rng(rng)
    n_layers = len(layer_sizes) - 1

    def corrupted(batch: NDArray[np.float64]) -> NDArray[np.float64]:
        if mask_rate > 0:
            batch = mask_pixels(batch, mask_rate, rng=rng)
        return corrupt(batch, noise_sd, rng=rng) if noise_sd > 0 else batch

    def make_inputs(batch: NDArray[np.float64]) -> list:
        return [corrupted(batch), batch]

    validation_loss = None
    if X_validation is not None:
        X_validation = _data_matrix(X_validation, "X_validation", X.shape[1])
        noisy_validation = corrupted(X_validation)

        def validation_loss(params: Params) -> float:
            return float(_squared_error(params, noisy_validation, X_validation, n_layers, np))

    trainer = _trainer("autoencoder", layer_sizes)
    params, train_loss, val_loss = _train(
        trainer, _initial_params("autoencoder", layer_sizes, rng), X, make_inputs,
        validation_loss, n_epochs=n_epochs, batch_size=batch_size,
        learning_rate=learning_rate, rng=rng,
    )
    return Autoencoder(layer_sizes, params, noise_sd, train_loss, val_loss, mask_rate)


# --------------------------------------------------------------------------------------
# The variational autoencoder
# --------------------------------------------------------------------------------------


def kl_standard_normal(mean: ArrayLike, log_var: ArrayLike) -> NDArray[np.float64]:
    """Return KL(N(mean, diag(exp(log_var))) || N(0, I)), summed over the last axis.

    Parameters
    ----------
    mean, log_var : array-like, shape (..., k)
        Means and log-variances of diagonal Gaussians.

    Returns
    -------
    ndarray, shape (...)
        ``0.5 * sum(mean**2 + exp(log_var) - 1 - log_var)``, in nats.
    """
    mean = as_float_array(mean, "mean")
    log_var = as_float_array(log_var, "log_var")
    if mean.shape != log_var.shape or mean.ndim == 0:
        raise ValueError(
            f"mean and log_var must be arrays of the same shape (..., k), "
            f"got {mean.shape} and {log_var.shape}"
        )
    return _kl_standard_normal(mean, log_var, np)


@dataclass(frozen=True)
class VariationalAutoencoder:
    """A trained variational autoencoder with a Gaussian encoder and a Gaussian decoder.

    Encoder: q(z|x) = N(mean(x), diag(exp(log_var(x)))), both from one tanh network whose
    last layer has 2k outputs. Prior: p(z) = N(0, I). Decoder: p(x|z) = N(f(z), s^2 I),
    where f is a tanh network ending in a sigmoid (or, with ``decoder_output="linear"``, in
    no activation) and s = exp(log_noise_sd) is learned. With a single layer each way and a
    linear output the model is probabilistic PCA, and the encoder can represent its exact
    posterior.

    Attributes
    ----------
    layer_sizes : tuple of int
        Widths from the input to the latent dimension k, e.g. (64, 32, 2).
    params : dict of str to ndarray
        ``encoder_...`` and ``decoder_...`` weights and biases, and ``log_noise_sd`` (shape ()).
    kl_weight : float
        The weight of the KL term in the training objective (1: the ELBO).
    train_loss : ndarray, shape (n_epochs,)
        The training objective, -(E_q[log p(x|z)] - kl_weight * KL) in nats per data
        point, averaged over each epoch's minibatches.
    validation_loss : ndarray, shape (n_epochs,) or (0,)
        The same objective on the validation data after each epoch (empty without them).
    decoder_output : {"sigmoid", "linear"}
        The decoder's last activation.
    """

    layer_sizes: tuple[int, ...]
    params: Params
    kl_weight: float
    train_loss: NDArray[np.float64]
    validation_loss: NDArray[np.float64]
    decoder_output: str = "sigmoid"

    @property
    def n_layers(self) -> int:
        return len(self.layer_sizes) - 1

    @property
    def noise_sd(self) -> float:
        """The decoder's pixel noise standard deviation s."""
        return float(np.exp(self.params["log_noise_sd"]))

    def encode_distribution(self, X: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the means (N, k) and standard deviations (N, k) of q(z|x) for each row of X."""
        X = _data_matrix(X, "X", self.layer_sizes[0])
        encoded = _dense_stack(X, self.params, "encoder", self.n_layers, "linear", np)
        n_code = self.layer_sizes[-1]
        return encoded[:, :n_code], np.exp(0.5 * encoded[:, n_code:])

    def encode(self, X: ArrayLike) -> NDArray[np.float64]:
        """Return the codes (N, k): the means of q(z|x)."""
        return self.encode_distribution(X)[0]

    def decode(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Return the decoder means f(z) (N, D) for latent points Z (N, k)."""
        Z = _data_matrix(Z, "Z", self.layer_sizes[-1])
        return _dense_stack(Z, self.params, "decoder", self.n_layers, self.decoder_output, np)

    def sample(self, n: int, *, rng: np.random.Generator | int) -> NDArray[np.float64]:
        """Return n new images (n, D): decoder means f(z) at z drawn from the prior N(0, I).

        As is usual for image models, the pixel noise of p(x|z) is not added.
        """
        n = check_positive(n, "n", integer=True)
        return self.decode(as_rng(rng).standard_normal((n, self.layer_sizes[-1])))

    def elbo_terms(
        self, X: ArrayLike, *, rng: np.random.Generator | int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return a one-sample estimate of E_q[log p(x|z)] (N,) and KL(q(z|x) || p(z)) (N,).

        The ELBO of each data point is the first minus the second, in nats.
        """
        X = _data_matrix(X, "X", self.layer_sizes[0])
        noise = as_rng(rng).standard_normal((X.shape[0], self.layer_sizes[-1]))
        return _vae_terms(self.params, X, noise, self.n_layers, self.decoder_output, np)

    def _inputs_and_noise(self, X: ArrayLike, noise: ArrayLike):
        X = _data_matrix(X, "X", self.layer_sizes[0])
        noise = _data_matrix(noise, "noise", self.layer_sizes[-1])
        if noise.shape[0] != X.shape[0]:
            raise ValueError(
                f"noise must have one row per row of X ({X.shape[0]}), got {noise.shape[0]}"
            )
        return X, noise

    def loss(self, X: ArrayLike, noise: ArrayLike) -> float:
        """Return the training objective on X (N, D) with reparameterization noise (N, k) fixed."""
        X, noise = self._inputs_and_noise(X, noise)
        return float(
            _vae_loss(self.params, X, noise, self.kl_weight, self.n_layers, self.decoder_output, np)
        )

    def gradients(self, X: ArrayLike, noise: ArrayLike) -> Params:
        """Return the gradient of ``loss(X, noise)`` for every parameter (a dict like
        ``params``), computed by PyTensor's automatic differentiation."""
        X, noise = self._inputs_and_noise(X, noise)
        trainer = _trainer("vae", self.layer_sizes, self.decoder_output)
        return trainer.gradients(self.params, X, noise, self.kl_weight)


def fit_vae(
    X: ArrayLike,
    layer_sizes: Sequence[int],
    *,
    rng: np.random.Generator | int,
    X_validation: ArrayLike | None = None,
    kl_weight: float = 1.0,
    decoder_output: str = "sigmoid",
    n_epochs: int = 100,
    batch_size: int = 64,
    learning_rate: float = 0.005,
) -> VariationalAutoencoder:
    """Return a variational autoencoder trained with Adam to maximise the ELBO of X (N, D).

    Each minibatch draws fresh standard normal noise for the reparameterization trick, so
    every step follows an unbiased estimate of the ELBO's gradient.

    Parameters
    ----------
    X : array-like, shape (N, D)
        Training data, in [0, 1] when the decoder mean ends in a sigmoid.
    layer_sizes : sequence of int
        Widths from the input to the latent dimension, starting with D, e.g. (64, 32, 2).
    rng : numpy.random.Generator or int
        Randomness for the initial weights, the minibatch order and the noise.
    X_validation : array-like, shape (M, D), optional
        Held-out data; the objective on it (with one noise draw fixed for the whole run)
        is recorded after every epoch.
    kl_weight : float
        Weight of the KL term (1 gives the ELBO; other values give the "beta-VAE" objective).
    decoder_output : {"sigmoid", "linear"}
        The decoder's last activation: a sigmoid for pixels in [0, 1], or none, for data on
        the whole real line (with ``layer_sizes=(D, k)`` the model is probabilistic PCA).
    n_epochs, batch_size : int
        Passes over the data and minibatch size.
    learning_rate : float
        Adam's step size.
    """
    X = _data_matrix(X, "X")
    if decoder_output not in ("sigmoid", "linear"):
        raise ValueError(f'decoder_output must be "sigmoid" or "linear", got {decoder_output!r}')
    if decoder_output == "sigmoid":
        _check_pixels(X, "X")
    layer_sizes = _check_layer_sizes(layer_sizes, X.shape[1])
    n_epochs, batch_size, learning_rate = _check_training(n_epochs, batch_size, learning_rate)
    kl_weight = check_positive(kl_weight, "kl_weight")
    rng = as_rng(rng)
    n_code, n_layers = layer_sizes[-1], len(layer_sizes) - 1

    def make_inputs(batch: NDArray[np.float64]) -> list:
        return [batch, rng.standard_normal((batch.shape[0], n_code)), kl_weight]

    validation_loss = None
    if X_validation is not None:
        X_validation = _data_matrix(X_validation, "X_validation", X.shape[1])
        validation_noise = rng.standard_normal((X_validation.shape[0], n_code))

        def validation_loss(params: Params) -> float:
            return float(_vae_loss(
                params, X_validation, validation_noise, kl_weight, n_layers, decoder_output, np
            ))

    trainer = _trainer("vae", layer_sizes, decoder_output)
    params, train_loss, val_loss = _train(
        trainer, _initial_params("vae", layer_sizes, rng), X, make_inputs, validation_loss,
        n_epochs=n_epochs, batch_size=batch_size, learning_rate=learning_rate, rng=rng,
    )
    return VariationalAutoencoder(
        layer_sizes, params, kl_weight, train_loss, val_loss, decoder_output
    )


# --------------------------------------------------------------------------------------
# Few labels
# --------------------------------------------------------------------------------------


def sample_per_class(
    labels: ArrayLike, n_per_class: int, *, rng: np.random.Generator | int
) -> NDArray[np.int64]:
    """Return indices (n_classes * n_per_class,) of ``n_per_class`` random points of each class.

    Parameters
    ----------
    labels : array-like of int, shape (N,)
        Class labels.
    n_per_class : int
        How many points to draw, without replacement, from every class.
    rng : numpy.random.Generator or int
        Randomness for the draw.

    Returns
    -------
    ndarray of int
        Indices into ``labels``, grouped by class in increasing label order.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D array of integers, got dtype {labels.dtype} "
                         f"and shape {labels.shape}")
    n_per_class = check_positive(n_per_class, "n_per_class", integer=True)
    rng = as_rng(rng)
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < n_per_class:
        small = classes[np.argmin(counts)]
        raise ValueError(f"class {small} has only {counts.min()} points, fewer than "
                         f"n_per_class = {n_per_class}")
    return np.concatenate(
        [rng.choice(np.flatnonzero(labels == c), n_per_class, replace=False) for c in classes]
    )


# --------------------------------------------------------------------------------------
# The exact posterior of a two-dimensional latent space, by quadrature
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridPosterior:
    """The exact posterior p(z|x) of a VAE's decoder on a square grid of latent points.

    Attributes
    ----------
    points : ndarray, shape (G * G, 2)
        The grid points z, the first coordinate varying fastest.
    cell_area : float
        The area of one grid cell.
    log_joint : ndarray, shape (N, G * G)
        log p(x, z) = log p(x|z) + log p(z) for each data point and grid point.
    log_marginal : ndarray, shape (N,)
        log p(x) by the midpoint rule, log(sum_z p(x, z) * cell_area).
    """

    points: NDArray[np.float64]
    cell_area: float
    log_joint: NDArray[np.float64]
    log_marginal: NDArray[np.float64]

    @property
    def log_posterior(self) -> NDArray[np.float64]:
        """log p(z|x) (N, G * G): the log density of the posterior at every grid point."""
        return self.log_joint - self.log_marginal[:, None]


def grid_posterior(vae: VariationalAutoencoder, X: ArrayLike, grid: ArrayLike) -> GridPosterior:
    """Return the exact posterior p(z|x) and log p(x) of a 2-D latent VAE on a grid.

    Parameters
    ----------
    vae : VariationalAutoencoder
        A model with a two-dimensional latent space.
    X : array-like, shape (N, D)
        Data points.
    grid : array-like, shape (G,)
        Equally spaced values used on both latent axes; the grid must cover the region
        where p(x, z) is not negligible, and its spacing must be small against the
        posterior's width, for the midpoint rule to be accurate.
    """
    if vae.layer_sizes[-1] != 2:
        raise ValueError(f"grid_posterior needs a 2-D latent space, got {vae.layer_sizes[-1]}-D")
    X = _data_matrix(X, "X", vae.layer_sizes[0])
    grid = as_float_array(grid, "grid", ndim=1)
    steps = np.diff(grid)
    if grid.size < 2 or np.any(steps <= 0) or not np.allclose(steps, steps[0]):
        raise ValueError("grid must be at least two increasing, equally spaced values")
    points = np.stack(np.meshgrid(grid, grid, indexing="xy"), axis=-1).reshape(-1, 2)
    pixel_means = vae.decode(points)  # (G * G, D)
    squared_distance = (
        np.sum(X**2, axis=1)[:, None] - 2.0 * X @ pixel_means.T + np.sum(pixel_means**2, axis=1)
    )
    log_sd, n_features = float(vae.params["log_noise_sd"]), X.shape[1]
    log_likelihood = (
        -0.5 * squared_distance / np.exp(2 * log_sd)
        - n_features * (log_sd + 0.5 * np.log(2 * np.pi))
    )
    log_prior = -0.5 * np.sum(points**2, axis=1) - np.log(2 * np.pi)
    log_joint = log_likelihood + log_prior
    cell_area = float(steps[0] ** 2)
    log_marginal = logsumexp(log_joint, axis=1) + np.log(cell_area)
    return GridPosterior(points, cell_area, log_joint, log_marginal)


def _log_likelihood(vae: VariationalAutoencoder, X, pixel_means):
    """log p(x|z) summed over pixels, for decoder means of matching (broadcastable) shape."""
    log_sd = float(vae.params["log_noise_sd"])
    return np.sum(
        -0.5 * ((X - pixel_means) / np.exp(log_sd)) ** 2 - log_sd - 0.5 * np.log(2 * np.pi),
        axis=-1,
    )


def elbo_by_quadrature(
    vae: VariationalAutoencoder,
    X: ArrayLike,
    mean: ArrayLike,
    sd: ArrayLike,
    *,
    n_nodes: int = 20,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return E_q[log p(x|z)] (N,) and KL(q || p(z)) (N,) for diagonal Gaussians q, without noise.

    The expectation uses a Gauss–Hermite product rule with ``n_nodes`` nodes per latent
    axis (``n_nodes ** k`` decoder evaluations per data point), the KL its closed form.
    The ELBO of each data point is the first minus the second.

    Parameters
    ----------
    vae : VariationalAutoencoder
        The model supplying p(z) and p(x|z).
    X : array-like, shape (N, D)
        Data points.
    mean, sd : array-like, shape (N, k)
        Means and standard deviations (> 0) of q(z|x) for each data point.
    n_nodes : int
        Quadrature nodes per latent axis.
    """
    X = _data_matrix(X, "X", vae.layer_sizes[0])
    n_code = vae.layer_sizes[-1]
    mean = _data_matrix(mean, "mean", n_code)
    sd = _data_matrix(sd, "sd", n_code)
    if mean.shape[0] != X.shape[0] or sd.shape != mean.shape:
        raise ValueError(
            f"mean and sd must have shape ({X.shape[0]}, {n_code}), one row per row of X; "
            f"got {mean.shape} and {sd.shape}"
        )
    if np.any(sd <= 0):
        raise ValueError("sd must be positive")
    n_nodes = check_positive(n_nodes, "n_nodes", integer=True)
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)  # weight exp(-t^2 / 2)
    axes = np.meshgrid(*[nodes] * n_code, indexing="ij")
    standard_points = np.stack(axes, axis=-1).reshape(-1, n_code)  # (M, k)
    point_weights = np.prod(
        np.stack(np.meshgrid(*[weights / np.sqrt(2 * np.pi)] * n_code, indexing="ij"), axis=-1)
        .reshape(-1, n_code),
        axis=1,
    )
    z = mean[:, None, :] + sd[:, None, :] * standard_points  # (N, M, k)
    pixel_means = vae.decode(z.reshape(-1, n_code)).reshape(X.shape[0], -1, X.shape[1])
    expected = _log_likelihood(vae, X[:, None, :], pixel_means) @ point_weights
    return expected, kl_standard_normal(mean, 2.0 * np.log(sd))


@dataclass(frozen=True)
class GaussianApproximation:
    """The diagonal Gaussian q(z|x) = N(mean, diag(sd^2)) with the largest ELBO for one x.

    Attributes
    ----------
    mean, sd : ndarray, shape (k,)
    elbo : float
        Its ELBO, in nats (by ``elbo_by_quadrature``).
    """

    mean: NDArray[np.float64]
    sd: NDArray[np.float64]
    elbo: float


def optimal_gaussian(
    vae: VariationalAutoencoder,
    x: ArrayLike,
    start_mean: ArrayLike,
    start_sd: ArrayLike,
    *,
    n_nodes: int = 20,
    max_iterations: int | None = None,
) -> GaussianApproximation:
    """Return the diagonal Gaussian maximising the ELBO of one data point: VI without amortization.

    The ELBO (by ``elbo_by_quadrature``) is maximised over the mean and the log standard
    deviation by the Nelder–Mead method, from ``start_mean`` and ``start_sd`` (shape (k,));
    for a posterior with several modes the answer depends on the start.

    Parameters
    ----------
    vae : VariationalAutoencoder
    x : array-like, shape (D,)
        One data point.
    start_mean, start_sd : array-like, shape (k,)
        Where the optimisation starts (e.g. the encoder's q, or the exact posterior's moments).
    n_nodes : int
        Quadrature nodes per latent axis.
    max_iterations : int, optional
        Nelder–Mead's iteration limit (default 4000 per latent dimension); a search that
        stops at the limit before converging raises a ``ValueError`` rather than return an
        unconverged answer.
    """
    n_code = vae.layer_sizes[-1]
    if max_iterations is None:
        max_iterations = 4000 * n_code
    max_iterations = check_positive(max_iterations, "max_iterations", integer=True)
    x = as_float_array(x, "x", ndim=1)[None, :]
    start_mean = _data_matrix(np.atleast_2d(start_mean), "start_mean", n_code)[0]
    start_sd = _data_matrix(np.atleast_2d(start_sd), "start_sd", n_code)[0]
    if np.any(start_sd <= 0):
        raise ValueError("start_sd must be positive")

    def negative_elbo(theta: NDArray[np.float64]) -> float:
        expected, kl = elbo_by_quadrature(
            vae, x, theta[None, :n_code], np.exp(theta[None, n_code:]), n_nodes=n_nodes
        )
        return float(kl[0] - expected[0])

    result = minimize(
        negative_elbo, np.concatenate([start_mean, np.log(start_sd)]), method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": max_iterations},
    )
    if not result.success:
        raise ValueError(
            f"the search for the best Gaussian did not converge ({result.message}); start it "
            f"nearer the optimum (e.g. at the exact posterior's moments) or allow more "
            f"max_iterations than {max_iterations}"
        )
    return GaussianApproximation(result.x[:n_code], np.exp(result.x[n_code:]), -float(result.fun))


# --------------------------------------------------------------------------------------
# Showing images
# --------------------------------------------------------------------------------------


def tile_images(
    images: ArrayLike, n_columns: int, *, image_shape: tuple[int, int] = (8, 8), gap: int = 1
) -> NDArray[np.float64]:
    """Return one 2-D array showing flattened images (n, h * w) in a grid, for ``imshow``.

    Images fill rows of ``n_columns`` from the top left; they are separated by ``gap``
    pixels of value 0, and an incomplete last row is padded with 0.
    """
    height, width = image_shape
    images = _data_matrix(images, "images", height * width)
    n_columns = check_positive(n_columns, "n_columns", integer=True)
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or gap < 0:
        raise ValueError(f"gap must be a non-negative integer, got {gap!r}")
    n_rows = -(-images.shape[0] // n_columns)
    padded = np.zeros((n_rows * n_columns, height + gap, width + gap))
    padded[: images.shape[0], :height, :width] = images.reshape(-1, height, width)
    tiled = padded.reshape(n_rows, n_columns, height + gap, width + gap).swapaxes(1, 2)
    return tiled.reshape(n_rows * (height + gap), n_columns * (width + gap))[
        : n_rows * (height + gap) - gap, : n_columns * (width + gap) - gap
    ]
