"""Partitioners: every example goes to exactly one client, the splits are seeded, and bad
input (fewer examples than clients, alpha <= 0, a malformed spec) is a clear error."""

import numpy as np
import pytest

from abinitio.federated import (
    dirichlet_partition,
    iid_partition,
    label_counts,
    parse_partition,
    partition,
    shard_partition,
)

LABELS = np.repeat(np.arange(10), 30)


def _is_partition(parts, n):
    joined = np.sort(np.concatenate(parts))
    return np.array_equal(joined, np.arange(n)) and all(len(p) > 0 for p in parts)


@pytest.mark.parametrize("spec", ["iid", "shards:2", "dirichlet:0.5", "dirichlet:0.1"])
def test_every_example_goes_to_exactly_one_client(spec):
    parts = partition(LABELS, 10, spec, seed=3)
    assert len(parts) == 10 and _is_partition(parts, len(LABELS))
    again = partition(LABELS, 10, spec, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))


def test_shards_give_each_client_few_classes_and_iid_all():
    shards = label_counts(LABELS, shard_partition(LABELS, 10, 2), 10)
    assert ((shards > 0).sum(1) <= 3).all()  # two shards: at most 2 classes (+1 at a boundary)
    iid = label_counts(LABELS, iid_partition(LABELS, 3), 10)
    assert (iid > 0).all()


def test_small_alpha_is_more_skewed_than_large():
    def skew(alpha):
        counts = label_counts(LABELS, dirichlet_partition(LABELS, 5, alpha, seed=0), 10)
        shares = counts / counts.sum(1, keepdims=True)
        return shares.max(1).mean()

    assert skew(0.1) > 2 * skew(100.0) and skew(100.0) < 0.15


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="3 examples cannot be split among 5 clients"):
        iid_partition([0, 1, 2], 5)
    with pytest.raises(ValueError, match="alpha must be a positive number, got 0"):
        dirichlet_partition(LABELS, 3, 0.0)
    with pytest.raises(ValueError, match="alpha must be a positive number, got -1"):
        dirichlet_partition(LABELS, 3, -1.0)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        parse_partition("dirichlet:0")
    with pytest.raises(ValueError, match="iid, shards:K or dirichlet:ALPHA"):
        parse_partition("random")
    with pytest.raises(ValueError, match="needs a number"):
        parse_partition("dirichlet:abc")
    with pytest.raises(ValueError, match="more than the 4 examples"):
        shard_partition([0, 1, 2, 3], 3, 2)
    with pytest.raises(ValueError, match="labels must be 1-D"):
        iid_partition(np.zeros((4, 2)), 2)
