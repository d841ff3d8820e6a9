"""The Trainer: learning, determinism, callbacks, clipping, divergence, interruption and a
resume that is bit-identical to an uninterrupted run."""

import os

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.data import DataLoader, TensorDataset
from abinitio.optim import SGD, Adam
from abinitio.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from abinitio.training import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    Trainer,
    TrainingDiverged,
    TrainingInterrupted,
)


def _data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return TensorDataset(x, y)


def _setup(seed=0, lr=0.05, scheduler=False, callbacks=(), **trainer_options):
    ab.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    extra = [LearningRateScheduler(StepLR(optimizer, step_size=1, gamma=0.7))] if scheduler else []
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), callbacks=[*extra, *callbacks],
                      progress=False, log=None, **trainer_options)  # fmt: skip
    loaders = (DataLoader(_data(), batch_size=32, shuffle=True),
               DataLoader(_data(64, seed=1), batch_size=64))  # fmt: skip
    return model, trainer, loaders


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_fit_learns_and_records_history():
    model, trainer, (train, val) = _setup()
    history = trainer.fit(train, val, epochs=5)
    assert len(history) == 5 and history.epochs[0]["epoch"] == 1
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"} <= set(
        history.epochs[0]
    )
    assert history.history["train_loss"][-1] < history.history["train_loss"][0]
    assert history.epochs[-1]["val_accuracy"] > 0.9
    assert trainer.evaluate(val)["accuracy"] == pytest.approx(history.epochs[-1]["val_accuracy"])


def test_same_seed_same_weights():
    first, trainer, loaders = _setup(seed=3)
    trainer.fit(*loaders, epochs=2)
    second, trainer, loaders = _setup(seed=3)
    trainer.fit(*loaders, epochs=2)
    for key, value in _weights(first).items():
        np.testing.assert_array_equal(value, _weights(second)[key])


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    straight, trainer, loaders = _setup(scheduler=True, checkpoint_dir=tmp_path / "a")
    os.makedirs(tmp_path / "a")
    trainer.fit(*loaders, epochs=4)
    os.makedirs(tmp_path / "b")
    _, trainer, loaders = _setup(scheduler=True, checkpoint_dir=tmp_path / "b")
    trainer.fit(*loaders, epochs=2)
    ab.randn(100)  # a fresh process would not share the generator's position: disturb it
    resumed, trainer, loaders = _setup(seed=99, scheduler=True, checkpoint_dir=tmp_path / "b")
    history = trainer.fit(*loaders, epochs=4, resume=True)
    assert [r["epoch"] for r in history.epochs] == [1, 2, 3, 4]
    for key, value in _weights(straight).items():
        np.testing.assert_array_equal(value, _weights(resumed)[key], err_msg=key)
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.05 * 0.7**4)


def test_resume_needs_a_checkpoint(tmp_path):
    _, trainer, loaders = _setup(checkpoint_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="checkpoint.safetensors"):
        trainer.fit(*loaders, epochs=2, resume=True)


class StopAt(Callback):
    def __init__(self, epoch, step, error):
        self.epoch, self.step, self.error, self.current = epoch, step, error, 0

    def on_epoch_start(self, trainer, epoch):
        self.current = epoch

    def on_batch_end(self, trainer, step, loss):
        if self.current == self.epoch and step % trainer.steps_per_epoch == self.step:
            raise self.error


def test_ctrl_c_keeps_a_resumable_checkpoint(tmp_path):
    straight, trainer, loaders = _setup(checkpoint_dir=tmp_path / "a")
    os.makedirs(tmp_path / "a")
    trainer.fit(*loaders, epochs=3)
    os.makedirs(tmp_path / "b")
    _, trainer, loaders = _setup(checkpoint_dir=tmp_path / "b",
                                 callbacks=[StopAt(2, 3, KeyboardInterrupt())])  # fmt: skip
    with pytest.raises(TrainingInterrupted, match="after 1 complete epoch") as stop:
        trainer.fit(*loaders, epochs=3)
    assert stop.value.epoch == 1
    resumed, trainer, loaders = _setup(checkpoint_dir=tmp_path / "b")
    trainer.fit(*loaders, epochs=3, resume=True)
    for key, value in _weights(straight).items():
        np.testing.assert_array_equal(value, _weights(resumed)[key])


def test_divergence_stops_with_epoch_step_and_keeps_the_last_checkpoint(tmp_path):
    class Poison(Callback):
        def on_epoch_start(self, trainer, epoch):
            if epoch == 2:
                with ab.no_grad():
                    trainer.model[0].weight.fill_(float("nan"))

    _, trainer, loaders = _setup(checkpoint_dir=tmp_path, callbacks=[Poison()])
    with pytest.raises(TrainingDiverged) as error:
        trainer.fit(*loaders, epochs=3)
    assert (error.value.epoch, error.value.step) == (2, 1)
    assert "lower learning rate" in str(error.value) and "epoch 2, step 1" in str(error.value)
    saved = ab.load(tmp_path / "checkpoint.safetensors")
    assert saved["epoch"] == 1
    assert np.isfinite(saved["model"]["0.weight"].numpy()).all()


def test_gradient_clipping_bounds_each_update():
    ab.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    trainer = Trainer(model, SGD(model.parameters(), lr=1.0), nn.CrossEntropyLoss(),
                      grad_clip_norm=1e-3, progress=False, log=None)  # fmt: skip
    before = _weights(model)
    trainer.fit(DataLoader(_data(), batch_size=256), epochs=1)  # one step
    change = sum(float(((_weights(model)[k] - v) ** 2).sum()) for k, v in before.items())
    assert 0 < change**0.5 <= 1e-3 * (1 + 1e-4)


def test_early_stopping_restores_the_best_weights():
    model, trainer, loaders = _setup(lr=0.2)
    stopper = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    trainer.callbacks.insert(0, stopper)
    history = trainer.fit(*loaders, epochs=40)
    assert len(history) < 40
    best = history.best("val_loss")
    assert stopper.best_epoch == best["epoch"]
    assert trainer.evaluate(loaders[1])["loss"] == pytest.approx(best["val_loss"], rel=1e-5)


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    # Keras' and Lightning's rule: best at epoch 2, patience 3 -> epochs 3, 4, 5 fail to
    # improve, and training stops at the end of epoch 5
    class FakeTrainer:
        stop_training = False

        def log(self, message):
            self.message = message

    trainer, stopper = FakeTrainer(), EarlyStopping(monitor="val_loss", patience=3)
    for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.5, 0.7, 0.4], start=1):
        stopper.on_epoch_end(trainer, epoch, {"val_loss": loss})
        if trainer.stop_training:
            break
    assert epoch == 5 and stopper.best_epoch == 2
    assert "not improved for 3 epochs" in trainer.message


def test_plateau_scheduler_is_fed_the_monitored_metric():
    model, trainer, loaders = _setup(lr=1e-6)  # far too small to improve val_loss by 1e-4
    scheduler = ReduceLROnPlateau(trainer.optimizer, patience=0, factor=0.5)
    trainer.callbacks.insert(0, LearningRateScheduler(scheduler, monitor="val_loss"))
    history = trainer.fit(*loaders, epochs=3)
    assert history.history["lr"] == pytest.approx([1e-6, 1e-6, 0.5e-6])
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.25e-6)


def test_unknown_metric_and_bad_callback():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="unknown metrics"):
        Trainer(model, Adam(model.parameters()), nn.MSELoss(), metrics=("f2",))
    with pytest.raises(TypeError, match="not a Callback"):
        Trainer(model, Adam(model.parameters()), nn.MSELoss(), callbacks=[object()])


def test_regression_without_accuracy():
    ab.manual_seed(0)
    x = ab.randn(64, 3)
    y = x.sum(1, keepdim=True)
    model = nn.Linear(3, 1)
    trainer = Trainer(model, Adam(model.parameters(), lr=0.05), nn.MSELoss(), metrics=(),
                      progress=False, log=None)  # fmt: skip
    history = trainer.fit(DataLoader(TensorDataset(x, y), batch_size=16), epochs=30)
    assert "train_accuracy" not in history.epochs[0]
    assert history.epochs[-1]["train_loss"] < 0.01
