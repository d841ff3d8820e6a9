"""Callbacks: the progress bar draws on a terminal only, so piped output and log files get
one clean line per epoch."""

import io
import sys

import pytest

import abinitio as ab
from abinitio.training import Trainer
from helpers import require
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _fit_with_progress(bar_file, monkeypatch, stdout):
    from abinitio.training import ProgressBar

    monkeypatch.setattr(sys, "stdout", stdout)
    data = ab.data.TensorDataset(ab.randn(16, 2), ab.zeros(16, dtype=ab.int64))
    model = ab.nn.Linear(2, 2)
    trainer = Trainer(model, ab.optim.SGD(model.parameters(), lr=0.1),
                      ab.nn.CrossEntropyLoss(), callbacks=[ProgressBar(bar_file)],
                      progress=False, log=print)  # fmt: skip
    trainer.fit(ab.data.DataLoader(data, batch_size=4), epochs=2)


def test_no_progress_bar_when_the_output_is_not_a_terminal(monkeypatch):
    require("tqdm")
    bar, out = io.StringIO(), io.StringIO()
    _fit_with_progress(bar, monkeypatch, out)
    assert bar.getvalue() == ""
    lines = out.getvalue().splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", "1/2"], ["epoch", "2/2"]]
    assert "%|" not in out.getvalue()


def test_a_progress_bar_on_a_terminal(monkeypatch):
    require("tqdm")
    bar = _Terminal()
    _fit_with_progress(bar, monkeypatch, _Terminal())
    assert "epoch 1/2" in bar.getvalue() and "%|" in bar.getvalue()
