"""Do large elementwise kernels pay for a second core? (issue 12, part 3)

NumPy releases the GIL inside its loops, so a kernel cut into two halves along its first
axis can run on two threads; numexpr compiles a whole expression into one multi-threaded
pass. This times, interleaved in one process (medians), each way of running three kernels
of the plain-ops Transformer and ResNet-8 at their real sizes:

* ``normal_cdf``: exact GELU's Phi(x) on (2048, 512) float32 (ops/activation.py);
* ``scale``: one multiply, y = 2 x, on the same array (the cheapest kernel: pure memory);
* ``im2col``: the column copy of a ResNet-8 3x3 convolution, 16 channels, 32x32, batch 32.

Candidates: ``numpy`` (one thread, the reference), ``pool2`` (the same NumPy code on two
halves, two threads of a ThreadPoolExecutor), ``numexpr2`` (numexpr with two threads;
normal_cdf only, written as one expression). Ratios above 1 are faster than plain NumPy.

Run: ``python benchmarks/bench_threads.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from abinitio.ops.activation import _ERFC_COEFFICIENTS, normal_cdf
from abinitio.ops.im2col import im2col, pad_batch_last
from common import compare, environment, load_average, save

POOL = ThreadPoolExecutor(2)


def halves(kernel, x, out):
    """``out[i] = kernel(x[i])`` on two threads, one half of the first axis each."""
    half = x.shape[0] // 2

    def work(rows):
        out[rows] = kernel(x[rows])

    other = POOL.submit(work, slice(0, half))
    work(slice(half, None))
    other.result()
    return out


def numexpr_normal_cdf():
    """normal_cdf in three numexpr passes (numexpr has no erf and no common
    subexpressions, so t and z are computed once each and passed in)."""
    import numexpr

    poly = "0"
    for c in _ERFC_COEFFICIENTS:
        poly = f"({poly}) * t + {c!r}"
    k = repr(1 / math.sqrt(2))

    def cdf(x, out):
        t = numexpr.evaluate(f"1 / (1 + 0.5 * {k} * abs(x))", local_dict={"x": x})
        p = numexpr.evaluate(
            f"0.5 * t * exp({poly} - (x * x) * 0.5)", local_dict={"x": x, "t": t}
        )
        return numexpr.evaluate("where(x >= 0, 1 - p, p)", local_dict={"x": x, "p": p}, out=out)

    return cdf


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 11
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2048, 512)).astype(np.float32)
    out = np.empty_like(x)
    images = rng.standard_normal((16, 32, 32, 32)).astype(np.float32).transpose(3, 0, 1, 2)
    padded = pad_batch_last(images, ((1, 1), (1, 1)))
    columns = np.empty((16, 9 * 32 * 32 * 32), np.float32)

    def columns_of(block):  # im2col of some channels, as (channels, 9 * Ho * Wo * N)
        return im2col(block, (3, 3), (1, 1), (1, 1), (32, 32), 1)[0].reshape(len(block), -1)

    try:
        import numexpr

        numexpr.set_num_threads(2)
        cdf_numexpr = numexpr_normal_cdf()
        np.testing.assert_allclose(cdf_numexpr(x, out), normal_cdf(x), atol=2e-7)
    except ImportError:
        cdf_numexpr = None
    kernels = {
        "normal_cdf": {"numpy": lambda: normal_cdf(x),
                       "pool2": lambda: halves(normal_cdf, x, out)},  # fmt: skip
        "scale": {"numpy": lambda: np.multiply(x, 2, out=out),
                  "pool2": lambda: halves(lambda a: a * 2, x, out)},  # fmt: skip
        "im2col": {"numpy": lambda: columns_of(padded),
                   "pool2": lambda: halves(columns_of, padded, columns)},  # fmt: skip
    }
    if cdf_numexpr is not None:
        kernels["normal_cdf"]["numexpr2"] = lambda: cdf_numexpr(x, out)
    results = {"load_before": load_average()}
    for name, candidates in kernels.items():
        results[name] = compare(candidates, repeat=5, rounds=rounds, pause=0.05)
        for candidate, stats in results[name].items():
            print(f"{name:11s} {candidate:9s} {stats['median_s'] * 1e3:8.2f} ms  "
                  f"{stats['speed_vs_baseline']:5.2f}x numpy")  # fmt: skip
    results["load_after"] = load_average()
    print(f"load average before / after: {results['load_before']:.2f} / "
          f"{results['load_after']:.2f}; {os.cpu_count()} CPUs: "
          f"{environment()['cpu']}")  # fmt: skip
    save("bench_threads", results)
    return results


if __name__ == "__main__":
    main()
