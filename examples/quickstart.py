"""
Quick start: a bundled OpenML dataset, a pipeline, and a small benchmark
========================================================================

Loads credit-g (bundled, so no network is needed), cross-validates a
LightGBM model on its pandas categorical columns, then compares two recipes
with the benchmark runner and draws the rank plot.

Run it with ``python examples/quickstart.py``; it takes about 20 seconds on
two cores.
"""

import tempfile

from lightgbm import LGBMClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

from sktricks.bench import format_leaderboard, plot_ranks, run_benchmark
from sktricks.datasets import list_datasets, load_openml

# Which datasets are bundled, and how imbalanced they are.
table = list_datasets()
print(table.loc[table["bundled"], ["name", "task", "n_rows", "minority_fraction"]])

# The loader returns categorical columns as pandas `category`, which LightGBM
# splits on natively: no one-hot encoding is needed.
credit = load_openml("credit-g")
model = LGBMClassifier(n_estimators=200, learning_rate=0.05, verbose=-1)
folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
auc = cross_val_score(model, credit.data, credit.target, scoring="roc_auc", cv=folds)
print(f"LightGBM on credit-g: ROC AUC {auc.mean():.4f} ± {auc.std():.4f}")

# The benchmark runner: the same folds for every recipe, results in a store.
with tempfile.TemporaryDirectory() as output:
    result = run_benchmark(
        ["credit-g", "diabetes", "bodyfat"],
        ["linear", "lightgbm"],
        cv=3,
        output=output,
        verbose=0,
    )
    print(format_leaderboard(result.leaderboard()).to_string(index=False))
    # plot_ranks returns a matplotlib Figure: a notebook shows it, and
    # figure.savefig("ranks.png") writes it to a file.
    figure = plot_ranks(result.leaderboard())
