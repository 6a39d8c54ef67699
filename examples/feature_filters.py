"""
Feature filters: missing rate, quasi-constant, correlation groups, drift
========================================================================

Uses the bundled MiceProtein data (1,080 mice, 77 protein levels with up to
26% missing values). Each section fits one selector and prints what it
dropped; the last one compares LightGBM's cross-validated accuracy with and
without the filters. Runs in well under a minute.
"""

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sktricks.datasets import load_openml
from sktricks.feature_selection import (
    AdversarialSelector,
    CorrelationSelector,
    MissingRateSelector,
    QuasiConstantSelector,
)

X, y = load_openml("MiceProtein", return_X_y=True)
# A constant column and a mostly constant one, to give the filter work.
X = X.assign(batch=1.0, plate=np.where(np.arange(len(X)) % 200 == 0, 2.0, 1.0))
print(f"MiceProtein: {X.shape[0]} rows, {X.shape[1]} columns")

# 1. Columns with more than 20% missing values.
missing = MissingRateSelector(max_missing=0.2).fit(X)
dropped = X.columns[~missing.get_support()].tolist()
print(f"\nMissingRateSelector(max_missing=0.2) drops {dropped}")

# 2. Columns where one value covers more than 99% of the rows; a missing
# value counts as a value of its own.
quasi = QuasiConstantSelector(max_frequency=0.99).fit(X)
dropped = X.columns[~quasi.get_support()].tolist()
print(f"QuasiConstantSelector(max_frequency=0.99) drops {dropped}")

# 3. Groups of proteins whose levels correlate at |r| >= 0.9; the member
# most related to the class is kept. Correlations use the rows where both
# proteins were measured.
correlation = CorrelationSelector(threshold=0.9, keep="target").fit(X, y)
print(
    f"CorrelationSelector(threshold=0.9) finds {len(correlation.correlated_groups_)} "
    f"groups and keeps {correlation.get_support().sum()} of {X.shape[1]} columns"
)
for group in correlation.correlated_groups_[:3]:
    print(f"  keeps {group[0]:10s} drops {group[1:]}")

# 4. Drift: split the rows at random into a training and a "test" half,
# then recalibrate two proteins in the test half, as a change of assay
# between batches would. The selector drops columns, most drifting first,
# until an out-of-fold classifier separates the halves with AUC < 0.6.
rng = np.random.default_rng(0)
in_test = rng.random(len(X)) < 0.5
X_train, X_test = X[~in_test], X[in_test].copy()
X_test["pERK_N"] *= 1.5
X_test["BDNF_N"] += 0.1
# One thread per model: LightGBM's OpenMP threads slow down badly when the
# cores are busy with other work.
fast_model = LGBMClassifier(
    n_estimators=60, importance_type="gain", n_jobs=1, verbose=-1
)
drift = AdversarialSelector(threshold=0.6, estimator=fast_model, random_state=0)
drift.fit(X_train, X_test=X_test)
print(f"\nAdversarialSelector drops {drift.dropped_}")
print("  AUC before and after each drop:", [round(a, 3) for a in drift.auc_history_])

# 5. The filters in front of LightGBM, scored by 3-fold cross-validation.
# The folds are not shuffled, because the data contains 15 measurements of
# each mouse in consecutive rows. Shuffled folds would put one mouse's rows
# on both sides of a split.
model = LGBMClassifier(n_estimators=40, learning_rate=0.2, n_jobs=1, verbose=-1)
filtered = make_pipeline(
    MissingRateSelector(max_missing=0.2),
    QuasiConstantSelector(max_frequency=0.99),
    CorrelationSelector(threshold=0.9),
    model,
)
rows = []
for name, estimator in [("all columns", model), ("filtered", filtered)]:
    scores = cross_val_score(estimator, X, y, cv=3)
    rows.append((name, scores.mean(), scores.std()))
    print(f"{name:12s} accuracy {scores.mean():.3f} ± {scores.std():.3f}")

# %%
# The two pipelines side by side.
pd.DataFrame(rows, columns=["columns", "mean accuracy", "std"]).round(3)
