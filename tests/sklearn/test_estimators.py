"""NeuralNetClassifier / NeuralNetRegressor: scikit-learn's own estimator checks, the
model-selection tools on digits, nested parameters, clones, pickles, input types."""

import pickle
import warnings

import numpy as np
import pytest

from helpers import require

sklearn = require("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
    cross_validate,
    learning_curve,
    validation_curve,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

import abinitio as ab  # noqa: E402
from abinitio.models import MLP, SimpleCNN  # noqa: E402
from abinitio.sklearn import (  # noqa: E402
    EXPECTED_FAILED_CHECKS,
    NeuralNetClassifier,
    NeuralNetRegressor,
    ValidSplit,
    expected_failed_checks,
)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x, y  # float64 pixels 0..16, int labels: what scikit-learn users hold


def classifier(**params):
    defaults = dict(module__hidden_sizes=(32,), max_epochs=10, lr=0.01, random_state=0)
    return NeuralNetClassifier(MLP, **{**defaults, **params})


# ---- scikit-learn's estimator checks ------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: classifier(max_epochs=20, lr=0.02),
    lambda: NeuralNetRegressor(MLP, module__hidden_sizes=(32,), max_epochs=20, lr=0.02,
                               random_state=0),
], ids=["classifier", "regressor"])  # fmt: skip
def test_scikit_learn_estimator_checks_pass_or_are_listed_with_a_reason(make):
    estimator = make()
    expected = expected_failed_checks(estimator)
    assert expected is EXPECTED_FAILED_CHECKS[type(estimator).__name__]
    assert all(isinstance(reason, str) and reason for reason in expected.values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, expected_failed_checks=expected, on_fail=None,
                                  on_skip=None)  # fmt: skip
    by_status = {}
    for result in results:
        by_status.setdefault(result["status"], []).append(result["check_name"])
    assert not by_status.get("failed"), [
        (r["check_name"], repr(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert sorted(by_status.get("xfail", [])) == sorted(expected)
    # the one skip: the array-API check runs only with SCIPY_ARRAY_API=1 set before import
    assert set(by_status.get("skipped", [])) <= {"check_array_api_input"}
    assert len(by_status["passed"]) >= 45


# ---- model selection on digits ------------------------------------------------------------
def test_cross_val_score_and_grid_search_in_a_pipeline_on_digits(digits):
    x, y = digits
    pipe = make_pipeline(StandardScaler(), classifier())
    scores = cross_val_score(pipe, x, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85, scores
    grid = GridSearchCV(pipe, {"neuralnetclassifier__lr": [1e-4, 1e-2],
                               "neuralnetclassifier__max_epochs": [10]}, cv=3)  # fmt: skip
    grid.fit(x, y)
    # 10 epochs at lr 1e-4 barely move the weights: the search must pick 1e-2
    assert grid.best_params_["neuralnetclassifier__lr"] == 1e-2
    assert grid.best_score_ > 0.85
    assert grid.score(x, y) > 0.9


def test_randomized_search_learning_and_validation_curves(digits):
    x, y = digits[0][:600], digits[1][:600]
    pipe = make_pipeline(StandardScaler(), classifier(max_epochs=5))
    search = RandomizedSearchCV(pipe, {"neuralnetclassifier__lr": [3e-3, 1e-2, 3e-2]},
                                n_iter=2, cv=2, random_state=0).fit(x, y)  # fmt: skip
    assert len(search.cv_results_["params"]) == 2
    sizes, train, test = learning_curve(pipe, x, y, train_sizes=[0.3, 1.0], cv=2)
    assert list(sizes) == [90, 300] and train.shape == test.shape == (2, 2)
    # more data, better held-out accuracy (on average over the folds)
    assert test[1].mean() > test[0].mean()
    train, test = validation_curve(pipe, x, y, param_name="neuralnetclassifier__max_epochs",
                                   param_range=[1, 10], cv=2)  # fmt: skip
    assert test[1].mean() > test[0].mean()


def test_column_transformer_with_one_hot_encoder_on_a_data_frame():
    pandas = require("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], size=300)
    size = rng.normal(size=300)
    frame = pandas.DataFrame({"colour": colour, "size": size})
    y = (colour == "red") | (size > 1.0)
    columns = ColumnTransformer([("colour", OneHotEncoder(), ["colour"]),
                                 ("size", StandardScaler(), ["size"])])  # fmt: skip
    pipe = make_pipeline(columns, classifier(max_epochs=30, lr=0.03))
    result = cross_validate(pipe, frame, y, cv=3, return_train_score=True)
    assert result["test_score"].min() > 0.9, result["test_score"]
    net = classifier().fit(frame[["size"]], y)
    assert list(net.feature_names_in_) == ["size"] and net.n_features_in_ == 1


def test_nested_cross_validation_tunes_inside_and_estimates_outside(digits):
    x, y = digits[0][:450], digits[1][:450]
    inner = GridSearchCV(make_pipeline(StandardScaler(), classifier(batch_size=32)),
                         {"neuralnetclassifier__lr": [1e-4, 1e-2]}, cv=2)  # fmt: skip
    outer = cross_validate(inner, x, y, cv=2, return_estimator=True)
    assert outer["test_score"].min() > 0.8
    # each outer fold chose its own learning rate on its own training part
    chosen = [e.best_params_["neuralnetclassifier__lr"] for e in outer["estimator"]]
    assert chosen == [1e-2, 1e-2]


# ---- the estimator contract ---------------------------------------------------------------
def test_nested_parameters_round_trip_through_get_params_and_set_params():
    net = classifier(optimizer__weight_decay=1e-4)
    params = net.get_params()
    assert params["module__hidden_sizes"] == (32,) and params["optimizer__weight_decay"] == 1e-4
    assert params["module"] is MLP and params["lr"] == 0.01
    net.set_params(module__hidden_sizes=(8, 8), lr=0.1, criterion__label_smoothing=0.1)
    again = net.get_params()
    assert again["module__hidden_sizes"] == (8, 8) and again["lr"] == 0.1
    assert again["criterion__label_smoothing"] == 0.1
    assert NeuralNetClassifier(**again).get_params() == again


def test_a_clone_is_an_untrained_copy_of_the_recipe(digits):
    x, y = digits
    net = classifier().fit(x, y)
    copy = clone(net)
    assert not hasattr(copy, "module_") and not hasattr(copy, "classes_")
    assert copy.get_params() == net.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(x)
    # a module instance as the recipe: fit trains a copy, the recipe's weights stay as built
    ab.manual_seed(0)
    module = MLP(64, (16,), 10)
    before = module.layers[0].weight.detach().numpy().copy()
    NeuralNetClassifier(module, max_epochs=2).fit(x, y)
    np.testing.assert_array_equal(module.layers[0].weight.detach().numpy(), before)


def test_sizes_are_inferred_from_the_data(digits):
    x, y = digits
    net = classifier(max_epochs=1).fit(x, y)
    assert net.module_.in_features == 64 and net.module_.out_features == 10
    assert net.module_kwargs_ == {"hidden_sizes": (32,), "in_features": 64, "out_features": 10}
    images = (x / 16).reshape(-1, 1, 8, 8)[:200]
    cnn = NeuralNetClassifier(SimpleCNN, module__channels=(4, 8), module__hidden=16,
                              max_epochs=1, random_state=0).fit(images, y[:200] % 3)  # fmt: skip
    assert cnn.module_kwargs_["in_channels"] == 1 and cnn.module_kwargs_["num_classes"] == 3
    assert cnn.module_kwargs_["input_size"] == (8, 8)
    assert cnn.predict_proba(images[:5]).shape == (5, 3)


def test_predict_proba_is_the_softmax_of_the_logits_and_rows_sum_to_one(digits):
    x, y = digits
    net = classifier().fit(x, y)
    proba = net.predict_proba(x[:50])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    logits = net.forward(x[:50]).astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, expected, rtol=1e-10)
    np.testing.assert_array_equal(net.predict(x[:50]), proba.argmax(1))


def test_fit_equals_the_hand_written_trainer_loop(digits):
    x, y = digits
    x = x.astype(np.float32)
    net = classifier(max_epochs=3, batch_size=64).fit(x, y)
    from abinitio.data import DataLoader, TensorDataset
    from abinitio.training import Trainer

    ab.manual_seed(0)
    model = MLP(64, (32,), 10)
    trainer = Trainer(model, ab.optim.Adam(model.parameters(), lr=0.01), ab.nn.CrossEntropyLoss(),
                      progress=False, log=None)  # fmt: skip
    trainer.fit(DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True), epochs=3)
    model.eval()
    with ab.no_grad():
        expected = model(ab.tensor(x)).numpy()
    # the same steps: identical losses; outputs agree to float32 rounding (predictions
    # run in chunks of 256 rows, and BLAS sums a chunk in another order than the whole)
    assert [r["train_loss"] for r in net.history_] == [
        r["train_loss"] for r in trainer.history.epochs
    ]
    np.testing.assert_allclose(net.forward(x), expected, rtol=1e-5, atol=1e-5)


def test_random_state_makes_fits_repeat_and_leaves_the_global_generator_alone(digits):
    x, y = digits
    state = ab.random.get_rng_state()
    first = classifier(max_epochs=2).fit(x, y).forward(x[:20])
    assert ab.random.get_rng_state() == state
    second = classifier(max_epochs=2).fit(x, y).forward(x[:20])
    np.testing.assert_array_equal(first, second)


def test_partial_fit_continues_and_warm_start_keeps_the_module(digits):
    x, y = digits
    net = classifier(max_epochs=2)
    net.partial_fit(x[:100], y[:100], classes=np.arange(10))
    weights = net.module_.layers[0].weight
    net.partial_fit(x, y)
    assert [r["epoch"] for r in net.history_] == [1, 2, 3, 4]
    assert net.module_.layers[0].weight is weights
    net.set_params(warm_start=True).fit(x, y)
    assert len(net.history_) == 6 and net.module_.layers[0].weight is weights
    net.set_params(warm_start=False).fit(x, y)
    assert len(net.history_) == 2 and net.module_.layers[0].weight is not weights


def test_validation_split_records_val_loss_every_epoch(digits):
    x, y = digits
    net = classifier(max_epochs=3, train_split=ValidSplit(5, stratified=True, random_state=0))
    net.fit(x, y)
    assert [sorted(r) for r in net.history_][0] == sorted(
        ["epoch", "lr", "seconds", "train_accuracy", "train_loss", "val_accuracy", "val_loss"]
    )
    assert net.history_[-1]["val_loss"] < net.history_[0]["val_loss"]
    net = classifier(max_epochs=1, train_split=0.25).fit(x, y)
    assert "val_loss" in net.history_[0]


def test_pickled_in_memory_it_predicts_the_same_and_carries_safetensors_bytes(digits):
    from safetensors.numpy import load as load_safetensors

    x, y = digits
    net = classifier().fit(x, y)
    state = net.__getstate__()
    assert "module_" not in state and "optimizer_" not in state
    arrays = load_safetensors(state["weights_safetensors_"])  # a safetensors file, in bytes
    assert any(name.startswith("module.") for name in arrays)
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored.predict_proba(x), net.predict_proba(x))
    # the optimiser's moments came along: one more epoch gives the same weights on both
    net.partial_fit(x, y, epochs=1)
    restored.partial_fit(x, y, epochs=1)
    np.testing.assert_array_equal(restored.forward(x), net.forward(x))


def test_parallel_cross_validation_equals_the_serial_one(digits):
    x, y = digits[0][:500], digits[1][:500]
    serial = cross_val_score(classifier(max_epochs=3), x, y, cv=2, n_jobs=1)
    parallel = cross_val_score(classifier(max_epochs=3), x, y, cv=2, n_jobs=2)
    np.testing.assert_array_equal(serial, parallel)


def test_float64_input_string_labels_and_a_data_frame(digits):
    pandas = require("pandas")
    x, y = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])[y]  # fmt: skip
    net = classifier().fit(x.astype(np.float64), names)
    assert list(net.classes_) == sorted(set(names))
    assert set(net.predict(x[:20])) <= set(names) and net.score(x, names) > 0.9
    frame = pandas.DataFrame(x, columns=[f"pixel{i}" for i in range(64)])
    from_frame = classifier().fit(frame, y)
    np.testing.assert_array_equal(from_frame.forward(frame), classifier().fit(x, y).forward(x))


# ---- the regressor ------------------------------------------------------------------------
def test_regressor_fits_a_one_dimensional_target_and_returns_one():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(400, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    net = NeuralNetRegressor(MLP, module__hidden_sizes=(32,), max_epochs=60, lr=0.01,
                             batch_size=32, random_state=0).fit(x, y)  # fmt: skip
    assert net.predict(x).shape == (400,) and net.predict(x).dtype == np.float64
    assert net.score(x, y) > 0.98
    two = NeuralNetRegressor(MLP, module__hidden_sizes=(32,), max_epochs=5,
                             random_state=0).fit(x, np.stack([y, -y], 1))  # fmt: skip
    assert two.predict(x).shape == (400, 2) and two.module_.out_features == 2
    with pytest.raises(ValueError, match="y has 1 outputs, the estimator was fitted with 2"):
        two.partial_fit(x, y)


# ---- bad input ----------------------------------------------------------------------------
def test_bad_input_gives_clear_errors(digits):
    x, y = digits
    with pytest.raises(TypeError, match="unexpected argument 'hidden'; extra arguments must start"):
        NeuralNetClassifier(MLP, hidden=3).fit(x, y)
    with pytest.raises(NotFittedError):
        classifier().predict_proba(x)
    net = classifier(max_epochs=1).fit(x, y % 2)
    with pytest.raises(ValueError, match=r"labels \[2\] are not among classes_ \[0, 1\]"):
        net.partial_fit(x, np.where(y % 2 == 1, 2, 0))
    with pytest.raises(ValueError, match="X has 10 features"):
        net.predict(x[:, :10])
    with pytest.raises(ValueError, match="requires y to be passed"):
        classifier().fit(x, None)
    with pytest.raises(ValueError, match="ValidSplit: cv must be an int >= 2"):
        ValidSplit(1)
    with pytest.raises(TypeError, match="train_split must be None, a float"):
        classifier(train_split="20%").fit(x, y)
