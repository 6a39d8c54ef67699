"""Feature selection with a concrete (Gumbel-softmax) selection layer."""
