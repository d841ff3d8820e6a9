"""The README's performance table, from one run of ``bench_train.py``.

``python benchmarks/report.py`` prints the table of ``results/bench_train.json``;
``python benchmarks/report.py --readme README.md`` rewrites the part of README.md between
the two ``performance-table`` markers, so the table always shows one whole run (both thread
settings) with the machine it ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from common import RESULTS

BEGIN = "<!-- performance-table:begin (written by benchmarks/report.py) -->"
END = "<!-- performance-table:end -->"

# workload: (what the row says, the unit of a "sample", issue 12's floor for the ratio)
ROWS = {
    "mlp": ("MLP 784-256-128-10, SGD momentum, batch 128", "samples/s", 1.0),
    "lenet": ("LeNet-5, 1x28x28, batch 64", "samples/s", 0.9),
    "resnet8": ("ResNet-8, 3x32x32, batch 32", "samples/s", 0.6),
    "gpt": ("character GPT (`models.GPT`, fused attention), batch 32 x 64", "tokens/s", 0.9),
    "transformer": (
        "2-layer Transformer in plain ops (mask, softmax, exact GELU)", "tokens/s", 0.7
    ),
    "gru": ("GRU hidden 128, 40 steps, batch 128", "samples/s", 0.9),
    "overhead": ("200 elementwise ops on (8, 8), forward + backward", "ops/s", 1.2),
}


def _cell(stats: dict) -> str:
    ours = stats["abinitio"]
    if "torch" not in stats:
        return f"{ours['samples_per_s']:,.0f} (no PyTorch)"
    ratio = ours["speed_vs_baseline"]
    text = f"{ratio:.2f}x"
    return f"**{text}**" if ratio >= 1 else text


def table(results: dict) -> str:
    """Markdown: one row per workload, one column per thread setting."""
    env = results["environment"]
    settings = results["settings"]
    names = list(settings)
    header = "| workload | floor | " + " | ".join(
        f"{n.split('_')[0]} thread{'s' if n != '1_threads' else ''}: abinitio / PyTorch"
        for n in names
    )
    lines = [
        f"CPU: {env['cpu']} ({env['cpus']} cores); NumPy {env['numpy']} with {env['blas']}; "
        f"PyTorch {env['torch']}. Load average (1 min) before / after each setting: "
        + ", ".join(
            f"{n.split('_')[0]} thread(s) {settings[n]['load_before']:.2f} / "
            f"{settings[n].get('load_after', float('nan')):.2f}"
            for n in names
        )
        + f". Medians of {results.get('rounds', '?')} interleaved rounds.",
        "",
        header + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for workload, (label, unit, floor) in ROWS.items():
        cells = []
        for n in names:
            stats = settings[n].get(workload)
            cells.append(_cell(stats) if stats else "not run")
        lines.append(f"| {label} | {floor:.1f}x | " + " | ".join(cells) + " |")
        if workload == "mlp":
            hand = []
            for n in names:
                stats = settings[n].get("mlp", {})
                if "numpy_by_hand" in stats:
                    ratio = stats["abinitio"]["samples_per_s"] / stats["numpy_by_hand"][
                        "samples_per_s"
                    ]
                    hand.append(f"{ratio:.2f}x of hand-written NumPy")
                else:
                    hand.append("")
            row = "| the same MLP against hand-written NumPy | 0.9x | "
            lines.append(row + " | ".join(hand) + " |")
    lines.append("")
    lines.append("Throughput in that run (abinitio / PyTorch, per second):")
    lines.append("")
    for n in names:
        parts = []
        for workload, (label, unit, _) in ROWS.items():
            stats = settings[n].get(workload)
            if stats and "torch" in stats:
                ours, theirs = stats["abinitio"], stats["torch"]
                speeds = f"{ours['samples_per_s']:,.0f} / {theirs['samples_per_s']:,.0f}"
                parts.append(f"{workload} {speeds} {unit}")
        label = n.replace('_', ' ').replace('1 threads', '1 thread')
        lines.append(f"* {label}: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def update_readme(readme, results_path=None) -> None:
    """Replace the text between the markers in ``readme`` by the table (atomic write)."""
    results_path = Path(results_path or RESULTS / "bench_train.json")
    results = json.loads(results_path.read_text())
    readme = Path(readme)
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"update_readme: {readme} has no '{BEGIN}' ... '{END}' markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{table(results)}\n{END}{tail}"
    handle, temporary = tempfile.mkstemp(dir=readme.parent, prefix=".readme-", suffix=".tmp")
    with os.fdopen(handle, "w") as file:
        file.write(new)
    os.replace(temporary, readme)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(RESULTS / "bench_train.json"))
    parser.add_argument("--readme", help="rewrite this README's table instead of printing")
    args = parser.parse_args(argv)
    if args.readme:
        update_readme(args.readme, args.results)
    else:
        print(table(json.loads(Path(args.results).read_text())))


if __name__ == "__main__":
    main()
