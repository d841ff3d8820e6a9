"""The measurements behind abinitio.theory's README section and test thresholds.

    python scripts/theory_results.py                    # every part, seeds 0-4
    python scripts/theory_results.py --only plane mi    # some parts
    python scripts/theory_results.py --epochs 2000      # a longer information plane

Parts: ``mi`` (KSG, MINE and binning against the exact MI of correlated Gaussians),
``init`` (He + ReLU and Xavier + ReLU variance through 30 layers), ``plane`` (the
information plane of tanh and ReLU networks, longer than the article's run), ``nfl``
(the optimiser table) and ``gmdh`` (GMDH against linear regression and an MLP).
Prints the CPU it ran on; results drift a little between BLAS kernels.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from abinitio import nn, optim, tensor
from abinitio import theory


def mutual_information_part(seeds):
    print("mutual information (nats), N = 2000, error = estimate - exact, per seed")
    for rho in [0.3, 0.6, 0.9]:
        rows = {"ksg": [], "mine": [], "binning": []}
        for seed in seeds:
            x, y, exact = theory.correlated_gaussians(2000, rho, seed=seed)
            for method in rows:
                rows[method].append(theory.mutual_information(x, y, method, seed=seed) - exact)
        for method, errors in rows.items():
            print(f"  rho {rho} exact {exact:.3f} {method:8s} errors {np.round(errors, 3)}"
                  f" worst {max(errors, key=abs):+.3f}")


def initialisation_part(seeds):
    print("variance through 30 layers, width 256, batch 64, 4 networks averaged")
    for init in ["he", "xavier"]:
        for seed in seeds:
            s = theory.signal_propagation(init, "relu", width=256, batch_size=64, repeats=4,
                                          seed=seed)
            f, g = s.forward / s.forward[0], s.backward / s.backward[-1]
            geo = (s.forward[-1] / s.forward[0]) ** (1 / (len(s.forward) - 1))
            print(f"  {init}+relu seed {seed}: forward {f.min():.3f}..{f.max():.3f},"
                  f" backward {g.min():.3f}..{g.max():.3f}, mean ratio per layer {geo:.3f}")


def plane_part(seeds, epochs):
    print(f"information plane, 12-10-7-5-4-3 network, Adam lr 0.01, {epochs} epochs")
    for activation in ["tanh", "relu"]:
        for seed in seeds[:2]:
            t = time.time()
            trace = theory.trace_information_plane(activation, epochs=epochs,
                                                   record_every=max(1, epochs // 40), seed=seed)
            ixt, recorded = trace.plane[:, :, 0], np.array(trace.epochs)
            fitted = np.searchsorted(recorded, recorded[-1] // 10)  # after 1/10 of the run
            print(f"  {activation} seed {seed} ({time.time() - t:.0f} s), train acc"
                  f" {trace.accuracy[-1]:.3f}; per layer I(X;T) in bits at epoch 1,"
                  f" {recorded[fitted]}, its peak after that (epoch), final:")
            for layer in range(ixt.shape[1]):
                late = ixt[fitted:, layer]
                print(f"    layer {layer + 1}: {ixt[0, layer]:.2f}, {ixt[fitted, layer]:.2f},"
                      f" {late.max():.2f} ({recorded[fitted + late.argmax()]}),"
                      f" {ixt[-1, layer]:.2f}; I(T;Y) final {trace.plane[-1, layer, 1]:.3f}")


def optimiser_part(seeds):
    table = theory.compare_optimisers(steps=300, seeds=seeds)
    print("final loss after 300 steps (median over seeds)")
    for problem, row in table.items():
        print(f"  {problem:26s} " + "  ".join(f"{k} {v:.2e}" for k, v in row.items()))
    print("  rankings:", theory.rankings(table))


def gmdh_part(seeds):
    print("GMDH vs linear regression vs MLP, 5 inputs, 600 train / 2000 test, test MSE")
    for seed in seeds:
        rng = np.random.default_rng(seed)
        x, x_test = rng.uniform(-1, 1, (600, 5)), rng.uniform(-1, 1, (2000, 5))
        f = lambda z: np.sin(2 * z[:, 0]) * z[:, 1] + z[:, 2] ** 2 - z[:, 3] * z[:, 4]  # noqa: E731
        y, y_test = f(x) + 0.05 * rng.standard_normal(600), f(x_test)
        model = theory.GMDHRegressor(seed=seed).fit(x, y)
        design = lambda z: np.c_[np.ones(len(z)), z]  # noqa: E731
        w = np.linalg.lstsq(design(x), y, rcond=None)[0]
        mlp = nn.Sequential(nn.Linear(5, 64), nn.Tanh(), nn.Linear(64, 1))
        opt = optim.Adam(mlp.parameters(), lr=0.01)
        xt, yt = tensor(x.astype(np.float32)), tensor(y[:, None].astype(np.float32))
        for _ in range(2000):
            opt.zero_grad()
            nn.functional.mse_loss(mlp(xt), yt).backward()
            opt.step()
        mlp_pred = mlp(tensor(x_test.astype(np.float32))).detach().numpy().ravel()
        mse = lambda p: float(np.mean((p - y_test) ** 2))  # noqa: E731
        print(f"  seed {seed}: GMDH {mse(model.predict(x_test)):.4f} ({len(model.layers_)} layers),"
              f" linear {mse(design(x_test) @ w):.4f}, MLP(64) {mse(mlp_pred):.4f},"
              f" Var(y) {y_test.var():.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--only", nargs="+", default=["mi", "init", "plane", "nfl", "gmdh"])
    parser.add_argument("--epochs", type=int, default=1500)
    args = parser.parse_args()
    print(f"CPU: {platform.processor() or platform.machine()}, seeds {args.seeds}")
    parts = {"mi": mutual_information_part, "init": initialisation_part,
             "nfl": optimiser_part, "gmdh": gmdh_part}
    for name in args.only:
        if name == "plane":
            plane_part(args.seeds, args.epochs)
        else:
            parts[name](args.seeds)


if __name__ == "__main__":
    main()
