"""Spiking classifiers: an encoder, layers of synapses (Linear or Conv2d) and LIF neurons,
and the output layer's spike count as the class scores.

They run layer by layer over all time steps at once (time as the outer axis of every
tensor, (T, N, ...)): a Linear or Conv2d sees the T*N inputs of all steps as one batch, and
each LIF layer runs its time loop inside one fused node (:class:`MultiStepLeaky`). The
result is the same as stepping the whole network one step at a time, because no layer
feeds back to an earlier one.

``forward(x)`` returns the output spike counts (N, C): with ``nn.CrossEntropyLoss`` that is
the rate-coded count loss (``ce_count_loss``), so these models train with the ordinary
:class:`~abinitio.training.Trainer`. ``spikes(x)`` gives the output record (T, N, C).
"""

from __future__ import annotations

import numpy as np

from abinitio.nn.modules.container import Sequential
from abinitio.nn.modules.conv import Conv2d
from abinitio.nn.modules.linear import Linear
from abinitio.nn.modules.module import Module
from abinitio.nn.modules.pooling import MaxPool2d
from abinitio.snn import spikegen
from abinitio.snn import surrogate as surrogates
from abinitio.snn.multistep import MultiStepLeaky
from abinitio.snn.record import spikes_array
from abinitio.tensor import Tensor

ENCODINGS = ("rate", "latency", "direct", "none")


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class _SpikingClassifier(Module):
    def __init__(self, time_steps: int, encoding: str, beta, spike_grad, fused: bool) -> None:
        super().__init__()
        name = type(self).__name__
        if encoding not in ENCODINGS:
            raise ValueError(f"{name}: encoding must be one of {ENCODINGS}, got {encoding!r}")
        if time_steps <= 0:
            raise ValueError(f"{name}: time_steps must be positive, got {time_steps}")
        self.time_steps, self.encoding = int(time_steps), encoding
        if isinstance(spike_grad, str):
            spike_grad = surrogates.by_name(spike_grad)
        self.spike_grad = spike_grad or surrogates.fast_sigmoid(slope=25)
        self._neuron = dict(beta=beta, spike_grad=self.spike_grad, fused=fused,
                            time_steps=self.time_steps)  # fmt: skip
        # inputs are mapped to [0, 1] by (x - low) / (high - low), clipped, before encoding
        self.register_buffer("input_range", Tensor(np.array([0.0, 1.0], np.float32)))

    def set_input_range(self, low: float, high: float) -> None:
        """Map inputs from [low, high] to the firing probabilities [0, 1] (e.g. the
        training set's min and max, for standardised data such as MNIST-1D)."""
        if not high > low:
            raise ValueError(f"{type(self).__name__}: input range needs high > low, got "
                             f"[{low}, {high}]")  # fmt: skip
        self.input_range = Tensor(np.array([low, high], np.float32))

    def lif(self) -> MultiStepLeaky:
        return MultiStepLeaky(**self._neuron)

    def encode(self, x: Tensor) -> Tensor:
        """(N, ...) values in [0, 1] -> spikes (T, N, ...); with encoding "direct", the
        values themselves (unscaled) are the input at every step, (T, N, ...); with
        encoding "none", x is already spike trains, batch first (N, T, ...), and is only
        made time-major."""
        if self.encoding == "direct":
            x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, np.float32))
            return x.unsqueeze(0).expand(self.time_steps, *x.shape)
        if self.encoding != "none":
            low, high = self.input_range.numpy().tolist()
            if (low, high) != (0.0, 1.0):
                values = x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)
                x = np.clip((values - low) / (high - low), 0, 1)
        if self.encoding == "rate":
            return spikegen.rate(x, self.time_steps)
        if self.encoding == "latency":
            return spikegen.latency(x, self.time_steps, threshold=0.01, normalize=True,
                                    linear=True, clip=True)  # fmt: skip
        if x.ndim < 2 or x.shape[1] != self.time_steps:
            raise ValueError(
                f"{type(self).__name__}: with encoding='none' inputs are spike trains (N, T, "
                f"...) with T = time_steps = {self.time_steps}; got shape {x.shape}"
            )
        spikes_array(x, f"{type(self).__name__}(encoding='none')")  # 0/1 only
        return x.transpose(0, 1)

    def spikes(self, x: Tensor) -> Tensor:
        """The output layer's spikes at every step, (T, N, C). With the direct code the
        first layer of synapses runs once, on the N inputs, not on T copies of them: its
        output is the same at every step (``run(encode(x))`` gives the same result)."""
        if self.encoding == "direct":
            x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, np.float32))
            current = self.first_synapses(x)
            return self.run_from_current(current.unsqueeze(0).expand(self.time_steps,
                                                                     *current.shape))
        return self.run(self.encode(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.spikes(x).sum(0)

    def extra_repr(self) -> str:
        return f"time_steps={self.time_steps}, encoding={self.encoding!r}"


class SpikingMLP(_SpikingClassifier):
    """A fully connected spiking network: in -> Linear -> LIF -> ... -> Linear -> LIF.

    The digits network of the snnTorch tutorials is ``SpikingMLP(64, (128,), 10)``:
    T = 25 rate-coded steps, beta = 0.9.

    Args:
        in_features, hidden, out_features: the layer widths.
        time_steps: T.
        encoding: "rate" (Bernoulli spikes), "latency" (one spike, earlier for brighter),
            "direct" (the values as a constant input current at every step: the first
            Linear and LIF layer are the encoder, as in snnTorch's tutorials that feed
            images straight in; it suits standardised signals such as MNIST-1D, whose
            information a rate code of T = 25 steps mostly drowns in Bernoulli noise)
            or "none" (inputs already spike trains, (N, T, in_features)).
        beta: the membrane decay of every LIF layer.
        spike_grad: a surrogate (or its name), default ``fast_sigmoid(25)``.
        fused: fused LIF layers (fast) or the composed reference.

    Shape: input (N, *) flattened to in_features -> spike counts (N, out_features).

    Example:
        >>> import abinitio as ab
        >>> SpikingMLP(64, (128,), 10)(ab.rand(3, 1, 8, 8)).shape
        (3, 10)

    See the article docs/articles/spiking/training_through_time.py.
    """

    def __init__(self, in_features: int, hidden=(128,), out_features: int = 10,
                 time_steps: int = 25, encoding: str = "rate", beta=0.9, spike_grad=None,
                 fused: bool = True) -> None:  # fmt: skip
        super().__init__(time_steps, encoding, beta, spike_grad, fused)
        widths = [in_features, *hidden, out_features]
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [Linear(a, b), self.lif()]
        self.layers = Sequential(*layers)
        self.in_features = in_features

    def run(self, spikes: Tensor) -> Tensor:
        steps, batch = spikes.shape[:2]
        return self.layers(spikes.reshape(steps, batch, self.in_features))

    def first_synapses(self, x: Tensor) -> Tensor:
        """The first Linear on inputs (N, ...): the current into the first LIF layer."""
        return self.layers[0](x.reshape(x.shape[0], self.in_features))

    def run_from_current(self, current: Tensor) -> Tensor:
        """The layers after the first Linear, on its output at every step (T, N, H)."""
        for layer in list(self.layers)[1:]:
            current = layer(current)
        return current


class SpikingCNN(_SpikingClassifier):
    """A convolutional spiking network: [Conv2d -> MaxPool2d -> LIF] per stage, then
    Linear -> LIF. Time is the outer axis: each convolution runs once on the T*N images of
    all steps.

    The snnTorch tutorial's network for 1x28x28 images is
    ``SpikingCNN(1, 10, (28, 28), channels=(12, 64), kernel_size=5)``.

    Args:
        in_channels, num_classes, image_size: the data; a signal is an image of height 1
            (then kernels and pooling run along its length only).
        channels: output channels of each stage; kernel_size, padding: of each convolution
            (a number or a pair).
        time_steps, encoding, beta, spike_grad, fused: as in :class:`SpikingMLP`.

    Shape: input (N, C, H, W) -> spike counts (N, num_classes).

    Example:
        >>> import abinitio as ab
        >>> net = SpikingCNN(1, 10, (8, 8), channels=(8, 16), kernel_size=3, padding=1)
        >>> net(ab.rand(2, 1, 8, 8)).shape
        (2, 10)

    See the article docs/articles/spiking/training_through_time.py.
    """

    def __init__(self, in_channels: int, num_classes: int, image_size, channels=(12, 64),
                 kernel_size: int = 5, padding: int = 0, time_steps: int = 25,
                 encoding: str = "rate", beta=0.9, spike_grad=None,
                 fused: bool = True) -> None:  # fmt: skip
        super().__init__(time_steps, encoding, beta, spike_grad, fused)
        height, width = image_size
        kh, kw = _pair(kernel_size)
        ph, pw = _pair(padding)
        pool = (1 if height == 1 else 2, 2)  # a signal (1 x L) is pooled along L only
        stages = []
        previous = in_channels
        for c in channels:
            stages.append(Sequential(Conv2d(previous, c, (kh, kw), padding=(ph, pw)),
                                     MaxPool2d(pool), self.lif()))  # fmt: skip
            height = (height + 2 * ph - kh + 1) // pool[0]
            width = (width + 2 * pw - kw + 1) // pool[1]
            previous = c
        if height < 1 or width < 1:
            raise ValueError(f"SpikingCNN: images of size {tuple(image_size)} are too small "
                             f"for {len(channels)} stages of kernel {kernel_size}")  # fmt: skip
        self.stages = Sequential(*stages)
        self.fc = Linear(previous * height * width, num_classes)
        self.out = self.lif()

    def run(self, spikes: Tensor) -> Tensor:
        steps, batch = spikes.shape[:2]
        x = spikes.reshape(steps * batch, *spikes.shape[2:])
        for conv, pool, lif in self.stages:
            x = pool(conv(x))
            x = lif(x.reshape(steps, batch, *x.shape[1:]))
            x = x.reshape(steps * batch, *x.shape[2:])
        x = self.fc(x.reshape(steps, batch, -1))
        return self.out(x)

    def first_synapses(self, x: Tensor) -> Tensor:
        """The first stage's convolution and pooling on images (N, C, H, W)."""
        conv, pool, _ = self.stages[0]
        return pool(conv(x))

    def run_from_current(self, current: Tensor) -> Tensor:
        """Everything after the first convolution and pooling, on their output at every
        step (T, N, C, H, W)."""
        steps, batch = current.shape[:2]
        x = self.stages[0][2](current)
        for conv, pool, lif in list(self.stages)[1:]:
            x = pool(conv(x.reshape(steps * batch, *x.shape[2:])))
            x = lif(x.reshape(steps, batch, *x.shape[1:]))
        x = self.fc(x.reshape(steps, batch, -1))
        return self.out(x)
