import numpy as np
import pandas as pd
import pytest

# Recipes of the mixed-support cells and the tasks each supports. C is
# binary only and D has no multiclass, like rank_average and the other
# recipes limited to some tasks.
MIXED_SUPPORT = {
    "A": ("binary", "multiclass", "regression"),
    "B": ("binary", "multiclass", "regression"),
    "C": ("binary",),
    "D": ("binary", "regression"),
}
MIXED_TASKS = {
    "b1": "binary",
    "b2": "binary",
    "m1": "multiclass",
    "r1": "regression",
    "r2": "regression",
}


@pytest.fixture
def mixed_support_cells():
    """Return cells, plan and hand-computed ranks of a run with mixed support.

    Every supported (dataset, recipe) has two folds with distinct random
    scores; recipe B fails fold 1 of r2. The ranks follow the documented
    rule: complete recipes by mean, best first, then failed ones sharing
    the average of the last places. Unsupported pairs have no rank.
    """
    rng = np.random.default_rng(3)
    rows, plan = [], []
    for dataset, task in MIXED_TASKS.items():
        metric = "rmse" if task == "regression" else "roc_auc"
        for recipe, tasks in MIXED_SUPPORT.items():
            supported = task in tasks
            plan.append(
                {
                    "dataset": dataset,
                    "task": task,
                    "recipe": recipe,
                    "n_planned": 2 if supported else 0,
                }
            )
            if not supported:
                continue
            for fold in range(2):
                failed = (dataset, recipe, fold) == ("r2", "B", 1)
                rows.append(
                    {
                        "dataset": dataset,
                        "recipe": recipe,
                        "task": task,
                        "repeat": 0,
                        "fold": fold,
                        "status": "error" if failed else "ok",
                        metric: np.nan if failed else rng.uniform(0.5, 1.0),
                    }
                )
    results, planned = pd.DataFrame(rows), pd.DataFrame(plan)

    ranks = {}
    for dataset, task in MIXED_TASKS.items():
        metric = "rmse" if task == "regression" else "roc_auc"
        complete, failed = [], []
        for recipe, tasks in MIXED_SUPPORT.items():
            if task not in tasks:
                continue
            cells = results[
                (results["dataset"] == dataset) & (results["recipe"] == recipe)
            ]
            if (cells["status"] == "ok").sum() == 2:
                complete.append((cells[metric].mean(), recipe))
            else:
                failed.append(recipe)
        complete.sort(reverse=metric == "roc_auc")
        for position, (_, recipe) in enumerate(complete, start=1):
            ranks[(dataset, recipe)] = float(position)
        for recipe in failed:
            ranks[(dataset, recipe)] = len(complete) + (len(failed) + 1) / 2
    return results, planned, ranks
