"""
Label tricks: label smoothing, CAN, neighbour-label features, distillation
==========================================================================

Each section fits a trick next to its base model on the same split and
prints both scores. Runs in well under a minute.
"""

import time

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktricks.datasets import load_openml
from sktricks.features import NeighborLabelFeatures
from sktricks.label import CANClassifier, DistilledClassifier, LabelSmoothingClassifier

X, y = load_openml("phoneme", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
lgbm = LGBMClassifier(n_estimators=150, learning_rate=0.05, verbose=-1, n_jobs=1)

# 1. Label smoothing: soft targets keep LightGBM's probabilities off 0 and 1.
base = lgbm.fit(X_train, y_train)
smoothed = LabelSmoothingClassifier(lgbm, smoothing=0.1).fit(X_train, y_train)
print("label smoothing")
summary = []
for name, model in [("LightGBM", base), ("smoothed", smoothed)]:
    proba = model.predict_proba(X_test)
    summary.append(("label smoothing", name, "log loss", log_loss(y_test, proba)))
    print(
        f"  {name:9s} log loss {log_loss(y_test, proba):.4f}  "
        f"AUC {roc_auc_score(y_test, proba[:, 1]):.4f}  max p {proba.max():.3f}"
    )

# 2. CAN on a skewed three-class problem, where class weights bias the
# uncertain predictions towards the rare classes.
rng = np.random.default_rng(0)
centers = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 1.5]])
y_skew = rng.choice(3, size=6000, p=[0.75, 0.15, 0.10])
X_skew = centers[y_skew] + rng.normal(size=(6000, 2))
weighted = LogisticRegression(class_weight="balanced")
can = CANClassifier(weighted, threshold=0.5)
print("CAN")
for name, model in [("weighted LR", weighted), ("CAN", can)]:
    model.fit(X_skew[:3000], y_skew[:3000])
    accuracy = accuracy_score(y_skew[3000:], model.predict(X_skew[3000:]))
    summary.append(("CAN", name, "accuracy", accuracy))
    print(f"  {name:11s} accuracy {accuracy:.4f}")

# 3. Neighbour-label features in a pipeline: computed out of fold in fit.
pipeline = make_pipeline(
    StandardScaler(), NeighborLabelFeatures(n_neighbors=15, passthrough=True), lgbm
)
pipeline.fit(X_train, y_train)
auc = roc_auc_score(y_test, pipeline.predict_proba(X_test)[:, 1])
print(f"neighbour-label features + LightGBM AUC {auc:.4f}")
summary.append(("neighbour-label features", "LightGBM", "ROC AUC", auc))

# 4. Distillation of a small stack into one LightGBM regressor.
stack = StackingClassifier(
    [
        ("forest", RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0)),
        ("lightgbm", lgbm),
    ],
    final_estimator=LogisticRegression(),
    cv=3,
)
student = DistilledClassifier(
    stack, LGBMRegressor(n_estimators=200, verbose=-1, n_jobs=1), cv=3
).fit(X_train, y_train)
stack.fit(X_train, y_train)
print("distillation")
for name, model in [("stack", stack), ("student", student)]:
    start = time.perf_counter()
    proba = model.predict_proba(X_test)
    elapsed = time.perf_counter() - start
    auc = roc_auc_score(y_test, proba[:, 1])
    summary.append(("distillation", name, "ROC AUC", auc))
    print(f"  {name:8s} AUC {auc:.4f}  predict {elapsed * 1e3:.1f} ms")
print(f"  fidelity_ {student.fidelity_:.4f}")

# %%
# All the scores above in one table.
pd.DataFrame(summary, columns=["trick", "model", "metric", "value"]).round(4)
