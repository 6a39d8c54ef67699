"""Base-model parameters as ``<name>__<parameter>``, checked against
scikit-learn's own ensembles and against models built by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import ensemble as sklearn_ensemble
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sktricks.ensemble import (
    AveragingClassifier,
    AveragingRegressor,
    BlendingClassifier,
    BlendingRegressor,
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
    StackingClassifier,
    StackingRegressor,
)

_CLASSIFIER_CLASSES = [
    StackingClassifier,
    BlendingClassifier,
    EnsembleSelectionClassifier,
    AveragingClassifier,
]
_REGRESSOR_CLASSES = [
    StackingRegressor,
    BlendingRegressor,
    EnsembleSelectionRegressor,
    AveragingRegressor,
]
_ALL_CLASSES = _CLASSIFIER_CLASSES + _REGRESSOR_CLASSES


def _options(ensemble_cls):
    """Small, deterministic settings for ``ensemble_cls``."""
    options = {
        StackingClassifier: {"cv": 3, "guard": False},
        StackingRegressor: {"cv": 3, "guard": False},
        BlendingClassifier: {"random_state": 0},
        BlendingRegressor: {"random_state": 0},
        EnsembleSelectionClassifier: {"cv": 3, "n_iter": 3},
        EnsembleSelectionRegressor: {"cv": 3, "n_iter": 3},
    }
    return options.get(ensemble_cls, {})


def _models(ensemble_cls, **tuned):
    """Two base models; ``tuned`` sets parameters of the first one."""
    if ensemble_cls in _CLASSIFIER_CLASSES:
        return [("lr", LogisticRegression(**tuned)), ("nb", GaussianNB())]
    return [
        ("ridge", Ridge(**tuned)),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
    ]


def _data(ensemble_cls):
    if ensemble_cls in _CLASSIFIER_CLASSES:
        return make_classification(n_samples=90, n_features=5, random_state=0)
    return make_regression(n_samples=90, n_features=5, noise=5.0, random_state=0)


def _fitted_models(ensemble, name):
    """Every fitted copy of the base model ``name``."""
    if hasattr(ensemble, "layers_"):
        bases = [base for layer in ensemble.layers_ for base in layer]
    else:
        bases = ensemble.estimators_
    return next(base.models for base in bases if base.name == name)


def _predict(ensemble, X):
    if hasattr(ensemble, "predict_proba"):
        return ensemble.predict_proba(X)
    return ensemble.predict(X)


# get_params ------------------------------------------------------------------


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (StackingClassifier, sklearn_ensemble.StackingClassifier),
        (StackingRegressor, sklearn_ensemble.StackingRegressor),
        (AveragingClassifier, sklearn_ensemble.VotingClassifier),
        (AveragingRegressor, sklearn_ensemble.VotingRegressor),
    ],
)
def test_get_params_nested_match_sklearn(ours, theirs):
    models = _models(ours)
    names = [name for name, _ in models]
    kwargs = {}
    if ours in (StackingClassifier, StackingRegressor):
        final = LogisticRegression() if ours is StackingClassifier else Ridge()
        kwargs["final_estimator"] = final

    mine = ours(models, **kwargs).get_params(deep=True)
    reference = theirs(models, **kwargs).get_params(deep=True)

    def nested(params):
        return {
            key: value
            for key, value in params.items()
            if key.split("__")[0] in [*names, "final_estimator"]
        }

    assert nested(mine).keys() == nested(reference).keys()
    for key, value in nested(reference).items():
        assert mine[key] is value


@pytest.mark.parametrize("ensemble_cls", _ALL_CLASSES)
def test_get_params_lists_every_model_parameter(ensemble_cls):
    models = _models(ensemble_cls)
    params = ensemble_cls(models).get_params(deep=True)

    for name, model in models:
        assert params[name] is model
        for key, value in model.get_params(deep=True).items():
            assert params[f"{name}__{key}"] is value
    assert "estimators" in params
    assert ensemble_cls(models).get_params(deep=False).keys() == {
        key for key in params if "__" not in key and key not in dict(models)
    }


def test_get_params_lists_models_of_every_layer():
    first = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    top = LogisticRegression(C=0.3)
    stack = StackingClassifier([first, [("top", top)]])
    params = stack.get_params(deep=True)

    assert params["lr"] is first[0][1]
    assert params["nb"] is first[1][1]
    assert params["top"] is top
    assert params["top__C"] == 0.3


# set_params ------------------------------------------------------------------


@pytest.mark.parametrize("ensemble_cls", _ALL_CLASSES)
def test_set_params_reaches_fitted_base_models(ensemble_cls):
    X, y = _data(ensemble_cls)
    name = _models(ensemble_cls)[0][0]
    parameter, value = ("C", 0.01) if name == "lr" else ("alpha", 300.0)
    options = _options(ensemble_cls)

    tuned = ensemble_cls(_models(ensemble_cls), **options)
    tuned.set_params(**{f"{name}__{parameter}": value}).fit(X, y)
    # The same ensemble with the value passed to the model's constructor.
    built = ensemble_cls(_models(ensemble_cls, **{parameter: value}), **options)
    built.fit(X, y)

    fitted = _fitted_models(tuned, name)
    assert len(fitted) >= 1
    for model in fitted:
        assert model.get_params()[parameter] == value
    np.testing.assert_allclose(_predict(tuned, X), _predict(built, X))


@pytest.mark.parametrize(
    "ensemble_cls", [StackingClassifier, StackingRegressor, BlendingClassifier]
)
def test_set_params_reaches_final_estimator(ensemble_cls):
    X, y = _data(ensemble_cls)
    classifier = ensemble_cls in _CLASSIFIER_CLASSES
    final = LogisticRegression() if classifier else Ridge()
    parameter, value = ("C", 0.05) if classifier else ("alpha", 50.0)
    options = _options(ensemble_cls)

    tuned = ensemble_cls(_models(ensemble_cls), final_estimator=final, **options)
    tuned.set_params(**{f"final_estimator__{parameter}": value}).fit(X, y)
    built_final = clone(final).set_params(**{parameter: value})
    built = ensemble_cls(
        _models(ensemble_cls), final_estimator=built_final, **options
    ).fit(X, y)

    assert tuned.final_estimator_.get_params()[parameter] == value
    np.testing.assert_allclose(_predict(tuned, X), _predict(built, X))


def test_set_params_replaces_model_by_name():
    models = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    before = list(models)
    stack = StackingClassifier(models)
    tree = DecisionTreeClassifier(max_depth=2)

    stack.set_params(nb=tree)

    assert stack.estimators == [("lr", models[0][1]), ("nb", tree)]
    # The caller's list is left as it was, as in scikit-learn.
    assert models == before


def test_set_params_estimators_before_nested():
    stack = StackingClassifier([("lr", LogisticRegression())])
    replacement = LogisticRegression()

    stack.set_params(estimators=[("lr", replacement)], lr__C=0.2)

    assert stack.estimators == [("lr", replacement)]
    assert replacement.C == 0.2


def test_set_params_keeps_layers():
    first = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    before = list(first)
    stack = StackingClassifier([first, [("top", LogisticRegression())]], cv=3)
    tree = DecisionTreeClassifier(max_depth=2, random_state=0)

    stack.set_params(nb=tree, top__C=0.2, lr__C=5.0)

    assert stack.estimators[0] == [("lr", first[0][1]), ("nb", tree)]
    assert len(stack.estimators[1]) == 1
    assert stack.estimators[1][0][0] == "top"
    assert first == before

    X, y = make_classification(n_samples=90, n_features=5, random_state=1)
    stack.set_params(guard=False).fit(X, y)
    assert all(model.C == 0.2 for model in _fitted_models(stack, "top"))
    assert all(model.C == 5.0 for model in _fitted_models(stack, "lr"))


def test_set_params_name_repeated_across_layers_raises():
    stack = StackingClassifier(
        [[("lr", LogisticRegression())], [("lr", LogisticRegression())]]
    )
    message = "Cannot set 'lr__C': 2 estimators of StackingClassifier are named 'lr'"
    with pytest.raises(ValueError, match=message):
        stack.set_params(lr__C=0.5)
    with pytest.raises(ValueError, match="Cannot set 'lr'"):
        stack.set_params(lr=GaussianNB())

    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.raises(ValueError, match=r"unique across layers.*\['lr'\] occur"):
        stack.fit(X, y)


@pytest.mark.parametrize("ensemble_cls", _ALL_CLASSES)
def test_names_clashing_with_parameters_raise(ensemble_cls):
    X, y = _data(ensemble_cls)
    model = _models(ensemble_cls)[0][1]

    clash = ensemble_cls([("estimators", model)], **_options(ensemble_cls))
    with pytest.raises(ValueError, match=r"\['estimators'\] are also parameters"):
        clash.fit(X, y)

    separator = ensemble_cls([("my__model", model)], **_options(ensemble_cls))
    with pytest.raises(ValueError, match=r"must not contain '__'.*\['my__model'\]"):
        separator.fit(X, y)


def test_clone_keeps_nested_parameters():
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())],
        final_estimator=LogisticRegression(),
    )
    stack.set_params(lr__C=0.5, final_estimator__C=3.0)

    copy = clone(stack)

    assert copy.get_params()["lr__C"] == 0.5
    assert copy.get_params()["final_estimator__C"] == 3.0
    assert copy.estimators[0][1] is not stack.estimators[0][1]


# GridSearchCV ----------------------------------------------------------------


@pytest.mark.parametrize("ensemble_cls", _CLASSIFIER_CLASSES)
def test_grid_search_c_matches_hand_loop(ensemble_cls):
    X, y = make_classification(
        n_samples=120, n_features=8, n_informative=3, flip_y=0.1, random_state=2
    )
    grid = [0.001, 0.03, 1.0, 100.0]
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    options = _options(ensemble_cls)

    search = GridSearchCV(
        ensemble_cls(_models(ensemble_cls), **options),
        {"lr__C": grid},
        cv=folds,
        scoring="neg_log_loss",
    ).fit(X, y)

    # The same folds and score, each C passed to LogisticRegression itself.
    mean_losses = []
    for C in grid:
        losses = []
        for train, test in folds:
            ensemble = ensemble_cls(_models(ensemble_cls, C=C), **options)
            ensemble.fit(X[train], y[train])
            losses.append(log_loss(y[test], ensemble.predict_proba(X[test])))
        mean_losses.append(np.mean(losses))
    best = grid[int(np.argmin(mean_losses))]

    assert search.best_params_ == {"lr__C": best}
    np.testing.assert_allclose(
        -search.cv_results_["mean_test_score"], mean_losses, rtol=1e-10
    )
    assert all(m.C == best for m in _fitted_models(search.best_estimator_, "lr"))


# "drop" ----------------------------------------------------------------------


@pytest.mark.parametrize("ensemble_cls", _ALL_CLASSES)
def test_drop_matches_ensemble_without_model(ensemble_cls):
    X, y = _data(ensemble_cls)
    models = _models(ensemble_cls)
    first_name, first = models[0]
    second_name, _ = models[1]

    dropped = ensemble_cls(models, **_options(ensemble_cls))
    dropped.set_params(**{second_name: "drop"}).fit(X, y)
    alone = ensemble_cls([(first_name, clone(first))], **_options(ensemble_cls))
    alone.fit(X, y)

    np.testing.assert_allclose(_predict(dropped, X), _predict(alone, X))


@pytest.mark.parametrize("ensemble_cls", _ALL_CLASSES)
def test_drop_every_model_raises(ensemble_cls):
    X, y = _data(ensemble_cls)
    names = [name for name, _ in _models(ensemble_cls)]
    ensemble = ensemble_cls([(name, "drop") for name in names])

    with pytest.raises(ValueError, match=r"Every estimator .* is 'drop'"):
        ensemble.fit(X, y)


def test_drop_weight_is_ignored_like_voting():
    X, y = _data(AveragingClassifier)
    models = [
        ("lr", LogisticRegression()),
        ("tree", "drop"),
        ("nb", GaussianNB()),
    ]

    ours = AveragingClassifier(models, weights=[1, 5, 3]).fit(X, y)
    theirs = sklearn_ensemble.VotingClassifier(
        models, voting="soft", weights=[1, 5, 3]
    ).fit(X, y)

    np.testing.assert_allclose(ours.weights_, [0.25, 0.75])
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))


def test_grid_search_over_drop_matches_loop():
    X, y = _data(StackingClassifier)
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())], cv=3, guard=False
    )
    grid = {"nb": ["drop", GaussianNB()]}
    cv = StratifiedKFold(3)

    search = GridSearchCV(stack, grid, cv=cv, scoring="neg_log_loss").fit(X, y)

    scores = []
    for nb in grid["nb"]:
        losses = []
        for train, test in cv.split(X, y):
            model = clone(stack).set_params(nb=nb).fit(X[train], y[train])
            losses.append(-log_loss(y[test], model.predict_proba(X[test])))
        scores.append(np.mean(losses))
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], scores)
