import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from sktricks.ensemble import BlendingClassifier


def test_blending_proba_keeps_class_absent_from_holdout():
    # Class 2 has 3 rows; a stratified 10% holdout gets none of them, so the
    # final estimator never sees it. Its column must still be there, as 0.
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 2)), columns=["a", "b"])
    y = (X["a"] > 0).astype(int)
    y.iloc[:3] = 2

    blend = BlendingClassifier(
        [("lr", LogisticRegression()), ("svc", LinearSVC())],
        holdout=0.1,
        random_state=0,
    ).fit(X, y)
    proba = blend.predict_proba(X)

    assert list(blend.classes_) == [0, 1, 2]
    assert 2 not in blend.final_estimator_.classes_
    assert proba.shape == (120, 3)
    np.testing.assert_allclose(proba[:, 2], 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    expected = blend.final_estimator_.predict_proba(blend._final_input(X))
    np.testing.assert_allclose(proba[:, :2], expected)


def test_blending_regressor_base_fits_codes():
    X, y = make_classification(n_samples=150, random_state=5)
    labels = np.array(["no", "yes"])[y]
    blend = BlendingClassifier(
        [("ridge", Ridge()), ("lr", LogisticRegression())],
        holdout=0.3,
        refit_base=False,
        random_state=0,
    ).fit(X, labels)

    train, held_out = train_test_split(
        np.arange(150), test_size=0.3, random_state=0, stratify=labels
    )
    ridge = Ridge().fit(X[train], y[train])
    lr = LogisticRegression().fit(X[train], labels[train])
    features = np.column_stack(
        [ridge.predict(X[held_out]), lr.predict_proba(X[held_out])[:, 1]]
    )
    final = LogisticRegression().fit(features, labels[held_out])
    new = np.column_stack([ridge.predict(X[:8]), lr.predict_proba(X[:8])[:, 1]])

    np.testing.assert_allclose(blend.predict_proba(X[:8]), final.predict_proba(new))
