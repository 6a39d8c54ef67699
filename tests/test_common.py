"""scikit-learn's and imbalanced-learn's estimator checks over every public estimator.

Estimators are discovered automatically with
:func:`sktricks.utils.all_estimators`; an estimator whose constructor needs
arguments gets them from ``_CONSTRUCTOR_ARGS``. Expected failures are listed
in ``_EXPECTED_FAILED_CHECKS`` with the reason.
"""

from __future__ import annotations

import pytest
from imblearn.utils.estimator_checks import (
    parametrize_with_checks as imblearn_parametrize_with_checks,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktricks.feature_selection import AdversarialSelector
from sktricks.utils import all_estimators


# Constructor arguments for estimators that cannot be built with defaults,
# keyed by class name: a callable returning the keyword arguments.
def _focal_args():
    from lightgbm import LGBMClassifier

    # Small min_data_in_bin and min_child_samples let LightGBM split the
    # tiny data sets of the checks; without a usable feature it cannot train
    # a custom objective at all.
    return {
        "estimator": LGBMClassifier(
            n_estimators=5, min_child_samples=1, min_data_in_bin=1, verbose=-1, n_jobs=1
        )
    }


def _prior_args():
    from imblearn.over_sampling import RandomOverSampler
    from sklearn.linear_model import LogisticRegression

    return {
        "estimator": LogisticRegression(),
        "sampler": RandomOverSampler(random_state=0),
    }


_CONSTRUCTOR_ARGS: dict[str, object] = {
    # imbalanced-learn's checks compare two runs (list vs array, Series vs
    # DataFrame), which only agree with a fixed seed.
    "GaussianNoiseSampler": lambda: {"random_state": 0},
    "MixupSampler": lambda: {"random_state": 0},
    "SwapNoiseSampler": lambda: {"random_state": 0},
    "FocalLossClassifier": _focal_args,
    "PriorCorrectedClassifier": _prior_args,
}

# Small, fast networks that still learn scikit-learn's toy problems.
_TABULAR_NET_ARGS = {
    "hidden_sizes": (16,),
    "max_epochs": 30,
    "lr": 0.02,
    "batch_size": 32,
    "random_state": 0,
}
_CONSTRUCTOR_ARGS["TabularNetClassifier"] = lambda: dict(_TABULAR_NET_ARGS)
_CONSTRUCTOR_ARGS["TabularNetRegressor"] = lambda: dict(_TABULAR_NET_ARGS)
_CONSTRUCTOR_ARGS["ConcreteFeatureSelector"] = lambda: {
    "n_features": 1,
    "max_epochs": 5,
    "random_state": 0,
}
_CONSTRUCTOR_ARGS["DAEFeatures"] = lambda: {
    "hidden_sizes": (4,),
    "max_epochs": 5,
    "random_state": 0,
}


def _fusion_classifiers():
    from sklearn.linear_model import LogisticRegression

    return [
        ("lr", LogisticRegression(solver="newton-cholesky")),
        ("lr_strong", LogisticRegression(solver="newton-cholesky", C=0.1)),
    ]


def _fusion_regressors():
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    return [
        ("ridge", Ridge()),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
    ]


_CONSTRUCTOR_ARGS.update(
    {
        # Small, fast base models and 3 folds keep the ensemble checks quick.
        "StackingClassifier": lambda: {
            "estimators": _fusion_classifiers(),
            "final_estimator": _fusion_classifiers()[0][1],
            "cv": 3,
        },
        "StackingRegressor": lambda: {"estimators": _fusion_regressors(), "cv": 3},
        "EnsembleSelectionClassifier": lambda: {
            "estimators": _fusion_classifiers(),
            "cv": 3,
            "n_iter": 5,
        },
        "EnsembleSelectionRegressor": lambda: {
            "estimators": _fusion_regressors(),
            "cv": 3,
            "n_iter": 5,
        },
        "AveragingClassifier": lambda: {"estimators": _fusion_classifiers()},
        "BlendingClassifier": lambda: {
            "estimators": _fusion_classifiers(),
            "random_state": 0,
        },
        "BlendingRegressor": lambda: {
            "estimators": _fusion_regressors(),
            "random_state": 0,
        },
        "AveragingRegressor": lambda: {"estimators": _fusion_regressors()},
    }
)

_CONSTRUCTOR_ARGS.update(
    {
        "LabelSmoothingClassifier": lambda: {
            "estimator": LogisticRegression(max_iter=500),
            "smoothing": 0.05,
        },
        "DistilledClassifier": lambda: {
            "teacher": LogisticRegression(max_iter=500),
            "student": Ridge(),
            "cv": 3,
        },
        "DistilledRegressor": lambda: {
            "teacher": Ridge(),
            "student": Ridge(alpha=0.1),
            "cv": 3,
        },
        "CANClassifier": lambda: {
            "estimator": LogisticRegression(max_iter=500),
            "threshold": 0.9,
            "cv": 3,
        },
    }
)

# Fewer refits keep the feature selectors' checks quick; a fixed seed makes
# the checks that fit twice compare like with like.
_CONSTRUCTOR_ARGS.update(
    {
        "BorutaSelector": lambda: {"max_iter": 20, "random_state": 0},
        "NullImportanceSelector": lambda: {
            "n_runs": 5,
            "n_real_runs": 2,
            "random_state": 0,
        },
        "ShapRFECV": lambda: {"cv": 3, "step": 0.5, "random_state": 0},
        "PermutationSelector": lambda: {"cv": 3, "n_repeats": 2, "random_state": 0},
    }
)

# Checks an estimator is known to fail, keyed by class name, each mapped to
# the reason; passed to scikit-learn as ``expected_failed_checks``.
_REGRESSION_TARGET = (
    "continuous targets are augmented on purpose (regression), so no "
    "'Unknown label type' error is raised"
)
_COPIES_ANY_TARGET = (
    "copies every row whatever the classes, so a single-class target is valid input"
)
_EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "MixupSampler": {"check_target_type": _REGRESSION_TARGET},
    "SwapNoiseSampler": {
        "check_target_type": _REGRESSION_TARGET,
        "check_samplers_one_label": _COPIES_ANY_TARGET,
    },
    "GaussianNoiseSampler": {
        "check_target_type": _REGRESSION_TARGET,
        "check_samplers_one_label": _COPIES_ANY_TARGET,
    },
    "FocalLossClassifier": {
        "check_sample_weight_equivalence_on_dense_data": (
            "LightGBM bins features and applies min_child_samples to row "
            "counts, so a weight of 2 is not the same as a repeated row"
        ),
    },
    "PriorCorrectedClassifier": {
        "check_sample_weight_equivalence_on_dense_data": (
            "RandomOverSampler draws different rows when rows are repeated "
            "than when they are weighted"
        ),
    },
}
_BLENDING_SPLIT = (
    "the held-out slice is a random split of the rows, so repeating a row "
    "is not the same as doubling its weight"
)
_EXPECTED_FAILED_CHECKS.update(
    {
        name: {
            "check_sample_weight_equivalence_on_dense_data": _BLENDING_SPLIT,
            "check_sample_weight_equivalence_on_sparse_data": _BLENDING_SPLIT,
        }
        for name in ("BlendingClassifier", "BlendingRegressor")
    }
)
_OOF_FOLDS = (
    "the out-of-fold predictions come from a row split, so a repeated row can "
    "fall in two folds where a row of weight 2 falls in one"
)
_EXPECTED_FAILED_CHECKS["CANClassifier"] = {
    "check_sample_weight_equivalence_on_dense_data": _OOF_FOLDS,
    "check_sample_weight_equivalence_on_sparse_data": _OOF_FOLDS,
}


class AdversarialSelectorOnOwnRows(AdversarialSelector):
    """AdversarialSelector that compares X with itself when X_test is None.

    scikit-learn's checks call ``fit(X, y)`` and cannot pass the ``X_test``
    that AdversarialSelector requires; everything else is the real class.
    With identical rows the adversarial AUC stays low, so the checks see a
    selector that keeps every column. It lives at module level so that the
    pickling checks can find it.
    """

    def fit(self, X, y=None, X_test=None):
        return super().fit(X, y, X_test=X if X_test is None else X_test)


# Estimators whose fit needs metadata that the checks cannot pass are
# checked through a subclass that supplies it, keyed by class name.
_CHECKED_SUBCLASSES = {"AdversarialSelector": AdversarialSelectorOnOwnRows}
_CONSTRUCTOR_ARGS["AdversarialSelector"] = lambda: {"random_state": 0}


def _instances(type_filter=None):
    instances = []
    for name, cls in all_estimators(type_filter):
        make_args = _CONSTRUCTOR_ARGS.get(name)
        kwargs = make_args() if callable(make_args) else {}
        if name in _CHECKED_SUBCLASSES:
            cls = _CHECKED_SUBCLASSES[name]
        instances.append(cls(**kwargs))
    return instances


def _expected_failed_checks(estimator):
    return _EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


_SAMPLERS = _instances("sampler")
_ESTIMATORS = [est for est in _instances() if not hasattr(est, "fit_resample")]


@parametrize_with_checks(_ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@imblearn_parametrize_with_checks(
    _SAMPLERS, expected_failed_checks=_expected_failed_checks
)
def test_imblearn_compatible_sampler(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator_cls", [cls for _, cls in all_estimators()])
def test_estimator_clone_round_trip(estimator_cls):
    from sklearn.base import clone

    make_args = _CONSTRUCTOR_ARGS.get(estimator_cls.__name__)
    estimator = estimator_cls(**(make_args() if callable(make_args) else {}))
    cloned = clone(estimator)
    assert type(cloned) is estimator_cls
    assert (
        cloned.get_params(deep=False).keys() == estimator.get_params(deep=False).keys()
    )


def test_all_estimators_finds_a_public_estimator(monkeypatch):
    # Discovery must be automatic: a class added to a public subpackage's
    # __all__ shows up without being registered anywhere.
    import types

    from sklearn.base import BaseEstimator

    import sktricks.utils._discovery as discovery

    module = types.ModuleType("sktricks.fake")

    class FakeEstimator(BaseEstimator):
        pass

    FakeEstimator.__module__ = "sktricks.fake._impl"
    module.FakeEstimator = FakeEstimator
    module.__all__ = ["FakeEstimator"]
    monkeypatch.setattr(discovery, "_public_modules", lambda: ["sktricks.fake"])
    monkeypatch.setattr(discovery, "_import_optional", lambda name: module)

    assert discovery.all_estimators() == [("FakeEstimator", FakeEstimator)]
