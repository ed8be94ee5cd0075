"""The reference's sliding-window inference over one case, with Gaussian importance weighting.

Facts from mlcommons/inference vision/medical_imaging/3d-unet-kits19 (inference_utils.py,
base_SUT.py); the code is ours:

- windows of the ROI (128^3) start at every multiple of the stride (64 = 128 x (1 - 0.5)) that
  keeps the window inside the volume, per axis ``(size - 128) // 64 + 1`` of them, in C order
  (depth outermost);
- each window's output (3 class scores per voxel) is multiplied by a Gaussian kernel and added
  into the case's result, and the kernel is added into a normalisation map;
- the kernel: a 1-D Gaussian window of 128 points with standard deviation 0.125 x 128 (scipy's
  ``signal.windows.gaussian``), its 3-D outer product, the cube root of that, divided by its
  maximum, in float64 and then cast to float32;
- at the end the result is divided by the normalisation map and the class is the argmax over
  the 3 channels, as uint8 [D, H, W].

The arithmetic is the reference's, in float32, in the same order: products of the same
operands, sums in the same window order, one division. What differs is only how it is laid
out: the normalisation map has one channel (the reference keeps three identical ones), the
Gaussian product is computed into the runtime's output buffer, a case of a single window skips
the zeroed volumes (0 + x is x), the argmax of three finite scores is taken by comparisons (the
first of equal maxima, as ``np.argmax``; NaN scores go to ``np.argmax`` itself), and the
elementwise work is cut into slabs shared by a few threads (each output element is still
computed by one operation of the same operands). So the result bytes are the reference's, as
tests/harness/test_kits19.py checks against a restatement of its code.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = [
    "SIGMA_SCALE",
    "CaseAccumulator",
    "gaussian_kernel",
    "window_count",
    "window_origins",
]

#: inference_utils.prepare_arrays: the Gaussian's standard deviation as a fraction of the ROI
SIGMA_SCALE = 0.125


def gaussian_window(n: int, std: float) -> np.ndarray:
    """scipy.signal.windows.gaussian(n, std): exp(-k^2 / (2 std^2)), k centred on the window."""
    k = np.arange(0, n) - (n - 1.0) / 2.0
    sig2 = 2 * std * std
    out: np.ndarray = np.exp(-(k**2) / sig2)
    return out


@functools.lru_cache(maxsize=4)
def _kernel(n: int, std: float) -> np.ndarray:
    g1 = gaussian_window(n, std)
    g2 = np.outer(g1, g1)
    g3 = np.outer(g2, g1).reshape(n, n, n)
    g3 = np.cbrt(g3)
    g3 /= g3.max()
    kernel = g3.astype(np.float32)
    kernel.setflags(write=False)
    return kernel


def gaussian_kernel(n: int = 128, std: float | None = None) -> np.ndarray:
    """The reference's importance kernel, float32 [n, n, n] (read-only, computed once)."""
    return _kernel(n, float(SIGMA_SCALE * n if std is None else std))


def window_origins(
    shape: Sequence[int], roi: Sequence[int], overlap: float = 0.5
) -> Iterator[tuple[int, int, int]]:
    """inference_utils.get_slice_for_sliding_window: each window's first voxel, in order."""
    strides = [int(r * (1 - overlap)) for r in roi]
    sizes = [(s - r) // st + 1 for s, r, st in zip(shape, roi, strides, strict=True)]
    ranges = [range(0, st * n, st) for st, n in zip(strides, sizes, strict=True)]
    depth, rows, cols = ranges
    for i in depth:
        for j in rows:
            for k in cols:
                yield i, j, k


def window_count(shape: Sequence[int], roi: Sequence[int], overlap: float = 0.5) -> int:
    strides = [int(r * (1 - overlap)) for r in roi]
    n = 1
    for s, r, st in zip(shape, roi, strides, strict=True):
        n *= max(0, (s - r) // st + 1)
    return n


#: depth slices per slab of elementwise work: a slab of the three channels (3 x 8 x 128 x 128
#: float32, 1.5 MB) stays in a core's cache through the steps done on it
SLAB = 8


class CaseAccumulator:
    """The result and normalisation map of one case, filled window by window.

    The elementwise work runs slab by slab along the depth axis (each slab's steps in cache).
    With a thread pool, the slabs are shared by ``threads`` threads (numpy releases the GIL in
    these loops; between two model calls the cores are otherwise idle).
    """

    def __init__(
        self,
        shape: Sequence[int],
        roi: Sequence[int],
        channels: int,
        kernel: np.ndarray,
        pool: ThreadPoolExecutor | None = None,
        threads: int = 1,
    ) -> None:
        self.shape = tuple(int(s) for s in shape)
        self.roi = tuple(int(r) for r in roi)
        self.kernel = kernel
        self.channels = channels
        #: a case of exactly one window: 0 + x is x and 0 + kernel is the kernel, so the
        #: weighted scores are the result and the kernel the map (no zeroed volumes, no sums)
        self.single = self.shape == self.roi
        self.result: np.ndarray | None = None
        self.norm: np.ndarray | None = None
        self._pool = pool if threads > 1 else None
        self._threads = max(1, threads)

    def _slabs(self, depth: int, work: Callable[[int, int], None]) -> None:
        """work(lo, hi) for each slab of [0, depth), the slabs shared by the threads."""
        bounds = [*range(0, depth, SLAB), depth]
        slabs = list(itertools.pairwise(bounds))
        parts = min(self._threads, len(slabs)) if self._pool is not None else 1

        def run(part: int) -> None:
            for lo, hi in slabs[part::parts]:
                work(lo, hi)

        if parts == 1 or self._pool is None:
            run(0)
            return
        futures = [self._pool.submit(run, part) for part in range(1, parts)]
        run(0)
        for future in futures:
            future.result()

    def add(self, origin: tuple[int, int, int], scores: np.ndarray) -> None:
        """Add one window's class scores [channels, *roi] at ``origin``. ``scores`` is
        overwritten: the Gaussian-weighted product is computed in place."""
        i, j, k = origin
        di, dj, dk = self.roi
        kernel = self.kernel
        if self.single:
            if self.result is not None:
                raise ValueError("a one-window case takes one window")
            self.result, self.norm = scores, kernel  # weighted in finish(), slab by slab
            return
        if self.result is None or self.norm is None:
            self.result = np.zeros((self.channels, *self.shape), dtype=np.float32)
            self.norm = np.zeros(self.shape, dtype=np.float32)
        result = self.result[:, i : i + di, j : j + dj, k : k + dk]
        norm = self.norm[i : i + di, j : j + dj, k : k + dk]

        def work(lo: int, hi: int) -> None:
            part = scores[:, lo:hi]
            np.multiply(part, kernel[lo:hi], out=part)
            dst = result[:, lo:hi]
            np.add(dst, part, out=dst)
            nrm = norm[lo:hi]
            np.add(nrm, kernel[lo:hi], out=nrm)

        self._slabs(di, work)

    def finish(self) -> np.ndarray:
        """result / norm, then the argmax over the channels: uint8 [D, H, W]."""
        result, norm = self.result, self.norm
        if result is None or norm is None:
            raise ValueError("no window was added")
        labels = np.empty(self.shape, dtype=np.uint8)
        three = result.shape[0] == 3
        single = self.single

        def work(lo: int, hi: int) -> None:
            part = result[:, lo:hi]
            nrm = norm[lo:hi]
            if single:  # the one window's weighting: 0 + scores x kernel
                np.multiply(part, nrm, out=part)
            np.divide(part, nrm, out=part)
            out = labels[lo:hi]
            if three:
                # argmax of three, the first of equal maxima (as np.argmax)
                a, b, c = part[0], part[1], part[2]
                best = np.maximum(a, b)
                if not (np.isnan(best).any() or np.isnan(c).any()):
                    np.greater(b, a, out=out, casting="unsafe")  # 1 where b wins, else 0
                    two = np.greater(c, best).view(np.uint8)
                    np.left_shift(two, 1, out=two)  # 2 where c wins, else 0
                    np.maximum(out, two, out=out)
                    return
            out[...] = np.argmax(part, axis=0)  # NaN scores: np.argmax's own rule

        self._slabs(self.shape[0], work)
        return labels
