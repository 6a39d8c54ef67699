"""DistilledClassifier and DistilledRegressor against scikit-learn fold loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.tree import DecisionTreeClassifier

from sktricks.label import DistilledClassifier, DistilledRegressor
from sktricks.label._distill import _augment


def _binary(n_samples=300, seed=0):
    return make_classification(
        n_samples=n_samples, n_features=5, n_informative=3, random_state=seed
    )


def test_binary_targets_are_oof_logits():
    X, y = _binary()
    folds = StratifiedKFold(4, shuffle=True, random_state=0)
    proba = cross_val_predict(
        LogisticRegression(), X, y, cv=folds, method="predict_proba"
    )

    model = DistilledClassifier(
        LogisticRegression(), LinearRegression(), cv=folds, temperature=2.0
    ).fit(X, y)

    np.testing.assert_allclose(model.teacher_oof_[:, 0], logit(proba[:, 1]) / 2.0)


def test_multiclass_targets_are_centred_log_proba():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=1
    )
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    proba = cross_val_predict(
        LogisticRegression(), X, y, cv=folds, method="predict_proba"
    )
    log_proba = np.log(proba)
    expected = log_proba - log_proba.mean(axis=1, keepdims=True)

    model = DistilledClassifier(LogisticRegression(), Ridge(), cv=folds).fit(X, y)

    np.testing.assert_allclose(model.teacher_oof_, expected)
    # Softmax of centred log-probabilities gives back the probabilities, so a
    # student predicting the targets exactly would return the teacher's.
    assert model.predict_proba(X).shape == (300, 3)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_student_probabilities_are_sigmoid_of_regression():
    X, y = _binary()
    folds = StratifiedKFold(3)
    proba = cross_val_predict(
        LogisticRegression(), X, y, cv=folds, method="predict_proba"
    )
    student = LinearRegression().fit(X, logit(proba[:, 1]))

    model = DistilledClassifier(LogisticRegression(), LinearRegression(), cv=folds)
    model.fit(X, y)

    expected = expit(student.predict(X))
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], expected)
    np.testing.assert_array_equal(model.predict(X), (expected > 0.5).astype(int))


def test_fidelity_matches_fold_loop():
    X, y = _binary(seed=2)
    folds = StratifiedKFold(4, shuffle=True, random_state=1)
    proba = cross_val_predict(
        LogisticRegression(), X, y, cv=folds, method="predict_proba"
    )
    targets = logit(proba[:, 1])
    student_logits = np.empty(300)
    for train, test in folds.split(X, y):
        fold_student = LinearRegression().fit(X[train], targets[train])
        student_logits[test] = fold_student.predict(X[test])

    model = DistilledClassifier(LogisticRegression(), LinearRegression(), cv=folds)
    model.fit(X, y)

    agreement = np.mean((student_logits > 0) == (targets > 0))
    assert model.fidelity_ == pytest.approx(agreement)
    assert model.teacher_score_ == pytest.approx(np.mean((proba[:, 1] > 0.5) == y))
    assert model.student_score_ == pytest.approx(np.mean((student_logits > 0) == y))


def test_certain_teacher_gives_finite_targets():
    # A fully grown tree answers exactly 0 or 1; the logits must stay finite.
    X, y = _binary()

    model = DistilledClassifier(DecisionTreeClassifier(random_state=0), Ridge(), cv=3)
    model.fit(X, y)

    assert np.all(np.isfinite(model.teacher_oof_))
    assert np.abs(model.teacher_oof_).max() == pytest.approx(logit(1 - 1e-6))


def test_regressor_targets_and_scores():
    X, y = make_regression(n_samples=200, n_features=4, noise=5.0, random_state=0)
    folds = KFold(4, shuffle=True, random_state=0)
    teacher = RandomForestRegressor(n_estimators=20, random_state=0)
    oof = cross_val_predict(teacher, X, y, cv=folds)
    student_oof = np.empty(200)
    for train, test in folds.split(X):
        student_oof[test] = (
            LinearRegression().fit(X[train], oof[train]).predict(X[test])
        )

    model = DistilledRegressor(teacher, LinearRegression(), cv=folds).fit(X, y)

    np.testing.assert_allclose(model.teacher_oof_[:, 0], oof)
    assert model.teacher_score_ == pytest.approx(r2_score(y, oof))
    assert model.fidelity_ == pytest.approx(r2_score(oof, student_oof))
    expected = LinearRegression().fit(X, oof).predict(X)
    np.testing.assert_allclose(model.predict(X), expected)


def test_mixup_rows_lie_between_two_rows():
    rng = np.random.RandomState(0)
    X = np.random.default_rng(0).normal(size=(20, 3))

    synthetic = _augment(X, "mixup", 2.0, rng)

    assert synthetic.shape == (40, 3)
    # Each synthetic row is w * a + (1 - w) * b for two training rows with
    # one weight w in [0, 1] shared by all columns.
    for row in synthetic:
        found = False
        for a in X:
            for b in X:
                direction = a - b
                if np.allclose(direction, 0):
                    continue
                w = np.dot(row - b, direction) / np.dot(direction, direction)
                if -1e-9 <= w <= 1 + 1e-9 and np.allclose(w * a + (1 - w) * b, row):
                    found = True
                    break
            if found:
                break
        assert found


def test_swap_noise_values_come_from_same_column():
    X = pd.DataFrame(
        {
            "x": np.arange(30.0),
            "colour": pd.Categorical(np.array(["r", "g", "b"])[np.arange(30) % 3]),
        }
    )

    synthetic = _augment(X, "swap_noise", 1.0, np.random.RandomState(0))

    assert synthetic.shape == (30, 2)
    assert set(synthetic["x"]) <= set(X["x"])
    assert synthetic["colour"].dtype == X["colour"].dtype


def test_augment_count_and_seed():
    X, y = _binary(n_samples=100)
    teacher = LogisticRegression()

    first = DistilledClassifier(
        teacher, Ridge(), cv=3, augment="mixup", n_augment=0.5, random_state=0
    ).fit(X, y)
    second = DistilledClassifier(
        teacher, Ridge(), cv=3, augment="mixup", n_augment=0.5, random_state=0
    ).fit(X, y)
    plain = DistilledClassifier(teacher, Ridge(), cv=3).fit(X, y)

    np.testing.assert_array_equal(first.student_.coef_, second.student_.coef_)
    assert not np.allclose(first.student_.coef_, plain.student_.coef_)
    assert _augment(X, "mixup", 0.5, np.random.RandomState(0)).shape == (50, 5)


def test_classifier_student_rejected():
    X, y = _binary()

    with pytest.raises(TypeError, match="student must be a regressor"):
        DistilledClassifier(LogisticRegression(), LogisticRegression()).fit(X, y)


def test_sparse_augmentation_rejected():
    from scipy import sparse

    X, y = _binary()

    with pytest.raises(TypeError, match="sparse"):
        DistilledClassifier(
            LogisticRegression(), Ridge(), cv=3, augment="swap_noise"
        ).fit(sparse.csr_matrix(X), y)


def test_default_stack_teacher_accepted():
    # An unfitted StackingClassifier with final_estimator=None hides
    # predict_proba in scikit-learn 1.9; the distiller must still use it,
    # with the stack's own default final estimator.
    from sklearn.ensemble import StackingClassifier

    X, y = _binary(n_samples=200)
    members = [("tree", DecisionTreeClassifier(max_depth=3, random_state=0))]
    folds = StratifiedKFold(3)
    explicit = StackingClassifier(members, final_estimator=LogisticRegression(), cv=3)
    proba = cross_val_predict(explicit, X, y, cv=folds, method="predict_proba")

    model = DistilledClassifier(StackingClassifier(members, cv=3), Ridge(), cv=folds)
    model.fit(X, y)

    np.testing.assert_allclose(model.teacher_oof_[:, 0], logit(proba[:, 1]))
    assert model.teacher.final_estimator is None


def test_sample_weight_reaches_teacher_and_student():
    # Rebuild the weighted distillation by hand with the same folds.
    X, y = make_classification(n_samples=300, random_state=4)
    weights = np.random.default_rng(4).uniform(0.1, 3.0, size=300)
    folds = StratifiedKFold(n_splits=3)
    oof = np.empty(300)
    for train, test in folds.split(X, y):
        teacher = LogisticRegression().fit(
            X[train], y[train], sample_weight=weights[train]
        )
        oof[test] = teacher.predict_proba(X[test])[:, 1]
    targets = logit(np.clip(oof, 1e-6, 1 - 1e-6))
    student = Ridge().fit(X, targets, sample_weight=weights)

    model = DistilledClassifier(LogisticRegression(), Ridge(), cv=folds)
    model.fit(X, y, sample_weight=weights)

    np.testing.assert_allclose(model.teacher_oof_[:, 0], targets, rtol=1e-6)
    np.testing.assert_allclose(
        model.decision_function(X), student.predict(X), rtol=1e-6
    )
    full = LogisticRegression().fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(model.teacher_.coef_, full.coef_, rtol=1e-6)


def test_sample_weight_regressor_and_unweighted_models():
    from sklearn.neighbors import KNeighborsRegressor

    X, y = make_regression(n_samples=200, n_features=4, random_state=5)
    weights = np.random.default_rng(5).uniform(0.1, 3.0, size=200)
    folds = KFold(n_splits=3)
    oof = np.empty(200)
    for train, test in folds.split(X):
        oof[test] = Ridge().fit(X[train], y[train], weights[train]).predict(X[test])
    student = LinearRegression().fit(X, oof, sample_weight=weights)

    model = DistilledRegressor(Ridge(), LinearRegression(), cv=folds)
    model.fit(X, y, sample_weight=weights)

    np.testing.assert_allclose(model.predict(X), student.predict(X), rtol=1e-6)
    with pytest.raises(TypeError, match=r"student KNeighborsRegressor\.fit"):
        DistilledRegressor(Ridge(), KNeighborsRegressor()).fit(
            X, y, sample_weight=weights
        )
    augmented = DistilledRegressor(
        Ridge(), LinearRegression(), augment="mixup", random_state=0
    ).fit(X, y, sample_weight=weights)
    assert augmented.predict(X).shape == (200,)


def test_boosting_student_text_column_rejected():
    from lightgbm import LGBMRegressor
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    X, y = make_regression(n_samples=60, n_features=2, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(city=["x", "y"] * 30)
    teacher = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["city"]), remainder="passthrough"),
        Ridge(),
    )
    model = DistilledRegressor(teacher, LGBMRegressor(verbose=-1), cv=3)

    with pytest.raises(TypeError, match=r"DistilledRegressor .* 'city'"):
        model.fit(frame, y)
