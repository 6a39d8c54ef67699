"""Focal loss, its gradient and its Hessian with respect to raw margins.

Focal loss (Lin et al., "Focal Loss for Dense Object Detection", 2017) for a
row whose true class has predicted probability ``q`` is
``-alpha_y * (1 - q) ** gamma * log(q)``. With ``gamma=0`` and no ``alpha``
it is the log loss. Binary margins are log-odds of the positive class;
multiclass margins have one column per class and go through a softmax.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, softmax

# Probabilities are kept this far from 0 and 1 so that log(q) and
# (1 - q) ** (gamma - 2) stay finite.
_EPS = 1e-15


def _class_weights(alpha, y_codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Return the focal ``alpha`` weight of each row's true class."""
    if alpha is None:
        return np.ones(y_codes.shape[0])
    alpha_arr = np.asarray(alpha, dtype=float)
    if alpha_arr.ndim == 0:
        if n_classes != 2:
            raise ValueError(
                f"alpha={float(alpha_arr)} is a single number, which is only "
                f"defined for binary targets; this target has {n_classes} classes. "
                "Pass one weight per class instead."
            )
        alpha_arr = np.array([1.0 - alpha_arr, alpha_arr])
    if alpha_arr.shape != (n_classes,):
        raise ValueError(
            f"alpha has {alpha_arr.size} values but the target has {n_classes} "
            "classes; pass one weight per class."
        )
    if np.any(alpha_arr <= 0) or not np.all(np.isfinite(alpha_arr)):
        raise ValueError(f"alpha must contain finite positive weights, got {alpha}.")
    return alpha_arr[y_codes]


def _true_class_probability(y_codes: np.ndarray, raw_score: np.ndarray):
    """Return (q, log q, probabilities) for the true class of each row."""
    if raw_score.ndim == 1:
        sign = np.where(y_codes == 1, 1.0, -1.0)
        log_q = -np.logaddexp(0.0, -sign * raw_score)
        return np.exp(log_q), log_q, None
    log_proba = log_softmax(raw_score, axis=1)
    log_q = log_proba[np.arange(raw_score.shape[0]), y_codes]
    return np.exp(log_q), log_q, np.exp(log_proba)


def _check_inputs(y_true, raw_score):
    raw_score = np.asarray(raw_score, dtype=float)
    y_codes = np.asarray(y_true)
    if raw_score.ndim not in (1, 2) or raw_score.shape[0] != y_codes.shape[0]:
        raise ValueError(
            f"raw_score has shape {raw_score.shape} but y_true has "
            f"{y_codes.shape[0]} rows; pass one margin per row (binary) or one "
            "column per class (multiclass)."
        )
    n_classes = 2 if raw_score.ndim == 1 else raw_score.shape[1]
    encode_hint = (
        "Encode the labels first, for example with "
        "sklearn.preprocessing.LabelEncoder, or use FocalLossClassifier, "
        "which encodes them itself."
    )
    if y_codes.dtype.kind not in "biuf":
        raise ValueError(
            f"y_true has dtype {y_codes.dtype}, but the focal loss needs integer "
            f"class codes 0 .. {n_classes - 1}. {encode_hint}"
        )
    if not np.all(np.isfinite(y_codes)) or np.any(y_codes != np.round(y_codes)):
        raise ValueError(
            f"y_true must contain integer class codes 0 .. {n_classes - 1}. "
            f"{encode_hint}"
        )
    y_codes = y_codes.astype(np.int64)
    if y_codes.size and (y_codes.min() < 0 or y_codes.max() >= n_classes):
        raise ValueError(
            f"y_true contains codes from {y_codes.min()} to {y_codes.max()}, "
            f"outside 0 .. {n_classes - 1} for raw_score of shape {raw_score.shape}. "
            f"{encode_hint}"
        )
    return y_codes, raw_score, n_classes


def _check_row_weights(sample_weight, n_rows: int):
    """Return ``sample_weight`` as a float array of ``n_rows`` finite weights >= 0."""
    if sample_weight is None:
        return None
    weight = np.asarray(sample_weight, dtype=float)
    if weight.shape != (n_rows,):
        raise ValueError(
            f"sample_weight has shape {weight.shape} but there are {n_rows} rows; "
            "pass one weight per row."
        )
    if not np.all(np.isfinite(weight)) or np.any(weight < 0):
        raise ValueError(
            "sample_weight must contain finite weights >= 0, got "
            f"min={weight.min()}, max={weight.max()}."
        )
    return weight


def focal_loss(y_true, raw_score, *, gamma=2.0, alpha=None, sample_weight=None):
    """Compute the mean focal loss of raw margins.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Class codes ``0 .. n_classes - 1``.
    raw_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Raw margins: log-odds of class 1 for binary targets, one column per
        class (before the softmax) for multiclass targets.
    gamma : float, default=2.0
        Focusing parameter; ``0`` gives the log loss.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        Class weights. A float is the weight of class 1 in a binary task
        (class 0 gets ``1 - alpha``); ``None`` weights every class by 1.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights for the mean.

    Returns
    -------
    loss : float
        Weighted mean of the per-row focal loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.losses import focal_loss
    >>> round(focal_loss([1, 0], np.array([0.0, 0.0]), gamma=0.0), 6)
    0.693147
    """
    y_codes, raw_score, n_classes = _check_inputs(y_true, raw_score)
    sample_weight = _check_row_weights(sample_weight, len(y_codes))
    if sample_weight is not None and not sample_weight.sum() > 0:
        raise ValueError(
            "sample_weight sums to 0, so the weighted mean loss is undefined; "
            "give at least one row a positive weight."
        )
    q, log_q, _ = _true_class_probability(y_codes, raw_score)
    weight = _class_weights(alpha, y_codes, n_classes)
    per_row = -weight * (1.0 - q) ** gamma * log_q
    return float(np.average(per_row, weights=sample_weight))


def focal_loss_grad_hess(
    y_true, raw_score, *, gamma=2.0, alpha=None, sample_weight=None
):
    """Compute the exact gradient and Hessian diagonal of the focal loss.

    Derivatives are taken of the per-row (unaveraged) loss with respect to
    the raw margins, as LightGBM and XGBoost expect from a custom objective.
    For multiclass margins the diagonal of each row's Hessian is returned;
    the off-diagonal terms are dropped, as both libraries do for their own
    softmax objective. The Hessian is exact, so it can be negative where
    ``gamma > 0`` and a row is badly misclassified.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Class codes ``0 .. n_classes - 1``.
    raw_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Raw margins, as in :func:`focal_loss`.
    gamma : float, default=2.0
        Focusing parameter; ``0`` gives the log loss.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        Class weights, as in :func:`focal_loss`.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights; both outputs are multiplied by them.

    Returns
    -------
    grad : ndarray of the shape of ``raw_score``
        First derivative of each row's loss.
    hess : ndarray of the shape of ``raw_score``
        Second derivative (Hessian diagonal) of each row's loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.losses import focal_loss_grad_hess
    >>> grad, hess = focal_loss_grad_hess([1], np.array([0.0]), gamma=0.0)
    >>> float(grad[0]), float(hess[0])
    (-0.5, 0.25)
    """
    y_codes, raw_score, n_classes = _check_inputs(y_true, raw_score)
    sample_weight = _check_row_weights(sample_weight, len(y_codes))
    weight = _class_weights(alpha, y_codes, n_classes)
    if sample_weight is not None:
        weight = weight * sample_weight

    if raw_score.ndim == 1:
        grad, hess = _binary_grad_hess(y_codes, raw_score, gamma)
        return grad * weight, hess * weight
    grad, hess = _multiclass_grad_hess(y_codes, raw_score, gamma)
    return grad * weight[:, None], hess * weight[:, None]


def _binary_grad_hess(y_codes, raw_score, gamma):
    # With s = +1 for class 1 and -1 for class 0, q = sigmoid(s * z), and
    # dq/dz = s * q * (1 - q); the chain rule gives the expressions below.
    sign = np.where(y_codes == 1, 1.0, -1.0)
    q = np.clip(expit(sign * raw_score), _EPS, 1.0 - _EPS)
    log_q = np.log(q)
    one_minus_q = 1.0 - q
    focus = one_minus_q**gamma

    grad = sign * (gamma * q * focus * log_q - focus * one_minus_q)
    hess = (
        q
        * focus
        * (
            gamma * one_minus_q * log_q
            - gamma**2 * q * log_q
            + (2.0 * gamma + 1.0) * one_minus_q
        )
    )
    return grad, hess


def _multiclass_grad_hess(y_codes, raw_score, gamma):
    # L = f(q) with q = softmax(z)[y]; dq/dz_k = q * (delta_yk - p_k).
    # With D = f'(q) the gradient is D * q * (delta_yk - p_k) and the
    # Hessian diagonal is (D + q f''(q)) * q * (delta_yk - p_k) ** 2
    # - D * q * p_k * (1 - p_k).
    proba = softmax(raw_score, axis=1)
    rows = np.arange(raw_score.shape[0])
    q = np.clip(proba[rows, y_codes], _EPS, 1.0 - _EPS)
    log_q = np.log(q)
    one_minus_q = 1.0 - q
    delta = np.zeros_like(proba)
    delta[rows, y_codes] = 1.0
    diff = delta - proba

    d1 = gamma * one_minus_q ** (gamma - 1.0) * log_q - one_minus_q**gamma / q
    d1_times_q = gamma * q * one_minus_q ** (gamma - 1.0) * log_q - one_minus_q**gamma
    # q * f''(q), written so that q -> 1 stays finite: the (1 - q) ** (gamma - 2)
    # factor is multiplied by diff ** 2 <= (1 - q) ** 2 below.
    q_d2_a = -gamma * (gamma - 1.0) * q * log_q  # times (1 - q) ** (gamma - 2)
    q_d2_b = 2.0 * gamma * one_minus_q ** (gamma - 1.0) + one_minus_q**gamma / q

    ratio = diff**2 / one_minus_q[:, None] ** 2
    curvature_term = (
        (d1 + q_d2_b)[:, None] * diff**2
        + (q_d2_a * one_minus_q**gamma)[:, None] * ratio
    ) * q[:, None]

    grad = d1_times_q[:, None] * diff
    hess = curvature_term - (d1 * q)[:, None] * proba * (1.0 - proba)
    return grad, hess


def boosting_grad_hess(y_true, raw_score, *, gamma, alpha, sample_weight, factor):
    """Return the gradient and a positive Hessian for a boosting objective.

    The exact focal Hessian turns negative on badly misclassified rows when
    ``gamma > 0``; a leaf whose Hessian sum is near zero or negative then
    gets a huge or uphill Newton step. Each Hessian entry is therefore
    raised to at least the log-loss Hessian weighted by the row's focal
    factor, ``alpha_y * (1 - q) ** gamma * p_k * (1 - p_k)``, which is
    positive and equals the exact Hessian when ``gamma=0``. ``factor``
    scales the Hessian as the library's own softmax objective does.
    """
    y_codes, raw_score, n_classes = _check_inputs(y_true, raw_score)
    grad, hess = focal_loss_grad_hess(
        y_codes, raw_score, gamma=gamma, alpha=alpha, sample_weight=sample_weight
    )
    q, _, proba = _true_class_probability(y_codes, raw_score)
    weight = _class_weights(alpha, y_codes, n_classes) * (1.0 - q) ** gamma
    if sample_weight is not None:
        weight = weight * np.asarray(sample_weight, dtype=float)
    if proba is None:
        bound = weight * q * (1.0 - q)
    else:
        bound = weight[:, None] * proba * (1.0 - proba)
    return grad, np.maximum(hess, bound) * factor
