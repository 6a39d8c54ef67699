"""
Out-of-fold predictions with early stopping, and adversarial validation
=======================================================================

Uses the bundled credit-g dataset (1000 loan applicants, pandas `category`
columns), so no network is needed.

1. `cross_val_oof` fits one LightGBM model per fold. Early stopping on each
   fold's own held-out rows (`early_stopping=True`) picks the stopping round
   on the rows it then scores, so its AUC is optimistic; `"inner"` stops on
   a slice of the training part instead. The fold models also predict a
   held-out test set, averaged over folds.
2. `AdversarialValidator` checks whether a train/test split drifts: a random
   split should give an AUC near 0.5; a split that sends older applicants
   to the test set a higher AUC, with `age` as the top feature.

Run it with ``python examples/oof_and_adversarial_validation.py``; it takes
about 30 seconds on two cores.
"""

import matplotlib.pyplot as plt
import numpy as np
from lightgbm import LGBMClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from sktricks.datasets import load_openml
from sktricks.model_selection import AdversarialValidator, cross_val_oof

credit = load_openml("credit-g")
X_train, X_test, y_train, y_test = train_test_split(
    credit.data, credit.target, test_size=0.25, stratify=credit.target, random_state=0
)

# 1. Out-of-fold predictions with early stopping per fold.
model = LGBMClassifier(n_estimators=1000, learning_rate=0.03, n_jobs=1, verbose=-1)
folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
for mode in (True, "inner"):
    result = cross_val_oof(
        model,
        X_train,
        y_train,
        cv=folds,
        X_test=X_test,
        scoring="roc_auc",
        early_stopping=mode,
        early_stopping_rounds=50,
        random_state=0,
    )
    test_auc = roc_auc_score(y_test, result.test_)
    rounds = result.best_iterations_.tolist()
    print(
        f"early_stopping={mode!r:7}: rounds per fold {rounds}, "
        f"OOF AUC {result.scores_['overall']:.4f}, test AUC {test_auc:.4f}"
    )
# The out-of-fold predictions keep the training frame's index, ready to be
# a stacking feature; the positive class is the one named by the Series.
print(result.oof_.head(3))

# 2. Adversarial validation: a random split against a split by age.
validator = AdversarialValidator(cv=5, random_state=0)
validator.fit(X_train, X_test)
print(f"random split: train-vs-test AUC {validator.auc_:.3f}")

# A drifted split: older applicants are more likely to land in the test set.
rng = np.random.default_rng(0)
weights = credit.data["age"].to_numpy() ** 4
test_rows = rng.choice(len(weights), size=250, replace=False, p=weights / weights.sum())
drift_test = credit.data.iloc[test_rows]
drift_train = credit.data.drop(index=drift_test.index)
validator.fit(drift_train, drift_test)
print(
    f"split by age: train-vs-test AUC {validator.auc_:.3f}, "
    f"top features {validator.feature_importances_.index[:3].tolist()}"
)

# %%
# The columns that let the model tell the drifted train and test sets apart.
top = validator.feature_importances_.iloc[:8].iloc[::-1]
figure, axis = plt.subplots(figsize=(5, 3))
axis.barh(top.index.astype(str), top.to_numpy())
axis.set_xlabel("adversarial importance")
axis.set_title(f"split by age: train-vs-test AUC {validator.auc_:.3f}")
figure.tight_layout()

# %%
# The training rows that look most like the test set make a validation set
# that resembles it.
validation_rows = drift_train.iloc[validator.validation_indices(0.2)]
print(
    f"median age: train {drift_train['age'].median():.0f}, "
    f"most test-like 20% of train {validation_rows['age'].median():.0f}, "
    f"test {drift_test['age'].median():.0f}"
)
