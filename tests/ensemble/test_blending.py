import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
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
