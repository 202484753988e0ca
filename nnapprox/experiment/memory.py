"""Will a job fit in memory? A rough upper estimate of its peak, checked before the sweep starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnapprox.experiment.errors import config_error

if TYPE_CHECKING:
    from nnapprox.experiment.validation import Canonical
__all__ = ["estimate_bytes", "available_bytes", "check_memory"]


def estimate_bytes(canon: Canonical) -> int:
    """A rough upper estimate of one job's peak memory (bytes).

    The data (training and test sets) and parameters, plus the larger of what training and
    evaluation hold at once (a path's arrays are freed before the evaluation starts):

    * training: for OGA and relaxed greedy their own arrays
      (``Trainer.training_bytes``, :func:`nnapprox.trainers.greedy.path_bytes`: OGA's orthonormal basis
      ``(n_max + 1) N`` floats and its ``(n_max + 1)²`` triangle, the screening's buffers and prefetched bins);
      for the other path trainers the ``(n_max + 1) N`` hidden matrix;
    * evaluation: the widest layer over the larger of the training and test sets three times
      (``z``, ``σ(z)`` and ``σ'(z)`` of the saturation statistics; a path's predictions need one);
    * the numerical C_f of a user function (``target.info["c_f_bytes"]``: its grid and FFTs), which a
      worker computes when it validates its job and finds no cached value.
    """
    c = canon.config
    d, N, Nt = canon.target.dim, c["data"]["N"], c["data"]["N_test"]
    width = max(canon.sizes[1:-1], default=1) if c["model"]["depth"] else 1
    sizes = canon.sizes
    item = 8
    data = (N + Nt) * (d + 2) * item
    params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)) * item
    evaluation = 3 * max(N, Nt) * width * item
    training = 0
    if canon.trainer.training_bytes is not None:  # the greedy paths' own arrays
        training = canon.trainer.training_bytes(N, d, width, canon.options)
    elif canon.trainer.path:
        training = (width + 1) * N * item
    c_f = int(canon.target.info.get("c_f_bytes") or 0)
    return int(data + 4 * params + max(training, evaluation, c_f) + 64 * 2**20)


def available_bytes() -> int | None:
    """Memory available to a new process (``MemAvailable`` of /proc/meminfo), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_memory(canon: Canonical) -> None:
    need, have = estimate_bytes(canon), available_bytes()
    if have is not None and need > have:
        m = canon.config["model"]
        raise config_error(
            f"this job needs about {need / 2**30:.3g} GiB (model.width={m['width']}, "
            f"data.N={canon.config['data']['N']}, data.N_test={canon.config['data']['N_test']}) but "
            f"{have / 2**30:.1f} GiB are available; lower the sizes"
        )
