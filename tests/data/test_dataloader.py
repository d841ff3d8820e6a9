"""Dataset, TensorDataset, Subset, ConcatDataset, random_split, DataLoader, default_collate."""

from collections import namedtuple

import numpy as np
import pytest

import abinitio as ab
from abinitio.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from abinitio.data.dataset import whole_arrays


class Pairs(Dataset):
    """A plain map-style dataset: sample i is (array [i, -i], label i % 3)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, -i], dtype=np.float32), i % 3


def _epoch_order(loader):
    return np.concatenate([y.numpy() for _, y in loader]).tolist()


@pytest.fixture
def tensor_data():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    return TensorDataset(x, np.arange(10))


# ---- epochs and shuffling ------------------------------------------------------------


def _pairs_as_tensors(n):
    x = np.stack([np.arange(n), -np.arange(n)], axis=1).astype(np.float32)
    return TensorDataset(x, np.arange(n) % 3)


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11])
@pytest.mark.parametrize("make", [_pairs_as_tensors, Pairs])
def test_every_sample_once_per_epoch(batch_size, make):
    loader = DataLoader(make(10), batch_size=batch_size, shuffle=True)
    for _ in range(3):
        ids = np.concatenate([x.numpy()[:, 0] for x, _ in loader]).astype(int)
        assert sorted(ids.tolist()) == list(range(10))
    assert len(list(loader)) == len(loader)


def test_shuffles_differ_between_epochs_and_repeat_with_seed(tensor_data):
    ab.manual_seed(123)
    loader = DataLoader(tensor_data, batch_size=4, shuffle=True)
    first = [_epoch_order(loader) for _ in range(4)]
    assert len({tuple(order) for order in first}) == 4  # 10! orders: a repeat is ~impossible
    ab.manual_seed(123)
    again = [_epoch_order(loader) for _ in range(4)]
    assert first == again


def test_explicit_generator_repeats_and_leaves_global_stream_alone(tensor_data):
    orders = []
    for _ in range(2):
        loader = DataLoader(tensor_data, batch_size=3, shuffle=True, generator=ab.Generator(7))
        orders.append([_epoch_order(loader) for _ in range(3)])
    assert orders[0] == orders[1]
    state = ab.get_rng_state()
    _epoch_order(DataLoader(tensor_data, shuffle=True, generator=ab.Generator(7)))
    assert ab.get_rng_state() == state


def test_no_shuffle_keeps_order_and_draws_nothing(tensor_data):
    state = ab.get_rng_state()
    assert _epoch_order(DataLoader(tensor_data, batch_size=4)) == list(range(10))
    assert ab.get_rng_state() == state


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "sizes"),
    [
        (10, 4, False, [4, 4, 2]),
        (10, 4, True, [4, 4]),
        (8, 4, True, [4, 4]),
        (3, 4, True, []),
        (3, 4, False, [3]),
        (0, 2, False, []),
    ],
)
def test_batch_sizes_and_len(n, batch_size, drop_last, sizes):
    for data in (TensorDataset(np.zeros((n, 1)), np.arange(n)), Pairs(n)):
        loader = DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=drop_last)
        assert len(loader) == len(sizes)
        assert [len(y) for _, y in loader] == sizes


def test_fast_path_matches_sample_by_sample_path():
    """A TensorDataset and an equivalent plain Dataset give identical batches."""
    fast = DataLoader(_pairs_as_tensors(7), 3, shuffle=True, generator=ab.Generator(1))
    slow = DataLoader(Pairs(7), 3, shuffle=True, generator=ab.Generator(1))
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        assert xf.dtype == xs.dtype == np.float32 and yf.dtype == ys.dtype == np.int64
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_tensor_dataset_batches_by_fancy_indexing(tensor_data, monkeypatch):
    def per_sample(*args):
        raise AssertionError("the fast path must not index sample by sample")

    monkeypatch.setattr(DataLoader, "_iter_samples", per_sample)
    batches = list(DataLoader(tensor_data, batch_size=4, shuffle=True))
    assert isinstance(batches[0], list) and len(batches[0]) == 2
    subset = Subset(Subset(tensor_data, [9, 8, 7, 6, 5]), [4, 0])
    (x, y), *_ = DataLoader(subset, batch_size=2)
    assert y.tolist() == [5, 9] and x.tolist() == [[10, 11], [18, 19]]


def test_overridden_getitem_is_respected(tensor_data):
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    data = Doubled(*tensor_data.tensors)
    assert whole_arrays(data) is None
    (x, y), *_ = DataLoader(data, batch_size=2)
    assert x.tolist() == [[0, 2], [4, 6]]


def test_custom_collate_fn(tensor_data):
    loader = DataLoader(tensor_data, batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(loader) == [4, 4, 2]


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, None])
def test_bad_batch_size(batch_size, tensor_data):
    with pytest.raises((TypeError, ValueError), match="batch_size"):
        DataLoader(tensor_data, batch_size=batch_size)


# ---- default_collate -----------------------------------------------------------------


def test_collate_arrays_numbers_and_dtypes():
    x = default_collate([np.zeros((2, 3)), np.ones((2, 3))])
    assert isinstance(x, ab.Tensor) and x.shape == (2, 2, 3) and x.dtype == np.float32
    assert default_collate([1, 2]).dtype == np.int64
    assert default_collate([1.5, 2.0]).dtype == np.float32
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.int32(1), np.int32(2)]).dtype == np.int32
    assert default_collate([np.uint8([1]), np.uint8([2])]).dtype == np.uint8


def test_collate_tensors_stacks_and_keeps_grad():
    a = ab.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([a, a * 3])
    assert batch.shape == (2, 2)
    batch.sum().backward()
    assert a.grad.tolist() == [4.0, 4.0]


def test_collate_tuples_lists_dicts_namedtuples_strings():
    Point = namedtuple("Point", ["xy", "label"])
    samples = [
        {"image": np.zeros((1, 2)), "meta": (i, [i * 0.5, "s"]), "point": Point([i, i], i)}
        for i in range(3)
    ]
    batch = default_collate(samples)
    assert set(batch) == {"image", "meta", "point"}
    assert batch["image"].shape == (3, 1, 2)
    ids, (halves, strings) = batch["meta"]
    assert ids.tolist() == [0, 1, 2] and halves.tolist() == [0.0, 0.5, 1.0]
    assert strings == ["s", "s", "s"]
    assert isinstance(batch["point"], Point)
    assert batch["point"].xy[1].tolist() == [0, 1, 2]


def test_collate_errors():
    with pytest.raises(RuntimeError, match="same length"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="object"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="non-empty"):
        default_collate([])


def test_collate_structure_matches_torch(torch):
    from torch.utils.data import default_collate as torch_collate

    samples = [(np.full(2, i, dtype=np.float32), i, {"w": float(i)}) for i in range(4)]
    ours, theirs = default_collate(samples), torch_collate(samples)
    assert type(ours) is type(theirs) is list
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    assert ours[1].dtype == np.int64 and theirs[1].dtype == torch.int64
    np.testing.assert_allclose(ours[2]["w"].numpy(), theirs[2]["w"].numpy())


# ---- datasets and random_split -------------------------------------------------------


def test_tensor_dataset_items_and_errors():
    data = TensorDataset(ab.arange(4), np.ones((4, 2)))
    x, y = data[2]
    assert x.item() == 2 and y.shape == (2,) and y.dtype == np.float32
    with pytest.raises(ValueError, match=r"same first dimension.*\(4,\).*\(3,\)"):
        TensorDataset(np.zeros(4), np.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_concat_dataset():
    data = TensorDataset(np.arange(3)) + TensorDataset(np.arange(10, 15))
    assert isinstance(data, ConcatDataset) and len(data) == 8
    assert [data[i][0].item() for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert data[-1][0].item() == 14
    with pytest.raises(IndexError):
        data[8]
    order = _epoch_order_single(DataLoader(data, batch_size=3, shuffle=True))
    assert sorted(order) == [0, 1, 2, 10, 11, 12, 13, 14]


def _epoch_order_single(loader):
    return np.concatenate([batch[0].numpy() for batch in loader]).tolist()


@pytest.mark.parametrize(
    ("n", "lengths", "sizes"),
    [
        (10, [7, 3], [7, 3]),
        (10, [0.8, 0.2], [8, 2]),
        (10, [0.33, 0.33, 0.34], [4, 3, 3]),
        (11, [0.5, 0.5], [6, 5]),
        (5, [1.0, 0.0], [5, 0]),
    ],
)
def test_random_split_sizes(n, lengths, sizes):
    parts = random_split(TensorDataset(np.arange(n)), lengths, generator=ab.Generator(0))
    assert [len(p) for p in parts] == sizes
    values = sorted(int(v) for p in parts for v in p.indices)
    assert values == list(range(n))  # disjoint, and together the whole dataset


@pytest.mark.filterwarnings("ignore:Length of split")
@pytest.mark.parametrize("lengths", [[0.8, 0.2], [0.33, 0.33, 0.34], [0.5, 0.5], [0.1] * 10])
def test_random_split_fraction_sizes_match_torch(lengths, torch):
    for n in (7, 10, 11, 97):
        ours = random_split(TensorDataset(np.arange(n)), lengths)
        theirs = torch.utils.data.random_split(range(n), lengths)
        assert [len(p) for p in ours] == [len(p) for p in theirs]


def test_random_split_is_deterministic():
    data = TensorDataset(np.arange(50))
    a = [p.indices for p in random_split(data, [0.6, 0.4], generator=ab.Generator(3))]
    b = [p.indices for p in random_split(data, [0.6, 0.4], generator=ab.Generator(3))]
    c = [p.indices for p in random_split(data, [0.6, 0.4], generator=ab.Generator(4))]
    assert a == b and a != c
    ab.manual_seed(5)
    d = random_split(data, [30, 20])[0].indices
    ab.manual_seed(5)
    assert random_split(data, [30, 20])[0].indices == d


@pytest.mark.parametrize("lengths", [[5, 4], [0.5, 0.6], [-1, 11], [2.5, 7.5]])
def test_random_split_bad_lengths(lengths):
    with pytest.raises(ValueError, match="random_split"):
        random_split(TensorDataset(np.arange(10)), lengths)
