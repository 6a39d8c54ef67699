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

from sktricks.utils import all_estimators

# Constructor arguments for estimators that cannot be built with defaults,
# keyed by class name: a callable returning the keyword arguments.
_CONSTRUCTOR_ARGS: dict[str, object] = {
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

# Checks an estimator is known to fail, keyed by class name, each mapped to
# the reason; passed to scikit-learn as ``expected_failed_checks``.
_EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}


def _instances(type_filter=None):
    instances = []
    for name, cls in all_estimators(type_filter):
        make_args = _CONSTRUCTOR_ARGS.get(name)
        kwargs = make_args() if callable(make_args) else {}
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
