"""scikit-learn estimators for tabular neural nets, built on skorch."""

from __future__ import annotations

import copy
import math
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from sktricks.torch._losses import FocalLoss
from sktricks.torch._training import (
    EMACallback,
    TabularModule,
    TrainingTricks,
    TrickNet,
    WarmupCallback,
    build_optimizer,
    optimizer_class,
    torch_threads,
)

__all__ = ["TabularNetClassifier", "TabularNetRegressor"]


def _embedding_dim(cardinality: int) -> int:
    # A common rule of thumb: about half the number of categories, capped
    # so that high-cardinality columns do not dominate the input layer.
    return int(min(16, (cardinality + 1) // 2 + 1))


class _TabularNetBase(BaseEstimator):
    # Fitted attributes set by ``_encode_X``, declared for type checking.
    categorical_columns_: list[Any]
    numeric_columns_: list[Any]
    categories_: list[Any]

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_sizes": ["array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [str],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lookahead": ["boolean"],
        "warmup": [Interval(Real, 0, 1, closed="left"), None],
        "lr_decay": [StrOptions({"linear", "cosine", "constant"})],
        "ema": [Interval(Real, 0, 1, closed="both"), None],
        "adversarial": [StrOptions({"fgm", "pgd", "freelb"}), None],
        "adv_epsilon": [Interval(Real, 0, None, closed="neither")],
        "adv_steps": [Interval(Integral, 1, None, closed="left")],
        "adv_alpha": [Interval(Real, 0, None, closed="neither")],
        "rdrop_alpha": [Interval(Real, 0, None, closed="left")],
        "mixup_alpha": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        hidden_sizes=(128, 64),
        dropout=0.1,
        batch_size=256,
        max_epochs=20,
        lr=1e-3,
        optimizer="adamw",
        weight_decay=0.0,
        lookahead=False,
        warmup=None,
        lr_decay="linear",
        ema=None,
        adversarial=None,
        adv_epsilon=0.1,
        adv_steps=3,
        adv_alpha=0.03,
        rdrop_alpha=0.0,
        mixup_alpha=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        device="cpu",
        n_threads=1,
    ):
        self.hidden_sizes = hidden_sizes
        self.dropout = dropout
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.lookahead = lookahead
        self.warmup = warmup
        self.lr_decay = lr_decay
        self.ema = ema
        self.adversarial = adversarial
        self.adv_epsilon = adv_epsilon
        self.adv_steps = adv_steps
        self.adv_alpha = adv_alpha
        self.rdrop_alpha = rdrop_alpha
        self.mixup_alpha = mixup_alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads

    # -- input encoding -------------------------------------------------

    def _encode_X(self, X, reset: bool) -> dict[str, np.ndarray]:
        if isinstance(X, pd.DataFrame):
            numeric, codes = self._split_frame(X, reset)
        else:
            if not reset and self.categorical_columns_:
                raise ValueError(
                    f"{type(self).__name__} was fitted on a DataFrame with "
                    f"category columns {self.categorical_columns_}; pass a "
                    "DataFrame with the same columns."
                )
            numeric = validate_data(self, X, reset=reset, dtype=np.float64)
            codes = np.zeros((numeric.shape[0], 0), dtype=np.int64)
            if reset:
                self.categorical_columns_ = []
                self.categories_ = []
                self.numeric_columns_ = list(range(numeric.shape[1]))

        if reset:
            mean = numeric.mean(axis=0) if len(numeric) else np.zeros(0)
            scale = numeric.std(axis=0) if len(numeric) else np.ones(0)
            self.numeric_mean_ = mean
            self.numeric_scale_ = np.where(scale > 0, scale, 1.0)
        standardised = (numeric - self.numeric_mean_) / self.numeric_scale_
        return {"x_num": standardised.astype(np.float32), "x_cat": codes}

    def _split_frame(self, X: pd.DataFrame, reset: bool):
        _check_feature_names(self, X, reset=reset)
        _check_n_features(self, X, reset=reset)
        if X.shape[0] == 0:
            raise ValueError(
                "Found array with 0 sample(s) (shape="
                f"{X.shape}) while a minimum of 1 is required."
            )
        if reset:
            self.categorical_columns_ = [
                column
                for column in X.columns
                if isinstance(X[column].dtype, pd.CategoricalDtype)
            ]
            self.numeric_columns_ = [
                column
                for column in X.columns
                if column not in self.categorical_columns_
            ]
            self.categories_ = [
                X[column].cat.categories for column in self.categorical_columns_
            ]

        numeric = np.empty((len(X), len(self.numeric_columns_)), dtype=np.float64)
        for j, column in enumerate(self.numeric_columns_):
            numeric[:, j] = self._numeric_column(X[column], column)
        if not np.isfinite(numeric).all():
            bad = [
                column
                for j, column in enumerate(self.numeric_columns_)
                if not np.isfinite(numeric[:, j]).all()
            ]
            raise ValueError(
                f"Input X contains NaN or infinity in columns {bad}; impute "
                "them first, for example with sklearn.impute.SimpleImputer."
            )

        # Code 0 is a missing or unseen category; known categories are 1..k.
        codes = np.empty((len(X), len(self.categorical_columns_)), dtype=np.int64)
        for j, column in enumerate(self.categorical_columns_):
            # get_indexer returns -1 for NaN and unseen values.
            positions = self.categories_[j].get_indexer(X[column].astype(object))
            codes[:, j] = positions.astype(np.int64) + 1
        return numeric, codes

    @staticmethod
    def _numeric_column(series: pd.Series, column) -> np.ndarray:
        if isinstance(series.dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(series.dtype)
            or pd.api.types.is_bool_dtype(series.dtype)
        ):
            raise TypeError(
                f"Column {column!r} has dtype {series.dtype}, which is neither "
                "numeric nor 'category'. Convert it with "
                f"X[{column!r}].astype('category') to learn an embedding, or "
                "to a numeric dtype."
            )
        # Nullable dtypes (Int64, boolean, Float64) turn pd.NA into NaN here,
        # so missing values reach the NaN check with the column name.
        return series.to_numpy(dtype=np.float64, na_value=np.nan)

    # -- training -------------------------------------------------------

    def _validate_options(self) -> tuple[int, ...]:
        optimizer_class(self.optimizer)
        hidden_sizes = tuple(self.hidden_sizes)
        if not all(
            isinstance(size, Integral) and not isinstance(size, bool) and int(size) > 0
            for size in hidden_sizes
        ):
            raise ValueError(
                f"hidden_sizes={self.hidden_sizes!r} is invalid; use a sequence "
                "of positive integers, for example (128, 64)."
            )
        return hidden_sizes

    def _callbacks(self, n_train: int, seed: int) -> list:
        callbacks: list = []
        if self.warmup is not None:
            steps_per_epoch = math.ceil(n_train / self.batch_size)
            total_steps = self.max_epochs * steps_per_epoch
            warmup_steps = min(math.ceil(self.warmup * total_steps), total_steps - 1)
            callbacks.append(
                ("warmup", WarmupCallback(warmup_steps, total_steps, self.lr_decay))
            )
        if self.early_stopping:
            # With EMA the averaged weights replace the last ones at the end,
            # so restoring the best epoch's raw weights would be overwritten.
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        patience=self.n_iter_no_change,
                        load_best=self.ema is None,
                        sink=_discard,
                    ),
                )
            )
        if self.ema is not None:
            callbacks.append(("ema", EMACallback(self.ema)))
        return callbacks

    def _check_device(self) -> None:
        try:
            device = torch.device(self.device)
        except RuntimeError as error:
            raise ValueError(
                f"device={self.device!r} is not a torch device; use 'cpu', "
                "'cuda' or 'cuda:0'."
            ) from error
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device={self.device!r}, but this torch build "
                f"({torch.__version__}) finds no CUDA device. Use device='cpu', "
                "or install a CUDA build of torch on a machine with a GPU."
            )

    def _fit_net(self, data: dict[str, np.ndarray], y: np.ndarray, n_outputs: int):
        hidden_sizes = self._validate_options()
        self._check_device()
        seed = int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        cardinalities = [len(categories) for categories in self.categories_]

        # GridSearchCV and cross_val_score already hold out data. skorch's
        # default second, hidden split would waste training rows, so a split
        # is made only when early stopping needs it.
        train_split = None
        n_train = len(y)
        if self.early_stopping:
            train_split = ValidSplit(
                self.validation_fraction,
                stratified=self._task == "classification",
                random_state=seed,
            )
            n_train = len(y) - math.ceil(self.validation_fraction * len(y))

        net = TrickNet(
            TabularModule,
            module__n_numeric=data["x_num"].shape[1],
            module__cardinalities=cardinalities,
            module__embedding_dims=[_embedding_dim(c) for c in cardinalities],
            module__hidden_sizes=hidden_sizes,
            module__dropout=self.dropout,
            module__n_outputs=n_outputs,
            criterion=self._criterion(),
            optimizer=build_optimizer,
            optimizer__name=self.optimizer,
            optimizer__weight_decay=self.weight_decay,
            optimizer__lookahead=self.lookahead,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            train_split=train_split,
            callbacks=self._callbacks(n_train, seed),
            predict_nonlinearity=None,
            device=self.device,
            verbose=0,
            tricks=TrainingTricks(
                task=self._task,
                adversarial=self.adversarial,
                adv_epsilon=self.adv_epsilon,
                adv_steps=self.adv_steps,
                adv_alpha=self.adv_alpha,
                rdrop_alpha=self.rdrop_alpha,
                mixup_alpha=self.mixup_alpha,
            ),
        )

        # A private generator state: the same seed gives the same weights,
        # batches and dropout masks, and the caller's torch state is kept.
        with torch.random.fork_rng(devices=[]), torch_threads(self.n_threads):
            torch.manual_seed(seed)
            net.fit(data, y)
        self.net_ = net
        self.n_epochs_ = len(net.history)

    def _forward(self, X) -> np.ndarray:
        """Return the network's raw outputs for ``X``, computed in float64.

        In float32 a row's output depends on how many rows it is predicted
        with: the matrix-product kernels block by rows and round
        differently (seen as a relative difference of 8e-6 between a
        20-row batch and a 10-row subset). A float64 copy of the trained
        weights gives every row the same output, to about 1e-15, whatever
        the batch.
        """
        check_is_fitted(self, "net_")
        data = self._encode_X(X, reset=False)
        device = self.net_.device
        module = copy.deepcopy(self.net_.module_).double().eval()
        x_num = torch.as_tensor(data["x_num"], dtype=torch.float64, device=device)
        x_cat = torch.as_tensor(data["x_cat"], dtype=torch.int64, device=device)
        step = max(int(self.batch_size), 1024)
        outputs = []
        with torch_threads(self.n_threads), torch.no_grad():
            for start in range(0, x_num.shape[0], step):
                stop = start + step
                outputs.append(module(x_num[start:stop], x_cat[start:stop]))
        return torch.cat(outputs).cpu().numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        return tags


def _discard(*args, **kwargs) -> None:
    # skorch's callbacks print through a ``sink``; the estimators stay quiet.
    return None


class TabularNetClassifier(ClassifierMixin, _TabularNetBase):
    """MLP classifier for tables with the neural training tricks as parameters.

    Numeric columns are standardised; each pandas ``category`` column gets
    an embedding (index 0 for missing or unseen categories). Training runs
    through skorch on the CPU by default, and each trick is a parameter.
    Mixup, R-Drop and the adversarial perturbations act on the input layer
    (standardised numeric columns and embeddings together). The same
    ``random_state`` gives the same predictions on the CPU.

    Parameters
    ----------
    hidden_sizes : sequence of int, default=(128, 64)
        Width of each hidden layer (Linear, ReLU, Dropout).
    dropout : float, default=0.1
        Dropout probability after each hidden layer.
    batch_size : int, default=256
        Rows per training batch.
    max_epochs : int, default=20
        Number of passes over the training data.
    lr : float, default=1e-3
        Base learning rate.
    optimizer : str, default="adamw"
        A torch optimizer ("adam", "adamw", "sgd", "rmsprop") or any name
        pytorch-optimizer supports, such as "adan".
    weight_decay : float, default=0.0
        Weight decay passed to the optimizer.
    lookahead : bool, default=False
        Wrap the optimizer in pytorch-optimizer's ``Lookahead`` (k=5,
        alpha=0.5).
    warmup : float or None, default=None
        Fraction of the training steps with a linear warm-up of the
        learning rate, followed by the ``lr_decay`` schedule (see
        :func:`~sktricks.torch.linear_warmup`). ``None`` keeps ``lr``
        constant.
    lr_decay : {"linear", "cosine", "constant"}, default="linear"
        Schedule after the warm-up; used only when ``warmup`` is set.
    ema : float or None, default=None
        Decay of an exponential moving average of the weights and buffers
        (:class:`~sktricks.torch.EMA`), updated after every step; the
        averaged weights are used for prediction. ``None`` turns it off.
    adversarial : {"fgm", "pgd", "freelb"} or None, default=None
        Adversarial training on the input layer.
    adv_epsilon : float, default=0.1
        L2 radius of each row's perturbation, in standardised units.
    adv_steps : int, default=3
        Ascent steps of PGD and FreeLB.
    adv_alpha : float, default=0.03
        L2 size of each PGD or FreeLB ascent step.
    rdrop_alpha : float, default=0.0
        Weight of the R-Drop term (symmetric KL between two dropout passes,
        see :class:`~sktricks.torch.RDropLoss`); 0 turns it off.
    mixup_alpha : float, default=0.0
        Beta(alpha, alpha) mixing of pairs of rows on the input layer and
        of their losses; 0 turns it off.
    label_smoothing : float, default=0.0
        Mass in [0, 1) spread evenly over all classes in the target.
    loss : {"ce", "focal"}, default="ce"
        Cross-entropy or focal loss (:class:`~sktricks.torch.FocalLoss`).
    focal_gamma : float, default=2.0
        Focusing exponent of the focal loss.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (stratified)
        and stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs. Off by default, so that inside
        ``GridSearchCV`` no second, hidden split is made.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping=True``.
    n_iter_no_change : int, default=5
        Patience of the early stopping, in epochs.
    random_state : int, RandomState instance or None, default=None
        Seed of the weights, batches, dropout, mixup and perturbations.
    device : str, default="cpu"
        torch device to train on.
    n_threads : int or None, default=1
        torch intra-op threads during ``fit`` and ``predict``, restored
        afterwards. Small tabular nets run fastest on one thread, and
        ``GridSearchCV(n_jobs=...)`` parallelises over processes. ``None``
        keeps torch's setting.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.history`` holds the losses per epoch.
    n_epochs_ : int
        Number of epochs run.
    categorical_columns_ : list
        Columns with an embedding.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sktricks.torch import TabularNetClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=200),
    ...                   "colour": pd.Categorical(rng.choice(["r", "g"], 200))})
    >>> y = (X["x"] > 0).astype(int)
    >>> clf = TabularNetClassifier(hidden_sizes=(16,), max_epochs=20, lr=0.01,
    ...                            batch_size=32, ema=0.9, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _task = "classification"

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_TabularNetBase._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "loss": [StrOptions({"ce", "focal"})],
        "focal_gamma": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        hidden_sizes=(128, 64),
        dropout=0.1,
        batch_size=256,
        max_epochs=20,
        lr=1e-3,
        optimizer="adamw",
        weight_decay=0.0,
        lookahead=False,
        warmup=None,
        lr_decay="linear",
        ema=None,
        adversarial=None,
        adv_epsilon=0.1,
        adv_steps=3,
        adv_alpha=0.03,
        rdrop_alpha=0.0,
        mixup_alpha=0.0,
        label_smoothing=0.0,
        loss="ce",
        focal_gamma=2.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        device="cpu",
        n_threads=1,
    ):
        super().__init__(
            hidden_sizes=hidden_sizes,
            dropout=dropout,
            batch_size=batch_size,
            max_epochs=max_epochs,
            lr=lr,
            optimizer=optimizer,
            weight_decay=weight_decay,
            lookahead=lookahead,
            warmup=warmup,
            lr_decay=lr_decay,
            ema=ema,
            adversarial=adversarial,
            adv_epsilon=adv_epsilon,
            adv_steps=adv_steps,
            adv_alpha=adv_alpha,
            rdrop_alpha=rdrop_alpha,
            mixup_alpha=mixup_alpha,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            random_state=random_state,
            device=device,
            n_threads=n_threads,
        )
        self.label_smoothing = label_smoothing
        self.loss = loss
        self.focal_gamma = focal_gamma

    def _criterion(self) -> torch.nn.Module:
        if self.loss == "focal":
            return FocalLoss(self.focal_gamma, self.label_smoothing)
        return torch.nn.CrossEntropyLoss(label_smoothing=self.label_smoothing)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric columns, plus pandas ``category`` columns in a DataFrame.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : TabularNetClassifier
            The fitted estimator.
        """
        data = self._encode_X(X, reset=True)
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != len(data["x_num"]):
            raise ValueError(
                f"X has {len(data['x_num'])} rows but y has {len(y)}; they "
                "must have the same length."
            )
        check_classification_targets(y)

        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"y contains only one class ({self.classes_[0]!r}); a "
                "classifier needs samples of at least 2 classes."
            )
        self._fit_net(data, encoder.transform(y).astype(np.int64), len(self.classes_))
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities as float64, columns ordered as ``classes_``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax of the network output, in float64 so that it works with
            scikit-learn's calibration and metrics.
        """
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """Return the most probable class of each row.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Class labels from ``classes_``.
        """
        logits = self._forward(X)
        return self.classes_[np.argmax(logits, axis=1)]


class TabularNetRegressor(RegressorMixin, _TabularNetBase):
    """MLP regressor for tables with the neural training tricks as parameters.

    Numeric columns and the target are standardised; each pandas
    ``category`` column gets an embedding (index 0 for missing or unseen
    categories). Training runs through skorch on the CPU by default, and
    each trick is a parameter. The same ``random_state`` gives the same
    predictions on the CPU.

    Parameters
    ----------
    hidden_sizes : sequence of int, default=(128, 64)
        Width of each hidden layer (Linear, ReLU, Dropout).
    dropout : float, default=0.1
        Dropout probability after each hidden layer.
    batch_size : int, default=256
        Rows per training batch.
    max_epochs : int, default=20
        Number of passes over the training data.
    lr : float, default=1e-3
        Base learning rate.
    optimizer : str, default="adamw"
        A torch optimizer ("adam", "adamw", "sgd", "rmsprop") or any name
        pytorch-optimizer supports, such as "adan".
    weight_decay : float, default=0.0
        Weight decay passed to the optimizer.
    lookahead : bool, default=False
        Wrap the optimizer in pytorch-optimizer's ``Lookahead``.
    warmup : float or None, default=None
        Fraction of the training steps with a linear warm-up, followed by
        the ``lr_decay`` schedule. ``None`` keeps ``lr`` constant.
    lr_decay : {"linear", "cosine", "constant"}, default="linear"
        Schedule after the warm-up; used only when ``warmup`` is set.
    ema : float or None, default=None
        Decay of an exponential moving average of weights and buffers, used
        for prediction. ``None`` turns it off.
    adversarial : {"fgm", "pgd", "freelb"} or None, default=None
        Adversarial training on the input layer.
    adv_epsilon : float, default=0.1
        L2 radius of each row's perturbation, in standardised units.
    adv_steps : int, default=3
        Ascent steps of PGD and FreeLB.
    adv_alpha : float, default=0.03
        L2 size of each PGD or FreeLB ascent step.
    rdrop_alpha : float, default=0.0
        Weight of the R-Drop term (mean squared difference of two dropout
        passes); 0 turns it off.
    mixup_alpha : float, default=0.0
        Beta(alpha, alpha) mixing of pairs of rows and of their targets'
        losses; 0 turns it off.
    loss : {"mse", "huber"}, default="mse"
        Loss on the standardised target.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when the
        validation loss stalls for ``n_iter_no_change`` epochs.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping=True``.
    n_iter_no_change : int, default=5
        Patience of the early stopping, in epochs.
    random_state : int, RandomState instance or None, default=None
        Seed of the weights, batches, dropout, mixup and perturbations.
    device : str, default="cpu"
        torch device to train on.
    n_threads : int or None, default=1
        torch intra-op threads during ``fit`` and ``predict``, restored
        afterwards. Small tabular nets run fastest on one thread, and
        ``GridSearchCV(n_jobs=...)`` parallelises over processes. ``None``
        keeps torch's setting.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted skorch net.
    n_epochs_ : int
        Number of epochs run.
    categorical_columns_ : list
        Columns with an embedding.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.torch import TabularNetRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5]
    >>> reg = TabularNetRegressor(hidden_sizes=(16,), max_epochs=30, lr=0.01,
    ...                           batch_size=32, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """

    _task = "regression"

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_TabularNetBase._parameter_constraints,
        "loss": [StrOptions({"mse", "huber"})],
    }

    def __init__(
        self,
        *,
        hidden_sizes=(128, 64),
        dropout=0.1,
        batch_size=256,
        max_epochs=20,
        lr=1e-3,
        optimizer="adamw",
        weight_decay=0.0,
        lookahead=False,
        warmup=None,
        lr_decay="linear",
        ema=None,
        adversarial=None,
        adv_epsilon=0.1,
        adv_steps=3,
        adv_alpha=0.03,
        rdrop_alpha=0.0,
        mixup_alpha=0.0,
        loss="mse",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        device="cpu",
        n_threads=1,
    ):
        super().__init__(
            hidden_sizes=hidden_sizes,
            dropout=dropout,
            batch_size=batch_size,
            max_epochs=max_epochs,
            lr=lr,
            optimizer=optimizer,
            weight_decay=weight_decay,
            lookahead=lookahead,
            warmup=warmup,
            lr_decay=lr_decay,
            ema=ema,
            adversarial=adversarial,
            adv_epsilon=adv_epsilon,
            adv_steps=adv_steps,
            adv_alpha=adv_alpha,
            rdrop_alpha=rdrop_alpha,
            mixup_alpha=mixup_alpha,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            random_state=random_state,
            device=device,
            n_threads=n_threads,
        )
        self.loss = loss

    def _criterion(self) -> torch.nn.Module:
        if self.loss == "huber":
            return torch.nn.HuberLoss()
        return torch.nn.MSELoss()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric columns, plus pandas ``category`` columns in a DataFrame.
        y : array-like of shape (n_samples,)
            Target values.

        Returns
        -------
        self : TabularNetRegressor
            The fitted estimator.
        """
        data = self._encode_X(X, reset=True)
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != len(data["x_num"]):
            raise ValueError(
                f"X has {len(data['x_num'])} rows but y has {len(y)}; they "
                "must have the same length."
            )
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"y must be numeric for a regressor; got dtype {y.dtype}."
            ) from None
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity; drop or impute it.")

        # The net learns the standardised target, so the learning rate does
        # not depend on the target's scale.
        self.y_mean_ = float(y.mean())
        scale = float(y.std())
        self.y_scale_ = scale if scale > 0 else 1.0
        target = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)
        self._fit_net(data, target.reshape(-1, 1), 1)
        return self

    def predict(self, X) -> np.ndarray:
        """Return the predicted target of each row.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions in the target's original units, float64.
        """
        return self._forward(X)[:, 0] * self.y_scale_ + self.y_mean_
