"""The pool-based loop: labels flow from the oracle, sessions resume, bad input is refused."""

import csv

import numpy as np
import pytest

from abinitio import nn
from abinitio.active import (
    ActiveLearner,
    ActiveLoop,
    ArrayOracle,
    Committee,
    FileOracle,
    NetworkClassifier,
    PromptOracle,
    bald_sampling,
    coreset_sampling,
    entropy_sampling,
    vote_entropy_sampling,
)
from helpers import require


def blobs(n=90, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])[:classes]
    x = (centres[y] + rng.normal(scale=0.8, size=(n, 2))).astype(np.float32)
    return x, y.astype(np.int64)


def network(classes=3, dropout=0.0, seed=0):
    def build():
        return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout),
                             nn.Linear(16, classes))  # fmt: skip

    return NetworkClassifier(build, classes, steps=40, lr=0.05, seed=seed)


def make_loop(x, y, state_dir=None, strategy=entropy_sampling, **options):
    options = {"n_instances": 5, "n_initial": 6, "num_classes": 3, "log": None, **options}
    return ActiveLoop(ActiveLearner(network(), strategy), x, ArrayOracle(y),
                      state_dir=state_dir, **options)  # fmt: skip


def test_each_round_adds_the_query_batch_and_never_asks_twice():
    x, y = blobs()
    loop = make_loop(x, y)
    history = loop.run(4, evaluate=lambda learner: learner.score(x, y))
    assert [r["labels"] for r in history] == [6, 11, 16, 21]
    assert len(set(loop.labelled)) == 21 and loop.labels == y[loop.labelled].tolist()
    assert not loop.pending
    assert history[-1]["accuracy"] > 0.9  # three well separated blobs


def test_a_resumed_loop_is_the_same_run(tmp_path):
    x, y = blobs()
    whole = make_loop(x, y).run(5, evaluate=lambda learner: learner.score(x, y))
    make_loop(x, y, state_dir=tmp_path).run(2, evaluate=lambda learner: learner.score(x, y))
    resumed = make_loop(x, y, state_dir=tmp_path)
    assert len(resumed.labelled) == 11
    assert resumed.run(5, evaluate=lambda learner: learner.score(x, y)) == whole


def test_resuming_on_another_pool_is_refused(tmp_path):
    x, y = blobs()
    make_loop(x, y, state_dir=tmp_path).run(1)
    with pytest.raises(ValueError, match="written for another pool"):
        make_loop(x[:-1], y[:-1], state_dir=tmp_path)


def test_file_oracle_session_between_runs(tmp_path):
    x, y = blobs()
    path = tmp_path / "to_label.csv"

    def session():
        loop = ActiveLoop(ActiveLearner(network()), x, FileOracle(path, ["a", "b", "c"]),
                          n_instances=4, n_initial=6, state_dir=tmp_path, log=None)  # fmt: skip
        loop.run(3)
        return loop

    first = session()  # nothing is labelled yet: the file lists the 6 initial samples
    assert first.round == 0 and len(first.pending) == 6
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert [int(r["index"]) for r in rows] == first.pending and all(not r["label"] for r in rows)
    # the person labels all but one
    for r in rows[:-1]:
        r["label"] = "abc"[y[int(r["index"])]]
    _write(path, rows)
    second = session()
    assert len(second.labelled) == 5 and len(second.pending) == 1 and second.round == 0
    rows = [{"index": r["index"], "label": "abc"[y[int(r["index"])]]} for r in rows]
    _write(path, rows)
    third = session()  # round 1 done, round 2's query is now in the file
    assert third.round == 1 and len(third.labelled) == 6 and len(third.pending) == 4
    assert third.labels == y[third.labelled].tolist()


def _write(path, rows):
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, ["index", "label"])
        writer.writeheader()
        writer.writerows(rows)


def test_file_oracle_names_the_line_of_a_bad_label(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("index,label\n3,a\n5,dog\n")
    with pytest.raises(ValueError, match=r"line 3: label 'dog' is not one of: a, b"):
        FileOracle(path, ["a", "b"]).label([3, 5])


def test_prompt_oracle_asks_again_after_a_wrong_answer_and_stops_at_q(tmp_path):
    x, y = blobs()
    answers = iter(["zebra", "b", "a", "q"])
    shown = []
    oracle = PromptOracle(["a", "b", "c"], input_fn=lambda _: next(answers),
                          print_fn=shown.append)  # fmt: skip
    loop = ActiveLoop(ActiveLearner(network()), x, oracle, n_instances=3, n_initial=4,
                      state_dir=tmp_path, log=None)  # fmt: skip
    loop.run(2)
    assert loop.labels == [1, 0] and len(loop.pending) == 2
    assert any("'zebra' is not one of: a, b, c" in line for line in shown)
    # the next session asks for the two still pending, then goes on
    again = iter(["c"] * 20)
    oracle = PromptOracle(["a", "b", "c"], input_fn=lambda _: next(again), print_fn=lambda _: 0)
    resumed = ActiveLoop(ActiveLearner(network()), x, oracle, n_instances=3, n_initial=4,
                         state_dir=tmp_path, log=None)  # fmt: skip
    resumed.run(2)
    assert resumed.round == 2 and resumed.labels == [1, 0, 2, 2, 2, 2, 2]


def test_an_initial_set_missing_a_class_is_reported_and_still_trains():
    x, y = blobs()
    keep = y != 2
    messages = []
    loop = make_loop(x[keep], y[keep], log=messages.append)
    loop.run(2)
    assert any("no example of class(es) 2" in m and "cannot predict" in m for m in messages)
    assert loop.learner.predict_proba(x).shape == (len(x), 3)


def test_a_query_larger_than_the_pool_is_refused():
    x, y = blobs(n=12)
    with pytest.raises(ValueError, match="cannot query 20 samples: the pool has only 12"):
        make_loop(x, y, n_instances=20)
    loop = make_loop(x, y, n_instances=5, n_initial=6)
    loop.run(2)  # 11 labelled, one left
    with pytest.raises(ValueError, match="cannot query 5 samples: the pool has only 1"):
        loop.run(3)


def test_committee_bald_and_coreset_run_in_the_loop():
    x, y = blobs()
    committee = Committee([ActiveLearner(network(seed=s)) for s in range(3)],
                          vote_entropy_sampling)  # fmt: skip
    for learner in (committee, ActiveLearner(network(dropout=0.3), bald_sampling),
                    ActiveLearner(network(), coreset_sampling)):  # fmt: skip
        loop = ActiveLoop(learner, x, ArrayOracle(y), n_instances=5, n_initial=6, log=None)
        history = loop.run(3, evaluate=lambda fitted: fitted.score(x, y))
        assert [r["labels"] for r in history] == [6, 11, 16]
        assert len(set(loop.labelled)) == 16


def test_mc_dropout_passes_differ_only_with_dropout():
    x, y = blobs()
    with_dropout, without = network(dropout=0.5).fit(x, y), network().fit(x, y)
    assert with_dropout.predict_proba_mc(x, 4).std(0).max() > 1e-3
    assert without.predict_proba_mc(x, 4).std(0).max() == 0
    assert without.embed(x).shape == (len(x), 16)


def test_a_scikit_learn_estimator_works_for_probability_strategies():
    linear_model = require("sklearn.linear_model")
    x, y = blobs()
    learner = ActiveLearner(linear_model.LogisticRegression(), entropy_sampling)
    loop = ActiveLoop(learner, x, ArrayOracle(y), n_instances=5, n_initial=9, log=None)
    history = loop.run(3, evaluate=lambda fitted: fitted.score(x, y))
    assert history[-1]["accuracy"] > 0.9
    with pytest.raises(TypeError, match="bald_sampling needs an estimator with predict_proba_mc"):
        bald_sampling(learner, x, 2)


def test_committee_needs_two_members_and_strategies_need_a_committee():
    with pytest.raises(ValueError, match="at least 2 learners"):
        Committee([ActiveLearner(network())], vote_entropy_sampling)
    x, y = blobs()
    with pytest.raises(TypeError, match="committee strategies need a Committee"):
        vote_entropy_sampling(ActiveLearner(network(), X_training=x, y_training=y), x, 2)
