"""Feature selection with a concrete (Gumbel-softmax) selection layer."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from sktricks.torch._training import torch_threads
from sktricks.utils._validation import check_numeric_columns

__all__ = ["ConcreteFeatureSelector"]


def gumbel_softmax(
    logits: torch.Tensor, temperature: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Draw a relaxed one-hot (Gumbel-softmax) sample per row of ``logits``.

    ``softmax((logits + g) / temperature)`` with ``g`` standard Gumbel noise.
    :func:`torch.nn.functional.gumbel_softmax` takes no generator, so a
    seeded sample needs this function.
    """
    uniform = torch.rand(logits.shape, generator=generator, dtype=logits.dtype)
    uniform = uniform.clamp(min=1e-10, max=1 - 1e-7)
    gumbel = -torch.log(-torch.log(uniform))
    return torch.softmax((logits + gumbel) / temperature, dim=-1)


def standardised(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> torch.Tensor:
    """Return ``(X - mean) / scale`` as a float32 tensor."""
    return torch.as_tensor((X - mean) / scale, dtype=torch.float32)


def column_scale(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the column means and standard deviations (1 where constant)."""
    scale = X.std(axis=0)
    return X.mean(axis=0), np.where(scale > 0, scale, 1.0)


class _ConcreteModel(nn.Module):
    def __init__(self, n_inputs, n_selected, hidden_sizes, n_outputs) -> None:
        super().__init__()
        self.selection_logits = nn.Parameter(0.01 * torch.randn(n_selected, n_inputs))
        layers: list[nn.Module] = []
        width = n_selected
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.decoder = nn.Sequential(*layers)

    def forward(self, x, temperature, generator):
        weights = gumbel_softmax(self.selection_logits, temperature, generator)
        return self.decoder(x @ weights.T)

    def duplicate_penalty(self) -> torch.Tensor:
        # Sum over columns of the probability mass beyond 1 that the
        # neurons put on the same column: 0 when no column is shared.
        probabilities = torch.softmax(self.selection_logits, dim=1)
        return torch.relu(probabilities.sum(dim=0) - 1).sum()


class ConcreteFeatureSelector(SelectorMixin, BaseEstimator):
    """Select columns with a concrete (Gumbel-softmax) selection layer.

    A layer of ``n_features`` selection neurons, each a Gumbel-softmax
    over the input columns (the concrete autoencoder's selection layer),
    feeds a small network. The network predicts ``y`` when it is given, and otherwise
    reconstructs ``X`` (a concrete autoencoder). The temperature falls
    exponentially from ``start_temperature`` to ``end_temperature``, so each
    neuron ends up choosing one column. The kept columns are each neuron's
    most probable column, with duplicates resolved greedily. No maintained
    package offers this as a scikit-learn transformer.

    Parameters
    ----------
    n_features : int, default=5
        Number of columns to keep.
    hidden_sizes : sequence of int, default=(32,)
        Hidden layers of the network after the selection layer.
    max_epochs : int, default=100
        Passes over the training data.
    batch_size : int, default=64
        Rows per batch.
    lr : float, default=0.05
        Adam learning rate.
    start_temperature : float, default=10.0
        Gumbel-softmax temperature at the first step.
    end_temperature : float, default=0.01
        Temperature at the last step.
    duplicate_penalty : float, default=0.1
        Weight of a penalty on the selection probability mass beyond 1 that
        several neurons put on the same column. The penalty discourages two
        neurons from settling on one strong column.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, batches and Gumbel noise.
    n_threads : int or None, default=1
        torch intra-op threads during ``fit``; ``None`` keeps torch's setting.

    Attributes
    ----------
    selected_features_ : ndarray of shape (n_features,)
        Indices of the kept columns, in the order of the selection neurons.
    selection_probabilities_ : ndarray of shape (n_features, `n_features_in_`)
        Softmax of each neuron's selection logits after training.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.

    Notes
    -----
    The selection is reliable when the informative columns matter about
    equally. When one column dominates the target, several neurons may
    still pick it and a weaker informative column can be missed.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.torch import ConcreteFeatureSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 6))
    >>> y = X[:, 1] + X[:, 4]
    >>> selector = ConcreteFeatureSelector(n_features=2, max_epochs=30,
    ...                                    random_state=0).fit(X, y)
    >>> sorted(selector.selected_features_.tolist())
    [1, 4]
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "hidden_sizes": ["array-like"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "start_temperature": [Interval(Real, 0, None, closed="neither")],
        "end_temperature": [Interval(Real, 0, None, closed="neither")],
        "duplicate_penalty": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_features=5,
        *,
        hidden_sizes=(32,),
        max_epochs=100,
        batch_size=64,
        lr=0.05,
        start_temperature=10.0,
        end_temperature=0.01,
        duplicate_penalty=0.1,
        random_state=None,
        n_threads=1,
    ):
        self.n_features = n_features
        self.hidden_sizes = hidden_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.start_temperature = start_temperature
        self.end_temperature = end_temperature
        self.duplicate_penalty = duplicate_penalty
        self.random_state = random_state
        self.n_threads = n_threads

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn which columns to keep.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in)
            Numeric input.
        y : array-like of shape (n_samples,), default=None
            Target to predict; ``None`` reconstructs ``X`` instead.

        Returns
        -------
        self : ConcreteFeatureSelector
            The fitted selector.
        """
        check_numeric_columns(X, type(self).__name__)
        if y is None:
            X = validate_data(self, X, dtype=np.float64)
        else:
            X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        if self.n_features > X.shape[1]:
            raise ValueError(
                f"n_features={self.n_features} is larger than the number of "
                f"columns in X ({X.shape[1]}); use at most {X.shape[1]}."
            )
        mean, scale = column_scale(X)
        inputs = standardised(X, mean, scale)
        targets, criterion, n_outputs = self._targets(inputs, y)

        seed = int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        with torch.random.fork_rng(devices=[]), torch_threads(self.n_threads):
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(seed)
            model = _ConcreteModel(
                X.shape[1], self.n_features, tuple(self.hidden_sizes), n_outputs
            )
            self._train(model, inputs, targets, criterion, generator)

        logits = model.selection_logits.detach().double()
        self.selection_probabilities_ = torch.softmax(logits, dim=1).numpy()
        self.selected_features_ = _distinct_argmax(self.selection_probabilities_)
        return self

    def _targets(self, inputs: torch.Tensor, y):
        if y is None:
            return inputs, nn.MSELoss(), inputs.shape[1]
        if type_of_target(y) in ("binary", "multiclass"):
            codes = LabelEncoder().fit_transform(y)
            n_classes = int(codes.max()) + 1
            return (
                torch.as_tensor(codes, dtype=torch.long),
                nn.CrossEntropyLoss(),
                n_classes,
            )
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        mean, scale = column_scale(y)
        return standardised(y, mean, scale), nn.MSELoss(), y.shape[1]

    def _train(self, model, inputs, targets, criterion, generator) -> None:
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        n_rows = len(inputs)
        steps_per_epoch = -(-n_rows // self.batch_size)
        total_steps = self.max_epochs * steps_per_epoch
        ratio = self.end_temperature / self.start_temperature

        step = 0
        for _ in range(self.max_epochs):
            order = torch.randperm(n_rows, generator=generator)
            for start in range(0, n_rows, self.batch_size):
                rows = order[start : start + self.batch_size]
                temperature = self.start_temperature * ratio ** (step / total_steps)
                output = model(inputs[rows], temperature, generator)
                loss = criterion(output, targets[rows])
                loss = loss + self.duplicate_penalty * model.duplicate_penalty()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                step += 1

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "selected_features_")
        mask = np.zeros(self.n_features_in_, dtype=bool)
        mask[self.selected_features_] = True
        return mask

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def _distinct_argmax(probabilities: np.ndarray) -> np.ndarray:
    # Neurons are served in order of confidence; one whose favourite column
    # is already taken gets its most probable free column.
    chosen = np.empty(len(probabilities), dtype=np.intp)
    taken: set[int] = set()
    for neuron in np.argsort(-probabilities.max(axis=1), kind="stable"):
        for column in np.argsort(-probabilities[neuron], kind="stable"):
            if int(column) not in taken:
                chosen[neuron] = column
                taken.add(int(column))
                break
    return chosen
