"""``abinitio train --dataset csv:FILE | breast_cancer | diabetes | images:DIR`` and
``abinitio predict RUN_DIR new.csv``: end to end, against the baselines, and bad input."""

import csv
import json
import os

import numpy as np
import pytest

from abinitio.cli import main
from abinitio.data import tabular


def write_table(path, n=300, seed=0):
    """Numeric, categorical (with an embedding-sized one), boolean and missing values."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 70, n)
    colour = rng.choice(["red", "green", "blue"], n)
    smoker = rng.choice(["yes", "no"], n)
    city = rng.choice([f"c{i}" for i in range(25)], n)
    price = (0.05 * age + (colour == "red") + 1.5 * (smoker == "yes")
             + 0.5 * (np.char.str_len(city) % 2) + rng.normal(0, 0.2, n))  # fmt: skip
    label = np.where(price > np.median(price), "high", "low")
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["age", "colour", "smoker", "city", "price", "label"])
        for i in range(n):
            writer.writerow(["" if i % 17 == 0 else f"{age[i]:.1f}",
                             "NA" if i % 23 == 0 else colour[i],
                             "" if i % 29 == 0 else smoker[i], city[i], f"{price[i]:.3f}",
                             label[i]])  # fmt: skip
    return path


@pytest.fixture(scope="module")
def table_file(tmp_path_factory):
    return write_table(tmp_path_factory.mktemp("table") / "people.csv")


@pytest.fixture(scope="module")
def runs(table_file, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    common = ["--dataset", f"csv:{table_file}", "--no-progress", "--epochs", "15"]
    assert main(["train", *common, "--target", "label", "--drop", "price",
                 "--embed", "city", "--out", str(root / "cls")]) == 0  # fmt: skip
    assert main(["train", *common, "--target", "price", "--drop", "label",
                 "--out", str(root / "reg")]) == 0  # fmt: skip
    return root / "cls", root / "reg"


def test_a_csv_trains_in_classification_and_regression(runs):
    cls, reg = (json.loads((run / "metrics.json").read_text()) for run in runs)
    assert cls["test_accuracy"] >= 0.8 and len(cls["history"]) == 15
    assert reg["test_r2"] >= 0.8 and {"test_mae", "test_rmse"} <= set(reg)
    assert {"train_mae", "val_rmse", "val_r2"} <= set(reg["history"][-1])
    assert set(cls["baselines"]) == {"LogisticRegression", "GradientBoostingClassifier"}
    assert set(reg["baselines"]) == {"Ridge", "GradientBoostingRegressor"}
    state = json.loads((runs[0] / "preprocessing.json").read_text())
    kinds = {"age": "numeric", "colour": "categorical", "smoker": "boolean", "city": "embedding"}
    assert state["kinds"] == kinds and state["classes"] == ["high", "low"]
    assert set(cls["importance"]) == set(kinds)


def test_reports_show_the_feature_engineering(runs):
    cls, reg = ((run / "report.html").read_text() for run in runs)
    for heading in ("Feature engineering", "Permutation importance", "Against scikit-learn"):
        assert heading in cls and heading in reg
    assert "Learned embedding of city" in cls and "Confusion matrix" in cls
    assert "Predicted against true, and residuals" in reg
    # age, smoker, colour's 4 one-hot columns (with "(missing)"), city's index: 25 levels
    assert "x 7 float32 matrix (6 continuous columns, 1 embedding indices)" in reg


def test_predict_applies_exactly_the_saved_preprocessing(runs, table_file, tmp_path, capsys):
    """Predictions for the training file equal the model's outputs on features from a fresh
    fit on the same training rows: the saved JSON reproduces the preprocessing exactly."""
    from abinitio.cli import tabular as cli_tabular
    from abinitio.cli.train import config_of_run

    for run in runs:
        output = tmp_path / f"{run.name}.csv"
        assert main(["predict", str(run), str(table_file), "--output", str(output)]) == 0
        assert "with the target in the file" in capsys.readouterr().out
        config, state, saved, model = cli_tabular.load_run(str(run))
        table = tabular.read_csv(table_file)
        fresh = cli_tabular.prepare(config_of_run(str(run)), log=lambda m: None).preprocessor
        np.testing.assert_array_equal(saved.transform(table), fresh.transform(table))
        assert saved.state_dict() == fresh.state_dict()
        written = tabular.read_csv(output)[f"predicted_{state['target']}"]
        outputs = cli_tabular.outputs_of(model, fresh.transform(table))
        if state["task"] == "regression":
            np.testing.assert_array_equal(written.astype(np.float32), outputs[:, 0])
        else:
            assert (written == np.array(state["classes"])[outputs.argmax(-1)]).all()


def test_evaluate_reprints_the_test_metrics(runs, capsys):
    assert main(["evaluate", str(runs[1])]) == 0
    r2 = json.loads((runs[1] / "metrics.json").read_text())["test_r2"]
    assert f"{r2:.4f}" in capsys.readouterr().out


def test_unknown_level_at_predict_time(runs, tmp_path, capsys):
    new = tmp_path / "new.csv"
    new.write_text("age,colour,smoker,city\n40,red,yes,c1\n33,purple,no,c99\n")
    assert main(["predict", str(runs[0]), str(new)]) == 2
    error = capsys.readouterr().err
    assert "new.csv line 3: column 'colour' has the level 'purple', unseen in training" in error
    assert "--handle-unknown bucket" in error
    assert main(["predict", str(runs[0]), str(new), "--handle-unknown", "bucket"]) == 0
    assert "2 unseen categorical value(s) went to the 'unknown' bucket" in capsys.readouterr().out
    assert len(tabular.read_csv(tmp_path / "new.predictions.csv")) == 2


def train_metrics(tmp_path, dataset):
    out = tmp_path / dataset
    assert main(["train", "--dataset", dataset, "--out", str(out), "--no-progress"]) == 0
    return json.loads((out / "metrics.json").read_text())


def test_breast_cancer_reaches_96_percent_and_the_logistic_baseline(tmp_path):
    metrics = train_metrics(tmp_path, "breast_cancer")
    assert metrics["test_accuracy"] >= 0.96
    assert metrics["test_accuracy"] >= metrics["baselines"]["LogisticRegression"]["test_accuracy"]


def test_diabetes_r2_reaches_ridge_on_the_same_split(tmp_path):
    metrics = train_metrics(tmp_path, "diabetes")
    assert metrics["test_r2"] >= metrics["baselines"]["Ridge"]["test_r2"]


def write_images(root, per_class=60, bad=True):
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for k in range(3):
        os.makedirs(root / f"digit{k}", exist_ok=True)
        for i, pixels in enumerate(digits.images[digits.target == k][:per_class]):
            picture = Image.fromarray((pixels * 15.9).astype(np.uint8)).resize((16, 16))
            picture.save(root / f"digit{k}" / f"{i}.png")
    if bad:
        (root / "digit1" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return root


def test_an_image_folder_trains_to_90_percent_skipping_a_bad_file(tmp_path, capsys):
    root = write_images(tmp_path / "images")
    assert main(["train", "--dataset", f"images:{root}", "--no-progress"]) == 2
    assert f"cannot read the image {root / 'digit1' / 'corrupt.png'}" in capsys.readouterr().err
    out = tmp_path / "run"
    # seeds 0-4: 100%, 100%, 100%, 100%, 94.4% (scripts/tabular_results.py --images)
    assert main(["train", "--dataset", f"images:{root}", "--skip-bad-files", "--image-size",
                 "12", "--epochs", "10", "--batch-size", "16", "--lr", "1e-3",
                 "--out", str(out), "--no-progress"]) == 0  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.9 and metrics["skipped_files"] == 1
    assert metrics["images"] == 180
    assert "1 unreadable file(s) skipped" in (out / "report.html").read_text()
    assert main(["predict", str(out), str(root / "digit2"), "--output",
                 str(tmp_path / "p.csv")]) == 0  # fmt: skip
    predicted = tabular.read_csv(tmp_path / "p.csv")["predicted_class"]
    assert (predicted == "digit2").mean() >= 0.9
    assert main(["evaluate", str(out)]) == 0
    assert f"test accuracy  {metrics['test_accuracy']:.2%}" in capsys.readouterr().out


def test_image_options_build_the_pipeline():
    import abinitio as ab
    from abinitio.cli import images
    from abinitio.data import transforms as T

    state = {"image_size": 12, "augment": True, "normalize": images._normalize("0.5,0.25")}
    train = images.transform_of(state, train=True, generator=ab.Generator(0))
    kinds = [type(t) for t in train.transforms]
    assert kinds == [T.Resize, T.RandomCrop, T.RandomHorizontalFlip, T.RandomRotation,
                     T.ToTensor, T.Normalize]  # fmt: skip
    assert [type(t) for t in images.transform_of(state).transforms] == [
        T.Resize, T.ToTensor, T.Normalize]  # fmt: skip
    assert images._normalize("0.4,0.5,0.6,1,2,3") == ([0.4, 0.5, 0.6], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "content, arguments, message",
    [
        ("a,b\n1,x\n2,y\n", ["--target", "c"], "--target c: "),
        ("a,b\n1,x\n2,y\n", [], "needs --target COLUMN, the column to predict; its columns are: a"),
        ("a,b\n1,x\n2,x\n", ["--target", "b"], "has a single value ('x') in 2 rows"),
        ("a,b\n1,x\n2\n", ["--target", "b"], "line 3 has 1 fields, but the header has 2"),
        ("a,b\n1,x\n2,y\n", ["--target", "b", "--task", "regression"],
         "--task regression needs a numeric target, but column 'b' holds 'x'"),
        ("a,b\n1,x\n2,y\n", ["--target", "b", "--task", "ranking"],
         "--task must be classification or regression, got 'ranking'"),
        ("a,b\n1,x\n2,y\n", ["--target", "b", "--drop", "zz"], "--drop: no column named 'zz'"),
    ],
)
def test_bad_tables_exit_2(content, arguments, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.csv").write_text(content)
    assert main(["train", "--dataset", "csv:t.csv", "--no-progress", *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("abinitio: error:") and message in error
    assert not os.path.exists(tmp_path / "runs"), "no work may start on bad input"


def test_bad_image_folders_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["train", "--dataset", f"images:{tmp_path / 'empty'}", "--no-progress"]) == 2
    assert "Couldn't find any class folder" in capsys.readouterr().err
    root = write_images(tmp_path / "images", per_class=2, bad=False)
    bad_normalize = ["--normalize", "0.5", "--no-progress"]
    assert main(["train", "--dataset", f"images:{root}", *bad_normalize]) == 2
    assert "--normalize expects MEAN,STD" in capsys.readouterr().err
    (root / "digit3").mkdir()
    assert main(["train", "--dataset", f"images:{root}", "--no-progress"]) == 2
    assert "Found no valid file for the classes digit3" in capsys.readouterr().err
    assert main(["train", "--dataset", "california_housing", "--no-progress"]) == 2
    assert "california_housing:PATH" in capsys.readouterr().err


def test_resume_continues_a_tabular_run_bit_for_bit(table_file, tmp_path):
    import abinitio as ab

    common = ["--dataset", f"csv:{table_file}", "--target", "price", "--no-progress"]
    assert main(["train", *common, "--epochs", "4", "--out", str(tmp_path / "whole")]) == 0
    assert main(["train", *common, "--epochs", "2", "--out", str(tmp_path / "half")]) == 0
    assert main(["train", "--resume", str(tmp_path / "half"), "--epochs", "4",
                 "--no-progress"]) == 0  # fmt: skip
    whole, resumed = (ab.load(tmp_path / name / "model.safetensors") for name in ("whole", "half"))
    for name in whole:
        np.testing.assert_array_equal(whole[name].numpy(), resumed[name].numpy(), err_msg=name)
