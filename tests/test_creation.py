"""Factories and seeding."""

import json

import numpy as np
import pytest

import abinitio as ab


def test_shapes_and_dtypes():
    assert ab.zeros(2, 3).shape == ab.zeros((2, 3)).shape == ab.zeros([2, 3]).shape == (2, 3)
    assert ab.ones(4).dtype == ab.float32 and ab.zeros(2, dtype=ab.float64).dtype == ab.float64
    assert ab.full((2, 2), 3.0).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert ab.full((2,), 3).dtype == ab.int64
    assert ab.zeros_like(ab.ones(2, 3)).shape == (2, 3)
    assert ab.ones_like(ab.arange(3)).dtype == ab.int64
    assert ab.full_like(ab.zeros(2), 5.0).tolist() == [5.0, 5.0]
    assert ab.empty(3, 2).shape == (3, 2)


def test_ranges():
    assert ab.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ab.arange(1, 2, 0.5).tolist() == [1.0, 1.5] and ab.arange(1, 2, 0.5).dtype == ab.float32
    assert ab.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert ab.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and ab.eye(2, 3).shape == (2, 3)


def test_requires_grad_on_factories():
    assert ab.zeros(2, requires_grad=True).requires_grad
    assert ab.randn(2, requires_grad=True).is_leaf
    with pytest.raises(TypeError):
        ab.arange(3, requires_grad=True)


def test_manual_seed_makes_draws_repeatable():
    ab.manual_seed(123)
    a = [ab.randn(3), ab.rand(2), ab.randint(0, 10, (4,)), ab.randperm(5)]
    ab.manual_seed(123)
    b = [ab.randn(3), ab.rand(2), ab.randint(0, 10, (4,)), ab.randperm(5)]
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()


def test_explicit_generator_is_independent_of_the_global_one():
    g = ab.Generator().manual_seed(7)
    first = ab.randn(3, generator=g)
    ab.manual_seed(0)
    g.manual_seed(7)
    assert ab.randn(3, generator=g).tolist() == first.tolist()


def test_rng_state_round_trips_through_json():
    ab.manual_seed(5)
    ab.randn(10)
    state = json.loads(json.dumps(ab.get_rng_state()))
    expected = ab.randn(4)
    ab.set_rng_state(state)
    assert ab.randn(4).tolist() == expected.tolist()


def test_distributions_look_right():
    x = ab.randn(100_000).numpy()
    u = ab.rand(100_000).numpy()
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    r = ab.randint(3, 6, (1000,)).numpy()
    assert set(np.unique(r)) == {3, 4, 5}
    assert sorted(ab.randperm(6).tolist()) == list(range(6))
    assert ab.randint(4, (50,)).shape == (50,) and ab.randint(4, (50,)).max().item() < 4


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="zeros"):
        ab.zeros(-1, 2)
    with pytest.raises(ValueError):
        ab.manual_seed(-3)
