"""The benchmark runner behind ``sktricks bench``.

Recipes (named pipeline builders) run on OpenML datasets over repeated
cross-validation; results go to a results store, a leaderboard, a Markdown
report and a plot. Register a recipe with :func:`register_recipe` to add a
trick to the benchmark.
"""

from sktricks.bench import (
    _recipes_ensemble,  # noqa: F401  (registers recipes)
    _recipes_feature_selection,  # noqa: F401  (registers recipes)
    _recipes_imbalance,  # noqa: F401  (registers recipes)
    _recipes_label,  # noqa: F401  (registers the label recipes)
)
from sktricks.bench._recipes import (
    Recipe,
    get_recipe,
    list_recipes,
    register_recipe,
    unregister_recipe,
)
from sktricks.bench._report import (
    format_leaderboard,
    leaderboard,
    plot_ranks,
    render_report,
)
from sktricks.bench._runner import (
    BenchmarkResult,
    WorkerDiedError,
    make_splitter,
    run_benchmark,
)
from sktricks.bench._stats import (
    FriedmanResult,
    RecipeComparison,
    average_ranks,
    compare_recipes,
    compare_to_baseline,
    friedman_test,
    nemenyi_critical_difference,
    paired_scores,
    plot_critical_difference,
)
from sktricks.bench._suites import SUITES, SuiteFile, get_suite, load_suite_file

__all__ = [
    "SUITES",
    "BenchmarkResult",
    "FriedmanResult",
    "Recipe",
    "RecipeComparison",
    "SuiteFile",
    "WorkerDiedError",
    "average_ranks",
    "compare_recipes",
    "compare_to_baseline",
    "format_leaderboard",
    "friedman_test",
    "get_recipe",
    "get_suite",
    "leaderboard",
    "list_recipes",
    "load_suite_file",
    "make_splitter",
    "nemenyi_critical_difference",
    "paired_scores",
    "plot_critical_difference",
    "plot_ranks",
    "register_recipe",
    "render_report",
    "run_benchmark",
    "unregister_recipe",
]
