"""Base-model parameters of the fusion estimators as ``<name>__<parameter>``."""

from __future__ import annotations

from typing import Any

from sklearn.utils.metaestimators import _BaseComposition


def is_layered(estimators: Any) -> bool:
    """Return whether ``estimators`` is a list of layers (a list of lists)."""
    return (
        isinstance(estimators, list)
        and len(estimators) > 0
        and all(isinstance(layer, list) for layer in estimators)
    )


class NamedEstimatorsMixin(_BaseComposition):
    """Reach each model in ``estimators`` through its name in the parameters.

    As in scikit-learn's ``StackingClassifier``, ``get_params(deep=True)``
    lists each model as ``<name>`` and its parameters as
    ``<name>__<parameter>``, and ``set_params`` replaces or tunes a model by
    name, so ``GridSearchCV`` can search base-model parameters. The layers
    of a multi-layer stack share one set of names, which is why a stack
    rejects a name that occurs in two layers.
    """

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get the parameters of the ensemble and, if ``deep``, of its models.

        Parameters
        ----------
        deep : bool, default=True
            Also return each model of ``estimators`` by its name, each of
            their parameters as ``<name>__<parameter>``, and the parameters
            of ``final_estimator`` where there is one.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("_named_models", deep=deep)

    def set_params(self, **params: Any) -> NamedEstimatorsMixin:
        """Set the parameters of the ensemble and of its models.

        ``estimators`` is replaced first, then each model given by name,
        then the ``<name>__<parameter>`` values and the ensemble's own
        parameters.

        Parameters
        ----------
        **params : dict
            Ensemble parameters, models by name (``lr=LogisticRegression()``)
            or model parameters (``lr__C=0.5``).

        Returns
        -------
        self : object
            The ensemble.
        """
        # A new list goes in first, so that the names and nested parameters
        # of the same call refer to its models.
        if "estimators" in params:
            self.estimators = params.pop("estimators")
        self._check_unambiguous_names(params)
        self._set_params("_named_models", **params)
        return self

    @property
    def _named_models(self) -> Any:
        """The ``(name, estimator)`` pairs of all layers, as one list.

        Any other value, a flat list of pairs included, is returned
        unchanged. scikit-learn's ``_get_params`` and ``_set_params`` skip a
        malformed value, as they do for their own ensembles.
        """
        if is_layered(self.estimators):
            return [pair for layer in self.estimators for pair in layer]
        return self.estimators

    @_named_models.setter
    def _named_models(self, pairs: list[tuple[str, Any]]) -> None:
        # Writes the pairs back in the layer sizes of ``estimators``, in new
        # lists, so that the caller's lists are never modified.
        if not is_layered(self.estimators):
            self.estimators = list(pairs)
            return
        layers = []
        start = 0
        for layer in self.estimators:
            layers.append(list(pairs[start : start + len(layer)]))
            start += len(layer)
        self.estimators = layers

    def _check_unambiguous_names(self, params: dict[str, Any]) -> None:
        """Raise when ``params`` address a name that several models share."""
        pairs = self._named_models
        if not isinstance(pairs, list):
            return
        names = [
            pair[0]
            for pair in pairs
            if isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)
        ]
        repeated = {name for name in names if names.count(name) > 1}
        for key in params:
            name = key.split("__", 1)[0]
            if name in repeated:
                raise ValueError(
                    f"Cannot set {key!r}: {names.count(name)} estimators of "
                    f"{type(self).__name__} are named {name!r}. Give every "
                    "estimator a unique name, across all layers of a stack."
                )
