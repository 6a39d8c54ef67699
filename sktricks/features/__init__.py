"""Feature builders: neighbour-label features computed out of fold."""

from sktricks.features._neighbors import NeighborLabelFeatures

__all__ = ["NeighborLabelFeatures"]
