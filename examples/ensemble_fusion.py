"""
Model fusion: a two-layer stack and an ensemble-selection trajectory
====================================================================

On the bundled diabetes dataset (OpenML 37), builds a two-layer stack whose
base models are fitted once per fold and averaged at prediction time, fits
it again with the guard on (which falls back to the best first-layer model
here, as the stack does not beat it out of fold), then runs Caruana's greedy
ensemble selection over the same models and plots its
out-of-fold ROC AUC per iteration.

Run it with ``python examples/ensemble_fusion.py``; it takes about 20
seconds on two cores.
"""

import warnings

import matplotlib.pyplot as plt
from lightgbm import LGBMClassifier
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktricks.datasets import load_openml
from sktricks.ensemble import EnsembleSelectionClassifier, StackingClassifier

X, y = load_openml("diabetes", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)


def base_models():
    return [
        ("logistic", make_pipeline(StandardScaler(), LogisticRegression())),
        ("naive_bayes", GaussianNB()),
        ("forest", RandomForestClassifier(n_estimators=200, random_state=0)),
        (
            "lightgbm",
            LGBMClassifier(
                n_estimators=200, learning_rate=0.03, verbose=-1, random_state=0
            ),
        ),
    ]


# Layer 1: four models; layer 2: a small forest and a logistic model over
# their out-of-fold probabilities; the final estimator combines layer 2.
# guard=False keeps the stack whatever its out-of-fold score. The default
# guard=True predicts with the best first-layer model instead, and warns,
# when the stack does not beat that model out of fold.
stack = StackingClassifier(
    [
        base_models(),
        [
            ("layer2_logistic", LogisticRegression()),
            (
                "layer2_forest",
                RandomForestClassifier(
                    n_estimators=100, min_samples_leaf=5, random_state=0
                ),
            ),
        ],
    ],
    cv=folds,
    guard=False,
).fit(X_train, y_train)
auc = roc_auc_score(y_test, stack.predict_proba(X_test)[:, 1])
print(f"two-layer stack: test ROC AUC {auc:.4f}")
print("stacked columns:", list(stack.get_feature_names_out()))

# The same stack with the guard on: it scores the stack and each first-layer
# model out of fold and predicts with the better one, warning on a fallback.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    guarded = clone(stack).set_params(guard=True).fit(X_train, y_train)
auc = roc_auc_score(y_test, guarded.predict_proba(X_test)[:, 1])
base_scores = {name: round(v, 4) for name, v in guarded.base_scores_.items()}
print(f"guarded: predicting with {guarded.selected_!r}, test ROC AUC {auc:.4f}")
print(f"out-of-fold ROC AUC of the stack {guarded.stack_score_:.4f}")
print("out-of-fold ROC AUC of the first-layer models:", base_scores)
for warning in caught:
    print("warning:", warning.message)

selection = EnsembleSelectionClassifier(
    base_models(), scoring="roc_auc", n_iter=25, cv=folds
).fit(X_train, y_train)
auc = roc_auc_score(y_test, selection.predict_proba(X_test)[:, 1])
print(f"ensemble selection: test ROC AUC {auc:.4f}")
names = [name for name, _ in base_models()]
print(
    "weights:",
    {n: round(float(w), 3) for n, w in zip(names, selection.weights_, strict=False)},
)

figure, axis = plt.subplots(figsize=(5, 3))
axis.plot(range(1, len(selection.trajectory_) + 1), selection.trajectory_, marker="o")
axis.axhline(
    max(selection.base_scores_.values()),
    linestyle="--",
    color="grey",
    label="best single model",
)
axis.set_xlabel("iteration")
axis.set_ylabel("out-of-fold ROC AUC")
axis.legend()
figure.tight_layout()
plt.show()
