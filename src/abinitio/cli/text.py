"""Character language models on the command line.

``abinitio train --dataset text[:FILE] --model transformer`` trains a character GPT on the
Python help topics that ship with CPython (offline) or on a UTF-8 file, and
``abinitio generate RUN_DIR --prompt "..."`` writes text with it.

A text run differs from a classification run in three ways:

* **data**: an epoch is ``steps_per_epoch`` batches of windows of ``context`` characters
  starting at random offsets of the training split (x = tokens[i : i + T], y = tokens[i + 1
  : i + T + 1]), drawn from :mod:`abinitio.random`, so a seeded run repeats and a resumed
  one continues exactly; validation uses fixed, consecutive windows of the held-out end.
* **schedule**: the learning rate follows a cosine from ``lr`` down to ``lr / 10`` over
  all ``epochs * steps_per_epoch`` steps (small models need no warm-up).
* **metrics**: the loss is the cross-entropy per character in nats; bits per character
  (nats / ln 2) and perplexity (e^nats, the effective number of equally likely choices)
  are reported too. A uniform guess over V characters scores ln V nats.
* **run directory**: besides config, model, checkpoint and metrics, ``vocab.json`` holds
  the characters, so ``generate`` needs neither the corpus nor the file; the report shows
  generated samples and an attention heat map.

The default recipe (:mod:`abinitio.cli.registry`: 2 blocks of width 128, 4 heads, context
64, batch 32, AdamW, lr 3e-3 decaying to 3e-4, 10 epochs of 300 steps; 431,360 parameters)
reaches 1.79 nats/char after 2 epochs and 1.245 (1.80 bits, perplexity 3.47) after 10,
seed 0: about 42 s per epoch, 7.5 minutes in all, on the two idle cores of the
development machine.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.cli import registry
from abinitio.cli.options import UsageError
from abinitio.cli.train import (
    METRICS_NAME,
    MODEL_NAME,
    REPORT_NAME,
    MetricsWriter,
    _create_run_dir,
    config_of_run,
    continue_from,
    default_run_dir,
    load_weights,
    write_json,
)
from abinitio.models import CharTokenizer
from abinitio.optim.lr_scheduler import CosineAnnealingLR
from abinitio.random import Generator, numpy_generator
from abinitio.serialization import save, write_atomically
from abinitio.tensor import Tensor
from abinitio.training import Callback, LearningRateScheduler, Trainer

VOCAB_NAME = "vocab.json"
SAMPLE_LENGTH, SAMPLE_TEMPERATURE, MAX_VAL_WINDOWS = 240, 0.8, 512


class RandomWindows:
    """``steps`` batches of ``batch_size`` windows at random offsets: (x, y) int64 Tensors
    of shape (batch_size, context), y being x shifted by one character."""

    def __init__(self, tokens: np.ndarray, context: int, batch_size: int, steps: int) -> None:
        self.tokens, self.context, self.batch_size, self.steps = tokens, context, batch_size, steps
        self.offsets = np.arange(context + 1)

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        rng = numpy_generator(None)
        for _ in range(self.steps):
            starts = rng.integers(0, len(self.tokens) - self.context, size=self.batch_size)
            windows = self.tokens[starts[:, None] + self.offsets]
            yield Tensor(windows[:, :-1]), Tensor(windows[:, 1:])


class FixedWindows:
    """Consecutive windows of ``context`` characters covering ``tokens`` (at most
    ``max_windows``, evenly spaced over a longer text), in batches: the same every epoch."""

    def __init__(self, tokens: np.ndarray, context: int, batch_size: int = 64,
                 max_windows: int = MAX_VAL_WINDOWS) -> None:  # fmt: skip
        count = (len(tokens) - 1) // context
        starts = np.arange(count) * context
        if count > max_windows:
            starts = starts[np.linspace(0, count - 1, max_windows).astype(np.int64)]
        windows = tokens[starts[:, None] + np.arange(context + 1)]
        self.batches = [windows[i : i + batch_size] for i in range(0, len(windows), batch_size)]

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            yield Tensor(batch[:, :-1]), Tensor(batch[:, 1:])


def sequence_cross_entropy(logits, targets):
    """Mean cross-entropy over every position: (B, T, V) logits, (B, T) targets."""
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


class TextSamples(Callback):
    """After every epoch, write ``length`` characters from ``prompt`` and log them; the
    samples are kept (and checkpointed) for the report. Sampling uses its own generator,
    seeded per epoch, so it does not disturb the training stream."""

    def __init__(self, tokenizer, prompt: str, seed: int, length: int = SAMPLE_LENGTH) -> None:
        self.tokenizer, self.prompt, self.seed, self.length = tokenizer, prompt, seed, length
        self.samples: list = []

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        text = trainer.model.generate(self.prompt, self.length, SAMPLE_TEMPERATURE,
                                      tokenizer=self.tokenizer,
                                      generator=Generator(self.seed * 1000 + epoch))  # fmt: skip
        self.samples.append({"epoch": epoch, "text": text})
        trainer.log(f"--- sample after epoch {epoch} ---\n{text}\n---")

    def state_dict(self) -> dict:
        return {"samples": self.samples}

    def load_state_dict(self, state: dict) -> None:
        self.samples = list(state.get("samples", []))


def load_corpus(config):
    """The corpus of ``--dataset text[:FILE]``, split with the run's ``val_fraction``."""
    path = config.dataset.partition(":")[2] or None
    try:
        corpus = ab.data.datasets.text(path, val_fraction=config.val_fraction)
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(f"--dataset {config.dataset}: {error}") from None
    needed = config.context + 1
    for split, tokens in (("training", corpus.train_data), ("validation", corpus.val_data)):
        if len(tokens) < needed and (split == "training" or len(tokens)):
            raise UsageError(
                f"--dataset {config.dataset}: the {split} split has {len(tokens)} characters, "
                f"fewer than context + 1 = {needed}; use a longer text or a smaller --context"
            )
    return corpus


def default_prompt(tokenizer) -> str:
    return "\n" if "\n" in tokenizer.vocab else tokenizer.vocab[0]


def train_text(config, run_dir=None, resume: bool = False, progress: bool = True,
               log=print) -> dict:  # fmt: skip
    """``abinitio train`` for ``--dataset text``: train, then leave the run directory."""
    if config.model not in registry.TEXT_MODELS:
        raise UsageError(
            f"--dataset {config.dataset} trains a character language model: choose --model "
            f"{' or '.join(registry.TEXT_MODELS)} (got {config.model!r})"
        )
    corpus = load_corpus(config)
    tokenizer = corpus.tokenizer
    ab.manual_seed(config.seed)
    model = registry.build_model(config, tokenizer)
    optimizer = registry.build_optimizer(config, model)
    run_dir = run_dir or config.out or default_run_dir(config)
    if not resume:
        _create_run_dir(run_dir, config)
    else:
        resume = continue_from(run_dir, log)
    vocab_path = os.path.join(run_dir, VOCAB_NAME)
    if not os.path.exists(vocab_path):  # also after a run killed before it was written
        vocab = tokenizer.to_json()
        write_atomically(vocab_path, lambda temporary: Path(temporary).write_text(vocab, "utf-8"))
    log(f"run directory: {run_dir}")
    log(f"{corpus!r}; a uniform guess scores ln {tokenizer.vocab_size} = "
        f"{math.log(tokenizer.vocab_size):.2f} nats/char")  # fmt: skip
    nn.summary(model, (1, config.context), dtype=ab.int64, print_fn=log)
    samples = TextSamples(tokenizer, default_prompt(tokenizer), config.seed)
    trainer = Trainer(model, optimizer, sequence_cross_entropy,
                      callbacks=[MetricsWriter(run_dir), samples, _cosine(optimizer, config)],
                      grad_clip_norm=config.grad_clip, checkpoint_dir=run_dir,
                      progress=progress, log=log)  # fmt: skip
    started = time.perf_counter()
    history = trainer.fit(*text_loaders(corpus, config), epochs=config.epochs, resume=resume)
    save(model.state_dict(), os.path.join(run_dir, MODEL_NAME))
    results = _results(history, model, time.perf_counter() - started)
    write_json(os.path.join(run_dir, METRICS_NAME),
               {"history": history.epochs, **results, "samples": samples.samples})  # fmt: skip
    _write_text_report(run_dir, config, corpus, model, tokenizer, history, results,
                       samples.samples)  # fmt: skip
    log(results_table(results))
    return results


def text_loaders(corpus, config) -> tuple:
    """Random training windows, and fixed validation windows (None without a split)."""
    train_loader = RandomWindows(corpus.train_data, config.context, config.batch_size,
                                 config.steps_per_epoch)  # fmt: skip
    if not len(corpus.val_data):
        return train_loader, None
    return train_loader, FixedWindows(corpus.val_data, config.context)


def _cosine(optimizer, config) -> LearningRateScheduler:
    total_steps = max(config.epochs * config.steps_per_epoch, 1)
    schedule = CosineAnnealingLR(optimizer, T_max=total_steps, eta_min=config.lr / 10)
    return LearningRateScheduler(schedule, interval="step")


def _snippet(corpus, length: int) -> np.ndarray:
    """Up to ``length`` tokens from a line start near the beginning of the validation text."""
    tokens = corpus.val_data if len(corpus.val_data) else corpus.train_data
    text = corpus.decode(tokens[:200])
    start = text.find("\n") + 1 if 0 <= text.find("\n") < 150 else 0
    return tokens[start : start + length]


def _results(history, model, seconds: float) -> dict:
    last = history.epochs[-1] if history.epochs else {}
    loss = last.get("val_loss", last.get("train_loss", float("nan")))
    return {
        "val_loss": last.get("val_loss"),
        "train_loss": last.get("train_loss"),
        "bits_per_char": loss / math.log(2),
        "perplexity": math.exp(loss) if loss < 700 else float("inf"),
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs_run": len(history),
        "seconds": seconds,
    }


def results_table(results: dict) -> str:
    def number(value):
        return "-" if value is None else f"{value:.4f}"

    rows = [("validation loss (nats/char)", number(results["val_loss"])),
            ("train loss (nats/char)", number(results["train_loss"])),
            ("bits per character", number(results["bits_per_char"])),
            ("perplexity", number(results["perplexity"])),
            ("parameters", f"{results['parameters']:,}"),
            ("epochs", str(results["epochs_run"])),
            ("wall time (s)", f"{results['seconds']:.1f}")]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    lines = ["", "final metrics", "-" * (width + 14)]
    return "\n".join(lines + [f"{name:<{width}}  {value:>12}" for name, value in rows])


def _write_text_report(run_dir, config, corpus, model, tokenizer, history, results,
                       samples) -> None:  # fmt: skip
    from abinitio.viz import Section, write_report
    from abinitio.viz.attention import attention_heatmap

    summary = {
        "model": config.model,
        "dataset": f"{config.dataset} ({len(corpus):,} characters)",
        "vocabulary": f"{tokenizer.vocab_size} characters",
        "parameters": f"{results['parameters']:,}",
        "layers / heads / width / context": (
            f"{config.layers} / {config.heads} / {config.width} / {config.context}"
        ),
        "epochs": f"{results['epochs_run']} x {config.steps_per_epoch} steps",
        "optimizer": f"{config.optimizer} (lr {config.lr:g}, weight decay {config.weight_decay:g})",
        "batch size": f"{config.batch_size} windows",
        "seed": config.seed,
        "validation loss": _nats(results["val_loss"]),
        "bits per character": f"{results['bits_per_char']:.3f}",
        "wall time": f"{results['seconds']:.0f} s",
    }
    snippet = _snippet(corpus, min(config.context, 40))
    text = "\n\n".join(f"after epoch {s['epoch']}:\n{s['text']}" for s in samples[-3:])
    figure = attention_heatmap(model, Tensor(snippet[None]), layer=0, head=0,
                               labels=tokenizer.decode(snippet))  # fmt: skip
    note = ("<p>Row i: how much the character at position i reads from each earlier one "
            "(layer 0, head 0, on a line of the validation text).</p>")  # fmt: skip
    sections = [Section("Generated samples", text=text or "(no epoch finished)"),
                Section("Attention", figure=figure, html=note)]  # fmt: skip
    write_report(os.path.join(run_dir, REPORT_NAME), title=f"{config.model} on {config.dataset}",
                 summary=summary, history=history.epochs, extra_sections=sections)  # fmt: skip


def _nats(value) -> str:
    return "-" if value is None else f"{value:.4f} nats/char"


def load_text_model(run_dir: str):
    """A text run's config, tokenizer (from ``vocab.json``) and trained model (eval mode)."""
    config = config_of_run(run_dir)
    if registry.dataset_name(config.dataset) != "text":
        raise UsageError(
            f"{run_dir!r} holds a {config.model} trained on {config.dataset}, not a text "
            "model: generate needs a run of --dataset text"
        )
    paths = {name: os.path.join(run_dir, name) for name in (VOCAB_NAME, MODEL_NAME)}
    for name, path in paths.items():
        if not os.path.exists(path):
            raise UsageError(f"{run_dir!r} has no {name}: the run has not finished")
    tokenizer = read_vocab(paths[VOCAB_NAME])
    model = registry.build_model(config, tokenizer)
    load_weights(model, paths[MODEL_NAME])
    return config, tokenizer, model.eval()


def read_vocab(path: str) -> CharTokenizer:
    """The tokenizer saved in a run's ``vocab.json``; a damaged file is a UsageError naming
    it."""
    try:
        with open(path, "rb") as file:
            return CharTokenizer.from_json(file.read().decode("utf-8"))
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise UsageError(
            f"{path!r} is not a vocabulary abinitio wrote ({type(error).__name__}: {error})"[:300]
        ) from None


def generate(args) -> int:
    """``abinitio generate RUN_DIR``: print the prompt and its continuation."""
    bad_top_k = args.top_k is not None and args.top_k < 1
    if args.max_new_tokens < 0 or args.temperature < 0 or bad_top_k:
        raise UsageError(
            f"--max-new-tokens and --temperature must be >= 0 and --top-k >= 1, got "
            f"{args.max_new_tokens}, {args.temperature} and {args.top_k}"
        )
    _, tokenizer, model = load_text_model(args.run_dir)
    prompt = default_prompt(tokenizer) if args.prompt is None else args.prompt
    try:
        text = model.generate(prompt, args.max_new_tokens, args.temperature, args.top_k,
                              tokenizer=tokenizer, generator=Generator(args.seed))  # fmt: skip
    except ValueError as error:
        raise UsageError(f"--prompt {prompt!r}: {error}") from None
    print(text)
    return 0
