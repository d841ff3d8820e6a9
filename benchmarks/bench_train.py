"""Training throughput: abinitio against PyTorch (CPU), same work, same data, interleaved rounds.

Each workload builds the same network in every framework, then times full training steps
(forward, loss, backward, optimiser step) in interleaved rounds. Reported: samples per
second (median over rounds) and the median per-round ratio to PyTorch.

Workloads (``--workload NAME``, several allowed; default all):
* ``mlp``: MLP 784-256-128-10, ReLU, cross-entropy, SGD with momentum 0.9, batch 128.
  A third column is the same network written by hand in NumPy: the limit for any NumPy
  framework on this GEMM-bound network.
* ``lenet``: LeNet-5 on 1x28x28 images (conv 6@5x5 padding 2, ReLU, max-pool 2, conv
  16@5x5, ReLU, max-pool 2, FC 120-84-10), SGD with momentum 0.9, batch 64.
* ``resnet8``: ResNet-8 on 3x32x32 images (conv 16, three basic residual blocks of 16, 32
  and 64 channels with batch norm, global average pooling, FC 10), SGD momentum, batch 32.
* ``gpt``: a character GPT (``abinitio.models.GPT``): 2 pre-norm causal blocks, width 128,
  4 heads, context 64, vocabulary 96, GPT-2's tanh GELU, AdamW, batch 32 windows. Its
  "samples" are tokens (32 x 64 = 2,048 per step); PyTorch runs the same weights through
  ``nn.TransformerEncoderLayer`` with ``is_causal=True`` (its fused attention kernel).
* ``gru``: ``nn.GRU(1, 128)`` over sequences of 40 steps of 1 feature, a linear head on the
  last state h_n (not on every step), cross-entropy over 10 classes, Adam, batch 128;
  PyTorch runs the same weights through its own ``nn.GRU`` (ATen's CPU kernels).
* ``transformer``: a 2-layer pre-norm Transformer written with plain ops, the way a learner
  writes it (``_plain_transformer``: Linear layers, ``q @ k.transpose(-2, -1)``, an
  additive causal mask of -inf, ``softmax``, exact ``gelu``), width 128, 4 heads, context
  64, vocabulary 96, AdamW, batch 32 windows; one function builds it for both frameworks.
* ``overhead``: 200 elementwise ops on (8, 8) tensors, forward + backward
  (``bench_ops.elementwise_chain``): the per-op cost of the framework.

The MLP, LeNet, ResNet-8 and the plain-ops Transformer are built by one function for both
frameworks (``lib.nn`` is ``abinitio.nn`` or ``torch.nn``): the same code, so the same
architecture.

Each candidate runs in a worker process of its own (``isolated.py``), built by the same
function with the same seeds, and this process times them in interleaved rounds;
``--isolation none`` runs all in this process instead. Every workload runs under each
thread setting of ``--threads`` (default ``1 2``): both frameworks limited to that many
threads (``torch.set_num_threads`` and threadpoolctl for
NumPy's BLAS). The output names the CPU, the BLAS library and its kernel, and the load
average before and after; ``--readme README.md`` rewrites the README's performance table
from this run (``report.py``).

Run (the whole suite, one line): ``python benchmarks/bench_train.py --readme README.md``;
one workload, one setting: ``python benchmarks/bench_train.py --workload mlp --threads 2``.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from bench_ops import CHAIN_OPS, elementwise_chain
from isolated import add_isolation_option, compare_workload

import abinitio as ab
import abinitio.optim  # noqa: F401  (ab.optim)
from common import environment, load_average, save, try_import_torch

WORKLOADS = {}


def workload(name):
    def register(builder):
        WORKLOADS[name] = builder
        return builder

    return register


def _batches(count, batch, features, classes, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((batch, *features)).astype(np.float32) for _ in range(count)]
    ys = [rng.integers(0, classes, size=batch) for _ in range(count)]
    return xs, ys


def _cycle(xs, ys):
    state = {"i": 0}

    def next_batch():
        i = state["i"] = (state["i"] + 1) % len(xs)
        return xs[i], ys[i]

    return next_batch


@workload("mlp")
def mlp(torch):
    """784-256-128-10 MLP, SGD momentum, batch 128."""
    sizes, batch, lr, momentum = (784, 256, 128, 10), 128, 0.01, 0.9
    batches = _batches(8, batch, (784,), 10)
    candidates = {name: _sgd_step(lib, _mlp(lib.nn, sizes), batches, lr, momentum)
                  for name, lib in _frameworks(torch)}  # fmt: skip
    candidates["numpy_by_hand"] = _numpy_mlp_step(sizes, lr, momentum, _cycle(*batches))
    return candidates, batch


def _mlp(nn, sizes):
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _numpy_mlp_step(sizes, lr, momentum, next_batch):
    """The same MLP with the chain rule written out by hand: the NumPy speed limit."""
    rng = np.random.default_rng(0)
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        biases.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    params = weights + biases
    velocity = [np.zeros_like(p) for p in params]

    def step():
        x, y = next_batch()
        activations = [x]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = activations[-1] @ w.T
            z += b
            if i < len(weights) - 1:
                np.maximum(z, 0, out=z)
            activations.append(z)
        logits = activations[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(len(y)), y] -= 1
        grad = probs / len(y)
        grads_w, grads_b = [None] * len(weights), [None] * len(weights)
        for i in reversed(range(len(weights))):
            grads_w[i] = grad.T @ activations[i]
            grads_b[i] = grad.sum(axis=0)
            if i:
                grad = grad @ weights[i]
                grad *= activations[i] > 0
        for p, v, g in zip(params, velocity, grads_w + grads_b):
            v *= momentum
            v += g
            p -= lr * v

    return step


@workload("gpt")
def gpt(torch):
    """Character GPT, 2 x 128 wide, 4 heads, context 64, vocab 96, AdamW, batch 32."""
    from abinitio.models import GPT

    vocab, context, batch = 96, 64, 32
    rng = np.random.default_rng(0)
    tokens = [rng.integers(0, vocab, size=(batch, context + 1)) for _ in range(4)]
    ab.manual_seed(0)
    model = GPT(vocab, context, n_layers=2, n_heads=4, width=128)
    candidates = {}
    if torch is not None:
        candidates["torch"] = _torch_gpt_step(torch, model, tokens)
    candidates["abinitio"] = _gpt_step(ab, model, ab.optim.AdamW, tokens)
    return candidates, batch * context


def _gpt_step(lib, model, optimizer_class, tokens):
    optimizer = optimizer_class(model.parameters(), lr=1e-3)
    cross_entropy = lib.nn.functional.cross_entropy
    batches = [(lib.tensor(t[:, :-1]), lib.tensor(t[:, 1:].reshape(-1))) for t in tokens]
    cycle = _cycle(*zip(*batches))

    def step():
        x, y = cycle()
        optimizer.zero_grad()
        logits = model(x)
        loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), y)
        loss.backward()
        optimizer.step()

    return step


def _torch_block(nn, F, ours):
    def gelu_tanh(x):
        return F.gelu(x, approximate="tanh")

    width = ours.width
    return nn.TransformerEncoderLayer(
        width, ours.n_heads, 4 * width, 0.0, gelu_tanh, batch_first=True, norm_first=True
    )


def _torch_gpt_step(torch, ours, tokens):
    """The same model in torch.nn, loaded from our state dict (the names are PyTorch's)."""
    nn, F = torch.nn, torch.nn.functional

    class TorchGPT(nn.Module):
        def __init__(self):
            super().__init__()
            width, context = ours.width, ours.context_size
            self.token_embedding = nn.Embedding(ours.vocab_size, width)
            self.position_embedding = nn.Embedding(context, width)
            self.blocks = nn.ModuleList(_torch_block(nn, F, ours) for _ in ours.blocks)
            self.norm = nn.LayerNorm(width)
            self.head = nn.Linear(width, ours.vocab_size, bias=False)
            mask = nn.Transformer.generate_square_subsequent_mask(context)
            self.register_buffer("mask", mask, persistent=False)

        def forward(self, x):
            length = x.shape[1]
            h = self.token_embedding(x) + self.position_embedding.weight[:length]
            for block in self.blocks:
                h = block(h, src_mask=self.mask[:length, :length], is_causal=True)
            return self.head(self.norm(h))

    model = TorchGPT()
    state = {k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()}
    model.load_state_dict(state)
    return _gpt_step(torch, model, torch.optim.AdamW, tokens)


@workload("gru")
def gru(torch):
    """GRU(1, 128) over 40 steps, linear head on the last state, Adam, batch 128."""
    batch, steps, hidden, classes = 128, 40, 128, 10
    xs, ys = _batches(8, batch, (steps, 1), classes)
    ab.manual_seed(0)
    layers = (ab.nn.GRU(1, hidden, batch_first=True), ab.nn.Linear(hidden, classes))
    candidates = {}
    if torch is not None:
        torch_layers = (torch.nn.GRU(1, hidden, batch_first=True), torch.nn.Linear(hidden, classes))
        for ours, theirs in zip(layers, torch_layers):
            state = {k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()}
            theirs.load_state_dict(state)
        candidates["torch"] = _gru_step(torch, *torch_layers, xs, ys)
    candidates["abinitio"] = _gru_step(ab, *layers, xs, ys)
    return candidates, batch


def _gru_step(lib, rnn, head, xs, ys):
    optimizer = lib.optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-3)
    cross_entropy = lib.nn.functional.cross_entropy
    cycle = _cycle([lib.tensor(x) for x in xs], [lib.tensor(y) for y in ys])

    def step():
        x, y = cycle()
        optimizer.zero_grad()
        _, h_n = rnn(x)
        loss = cross_entropy(head(h_n[-1]), y)
        loss.backward()
        optimizer.step()

    return step


def _sgd_step(lib, model, batches, lr=0.01, momentum=0.9):
    """One training step of ``model`` in framework ``lib`` (abinitio or torch), cycling
    through ``batches`` of NumPy arrays converted once."""
    optimizer = lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    return classifier_step(lib, model, optimizer, batches)


def classifier_step(lib, model, optimizer, batches):
    """A step of ``optimizer`` on ``model``'s cross-entropy, cycling through ``batches``
    (a list of inputs and a list of labels, NumPy arrays converted once)."""
    loss_fn = lib.nn.CrossEntropyLoss()
    cycle = _cycle(*zip(*[(lib.tensor(x), lib.tensor(y)) for x, y in zip(*batches)]))

    def step():
        x, y = cycle()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def _frameworks(torch):
    return ([("torch", torch)] if torch is not None else []) + [("abinitio", ab)]


def _lenet5(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


@workload("lenet")
def lenet(torch):
    """LeNet-5 on 1x28x28, SGD momentum, batch 64."""
    batches = _batches(8, 64, (1, 28, 28), 10)
    return {name: _sgd_step(lib, _lenet5(lib.nn), batches) for name, lib in _frameworks(torch)}, 64


def _resnet8(nn):
    """ResNet-8: a 3x3 stem and three basic blocks (the second and third with stride 2 and a
    1x1 projection shortcut), as :class:`abinitio.models.ResNet` ((1, 1, 1), (16, 32, 64))."""

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1, self.relu = nn.BatchNorm2d(cout), nn.ReLU()
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            shortcut = x if self.downsample is None else self.downsample(x)
            h = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(h)) + shortcut)

    return nn.Sequential(
        nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip


@workload("resnet8")
def resnet8(torch):
    """ResNet-8 on 3x32x32, SGD momentum, batch 32."""
    batches = _batches(8, 32, (3, 32, 32), 10)
    return {name: _sgd_step(lib, _resnet8(lib.nn), batches) for name, lib in _frameworks(torch)}, 32


def _plain_transformer(lib, vocab=96, context=64, width=128, heads=4, layers=2):
    """A 2-layer pre-norm Transformer in plain ops, as a learner writes it: the same code
    for ``lib`` = abinitio and ``lib`` = torch."""
    nn, F = lib.nn, lib.nn.functional
    head_width = width // heads

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.qkv = nn.Linear(width, 3 * width)
            self.proj = nn.Linear(width, width)
            self.fc1, self.fc2 = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

        def forward(self, x, mask):
            b, t, c = x.shape
            q, k, v = self.qkv(self.norm1(x)).split(width, dim=-1)
            q = q.reshape(b, t, heads, head_width).transpose(1, 2)
            k = k.reshape(b, t, heads, head_width).transpose(1, 2)
            v = v.reshape(b, t, heads, head_width).transpose(1, 2)
            scores = q @ k.transpose(-2, -1) / math.sqrt(head_width) + mask
            attended = F.softmax(scores, dim=-1) @ v
            x = x + self.proj(attended.transpose(1, 2).reshape(b, t, c))
            return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.token = nn.Embedding(vocab, width)
            self.position = nn.Embedding(context, width)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.norm = nn.LayerNorm(width)
            self.head = nn.Linear(width, vocab)
            causal = np.triu(np.full((context, context), -np.inf, np.float32), 1)
            self.mask = lib.tensor(causal)

        def forward(self, x):
            t = x.shape[1]
            h = self.token(x) + self.position.weight[:t]
            for block in self.blocks:
                h = block(h, self.mask[:t, :t])
            return self.head(self.norm(h))

    return Transformer()


@workload("transformer")
def transformer(torch):
    """The plain-ops Transformer, 2 x 128 wide, 4 heads, context 64, AdamW, batch 32."""
    vocab, context, batch = 96, 64, 32
    rng = np.random.default_rng(0)
    tokens = [rng.integers(0, vocab, size=(batch, context + 1)) for _ in range(4)]
    ab.manual_seed(0)
    ours = _plain_transformer(ab, vocab, context)
    candidates = {}
    if torch is not None:
        theirs = _plain_transformer(torch, vocab, context)
        state = {k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()}
        theirs.load_state_dict(state)
        candidates["torch"] = _gpt_step(torch, theirs, torch.optim.AdamW, tokens)
    candidates["abinitio"] = _gpt_step(ab, ours, ab.optim.AdamW, tokens)
    return candidates, batch * context


@workload("overhead")
def overhead(torch):
    """200 elementwise ops on (8, 8), forward + backward: the framework's per-op cost."""
    a = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    candidates = {}
    if torch is not None:
        x_torch = torch.tensor(a, requires_grad=True)
        candidates["torch"] = lambda: elementwise_chain(x_torch).backward()
    x_ours = ab.tensor(a, requires_grad=True)
    candidates["abinitio"] = lambda: elementwise_chain(x_ours).backward()
    return candidates, CHAIN_OPS  # "samples" are ops


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--readme", help="rewrite this README's performance table")
    add_isolation_option(parser)
    args = parser.parse_args(argv)
    torch = try_import_torch()
    env = environment(torch)
    print(f"CPU: {env['cpu']}; BLAS: {env['blas']}; PyTorch: {env['torch']}")
    rounds, repeat = (3, 3) if args.quick else (9, 10)
    results = {}
    for threads in args.threads:
        setting = results[f"{threads}_threads"] = {"load_before": load_average()}
        for name in args.workload or list(WORKLOADS):
            stats, batch = compare_workload(f"bench_train:{name}", torch, threads, repeat,
                                            rounds, args.isolation)  # fmt: skip
            for entry in stats.values():
                entry["samples_per_s"] = batch / entry["median_s"]
            setting[name] = stats
            # saved after every workload: a run cut short keeps what it measured
            save("bench_train", {"environment": env, "rounds": rounds,
                                 "isolation": args.isolation, "settings": results})  # fmt: skip
            print(f"{name}, {threads} thread(s): samples per second "
                  f"(median of {rounds} rounds)")  # fmt: skip
            for candidate, entry in stats.items():
                ratio = entry["speed_vs_baseline"]
                speed = entry["samples_per_s"]
                print(f"  {candidate:14s} {speed:10.0f}   {ratio:5.2f}x {entry['baseline']}")
        setting["load_after"] = load_average()
        print(f"load average (1 min) before / after: {setting['load_before']:.2f} / "
              f"{setting['load_after']:.2f}")  # fmt: skip
    path = save("bench_train", {"environment": env, "rounds": rounds,
                                "isolation": args.isolation, "settings": results})  # fmt: skip
    print(f"results written to {path}")
    if args.readme:
        import report

        report.update_readme(args.readme, path)
        print(f"performance table in {args.readme} rewritten from {path}")
    return results


if __name__ == "__main__":
    main()
