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

# The rounds cross_val_oof uses when neither it nor the model sets any.
DEFAULT_ROUNDS = 50

# LightGBM 4.7 reads any of these model parameters as the early-stopping
# rounds (lightgbm.basic._ConfigAliases), and adds its own callback for it.
_LIGHTGBM_ROUND_ALIASES = (
    "early_stopping_round",
    "early_stopping_rounds",
    "early_stopping",
    "n_iter_no_change",
)

# Names of fit parameters that pass an evaluation set. cross_val_oof builds
# its own per fold when early stopping is on.
_EVAL_SET_PARAMS = frozenset(
    {
        "eval_set",
        "eval_X",
        "eval_y",
        "eval_sample_weight",
        "eval_init_score",
        "eval_group",
        "sample_weight_eval_set",
        "base_margin_eval_set",
        "X_val",
        "y_val",
        "sample_weight_val",
    }
)


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


def model_rounds(estimator: Any) -> int | None:
    """Return the early-stopping rounds set on the final step, if any.

    XGBoost's ``early_stopping_rounds`` and LightGBM's ``early_stopping_round``
    (or an alias of it) count; HistGradientBoosting's ``n_iter_no_change``
    does not, because it always has a value (10 by default).
    """
    model = final_estimator(estimator)
    params = model.get_params(deep=False)
    module = type(model).__module__
    if module.startswith("xgboost"):
        return _positive_or_none(params.get("early_stopping_rounds"))
    if module.startswith("lightgbm"):
        for alias in _LIGHTGBM_ROUND_ALIASES:
            rounds = _positive_or_none(params.get(alias))
            if rounds is not None:
                return rounds
    return None


def _positive_or_none(value: Any) -> int | None:
    # bool is an int subclass in Python, but True is no count of rounds.
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return None
    return int(value) if value > 0 else None


def check_moved_fit_params(estimator: Any, fit_params: dict[str, Any]) -> None:
    """Name the fix for fit parameters that the boosting libraries dropped.

    LightGBM 4 takes early stopping only as a callback, and the XGBoost
    releases sktricks supports (3.2 and later) take ``early_stopping_rounds``
    and ``eval_metric`` only in the constructor. Passing them to ``fit``
    fails in every fold with "unexpected keyword argument".
    """
    model = final_estimator(estimator)
    module = type(model).__module__
    moved = {"early_stopping_rounds"}
    if module.startswith("xgboost"):
        moved.add("eval_metric")
    elif not module.startswith("lightgbm"):
        return
    for key in fit_params:
        name = key.split("__")[-1]
        if name == "early_stopping_rounds":
            raise TypeError(
                f"params contains {key!r}, which {type(model).__name__}.fit does "
                "not accept. Pass early_stopping=True (or 'inner') and "
                f"early_stopping_rounds={fit_params[key]!r} to cross_val_oof "
                "instead, so each fold stops on its own evaluation set."
            )
        if name in moved:
            raise TypeError(
                f"params contains {key!r}, which {type(model).__name__}.fit does "
                f"not accept; set it on the model instead, for example "
                f"{type(model).__name__}({name}={fit_params[key]!r})."
            )


def check_no_eval_set(fit_params: dict[str, Any], early_stopping: bool | str) -> None:
    """Reject evaluation sets in ``fit_params`` while cross_val_oof makes its own."""
    eval_keys = sorted(
        key for key in fit_params if key.split("__")[-1] in _EVAL_SET_PARAMS
    )
    if eval_keys:
        raise ValueError(
            f"params contains {eval_keys}, but early_stopping={early_stopping!r} "
            "builds each fold's evaluation set from that fold's rows. Remove "
            "these keys, or pass early_stopping=False to use your own "
            "evaluation set."
        )


def check_stopping_has_eval_set(estimator: Any, fit_params: dict[str, Any]) -> None:
    """Raise when the model would early-stop but gets no evaluation set.

    With ``early_stopping=False`` cross_val_oof passes ``fit_params`` as they
    are, so a model with its own early-stopping rounds, or a LightGBM
    ``early_stopping`` callback, fails in every fold with a library error
    that does not point at ``cross_val_oof``'s own option.
    """
    if any(key.split("__")[-1] in _EVAL_SET_PARAMS for key in fit_params):
        return
    model = final_estimator(estimator)
    rounds = model_rounds(estimator)
    if rounds is not None:
        source = f"{type(model).__name__} sets {rounds} early-stopping rounds"
    elif _has_lightgbm_early_stopping_callback(fit_params):
        source = "params contains a LightGBM early_stopping callback"
    else:
        return
    raise ValueError(
        f"{source}, but cross_val_oof was given no evaluation set. Pass "
        "early_stopping=True (each fold's held-out rows) or "
        "early_stopping='inner' (a slice of each training part) to stop "
        "per fold, or remove the early-stopping setting."
    )


def _has_lightgbm_early_stopping_callback(fit_params: dict[str, Any]) -> bool:
    for key, value in fit_params.items():
        if key.split("__")[-1] != "callbacks" or not value:
            continue
        for callback in value:
            # lightgbm.early_stopping() returns this private class in LightGBM
            # 4.x; matching its name avoids importing LightGBM here.
            if type(callback).__name__ == "_EarlyStoppingCallback":
                return True
    return False


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
    rounds: int | None,
) -> int:
    """Fit ``estimator`` with ``(X_val, y_val)`` as its evaluation set.

    For a Pipeline the steps before the last are fitted on ``X_fit`` and
    transform ``X_val``, so the final model sees the evaluation set in the
    same feature space as its training data. ``rounds=None`` takes the
    model's own early-stopping rounds (:func:`model_rounds`), else
    ``DEFAULT_ROUNDS``.

    Returns
    -------
    best_iteration : int
        Number of boosting rounds that the fitted model predicts with.
    """
    if rounds is None:
        rounds = model_rounds(estimator) or DEFAULT_ROUNDS
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

        # The model's own rounds would add a second early-stopping callback
        # inside LightGBM, and the smaller of the two counts would win.
        model_params = model.get_params(deep=False)
        model.set_params(
            **{
                alias: None
                for alias in _LIGHTGBM_ROUND_ALIASES
                if alias in model_params
            }
        )
        callbacks = list(step_params.pop("callbacks", None) or [])
        callbacks.append(lightgbm.early_stopping(rounds, verbose=False))
        if sample_weight_val is not None:
            step_params["eval_sample_weight"] = [sample_weight_val]
        step_params.update(_lightgbm_eval_set(model, X_val, y_val))
        model.fit(X_fit, y_fit, callbacks=callbacks, **step_params)
        # best_iteration_ stays 0 when LightGBM disables early stopping (dart
        # boosting), and the model then predicts with every tree.
        return int(model.best_iteration_ or model.booster_.current_iteration())

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
