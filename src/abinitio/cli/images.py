"""``abinitio train --dataset images:DIR``: a folder of images, one subfolder per class.

Every file is decoded once before training (so a bad file stops the run before any work,
naming the file, or is skipped and counted with ``--skip-bad-files``); training then reads
the images lazily, batch by batch, resized to ``--image-size`` (default 32), scaled to
[0, 1] and, with ``--normalize MEAN,STD``, standardised; ``--augment`` adds a random crop
(padding 1/8 of the size), a horizontal flip and a rotation of up to 10 degrees, drawn from
a generator seeded with ``--seed``. The test split is a fixed stratified 20% (seed 0), the
validation split a seeded part of the rest. Images that are all greyscale give one
channel, others three (RGB).
"""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.cli.options import UsageError
from abinitio.data import DataLoader, Subset
from abinitio.data import transforms as T
from abinitio.data.datasets.image_folder import (
    IMG_EXTENSIONS,
    ImageFolder,
    UnreadableImageError,
    decode_errors,
    default_loader,
    grayscale_loader,
    open_image,
)

FORMAT = "abinitio.images/1"
DEFAULT_SIZE = 32


def _normalize(text: str | None):
    """"MEAN,STD" or "m1,m2,m3,s1,s2,s3" -> (means, stds), or None."""
    if not text:
        return None
    try:
        values = [float(v) for v in str(text).split(",")]
    except ValueError:
        values = []
    if len(values) not in (2, 6) or min(values[len(values) // 2 :]) <= 0:
        raise UsageError(
            f"--normalize expects MEAN,STD or three means and three positive stds "
            f"(m1,m2,m3,s1,s2,s3), got {text!r}"
        )
    half = len(values) // 2
    return values[:half], values[half:]


def transform_of(state: dict, train: bool = False, generator=None):
    """The resize / augment / to-tensor / normalise pipeline a run's images go through."""
    size = state["image_size"]
    steps = [T.Resize(size)]
    if train and state.get("augment"):
        steps += [T.RandomCrop(size, padding=max(size // 8, 1), generator=generator),
                  T.RandomHorizontalFlip(generator=generator),
                  T.RandomRotation(10, generator=generator)]  # fmt: skip
    steps.append(T.ToTensor())
    if state.get("normalize"):
        steps.append(T.Normalize(*state["normalize"]))
    return T.Compose(steps)


def scan(folder: ImageFolder) -> tuple[list, bool]:
    """Decode every file once: ``([(path, reason) of unreadable files], all greyscale?)``."""
    bad, grey = [], True
    for path, _ in folder.samples:
        try:
            with open_image(path) as image:
                image.load()
                grey = grey and image.mode in ("1", "L", "I", "I;16", "F")
        except decode_errors() as error:
            bad.append((path, f"{type(error).__name__}: {error}"))
    return bad, grey


def open_folder(root: str, skip_bad_files: bool, log=print) -> tuple:
    """(folder, skipped files, greyscale?) with every problem as a UsageError."""
    try:
        folder = ImageFolder(root)
    except FileNotFoundError as error:
        raise UsageError(f"--dataset images:{root}: {error}") from None
    bad, grey = scan(folder)
    if bad and not skip_bad_files:
        path, reason = bad[0]
        raise UsageError(
            f"cannot read the image {path} ({reason}); {len(bad)} unreadable file(s) in "
            f"{root}. Remove them, or skip them with --skip-bad-files"
        )
    if bad:
        folder.remove([path for path, _ in bad])
        log(f"skipped {len(bad)} unreadable file(s) (--skip-bad-files): "
            + ", ".join(os.path.basename(p) for p, _ in bad[:5]))  # fmt: skip
    counts = np.bincount(folder.targets, minlength=len(folder.classes))
    if len(folder.classes) < 2 or (counts == 0).any():
        raise UsageError(
            f"--dataset images:{root} needs at least two classes with images, got "
            + ", ".join(f"{c} {n}" for c, n in zip(folder.classes, counts))  # fmt: skip
        )
    return folder, bad, grey


def split(targets, val_fraction: float, seed: int) -> dict:
    from abinitio.data.datasets.splits import stratified_split

    targets = np.asarray(targets)
    train, test = stratified_split(targets, 0.2, 0)
    rows = {"train": train}
    if val_fraction:
        inner_train, inner_val = stratified_split(targets[train], val_fraction, seed)
        rows = {"train": train[inner_train], "val": train[inner_val]}
    rows["test"] = test
    return rows


def _prepared(config, state=None, log=print):
    root = config.dataset.partition(":")[2]
    if not root:
        raise UsageError("--dataset images needs a folder: images:DIR")
    if config.model not in ("cnn", "resnet", "mlp"):
        raise UsageError(f"--model {config.model}: image folders train cnn, resnet or mlp")
    if config.image_size is not None and config.image_size < 4:
        raise UsageError(f"--image-size must be at least 4, got {config.image_size}")
    folder, bad, grey = open_folder(root, bool(config.skip_bad_files), log)
    if state is None:
        state = {"format": FORMAT, "root": root, "classes": folder.classes,
                 "image_size": config.image_size or DEFAULT_SIZE,
                 "channels": 1 if grey else 3, "normalize": _normalize(config.normalize),
                 "augment": bool(config.augment),
                 "skipped_files": [p for p, _ in bad]}  # fmt: skip
    if folder.classes != state["classes"]:
        raise UsageError(f"the classes of {root} changed since training: {folder.classes}")
    folder.loader = grayscale_loader if state["channels"] == 1 else default_loader
    rows = split(folder.targets, config.val_fraction, config.seed)
    return folder, state, rows


def _view(folder: ImageFolder, transform) -> ImageFolder:
    """The same samples through another transform (train with augmentation, eval without)."""
    view = object.__new__(ImageFolder)
    view.__dict__.update(folder.__dict__)
    view.transform = transform
    return view


def train_images(config, run_dir=None, resume=False, progress=True, log=print) -> dict:
    from abinitio.cli import registry
    from abinitio.cli import train as training
    from abinitio.cli.tabular import PREPROCESSING_NAME, _read_state
    from abinitio.serialization import save
    from abinitio.training import Trainer, classification_report

    run_dir = run_dir or config.out or training.default_run_dir(config)
    folder, state, rows = _prepared(config, _read_state(run_dir) if resume else None, log)
    augment = ab.Generator(config.seed)
    train_set = Subset(_view(folder, transform_of(state, True, augment)), rows["train"])
    evaluation = _view(folder, transform_of(state))
    size = state["image_size"]
    shape = (state["channels"], size, size)
    data = SimpleNamespace(name="images", input_shape=shape, num_classes=len(state["classes"]),
                           classes=state["classes"])  # fmt: skip
    ab.manual_seed(config.seed)
    model = registry.build_model(config, data)
    optimizer = registry.build_optimizer(config, model)
    if not resume:
        training._create_run_dir(run_dir, config)
        training.write_json(os.path.join(run_dir, PREPROCESSING_NAME), state)
    log(f"{folder.root}: {len(folder)} images, classes {', '.join(folder.classes)}; rows "
        + ", ".join(f"{k} {len(v)}" for k, v in rows.items()))  # fmt: skip
    log(f"run directory: {run_dir}")
    nn.summary(model, (1, *shape), print_fn=log)
    train_loader = DataLoader(train_set, batch_size=config.batch_size, shuffle=config.shuffle)
    val_loader = DataLoader(Subset(evaluation, rows["val"]), 256) if "val" in rows else None
    test_loader = DataLoader(Subset(evaluation, rows["test"]), batch_size=256)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(),
                      callbacks=[training.MetricsWriter(run_dir)], grad_clip_norm=config.grad_clip,
                      checkpoint_dir=run_dir, progress=progress, log=log)  # fmt: skip
    started = time.perf_counter()
    history = trainer.fit(train_loader, val_loader, epochs=config.epochs, resume=resume)
    seconds = time.perf_counter() - started
    save(model.state_dict(), os.path.join(run_dir, training.MODEL_NAME))
    outputs, targets = trainer.predict(test_loader)
    predictions = outputs.argmax(-1)
    report = classification_report(targets, predictions, len(state["classes"]))
    results = {"test_accuracy": report["accuracy"], "parameters": sum(p.numel() for p in
               model.parameters()), "epochs_run": len(history), "seconds": seconds,
               "images": len(folder), "skipped_files": len(state["skipped_files"])}  # fmt: skip
    training.write_json(os.path.join(run_dir, training.METRICS_NAME),
                        {"history": history.epochs, **results, "test_report": report})  # fmt: skip
    _write_report(os.path.join(run_dir, training.REPORT_NAME), config, state, folder, rows,
                  evaluation, history, results, report, targets, predictions)  # fmt: skip
    log(f"\nfinal test accuracy {report['accuracy']:.2%} on {len(targets)} images "
        f"({len(state['skipped_files'])} unreadable file(s) skipped)")  # fmt: skip
    return results


def _write_report(path, config, state, folder, rows, evaluation, history, results, report,
                  targets, predictions) -> None:  # fmt: skip
    from abinitio.viz import Section, write_report

    wrong = np.flatnonzero(predictions != targets)[:16]
    test_rows = rows["test"]
    images = np.stack([evaluation[int(test_rows[i])][0].numpy() for i in wrong]) if len(wrong) \
        else np.zeros((0, state["channels"], state["image_size"], state["image_size"]))
    skipped = state["skipped_files"]
    text = (f"{len(folder)} images in {len(folder.classes)} classes, read lazily from "
            f"{state['root']}; resized to {state['image_size']}x{state['image_size']}, "
            f"{state['channels']} channel(s), normalize {state['normalize']}, augment "
            f"{state['augment']}.\n{len(skipped)} unreadable file(s) skipped"
            + (":\n" + "\n".join(skipped[:50]) if skipped else "."))  # fmt: skip
    summary = {"model": config.model, "dataset": config.dataset,
               "parameters": f"{results['parameters']:,}", "epochs": results["epochs_run"],
               "seed": config.seed, "test accuracy": f"{results['test_accuracy']:.2%}",
               "skipped files": len(skipped)}  # fmt: skip
    write_report(path, title=f"{config.model} on {config.dataset}", summary=summary,
                 history=history.epochs, test_metrics=report, class_names=state["classes"],
                 misclassified=(images, targets[wrong], predictions[wrong]),
                 extra_sections=[Section("The image folder", text=text)])  # fmt: skip


# ---- evaluate and predict ---------------------------------------------------------------------
def _load(run_dir: str):
    from abinitio.cli import registry
    from abinitio.cli import train as training
    from abinitio.cli.tabular import _read_state

    config, state = training.config_of_run(run_dir), _read_state(run_dir)
    size = state["image_size"]
    data = SimpleNamespace(name="images", input_shape=(state["channels"], size, size),
                           num_classes=len(state["classes"]), classes=state["classes"])  # fmt: skip
    model = registry.build_model(config, data)
    path = os.path.join(run_dir, training.MODEL_NAME)
    if not os.path.exists(path):
        raise UsageError(f"{run_dir!r} has no {training.MODEL_NAME}: the run has not finished")
    model.load_state_dict(ab.load(path))
    model.eval()
    return config, state, model


def _outputs(model, batch) -> np.ndarray:
    with ab.no_grad():
        return model(ab.tensor(np.stack(batch))).numpy()


def evaluate_images(args) -> int:
    from abinitio.training import classification_report

    config, state, model = _load(args.run_dir)
    folder, state, rows = _prepared(config, state, log=lambda message: None)
    evaluation = _view(folder, transform_of(state))
    loader = DataLoader(Subset(evaluation, rows["test"]), batch_size=256)
    outputs, targets = [], []
    with ab.no_grad():
        for x, y in loader:
            outputs.append(model(x).numpy())
            targets.append(y.numpy())
    targets = np.concatenate(targets)
    report = classification_report(targets, np.concatenate(outputs).argmax(-1),
                                   len(state["classes"]))  # fmt: skip
    print(f"{args.run_dir}: {config.model} on {config.dataset}")
    print(f"test accuracy  {report['accuracy']:.2%} on {len(targets)} images")
    print(f"macro F1       {report['macro_f1']:.4f}")
    return 0


def predict_images(args) -> int:
    """``abinitio predict RUN_DIR IMAGE_OR_FOLDER``: a class per image, also as CSV."""
    from abinitio.cli.tabular import _softmax
    from abinitio.data.tabular import Table, write_csv

    config, state, model = _load(args.run_dir)
    if os.path.isdir(args.input):
        paths = sorted(os.path.join(base, f) for base, _, files in os.walk(args.input)
                       for f in files if f.lower().endswith(IMG_EXTENSIONS))  # fmt: skip
    elif os.path.isfile(args.input):
        paths = [args.input]
    else:
        raise UsageError(f"input {args.input!r} is neither an image nor a folder")
    if not paths:
        raise UsageError(f"{args.input!r} holds no image ({', '.join(IMG_EXTENSIONS)})")
    loader = grayscale_loader if state["channels"] == 1 else default_loader
    transform = transform_of(state)
    try:
        batch = [transform(loader(path)).numpy() for path in paths]
    except UnreadableImageError as error:
        raise UsageError(str(error)) from None
    probabilities = _softmax(_outputs(model, batch))
    labels = np.asarray(state["classes"])[probabilities.argmax(-1)]
    for path, label, p in zip(paths[:20], labels, probabilities.max(-1)):
        print(f"{path}  {label}  {p:.3f}")
    output = args.output or "predictions.csv"
    write_csv(output, Table({"path": paths}), {"predicted_class": labels,
              "probability": probabilities.max(-1).round(4).astype(str)})  # fmt: skip
    print(f"{len(paths)} predictions -> {output}")
    return 0
