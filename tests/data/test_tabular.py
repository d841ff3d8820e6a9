"""Tables: reading CSV, inferring column kinds, the preprocessing against scikit-learn's
ColumnTransformer and through its JSON form, targets, bundled sets, regression metrics,
and TabularMLP against PyTorch."""

import io
import json
import tarfile

import numpy as np
import pytest

import abinitio as ab
from abinitio.data import tabular
from abinitio.data.datasets import tables
from abinitio.data.tabular import Table, TabularPreprocessor, read_csv

CSV = """age, colour ,smoker,city,income,y
30,red,yes,c1,1000.5,a
,blue,NO,c2,2000,b
50,red,,c3,NA,a
41,N/A,no,c1,1500,b
29,green,True,c4,?,a
62,blue,false,c2,3000,b
"""


def table():
    return read_csv(io.StringIO(CSV))


def test_read_csv_strips_and_marks_missing_values():
    t = table()
    assert t.names == ["age", "colour", "smoker", "city", "income", "y"]
    assert t["age"].tolist()[:2] == ["30", ""]
    assert t["income"].tolist()[2:5] == ["", "1500", ""]
    assert t["colour"].tolist()[3] == ""
    assert t.lines.tolist() == [2, 3, 4, 5, 6, 7]


def test_column_kinds_are_inferred_and_can_be_overridden():
    t = table()
    kinds = tabular.infer_column_types(t, "y")
    assert kinds == {"age": "numeric", "colour": "categorical", "smoker": "boolean",
                     "city": "categorical", "income": "numeric"}  # fmt: skip
    kinds = tabular.infer_column_types(t, "y", categorical="age", drop="income", embed=["city"])
    assert kinds == {"age": "categorical", "colour": "categorical", "smoker": "boolean",
                     "city": "embedding"}  # fmt: skip
    many = Table({"n": [str(i) for i in range(30)], "code": [f"k{i}" for i in range(30)]})
    assert tabular.infer_column_types(many, max_one_hot=20)["code"] == "embedding"


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b\n1,2\n3\n", "line 3 has 1 fields, but the header has 2 (a, b)"),
        ("a,b\n1,2\n3,4,5\n", "line 3 has 3 fields"),
        ("", "is empty"),
        ("a,b\n", "has a header but no data rows"),
        ("a,a\n1,2\n", "repeated column names ['a']"),
    ],
)
def test_bad_csv_files_are_refused_naming_the_line(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):  # fmt: skip
        read_csv(io.StringIO(text))


def test_unknown_override_names_the_columns():
    with pytest.raises(ValueError, match=r"--categorical: no column named 'zip'.*age, colour"):
        tabular.infer_column_types(table(), "y", categorical="zip")
    with pytest.raises(ValueError, match="--numeric colour: <table> line 2 holds 'red'"):
        tabular.infer_column_types(Table({"colour": ["red"]}), numeric="colour")


def fitted(kinds=None):
    t = table()
    kinds = kinds or {"age": "numeric", "income": "numeric", "smoker": "boolean",
                      "colour": "categorical", "city": "embedding"}  # fmt: skip
    return t, TabularPreprocessor(kinds).fit(t.take([0, 1, 2, 3, 4]))


def test_hand_computed_features():
    t, pre = fitted()
    x = pre.transform(t.take([0, 1, 2, 3, 4]))
    age = np.array([30, 35.5, 50, 41, 29])  # the missing age: the median of 30, 50, 41, 29
    np.testing.assert_allclose(x[:, 0], (age - age.mean()) / age.std(), rtol=1e-6)
    assert x[:, 2].tolist() == [1, 0, 0, 0, 1]  # smoker: missing -> most frequent; a tie -> 0
    assert pre.feature_names[3:] == ["colour=(missing)", "colour=blue", "colour=green",
                                     "colour=red", "city (index)"]  # fmt: skip
    assert x[:, 3:7].tolist()[3] == [1, 0, 0, 0]  # N/A -> the (missing) level
    assert x[:, 7].tolist() == [0, 1, 2, 0, 3]  # city index into sorted c1, c2, c3, c4
    assert pre.cardinalities == [5] and pre.n_continuous == 7


def test_numpy_transform_equals_the_fitted_column_transformer():
    t, pre = fitted()
    new = Table({"age": ["35", ""], "income": ["", "7"], "smoker": ["y", "f"],
                 "colour": ["purple", "red"], "city": ["c9", "c2"]})  # fmt: skip
    for rows in (t, new):
        ours = pre.transform(rows, handle_unknown="bucket")
        theirs = pre.column_transformer.transform(pre._matrix(rows)).astype(np.float32)
        np.testing.assert_array_equal(ours, theirs)
    bucket = pre.transform(new, handle_unknown="bucket")
    assert bucket[0, 3:7].tolist() == [0, 0, 0, 0] and bucket[0, 7] == 4  # the unknown bucket


def test_the_json_round_trip_gives_identical_arrays():
    t, pre = fitted()
    text = json.dumps(pre.state_dict())
    again = TabularPreprocessor.from_state_dict(json.loads(text))
    np.testing.assert_array_equal(again.transform(t, "bucket"), pre.transform(t, "bucket"))
    assert again.feature_names == pre.feature_names
    with pytest.raises(ValueError, match="not a saved TabularPreprocessor"):
        TabularPreprocessor.from_state_dict({"columns": []})


def test_unknown_level_and_missing_column_errors():
    _, pre = fitted()
    new = Table({"age": ["1"], "income": ["2"], "smoker": ["yes"], "colour": ["purple"],
                 "city": ["c1"]}, source="new.csv")  # fmt: skip
    with pytest.raises(tabular.UnknownLevelError, match=r"new.csv line 2: column 'colour' has "
                       r"the level 'purple', unseen in training.*--handle-unknown bucket"):
        pre.transform(new)
    assert pre.unknown_levels(new) == [("colour", "purple", 2)]
    with pytest.raises(ValueError, match="lacks the column\\(s\\) 'city'"):
        pre.transform(Table({"age": ["1"], "income": ["2"], "smoker": ["y"], "colour": ["red"]}))
    with pytest.raises(RuntimeError, match="call fit"):
        TabularPreprocessor({"age": "numeric"}).transform(new)


def test_targets():
    t = table()
    y, classes = tabular.encode_target(t, "y", "classification")
    assert classes == ["a", "b"] and y.tolist() == [0, 1, 0, 1, 0, 1]
    numeric = Table({"k": ["10", "9", "10", "2"]})
    assert tabular.encode_target(numeric, "k", "classification")[1] == ["2", "9", "10"]
    with pytest.raises(ValueError, match="single value \\('x'\\) in 2 rows"):
        tabular.encode_target(Table({"t": ["x", "x"]}), "t", "classification")
    with pytest.raises(ValueError, match="numeric target, but column 'city' holds 'c1' at "
                       "<csv> line 2"):  # fmt: skip
        tabular.encode_target(t, "city", "regression")
    with pytest.raises(ValueError, match="missing on 2 row\\(s\\), first at <csv> line 4"):
        tabular.encode_target(t, "income", "regression")
    assert tabular.infer_task(np.array(["1.5", "2"])) == "regression"
    assert tabular.infer_task(np.array(["1", "2", "1"])) == "classification"


@pytest.mark.parametrize("name", ["breast_cancer", "diabetes", "wine", "iris"])
def test_bundled_tables_hold_sklearn_numbers_exactly(name):
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    t = getattr(tables, name)()
    features = [n for n in t.names if n != t.target]
    x = np.stack([tabular.parse_numbers(t[n]) for n in features], axis=1)
    np.testing.assert_array_equal(x, bunch.data)
    assert features == list(bunch.feature_names)
    if t.task == "regression":
        np.testing.assert_array_equal(tabular.parse_numbers(t[t.target]), bunch.target)
    else:
        assert (t[t.target] == bunch.target_names[bunch.target]).all()


def test_california_housing_from_a_local_archive(tmp_path):
    # columns of cal_housing.data: longitude, latitude, age, rooms, bedrooms, population,
    # households, income, value
    rows = np.array([[-122.2, 37.9, 41, 880, 129, 322, 126, 8.3, 452600],
                     [-118.3, 34.1, 21, 7099, 1106, 2401, 1138, 8.3, 358500]])  # fmt: skip
    data = tmp_path / "CaliforniaHousing" / "cal_housing.data"
    data.parent.mkdir()
    np.savetxt(data, rows, delimiter=",")
    with tarfile.open(tmp_path / "cal_housing.tgz", "w:gz") as archive:
        archive.add(data, arcname="CaliforniaHousing/cal_housing.data")
    for path in (tmp_path / "cal_housing.tgz", data):
        t = tables.california_housing(path)
        values = {n: tabular.parse_numbers(t[n]) for n in t.names}
        np.testing.assert_allclose(values["AveRooms"], [880 / 126, 7099 / 1138])
        np.testing.assert_allclose(values["AveOccup"], [322 / 126, 2401 / 1138])
        np.testing.assert_allclose(values["MedHouseVal"], [4.526, 3.585])
        assert values["MedInc"].tolist() == [8.3, 8.3] and t.task == "regression"
    with pytest.raises(FileNotFoundError, match="cal_housing.tgz"):
        tables.california_housing(tmp_path / "nothing")


def test_regression_metrics_against_sklearn():
    from sklearn import metrics

    from abinitio.training.regression import RegressionTotals, regression_report

    rng = np.random.default_rng(0)
    y, p = rng.normal(3, 2, 200), rng.normal(3, 2, 200)
    r = regression_report(y, p)
    assert r["mae"] == pytest.approx(metrics.mean_absolute_error(y, p), rel=1e-12)
    assert r["rmse"] == pytest.approx(np.sqrt(metrics.mean_squared_error(y, p)), rel=1e-12)
    assert r["r2"] == pytest.approx(metrics.r2_score(y, p), rel=1e-9)
    totals = RegressionTotals(("mae", "rmse", "r2"))
    for k in range(0, 200, 64):  # batches give the same numbers as the whole
        totals.add(p[k : k + 64, None], y[k : k + 64, None])
    assert totals.result() == pytest.approx({k: r[k] for k in ("mae", "rmse", "r2")})


def test_trainer_tracks_regression_metrics():
    from abinitio.data import DataLoader, TensorDataset
    from abinitio.training import Trainer

    x = ab.randn(64, 3)
    y = x.sum(1, keepdim=True)
    model = ab.nn.Linear(3, 1)
    trainer = Trainer(model, ab.optim.Adam(model.parameters(), lr=0.05), ab.nn.MSELoss(),
                      metrics=("mae", "rmse", "r2"), progress=False, log=None)  # fmt: skip
    history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=16), epochs=30)
    last = history.epochs[-1]
    assert {"train_mae", "train_rmse", "train_r2"} <= set(last)
    assert last["train_r2"] > 0.95 and last["train_rmse"] < history.epochs[0]["train_rmse"]
    with pytest.raises(ValueError, match="unknown metrics \\['mape'\\]; available: accuracy"):
        Trainer(model, trainer.optimizer, ab.nn.MSELoss(), metrics=("mape",))


def test_tabular_mlp_matches_torch(torch):
    from helpers import compare_module_with_torch

    from abinitio.models import TabularMLP

    class TorchTabularMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            tnn = torch.nn
            self.embeddings = tnn.ModuleList([tnn.Embedding(4, 2), tnn.Embedding(3, 2)])
            self.layers = tnn.Sequential(tnn.Linear(7, 5), tnn.ReLU(), tnn.Linear(5, 1))
            self.wide = torch.nn.Linear(7, 1, bias=False)
            self.register_buffer("target_mean", torch.tensor([2.0]))
            self.register_buffer("target_std", torch.tensor([3.0]))

        def forward(self, x):
            parts = [x[:, :3]] + [e(x[:, 3 + j].long()) for j, e in enumerate(self.embeddings)]
            h = torch.cat(parts, 1)
            return (self.layers(h) + self.wide(h)) * self.target_std + self.target_mean

    ours = TabularMLP(3, [4, 3], 1, hidden_sizes=(5,), wide=True, target_mean=2.0, target_std=3.0)
    x = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
    x[:, 3], x[:, 4] = [0, 1, 2, 3, 3, 0], [2, 1, 0, 0, 1, 2]
    # the index columns get no gradient in either framework (.long() cuts the graph)
    compare_module_with_torch(torch, ours, TorchTabularMLP(), [x])
    assert ours.embeddings[0].weight.grad.numpy()[3].any()  # used rows learn
