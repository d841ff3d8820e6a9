"""DistributedSampler against torch's (the oracle), and the DataLoader's sampler= option."""

import numpy as np
import pytest

from abinitio.data import DataLoader, DistributedSampler, TensorDataset
from abinitio.utils.data import DistributedSampler as TorchNamed
from helpers import require

torch = require("torch")
from torch.utils.data import DistributedSampler as TorchSampler  # noqa: E402


@pytest.mark.parametrize("n", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shares_match_torch(n, replicas, drop_last):
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        if n == 0 and not drop_last:
            assert len(ours) == len(theirs) == 0
            continue
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("n, replicas, drop_last", [(10, 3, False), (10, 3, True), (2, 5, False)])
def test_shuffled_shares_partition_one_shared_order(n, replicas, drop_last):
    shares = [list(DistributedSampler(range(n), replicas, r, seed=5, drop_last=drop_last))
              for r in range(replicas)]  # fmt: skip
    sizes = {len(share) for share in shares}
    theirs = len(TorchSampler(range(n), replicas, 0, drop_last=drop_last))
    assert sizes == {theirs}, "every rank gets torch's number of samples"
    flat = [i for share in shares for i in share]
    if drop_last:
        assert len(set(flat)) == len(flat), "no sample twice when the tail is dropped"
    else:
        assert set(flat) == set(range(n)), "padded shares cover the data set"


def test_epochs_reshuffle_and_seeds_repeat():
    sampler = DistributedSampler(range(50), 2, 0, seed=1)
    first = list(sampler)
    assert list(sampler) == first, "the same epoch gives the same order"
    sampler.set_epoch(1)
    assert list(sampler) != first
    again = DistributedSampler(range(50), 2, 0, seed=1)
    again.set_epoch(1)
    assert list(again) == list(sampler)
    assert TorchNamed is DistributedSampler


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be an int >= 1, got 0"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_dataloader_reads_in_the_samplers_order():
    x = np.arange(20.0).reshape(10, 2)
    sampler = DistributedSampler(range(10), 2, 1, shuffle=False)
    loader = DataLoader(TensorDataset(x, np.arange(10)), batch_size=2, sampler=sampler)
    assert len(loader) == 3
    assert [y.tolist() for _, y in loader] == [[1, 3], [5, 7], [9]]
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(TensorDataset(x), batch_size=2, shuffle=True, sampler=sampler)
