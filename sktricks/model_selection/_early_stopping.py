"""Per-fold early stopping for LightGBM, XGBoost and HistGradientBoosting.

Each fit gets its own evaluation set and its own copy of every callback.
``LGBMModel.fit`` copies the callback list only shallowly, so one callback
object passed to several fits keeps its state between them. In LightGBM
4.7.0, an ``early_stopping`` callback that one fit disabled (dart boosting,
or an evaluation set that is only the training data) stays disabled in
every later fit, and some older releases compared a fit with the best
score of an earlier one.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline


def final_estimator(estimator: Any) -> Any:
    """Return the last step of a Pipeline, or the estimator itself."""
    if isinstance(estimator, Pipeline):
        return final_estimator(estimator.steps[-1][1])
    return estimator


def boosting_family(estimator: Any) -> str | None:
    """Name the early-stopping family of ``estimator``'s final step, if any."""
    from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import (
        BaseHistGradientBoosting,
    )

    model = final_estimator(estimator)
    module = type(model).__module__
    if module.startswith("lightgbm"):
        return "lightgbm"
    if module.startswith("xgboost"):
        return "xgboost"
    if isinstance(model, BaseHistGradientBoosting):
        return "hist_gradient_boosting"
    return None


def needs_contiguous_labels(estimator: Any, early_stopping: bool | str) -> bool:
    """Tell whether the final step must be fitted on labels ``0..n_classes-1``.

    XGBoost's scikit-learn classifier raises "Invalid classes inferred from
    unique values of `y`" for any other labels, which happens whenever a
    training fold lacks a class. LightGBM 4.7's classifier label-encodes
    ``eval_set`` but not ``eval_y``, so string labels fail with early
    stopping; fitting it on codes avoids that too.
    """
    module = type(final_estimator(estimator)).__module__
    if module.startswith("xgboost"):
        return True
    return module.startswith("lightgbm") and early_stopping is not False


def encode_class_weight(estimator: Any, classes: np.ndarray) -> None:
    """Re-key a ``class_weight`` dict of ``estimator`` by label code, in place.

    A model fitted on the codes ``0..n_classes-1`` would otherwise look up
    codes in a dict keyed by the original labels and raise a KeyError.
    Labels missing from ``classes``, as in a fold without that class, are
    left out because scikit-learn rejects weights for unseen classes.
    """
    model = final_estimator(estimator)
    weights = getattr(model, "class_weight", None)
    if not isinstance(weights, dict):
        return
    codes = {label: code for code, label in enumerate(classes.tolist())}
    model.set_params(
        class_weight={
            codes[label]: weight for label, weight in weights.items() if label in codes
        }
    )


def fresh_callbacks(fit_params: dict[str, Any]) -> dict[str, Any]:
    """Deep-copy every callback list in ``fit_params`` so no fold shares one."""
    copied = {}
    for key, value in fit_params.items():
        if key.split("__")[-1] != "callbacks":
            copied[key] = value
            continue
        try:
            copied[key] = copy.deepcopy(value)
        except (TypeError, copy.Error) as error:
            raise TypeError(
                f"The callbacks in {key!r} cannot be deep-copied ({error}), and "
                "each fold needs its own copy; pass callbacks without locks, "
                "open files or other state that cannot be copied."
            ) from error
    return copied


def fit_with_early_stopping(
    estimator: Any,
    family: str,
    X_fit: Any,
    y_fit: Any,
    X_val: Any,
    y_val: Any,
    fit_params: dict[str, Any],
    sample_weight_val: Any,
    rounds: int,
) -> int:
    """Fit ``estimator`` with ``(X_val, y_val)`` as its evaluation set.

    For a Pipeline the steps before the last are fitted on ``X_fit`` and
    transform ``X_val``, so the final model sees the evaluation set in the
    same feature space as its training data.

    Returns
    -------
    best_iteration : int
        Number of boosting rounds that the fitted model predicts with.
    """
    model = estimator
    step_params: dict[str, Any] = dict(fit_params)
    if isinstance(estimator, Pipeline):
        last_name = estimator.steps[-1][0]
        prefix = last_name + "__"
        step_params = {
            key[len(prefix) :]: value
            for key, value in fit_params.items()
            if key.startswith(prefix)
        }
        head_params = {
            key: value
            for key, value in fit_params.items()
            if not key.startswith(prefix)
        }
        head = estimator[:-1]
        X_fit = head.fit_transform(X_fit, y_fit, **head_params)
        X_val = head.transform(X_val)
        model = final_estimator(estimator)

    if family == "lightgbm":
        import lightgbm

        callbacks = list(step_params.pop("callbacks", None) or [])
        callbacks.append(lightgbm.early_stopping(rounds, verbose=False))
        if sample_weight_val is not None:
            step_params["eval_sample_weight"] = [sample_weight_val]
        step_params.update(_lightgbm_eval_set(model, X_val, y_val))
        model.fit(X_fit, y_fit, callbacks=callbacks, **step_params)
        return int(model.best_iteration_)

    if family == "xgboost":
        model.set_params(early_stopping_rounds=rounds)
        if sample_weight_val is not None:
            step_params["sample_weight_eval_set"] = [sample_weight_val]
        step_params.setdefault("verbose", False)
        model.fit(X_fit, y_fit, eval_set=[(X_val, y_val)], **step_params)
        # XGBoost counts best_iteration from 0.
        return int(model.best_iteration) + 1

    model.set_params(early_stopping=True, n_iter_no_change=rounds)
    model.fit(
        X_fit,
        y_fit,
        X_val=X_val,
        y_val=y_val,
        sample_weight_val=sample_weight_val,
        **step_params,
    )
    return int(model.n_iter_)


def _lightgbm_eval_set(model: Any, X_val: Any, y_val: Any) -> dict[str, Any]:
    # LightGBM 4.7 deprecates eval_set in favour of eval_X and eval_y; the
    # eval_set branch can go once LightGBM 4.7 is the lowest version we support.
    if "eval_X" in inspect.signature(model.fit).parameters:
        return {"eval_X": (X_val,), "eval_y": (y_val,)}
    return {"eval_set": [(X_val, y_val)]}


def weights_from(fit_params: dict[str, Any], estimator: Any) -> np.ndarray | None:
    """Return the sample weights that ``fit_params`` gives the final step."""
    if isinstance(estimator, Pipeline):
        return fit_params.get(estimator.steps[-1][0] + "__sample_weight")
    return fit_params.get("sample_weight")
