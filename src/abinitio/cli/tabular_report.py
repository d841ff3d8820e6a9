"""The ``report.html`` of a tabular run: the standard sections (curves, test metrics,
confusion matrix) plus what feature engineering did: the encoded table's shape and
columns, the baselines, permutation importance on the validation split, the learned
embedding of a categorical column in 2-D, and for regression predicted against true
values and the residuals."""

from __future__ import annotations

import html

import numpy as np


def _table(header: list, rows: list) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _metric_keys(task: str) -> list:
    return ["test_accuracy"] if task == "classification" else ["test_mae", "test_rmse", "test_r2"]


def baselines_section(results: dict, task: str):
    from abinitio.viz import Section

    keys = _metric_keys(task)
    rows = [["abinitio TabularMLP", *(f"{results[k]:.4f}" for k in keys)]]
    rows += [[name, *(f"{values[k]:.4f}" for k in keys)]
             for name, values in results["baselines"].items()]  # fmt: skip
    note = ("<p>scikit-learn models trained in the same run on the same training rows and "
            "encoded features, scored on the same test rows.</p>")  # fmt: skip
    header = ["model", *(k.removeprefix("test_").replace("r2", "R\u00b2") for k in keys)]
    return Section("Against scikit-learn baselines", html=note + _table(header, rows))


def features_section(data):
    from abinitio.viz import Section

    pre = data.preprocessor
    rows = []
    for column in pre.columns:
        kind = column["kind"]
        width = len(column["categories"]) if kind == "categorical" else 1
        detail = {"numeric": f"mean {column.get('mean', 0):.4g}, std {column.get('scale', 1):.4g}, "
                             f"missing -> {column.get('fill', 0):.4g}",
                  "boolean": f"missing -> {column.get('fill', 0):g}",
                  "categorical": f"{len(column.get('categories', []))} levels, one-hot",
                  "embedding": f"{len(column.get('categories', []))} levels + unknown, "
                               "learned embedding"}[kind]  # fmt: skip
        rows.append([column["name"], kind, width, detail])
    shape = data.x["train"].shape
    text = (f"<p>The training rows become a {shape[0]} x {shape[1]} float32 matrix "
            f"({pre.n_continuous} continuous columns, {len(pre.cardinalities)} embedding "
            "indices). The numbers were fitted on the training rows only and are saved in "
            "<code>preprocessing.json</code>.</p>")  # fmt: skip
    return Section("Feature engineering", html=text + _table(
        ["column", "kind", "encoded columns", "fitted"], rows))  # fmt: skip


def importance_section(importance: dict, task: str):
    import matplotlib.pyplot as plt

    from abinitio.viz import Section

    names, values = list(importance)[:20], list(importance.values())[:20]
    figure, axes = plt.subplots(figsize=(7, 0.3 * len(names) + 1.2))
    axes.barh(range(len(names))[::-1], values, color="#4c72b0")
    axes.set_yticks(range(len(names))[::-1], [n[:28] for n in names])
    metric = "accuracy" if task == "classification" else "R\u00b2"
    axes.set_xlabel(f"drop in validation {metric} when the column is shuffled")
    figure.tight_layout()
    note = "<p>Permutation importance (5 shuffles per column, validation split).</p>"
    return Section("Permutation importance", figure=figure, html=note)


def embedding_section(model, data):
    """The first embedding table, projected on its two principal axes."""
    import matplotlib.pyplot as plt

    from abinitio.viz import Section

    column = next(c for c in data.preprocessor.columns if c["kind"] == "embedding")
    weight = model.embeddings[0].weight.detach().numpy()[: len(column["categories"])]
    centred = weight - weight.mean(0)
    _, _, axes_t = np.linalg.svd(centred, full_matrices=False)
    points = centred @ axes_t[:2].T if weight.shape[1] >= 2 else np.c_[centred, 0 * centred]
    figure, axes = plt.subplots(figsize=(6, 5))
    axes.scatter(points[:, 0], points[:, 1], s=12, color="#4c72b0")
    for (px, py), level in list(zip(points, column["categories"]))[:40]:
        axes.annotate(level[:16], (px, py), fontsize=7)
    axes.set_title(f"learned embedding of {column['name']!r} ({weight.shape[1]}-D, PCA to 2-D)")
    figure.tight_layout()
    return Section(f"Learned embedding of {column['name']}", figure=figure)


def regression_sections(model, data):
    import matplotlib.pyplot as plt

    from abinitio.cli.tabular import outputs_of
    from abinitio.viz import Section

    y, predicted = data.y["test"], outputs_of(model, data.x["test"])[:, 0]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    left.scatter(y, predicted, s=10, alpha=0.6)
    low, high = float(min(y.min(), predicted.min())), float(max(y.max(), predicted.max()))
    left.plot([low, high], [low, high], color="black", lw=1)
    left.set(xlabel=f"true {data.target}", ylabel="predicted", title="predicted against true")
    right.scatter(predicted, y - predicted, s=10, alpha=0.6)
    right.axhline(0, color="black", lw=1)
    right.set(xlabel="predicted", ylabel="residual (true - predicted)", title="residuals")
    figure.tight_layout()
    return [Section("Predicted against true, and residuals (test rows)", figure=figure)]


def write_table_report(path, config, data, model, history, results) -> str:
    from abinitio.viz import write_report

    keys = _metric_keys(data.task)
    summary = {"model": "TabularMLP", "dataset": config.dataset, "task": data.task,
               "target": data.target,
               "rows": ", ".join(f"{k} {len(v)}" for k, v in data.rows.items()),
               "features": f"{data.x['train'].shape[1]} encoded columns",
               "parameters": f"{results['parameters']:,}", "epochs": results["epochs_run"],
               "optimizer": f"{config.optimizer} (lr {config.lr:g}, weight decay "
                            f"{config.weight_decay:g})",
               "seed": config.seed}  # fmt: skip
    summary.update({k.replace("_", " "): f"{results[k]:.4f}" for k in keys})
    sections = [baselines_section(results, data.task), features_section(data)]
    if results.get("importance"):
        sections.append(importance_section(results["importance"], data.task))
    if data.preprocessor.cardinalities:
        sections.append(embedding_section(model, data))
    test_metrics, names = None, None
    if data.task == "classification":
        test_metrics, names = {**results["test_report"], "loss": results["test_loss"]}, data.classes
    else:
        sections = regression_sections(model, data) + sections
    return write_report(path, title=f"TabularMLP on {config.dataset}", summary=summary,
                        history=history.epochs, test_metrics=test_metrics, class_names=names,
                        extra_sections=sections)  # fmt: skip
