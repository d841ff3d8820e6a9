"""No free lunch: exact counts over every Boolean function of 3 and 4 inputs."""

from fractions import Fraction

import numpy as np
import pytest

from abinitio import theory

LEARNERS = [
    theory.majority,
    theory.nearest_neighbour,
    theory.anti_learner(theory.nearest_neighbour),
    theory.anti_learner(theory.majority),
]


def test_the_truth_tables_are_every_function_once():
    tables = theory.all_boolean_functions(3)
    assert tables.shape == (256, 8)
    assert len(np.unique(tables, axis=0)) == 256
    assert theory.boolean_inputs(3)[5].tolist() == [1, 0, 1]


@pytest.mark.parametrize("learner", LEARNERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n_inputs, train", [(3, [0, 3, 5]), (4, [1, 2, 4, 8, 15, 9, 6])])
def test_every_learner_averages_exactly_one_half_off_the_training_set(
    learner, n_inputs, train
):
    result = theory.off_training_set_accuracy(learner, n_inputs, train)
    n_test = 2**n_inputs - len(train)
    assert result.total == 2 ** (2**n_inputs) * n_test
    assert 2 * result.correct == result.total  # an integer identity, not a float
    assert result.accuracy == Fraction(1, 2)


def test_a_trained_network_averages_exactly_one_half_too():
    result = theory.off_training_set_accuracy(theory.mlp_learner(steps=60), 3, [0, 1, 6, 7])
    assert result.accuracy == Fraction(1, 2)
    # but it is not a coin: on a given target it is right or wrong in a pattern
    assert result.per_function.min() == 0.0 and result.per_function.max() == 1.0


def test_learners_differ_per_function_but_not_on_average():
    nn_result = theory.off_training_set_accuracy(theory.nearest_neighbour, 3, [0, 7])
    anti_nn = theory.anti_learner(theory.nearest_neighbour)
    anti = theory.off_training_set_accuracy(anti_nn, 3, [0, 7])
    np.testing.assert_array_equal(nn_result.per_function + anti.per_function, 1.0)
    # parity is the anti-learner's friend: x -> x0 xor x1 xor x2 (training inputs 000, 111)
    parity = int("".join(str(b) for b in theory.boolean_inputs(3).sum(1) % 2), 2)
    assert anti.per_function[parity] > nn_result.per_function[parity]


def test_a_learner_that_peeks_is_detected():
    bad = lambda x_train, y_train, x_test: np.full(len(x_test), 2)  # noqa: E731
    with pytest.raises(ValueError, match="must return 5 labels in"):
        theory.off_training_set_accuracy(bad, 3, [0, 1, 2])


@pytest.mark.parametrize(
    "train, message",
    [([0, 0, 1], "distinct indices"), (list(range(8)), "leaving a test input"),
     ([0, 9], "must lie in \\[0, 8\\)")],
)
def test_bad_training_sets_are_named(train, message):
    with pytest.raises(ValueError, match=message):
        theory.off_training_set_accuracy(theory.majority, 3, train)


def test_bad_input_count():
    with pytest.raises(ValueError, match="n_inputs must be an int from 1 to 4, got 5"):
        theory.all_boolean_functions(5)


def test_no_optimiser_is_best_on_every_problem():
    table = theory.compare_optimisers(steps=300, seeds=(0, 1))
    ranks = theory.rankings(table)
    winners = {order[0] for order in ranks.values()}
    assert len(winners) >= 2, ranks
    losers = {order[-1] for order in ranks.values()}
    assert len(losers) >= 2, ranks
    print({p: order for p, order in ranks.items()})
