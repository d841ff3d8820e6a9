"""The vanishing gradient, made visible: three 30-layer networks on the same spirals.

* a plain MLP with sigmoid activations and PyTorch's default initialisation;
* a plain MLP with ReLU activations and He initialisation;
* a residual MLP (every hidden layer inside h <- h + W relu(h) + b), default initialisation.

Each has the same 30 linear layers of width 64. For one batch, before training, we print
the norm of dL/dW for every layer (``abinitio.inspect.gradient_flow``), then train each
network for a few epochs and print its test accuracy.

Backpropagation multiplies the gradient by W^T and by the activation's derivative once
per layer. sigmoid'(z) <= 1/4, so in the sigmoid network the gradient shrinks by a
constant factor per layer: its first layer receives a gradient some 25 orders of
magnitude smaller than its last, and learns nothing (the network stays at chance, 50%).
He initialisation exactly compensates ReLU's halving of the signal, so the ReLU network's
gradients stay within one order of magnitude; the residual network's identity paths
carry the gradient to the first layer whatever its weights. Both learn the spirals
(about 98% and 94% test accuracy after 20 epochs).

Run: ``python examples/vanishing_gradient.py [--epochs 20] [--out vanishing_gradient.png]``
(about ten seconds on a laptop; the figure needs matplotlib).
"""

from __future__ import annotations

import argparse

import abinitio as ab
from abinitio.data import DataLoader, datasets
from abinitio.inspect import gradient_flow
from abinitio.models import PlainMLP, ResidualMLP
from abinitio.nn import functional as F


def build_models(depth: int = 30, width: int = 64) -> dict:
    """The three networks, each with ``depth`` linear layers, from seed 0."""
    ab.manual_seed(0)
    return {
        "plain sigmoid": PlainMLP(depth, width, "sigmoid"),
        "plain ReLU, He init": PlainMLP(depth, width, "relu", init="he"),
        "residual ReLU": ResidualMLP(depth, width, "relu"),
    }


def measure(models: dict, x, y) -> dict:
    """The gradient flow of each network for the batch (x, y)."""
    return {
        name: gradient_flow(model, lambda m: F.cross_entropy(m(x), y))
        for name, model in models.items()
    }


def train(model, data, epochs: int, lr: float = 1e-3) -> float:
    """Adam on the training split; returns the test accuracy."""
    optimizer = ab.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for x, y in DataLoader(data.train, batch_size=64, shuffle=True):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
    with ab.no_grad():
        predictions = model(ab.tensor(data.x_test)).numpy().argmax(-1)
    return float((predictions == data.y_test).mean())


def report(flows: dict, accuracies: dict | None = None) -> str:
    """One line per network: first and last layer gradient norms, their ratio, accuracy."""
    lines = [f"{'network':<22}{'|dL/dW| first':>14}{'last':>11}{'first/last':>12}{'test acc':>10}"]
    for name, flow in flows.items():
        first, last = flow.grad_norms[0], flow.grad_norms[-1]
        accuracy = f"{accuracies[name]:.1%}" if accuracies else "-"
        lines.append(f"{name:<22}{first:>14.2e}{last:>11.2e}{first / last:>12.1e}{accuracy:>10}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="vanishing_gradient.png", help="where to save the plot")
    args = parser.parse_args(argv)
    data = datasets.spirals(2000, noise=0.05)
    x, y = ab.tensor(data.x_train[:256]), ab.tensor(data.y_train[:256])
    models = build_models()
    flows = measure(models, x, y)
    print("gradient norm of each layer, input -> output, at initialisation:")
    for name, flow in flows.items():
        print(f"  {name:<22}" + " ".join(f"{g:.0e}" for g in flow.grad_norms[::3]))
    accuracies = {name: train(model, data, args.epochs) for name, model in models.items()}
    print()
    print(report(flows, accuracies))
    if args.out:
        from abinitio.viz import figure_to_png, gradient_flow_figure

        figure = gradient_flow_figure(flows, "30 layers: gradient norms at initialisation")
        with open(args.out, "wb") as file:
            file.write(figure_to_png(figure))
        print(f"\nplot written to {args.out}")
    return {"flows": flows, "accuracies": accuracies}


if __name__ == "__main__":
    main()
