"""Tests of ShapRFECV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from matplotlib.figure import Figure
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.model_selection import (
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.neighbors import KNeighborsClassifier

from sktricks.feature_selection import ShapRFECV


def _small_model():
    return LGBMClassifier(
        n_estimators=30, num_leaves=7, n_jobs=1, verbose=-1, random_state=0
    )


def test_shap_rfe_recovers_informative_columns(make_informative, recall_precision):
    # 600 rows x 12 columns, 3 informative, default configuration.
    X, y, truth = make_informative(600, 12, 3)

    selector = ShapRFECV(random_state=0).fit(X, y)

    recall, precision = recall_precision(selector.support_, truth)
    assert recall >= 0.9
    assert precision >= 0.9
    assert selector.n_features_ == np.count_nonzero(selector.support_)


@pytest.mark.parametrize(
    ("n_features", "step", "minimum"), [(12, 0.25, 1), (10, 3, 2), (5, 1, 1)]
)
def test_shap_rfe_steps_follow_step_rule(make_informative, n_features, step, minimum):
    X, y, _ = make_informative(200, n_features, 2)
    expected = [n_features]
    while expected[-1] > minimum:
        n = expected[-1]
        drop = step if isinstance(step, int) else max(1, int(step * n))
        expected.append(n - min(drop, n - minimum))

    selector = ShapRFECV(
        _small_model(), step=step, cv=3, min_features_to_select=minimum
    ).fit(X, y)

    np.testing.assert_array_equal(selector.cv_results_["n_features"], expected)


def test_shap_rfe_first_step_score(make_informative):
    X, y, _ = make_informative(300, 6, 2)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)

    selector = ShapRFECV(_small_model(), step=2, cv=folds).fit(X, y)

    expected = cross_val_score(_small_model(), X, y, cv=folds, scoring="accuracy")
    np.testing.assert_allclose(
        [selector.cv_results_[f"split{k}_test_score"][0] for k in range(3)], expected
    )
    assert selector.cv_results_["mean_test_score"][0] == pytest.approx(expected.mean())


def test_shap_rfe_category_columns_eliminated(recall_precision):
    # A category column that is eliminated must not break the later steps,
    # which then see only numeric columns.
    rng = np.random.default_rng(0)
    X, y = make_classification(
        n_samples=500,
        n_features=4,
        n_informative=2,
        n_redundant=0,
        shuffle=False,
        random_state=0,
    )
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["noise_cat"] = pd.Categorical(rng.choice(["x", "y", "z", None], 500))
    frame["signal_cat"] = pd.Categorical(np.where(y == 1, "p", "q"))
    frame.loc[::9, "signal_cat"] = np.nan

    selector = ShapRFECV(_small_model(), cv=3).fit(frame, y)

    assert selector.cv_results_["n_features"][-1] == 1
    support = dict(zip(frame.columns, selector.support_, strict=True))
    assert support["signal_cat"]
    assert not support["noise_cat"]


def test_shap_rfe_multiclass(recall_precision):
    X, y = make_classification(
        n_samples=600,
        n_features=8,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        shuffle=False,
        random_state=0,
    )

    selector = ShapRFECV(_small_model(), cv=3).fit(X, y)

    recall, _ = recall_precision(selector.support_, np.arange(8) < 3)
    assert recall >= 2 / 3
    assert len(selector.importances_) == len(selector.cv_results_["n_features"])


def test_shap_rfe_plot_returns_figure(make_informative):
    X, y, _ = make_informative(200, 5, 2)
    selector = ShapRFECV(_small_model(), cv=3).fit(X, y)

    figure = selector.plot()

    assert isinstance(figure, Figure)
    line = figure.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), selector.cv_results_["n_features"])


def test_shap_rfe_early_stopping(make_informative):
    X, y, _ = make_informative(300, 6, 2)
    model = LGBMClassifier(n_estimators=200, n_jobs=1, verbose=-1, random_state=0)

    selector = ShapRFECV(model, step=2, cv=3, early_stopping="inner").fit(X, y)

    assert np.isfinite(selector.cv_results_["mean_test_score"]).all()
    assert selector.support_[:2].all()


def test_shap_rfe_groups_reach_the_splitter(make_informative):
    X, y, _ = make_informative(300, 5, 2)
    groups = np.arange(300) % 3

    selector = ShapRFECV(_small_model(), cv=LeaveOneGroupOut()).fit(X, y, groups=groups)

    assert "split2_test_score" in selector.cv_results_
    assert "split3_test_score" not in selector.cv_results_


def test_shap_rfe_ranking_orders_eliminations(make_informative):
    X, y, _ = make_informative(300, 6, 2)

    selector = ShapRFECV(_small_model(), cv=3).fit(X, y)

    assert (selector.ranking_[selector.support_] == 1).all()
    assert (selector.ranking_[~selector.support_] >= 2).all()
    assert 0.0 <= selector.stability_ <= 1.0


def test_shap_rfe_estimator_without_importances_names_the_fix(make_informative):
    X, y, _ = make_informative(90, 4, 2)

    with pytest.raises(
        TypeError, match=r"KNeighborsClassifier.*importance='permutation'"
    ):
        ShapRFECV(KNeighborsClassifier(), cv=3).fit(X, y)


def test_shap_rfe_metadata_routing(make_informative):
    X, y, _ = make_informative(300, 5, 2)
    groups = np.arange(300) % 3
    weights = np.ones(300)

    with config_context(enable_metadata_routing=True):
        model = _small_model().set_fit_request(sample_weight=True)
        selector = ShapRFECV(model, cv=LeaveOneGroupOut())
        selector.fit(X, y, groups=groups, sample_weight=weights)
        routing = selector.get_metadata_routing()

    assert "split2_test_score" in selector.cv_results_
    assert "sample_weight" in str(routing)
    assert "groups" in str(routing)
