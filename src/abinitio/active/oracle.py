"""Oracles: whoever reveals a label when the loop asks for one.

``oracle.label(indices, X)`` receives pool indices and their inputs and returns a dict
``{index: class}`` for the ones it could label now; indices it leaves out stay pending, and
the loop asks for them again next time (in the next session, if the program ends).
"""

from __future__ import annotations

import csv
import os

import numpy as np


class ArrayOracle:
    """A simulated annotator: the labels are known and revealed only when asked for.

    See the article docs/articles/learning/active_learning.py.
    """

    def __init__(self, y) -> None:
        self.y = np.asarray(y, dtype=np.int64)

    def label(self, indices, X=None) -> dict:
        return {int(i): int(self.y[i]) for i in indices}


def _parse_label(text: str, classes) -> int | None:
    text = text.strip()
    if text in classes:
        return classes.index(text)
    return None


def render_ascii(sample) -> str:
    """A small image (H, W) or (1, H, W) as characters, darker pixel = denser character;
    a 1-D signal as its values. Enough to label 8x8 digits at a terminal."""
    array = np.asarray(sample, dtype=np.float64).squeeze()
    if array.ndim != 2:
        return " ".join(f"{v:.2f}" for v in array.ravel()[:40])
    low, high = array.min(), array.max()
    levels = np.round((array - low) / max(high - low, 1e-12) * 4).astype(int)
    shades = np.array(list(" .:*#"))
    return "\n".join("".join(row) for row in shades[levels].repeat(2, axis=1))


class PromptOracle:
    """A person typing labels at a prompt. Each queried sample is shown (as characters
    when it is a small image); the answer must be one of ``classes``; ``q`` stops the
    session, and what is still unlabelled is asked for when the loop resumes.

    Args:
        classes: the class names the person may type.
        input_fn, print_fn: where answers come from and questions go (tests replace them).

    See the article docs/articles/learning/active_learning.py.
    """

    def __init__(self, classes, input_fn=input, print_fn=print) -> None:
        self.classes = [str(c) for c in classes]
        self.input_fn, self.print_fn = input_fn, print_fn

    def label(self, indices, X) -> dict:
        answers = {}
        for position, index in enumerate(indices):
            self.print_fn(f"\nsample {int(index)} ({position + 1} of {len(indices)}):")
            self.print_fn(render_ascii(X[position]))
            while True:
                text = self.input_fn(f"label ({', '.join(self.classes)}; q to stop): ")
                if text.strip() == "q":
                    return answers
                label = _parse_label(text, self.classes)
                if label is not None:
                    answers[int(index)] = label
                    break
                self.print_fn(f"  {text.strip()!r} is not one of: {', '.join(self.classes)}")
        return answers


class FileOracle:
    """A person filling in a CSV file between sessions.

    When asked, it reads ``path`` (columns ``index,label``) and returns the labels filled
    in for the requested indices; if any are still blank it (re)writes the file with every
    requested index, keeping the answers already there, so the person knows what to do.

    See the article docs/articles/learning/active_learning.py.
    """

    def __init__(self, path, classes) -> None:
        self.path = os.fspath(path)
        self.classes = [str(c) for c in classes]

    def read(self) -> dict:
        if not os.path.exists(self.path):
            return {}
        answers = {}
        try:
            with open(self.path, newline="", encoding="utf-8") as file:
                reader = csv.DictReader(file)
                for line, row in enumerate(reader, start=2):
                    self._read_row(row, line, reader.fieldnames, answers)
        except UnicodeDecodeError as error:
            raise ValueError(f"{self.path}: not UTF-8 text: {error}") from None
        except csv.Error as error:  # a field over csv's limit, a NUL byte, ...
            raise ValueError(f"{self.path}: not a CSV file this oracle wrote: {error}") from None
        return answers

    def _read_row(self, row: dict, line: int, fieldnames, answers: dict) -> None:
        if "index" not in (fieldnames or ()) or "label" not in fieldnames:
            raise ValueError(f"{self.path}: expected the columns index,label (the file this "
                             f"oracle wrote), got {fieldnames}")  # fmt: skip
        text = (row.get("label") or "").strip()
        if not text:
            return
        label = _parse_label(text, self.classes)
        if label is None:
            raise ValueError(
                f"{self.path}, line {line}: label {text[:50]!r} is not one of: "
                f"{', '.join(self.classes)}"
            )
        index = (row.get("index") or "").strip()
        if not index.isdigit() or not index.isascii() or len(index) > 18:
            raise ValueError(f"{self.path}, line {line}: index {index[:50]!r} is not a "
                             "non-negative integer")  # fmt: skip
        answers[int(index)] = label

    def label(self, indices, X=None) -> dict:
        filled = self.read()
        answers = {int(i): filled[int(i)] for i in indices if int(i) in filled}
        if len(answers) < len(indices):
            with open(self.path, "w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                writer.writerow(["index", "label"])
                for i in indices:
                    known = answers.get(int(i))
                    writer.writerow([int(i), "" if known is None else self.classes[known]])
        return answers
