"""Features from a denoising autoencoder trained on swap noise or masking."""

from __future__ import annotations

import copy
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from sktricks.torch._concrete import column_scale, standardised
from sktricks.torch._training import torch_threads
from sktricks.utils._validation import check_numeric_columns

__all__ = ["DAEFeatures"]


class _Autoencoder(nn.Module):
    def __init__(self, n_inputs: int, hidden_sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.encoder = nn.ModuleList()
        width = n_inputs
        for size in hidden_sizes:
            self.encoder.append(nn.Sequential(nn.Linear(width, size), nn.ReLU()))
            width = size
        self.decoder = nn.Linear(width, n_inputs)

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        activations = []
        for layer in self.encoder:
            x = layer(x)
            activations.append(x)
        return activations

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.hidden(x)[-1])


def corrupt(
    batch: torch.Tensor,
    pool: torch.Tensor,
    swap_prob: float,
    mask_ratio: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """Swap-noise then mask a batch.

    Each cell is replaced, with probability ``swap_prob``, by the same
    column's value in a random row of ``pool``. Then each cell is set to 0,
    the column mean after standardising, with probability ``mask_ratio``.
    """
    n_rows, n_columns = batch.shape
    swap = torch.rand(batch.shape, generator=generator) < swap_prob
    donor_rows = torch.randint(len(pool), batch.shape, generator=generator)
    donors = pool[donor_rows, torch.arange(n_columns).expand(n_rows, n_columns)]
    noisy = torch.where(swap, donors, batch)
    if mask_ratio > 0:
        masked = torch.rand(batch.shape, generator=generator) < mask_ratio
        noisy = noisy.masked_fill(masked, 0.0)
    return noisy


class DAEFeatures(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Hidden activations of a denoising autoencoder, as new features.

    The autoencoder learns to rebuild each standardised row from a
    corrupted copy. Swap noise replaces a share ``swap_prob`` of the cells
    with the same column's value from a random training row, and masking
    sets a share ``mask_ratio`` of the cells to the column mean.
    ``transform`` returns the activations of every hidden layer on the
    clean input, to be used as features by a downstream model. No
    maintained package offers this as a scikit-learn transformer.

    Parameters
    ----------
    hidden_sizes : sequence of int, default=(64, 64)
        Width of each encoder layer; the output has ``sum(hidden_sizes)``
        columns.
    swap_prob : float, default=0.15
        Probability that a cell is swapped with another row's value.
    mask_ratio : float, default=0.0
        Probability that a cell is masked to the column mean.
    max_epochs : int, default=50
        Passes over the training data.
    batch_size : int, default=256
        Rows per batch.
    lr : float, default=1e-3
        Adam learning rate.
    random_state : int, RandomState instance or None, default=None
        Seed of the weights, batches and noise.
    n_threads : int or None, default=1
        torch intra-op threads during ``fit`` and ``transform``; ``None``
        keeps torch's setting.

    Attributes
    ----------
    autoencoder_ : torch.nn.Module
        The trained autoencoder.
    reconstruction_loss_ : float
        Mean squared error of the last epoch on corrupted inputs.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.torch import DAEFeatures
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> dae = DAEFeatures(hidden_sizes=(8, 4), max_epochs=5, random_state=0)
    >>> dae.fit_transform(X).shape
    (100, 12)
    >>> dae.get_feature_names_out()[:2].tolist()
    ['daefeatures0', 'daefeatures1']
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_sizes": ["array-like"],
        "swap_prob": [Interval(Real, 0, 1, closed="both")],
        "mask_ratio": [Interval(Real, 0, 1, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        hidden_sizes=(64, 64),
        *,
        swap_prob=0.15,
        mask_ratio=0.0,
        max_epochs=50,
        batch_size=256,
        lr=1e-3,
        random_state=None,
        n_threads=1,
    ):
        self.hidden_sizes = hidden_sizes
        self.swap_prob = swap_prob
        self.mask_ratio = mask_ratio
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.random_state = random_state
        self.n_threads = n_threads

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on corrupted copies of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric input.
        y : None
            Ignored.

        Returns
        -------
        self : DAEFeatures
            The fitted transformer.
        """
        check_numeric_columns(X, type(self).__name__)
        X = validate_data(self, X, dtype=np.float64)
        hidden_sizes = tuple(int(size) for size in self.hidden_sizes)
        if not hidden_sizes or min(hidden_sizes) < 1:
            raise ValueError(
                f"hidden_sizes={self.hidden_sizes!r} is invalid; use a "
                "non-empty sequence of positive integers, for example (64, 64)."
            )
        self.mean_, self.scale_ = column_scale(X)
        inputs = standardised(X, self.mean_, self.scale_)

        seed = int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        with torch.random.fork_rng(devices=[]), torch_threads(self.n_threads):
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(seed)
            self.autoencoder_ = _Autoencoder(X.shape[1], hidden_sizes)
            self.reconstruction_loss_ = self._train(inputs, generator)
        self._n_features_out = sum(hidden_sizes)
        return self

    def _train(self, inputs: torch.Tensor, generator: torch.Generator) -> float:
        optimizer = torch.optim.Adam(self.autoencoder_.parameters(), lr=self.lr)
        n_rows = len(inputs)
        epoch_loss = 0.0
        for _ in range(self.max_epochs):
            order = torch.randperm(n_rows, generator=generator)
            epoch_loss = 0.0
            for start in range(0, n_rows, self.batch_size):
                clean = inputs[order[start : start + self.batch_size]]
                noisy = corrupt(
                    clean, inputs, self.swap_prob, self.mask_ratio, generator
                )
                loss = nn.functional.mse_loss(self.autoencoder_(noisy), clean)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                epoch_loss += loss.item() * len(clean) / n_rows
        return epoch_loss

    def transform(self, X):
        """Return the hidden activations of every encoder layer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, sum(hidden_sizes))
            Activations, first layer first, as float64.
        """
        check_is_fitted(self, "autoencoder_")
        check_numeric_columns(X, type(self).__name__)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        inputs = standardised(X, self.mean_, self.scale_).double()
        # A float64 copy of the trained weights: in float32 a row's
        # activations change in the 7th digit with the number of rows
        # transformed with it, as matrix-product kernels block by rows.
        encoder = copy.deepcopy(self.autoencoder_).double()
        with torch.no_grad(), torch_threads(self.n_threads):
            activations = encoder.hidden(inputs)
        return torch.cat(activations, dim=1).numpy()
