"""The record contract: what a job writes, how its folder is named and what each record key means.

One module owns it, so the job (:mod:`nnapprox.experiment.job`), the Hydra app (``conf/config.yaml``'s
``exclude_keys`` is tested equal to :data:`OVERRIDE_EXCLUDE`) and the report
(:mod:`nnapprox.report.collect`) cannot drift apart.

Files of a job folder
---------------------
``record.json``  a JSON list of flat records, one per replica (and per recorded width of a path)
``history.csv``  the training history (replica, step, elapsed, loss)
``params.npz``   the trained parameters of every record (see :func:`save_params`), so analysis
                 loads networks instead of training them again
``data.npz``     the training data of every replica (only with ``save_data: true``)

Values
------
Records are strict JSON: a non-finite float is stored as ``null`` (:func:`encode`); an infinite
Barron constant is ``c_f: null`` with ``c_f_infinite: true``.

Identity
--------
A job is identified by the SHA-256 of its canonical config (every value the run used, defaults
resolved, without :data:`NOT_SWEPT`), and its folder name ends in that hash
(:func:`job_dirname`), so two different configs never share a folder or overwrite each other's
records.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from nnapprox.base.io import write_bytes_atomic, write_json_atomic

__all__ = [
    "RECORD_FILE",
    "HISTORY_FILE",
    "PARAMS_FILE",
    "DATA_FILE",
    "NOT_SWEPT",
    "OVERRIDE_EXCLUDE",
    "PROVENANCE_KEYS",
    "TARGET_KEYS",
    "INDEX_KEYS",
    "EXTRA_PREFIX",
    "REPLICATION_KEYS",
    "column_kind",
    "encode",
    "json_default",
    "config_hash",
    "flatten",
    "job_dirname",
    "load_records",
    "write_records",
    "params_key",
    "save_params",
    "load_params",
    "save_data",
    "load_data",
    "finished",
    "MANIFEST_FILE",
    "write_manifest",
    "read_manifest",
    "read_manifest_judge",
]

RECORD_FILE = "record.json"
#: The sweep's manifest in the sweep folder: which job folders the latest sweep consists of.
MANIFEST_FILE = "sweep.json"
HISTORY_FILE = "history.csv"
PARAMS_FILE = "params.npz"
DATA_FILE = "data.npz"

#: Top-level config keys that say how a run is executed or reported, not what it computes: kept
#: out of the config hash and of the job folder's name.
NOT_SWEPT = ("resume", "out_root", "report_dir", "progress_every", "replica_mode", "plugin", "save_data", "judge")
#: Keys left out of Hydra's ``override_dirname`` (the readable part of a job folder's name):
#: the study is the sweep folder itself, ``experiment`` selects the grid.
OVERRIDE_EXCLUDE = ("experiment", "study") + NOT_SWEPT

#: Keys that describe where and how a record was made, never a swept variable.
PROVENANCE_KEYS = (
    "study",
    "tag",
    "config_hash",
    "git_commit",
    "run_dir",
    "params_key",
    "steps",
    "wall_time",
    "train_time",
    "error",
    "traceback",
    "stop_reason",
    "target.kind",
) + NOT_SWEPT
PROVENANCE_PREFIXES = ("versions.",)
#: Properties of the target measured or derived by the job (metrics, not configuration).
TARGET_KEYS = ("c_f", "c_f_infinite", "c_f_method", "c_f_error", "radius", "var_f")
#: What a record indexes within its job: the replica and the recorded width.
INDEX_KEYS = ("replica", "n", "n_params")
#: Trainer-specific measurements.
EXTRA_PREFIX = "extra."
#: Columns that index repetitions (seeds), not design points.
REPLICATION_KEYS = ("seed", "replica", "replicas")
#: Top-level config keys that are not dotted.
CONFIG_TOP_LEVEL = ("seed", "replicas", "replica")


def column_kind(name: str) -> str:
    """``"config"``, ``"metric"`` or ``"provenance"`` for a record key.

    ``provenance``: :data:`PROVENANCE_KEYS` and ``versions.*``; ``metric``: ``extra.*`` and
    undotted measurements; ``config``: dotted keys and :data:`CONFIG_TOP_LEVEL`.
    """
    if name in PROVENANCE_KEYS or name.startswith(PROVENANCE_PREFIXES):
        return "provenance"
    if name.startswith(EXTRA_PREFIX):
        return "metric"
    if "." in name or name in CONFIG_TOP_LEVEL:
        return "config"
    return "metric"


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A JSON-safe value: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    return value


def json_default(o: Any) -> Any:
    """``json.dumps(default=...)`` for numpy values and arrays."""
    if isinstance(o, (np.integer, np.floating, np.bool_)):
        return encode(o)
    if isinstance(o, np.ndarray):
        return [encode(v) for v in o.tolist()]
    return str(o)


def flatten(cfg: dict, prefix: str = "") -> dict:
    """Nested dict -> flat dict with dotted keys; lists become JSON text."""
    out = {}
    for k, v in cfg.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, (list, tuple)):
            out[key] = json.dumps(list(v), default=json_default)
        else:
            out[key] = v
    return out


def config_hash(canonical_cfg: dict) -> str:
    """SHA-256 (first 16 hex digits) of the run-defining values of a canonical config."""
    flat = {k: v for k, v in flatten(canonical_cfg).items() if k not in NOT_SWEPT}
    return hashlib.sha256(json.dumps(flat, sort_keys=True, default=json_default).encode()).hexdigest()[:16]


#: Longest readable part of a job folder's name (a file name holds at most 255 bytes).
MAX_READABLE = 120


def job_dirname(override_dirname: str, config_hash_: str) -> str:
    """The job folder's name: the readable overrides, then ``__`` and the first 10 hash digits.

    Slashes in values become ``%2F`` (a value must not open sub-folders); overrides longer than
    :data:`MAX_READABLE` characters are cut (the hash keeps the name unique).
    """
    readable = (override_dirname or "defaults").replace("/", "%2F")
    if len(readable.encode()) > MAX_READABLE:
        readable = readable.encode()[:MAX_READABLE].decode(errors="ignore").rstrip(",") + "+more"
    return f"{readable}__{config_hash_[:10]}"


# ---------------------------------------------------------------------------
# record files
# ---------------------------------------------------------------------------


def write_records(job_dir: str | Path, records: list[dict]) -> Path:
    """Write ``record.json`` atomically (strict JSON, fsynced)."""
    return write_json_atomic(
        Path(job_dir) / RECORD_FILE, [{k: encode(v) for k, v in r.items()} for r in records], default=json_default
    )


def load_records(job_dir: str | Path) -> list[dict] | None:
    """The records of ``job_dir/record.json``; None when missing, and None with a warning when
    the file is malformed (not JSON, not a non-empty list of dicts): such a job is recomputed."""
    path = Path(job_dir) / RECORD_FILE
    if not path.exists():
        return None
    try:
        recs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        warnings.warn(f"{path}: unreadable record file ({err}); the job will be recomputed", stacklevel=2)
        return None
    if not isinstance(recs, list) or not recs or not all(isinstance(r, dict) for r in recs):
        warnings.warn(f"{path}: not a non-empty JSON list of records; the job will be recomputed", stacklevel=2)
        return None
    return recs


def finished(job_dir: str | Path, config_hash_: str) -> list[dict] | None:
    """The records of a finished job (all ``ok``, this config hash, parameters saved), else None."""
    job_dir = Path(job_dir)
    old = load_records(job_dir)
    if (
        old
        and all(r.get("status") == "ok" and r.get("config_hash") == config_hash_ for r in old)
        and (job_dir / PARAMS_FILE).exists()
    ):
        return old
    return None


def write_manifest(sweep_dir: str | Path, jobs: list[dict], judge: dict | None = None) -> Path:
    """Write ``sweep.json``: the job folders (``dir``, ``config_hash``, ``overrides``) of the sweep now starting,
    and the study's judgement windows (``judge``, declared before the sweep).

    The report of a sweep folder covers the jobs of its manifest, so jobs of earlier, different
    sweeps into the same folder (their folders have other hashes) do not leak into it.
    """
    return write_json_atomic(Path(sweep_dir) / MANIFEST_FILE, {"jobs": jobs, "judge": dict(judge or {})})


def read_manifest_judge(sweep_dir: str | Path) -> dict | None:
    """The judgement windows a sweep folder's manifest declares (None without a manifest or windows)."""
    path = Path(sweep_dir) / MANIFEST_FILE
    try:
        judge = json.loads(path.read_text()).get("judge") if path.exists() else None
    except (OSError, ValueError, AttributeError):
        return None
    return dict(judge) if isinstance(judge, dict) and judge else None


def read_manifest(sweep_dir: str | Path) -> list[str] | None:
    """The job folders of a sweep folder's manifest (None without one)."""
    path = Path(sweep_dir) / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        return [str(j["dir"]) for j in json.loads(path.read_text())["jobs"]]
    except (OSError, ValueError, KeyError, TypeError):
        warnings.warn(f"{path}: unreadable sweep manifest; reporting every record below the folder", stacklevel=2)
        return None


# ---------------------------------------------------------------------------
# parameters and data
# ---------------------------------------------------------------------------


def params_key(replica: int, n: int) -> str:
    """Key of one network in ``params.npz``: replica and width."""
    return f"r{int(replica)}_n{int(n)}"


def save_params(job_dir: str | Path, nets: dict) -> Path | None:
    """Write ``params.npz``: ``nets`` maps :func:`params_key` -> MLP (single networks).

    Each network is stored as its arrays ``<key>/W<l>``, ``<key>/b<l>`` plus one JSON text
    ``meta`` with the sizes, activations, slope and dtype, so :func:`load_params` rebuilds it
    with :meth:`nnapprox.engine.network.MLP.from_params`.
    """
    if not nets:
        return None
    arrays: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for key, net in nets.items():
        for l, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            arrays[f"{key}/W{l}"] = np.asarray(W)
            arrays[f"{key}/b{l}"] = np.asarray(b)
        meta[key] = {
            "sizes": list(net.sizes),
            "activation": net.activation_name,
            "output_activation": net.output_activation_name,
            "slope": net.slope,
            "dtype": str(net.dtype),
        }
    arrays["meta"] = np.array(json.dumps(meta))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return write_bytes_atomic(Path(job_dir) / PARAMS_FILE, buf.getvalue())


def load_params(job_dir: str | Path, key: str | None = None) -> Any:
    """The networks of ``params.npz``: a dict key -> MLP, or the one network of ``key``.

    Raises
    ------
    ValueError
        If the file is missing or has no network ``key``.
    """
    from nnapprox.engine.network import MLP

    path = Path(job_dir) / PARAMS_FILE
    if not path.exists():
        raise ValueError(f"{path} does not exist: the job saved no parameters (rerun it)")
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        keys = [key] if key is not None else list(meta)
        if key is not None and key not in meta:
            raise ValueError(f"{path} has no network {key!r}; it holds {sorted(meta)}")
        out = {}
        for k in keys:
            m = meta[k]
            L = len(m["sizes"]) - 1
            out[k] = MLP.from_params(
                [z[f"{k}/W{l}"] for l in range(L)],
                [z[f"{k}/b{l}"] for l in range(L)],
                activation=m["activation"],
                output_activation=m["output_activation"],
                slope=m["slope"],
                dtype=np.dtype(m["dtype"]),
            )
    return out[key] if key is not None else out


def save_data(job_dir: str | Path, datasets: list) -> Path:
    """Write ``data.npz`` with ``X<r>`` and ``y<r>`` of every replica's training set."""
    arrays = {}
    for r, ds in enumerate(datasets):
        arrays[f"X{r}"], arrays[f"y{r}"] = ds.X, ds.y
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return write_bytes_atomic(Path(job_dir) / DATA_FILE, buf.getvalue())


def load_data(job_dir: str | Path, replica: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of one replica's training set from ``data.npz``."""
    path = Path(job_dir) / DATA_FILE
    if not path.exists():
        raise ValueError(f"{path} does not exist: run the job with save_data=true")
    with np.load(path) as z:
        return z[f"X{replica}"], z[f"y{replica}"]
