"""The one way into the user's code: importing ``target.fn`` and every call of it go through here.

:func:`load_user_function` imports ``module:function`` or ``path/to/file.py:function`` and returns a
:class:`UserFunction`; calling it (the probe, the data, the C_f grid, the metrics' grids) is the
only way the package evaluates the user's function. The guard

* imports the module from the very bytes it hashes (never a stale ``.pyc``), with its output held
  back and replayed when the import succeeds, and re-imports it when the file has changed;
* hashes the module's *file* (and the file defining the function, when another one): a changed
  module-level constant or helper in that file changes the run's identity;
* passes the function a read-only copy of X, so it cannot change the data the run records;
* refuses output that is not one real value per row, or that is not finite;
* turns any exception, ``SystemExit`` included (``argparse`` or ``sys.exit`` at import), raised by
  importing or calling the user's code into one line (:class:`UserCodeError`) naming ``target.fn``,
  the file actually imported, the line of that file and the exception;
* checks on the probe that the function is deterministic (two calls on the same batch agree) and
  row-wise (a smaller batch gives the same values for its rows);
* logs a call on a large batch (its size) before it starts.

What the hash does not cover (other modules the function imports, files or environment variables
it reads, installed packages) is listed in the README.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import io
import logging
import numbers
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["UserCodeError", "UserFunction", "load_user_function", "files_sha256", "HEAVY_ROWS"]

log = logging.getLogger("nnapprox.targets.user")

#: A call on at least this many rows is logged (with its size) before it starts.
HEAVY_ROWS = 2**16

_LOADED: dict = {}  # module name -> (file, sha256 of the bytes executed), for the modules the guard imported


class UserCodeError(ValueError):
    """The user's function (or its import) failed or returned what a target cannot be; one line."""


def _one_line(text, limit=300) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def files_sha256(files) -> str:
    """SHA-256 of the files' bytes (one file: the file's own hash; several: the hash of their hashes, in order).

    Raises
    ------
    OSError
        A file that cannot be read.
    """
    digests = [hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files]
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _describe_exception(e: BaseException, files) -> tuple[str, str]:
    """(``Type``, ``: message (at file.py:line)``), the line being the last frame in one of the user's files."""
    if isinstance(e, SystemExit):
        kind, msg = f"SystemExit({e.code!r})", ""
    else:
        kind, msg = type(e).__name__, _one_line(e)
    where = None
    wanted = {os.path.realpath(f) for f in files if f}
    for frame in traceback.extract_tb(e.__traceback__):
        if os.path.realpath(frame.filename) in wanted:
            where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
    return kind, (f": {msg}" if msg else "") + (f" (at {where})" if where else "")


@contextlib.contextmanager
def _held_output():
    """Hold back what the user's import prints; replayed on success, its last line quoted on failure."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    except BaseException:
        raise
    else:
        if out.getvalue():
            sys.stdout.write(out.getvalue())
        if err.getvalue():
            sys.stderr.write(err.getvalue())


def _last_line(*buffers) -> str | None:
    for buf in buffers:
        lines = [ln.strip() for ln in buf.getvalue().splitlines() if ln.strip()]
        if lines:
            return _one_line(lines[-1], 200)
    return None


def _import_failed(spec: str, file: str | None, e: BaseException, out, err) -> UserCodeError:
    what = f"importing {file}" if file else "importing its module"
    said = _last_line(err, out)
    hint = ""
    if isinstance(e, SystemExit):
        hint = (
            "; a target's module must import without running a script (argparse, sys.exit): put that code under "
            '`if __name__ == "__main__":`'
        )
    kind, detail = _describe_exception(e, [file])
    return UserCodeError(
        f"target.fn={spec!r}: {what} raised {kind}{detail}" + (f" (its last output: {said!r})" if said else "") + hint
    )


def _exec_source(name: str, path: str, spec_obj, spec: str):
    """Execute the module's file from the bytes read (and hashed) here; a fresh module when the file changed."""
    data = Path(path).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    known = _LOADED.get(name)
    if known == (path, sha) and name in sys.modules:
        return sys.modules[name]
    module = importlib.util.module_from_spec(spec_obj)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        with _held_output() as (out, err):
            try:
                exec(compile(data, path, "exec"), module.__dict__)  # noqa: S102 - the user's own module
            except (Exception, SystemExit) as e:
                raise _import_failed(spec, path, e, out, err) from None
    except BaseException:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
        raise
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    _LOADED[name] = (path, sha)
    return module


def _installed(module) -> bool:
    """Whether a module is installed code (the standard library, site-packages, this package) rather than the
    user's own file: installed modules are used as imported; the user's are executed from the bytes hashed."""
    file = getattr(module, "__file__", None)
    if not file or not file.endswith(".py"):
        return True
    real = os.path.realpath(file)
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    roots |= {p for p in sys.path if "site-packages" in p or "dist-packages" in p}
    return any(real.startswith(os.path.realpath(r) + os.sep) for r in roots if r)


def _find_spec(spec: str, mod_name: str):
    """The module's import spec, from ``sys.path`` and else from the working directory (as ``python -c`` would)."""

    def find():
        with _held_output() as (out, err):
            try:
                if mod_name in _LOADED:  # imported by the guard before: look again (another working directory,
                    parent = mod_name.rpartition(".")[0]  # a moved file), not at the module in sys.modules
                    if not parent or parent in sys.modules:
                        path = getattr(sys.modules[parent], "__path__", None) if parent else None
                        found = importlib.machinery.PathFinder.find_spec(mod_name, path)
                        if found is not None:
                            return found
                return importlib.util.find_spec(mod_name)  # imports the parent packages
            except ModuleNotFoundError:
                return None
            except (Exception, SystemExit) as e:
                raise _import_failed(spec, None, e, out, err) from None

    found = find()
    if found is None and "" not in sys.path:
        sys.path.insert(0, "")  # the working directory as `python -c` has it: the one current at each import
        found = find()
    if found is None:
        raise UserCodeError(
            f"target.fn={spec!r}: cannot import module {mod_name!r} (no such module on PYTHONPATH or in "
            f"the working directory {os.getcwd()})"
        )
    return found


def _import_module(spec: str, mod_name: str):
    """(module, the file actually imported)."""
    if mod_name.endswith(".py"):
        path = Path(mod_name)
        if path.is_dir() or not path.exists():
            raise UserCodeError(
                f"target.fn={spec!r}: {mod_name} is {'a directory' if path.is_dir() else 'no such file'} "
                f"(relative paths start at the working directory {os.getcwd()})"
            )
        path = str(path.resolve())
        name = f"nnapprox_user_{hashlib.sha256(path.encode()).hexdigest()[:12]}"
        try:
            return _exec_source(name, path, importlib.util.spec_from_file_location(name, path), spec), path
        except OSError as e:
            raise UserCodeError(f"target.fn={spec!r}: cannot read {path} ({e.strerror or e})") from None
    if mod_name in sys.modules and mod_name not in _LOADED and _installed(sys.modules[mod_name]):
        module = sys.modules[mod_name]  # an installed package imported before: used as it is
        return module, getattr(module, "__file__", None)
    # the user's own module imported before (a notebook's `import mymod`): executed again from the bytes hashed,
    # since the module in memory may be an older version of the file
    found = _find_spec(spec, mod_name)
    origin = found.origin if found.has_location else None
    if isinstance(found.loader, importlib.machinery.SourceFileLoader) and origin and origin.endswith(".py"):
        try:
            return _exec_source(mod_name, origin, found, spec), origin
        except OSError as e:
            raise UserCodeError(f"target.fn={spec!r}: cannot read {origin} ({e.strerror or e})") from None
    with _held_output() as (out, err):
        try:
            module = importlib.import_module(mod_name)
        except (Exception, SystemExit) as e:
            raise _import_failed(spec, origin, e, out, err) from None
    return module, getattr(module, "__file__", None) or origin


@dataclass(frozen=True, eq=False)
class UserFunction:
    """The user's function behind the guard (see the module notes); call it as ``uf(X)``.

    Attributes
    ----------
    spec : str
        ``target.fn`` as given.
    fn : callable
        The imported function.
    file : str or None
        The file actually imported.
    files : tuple of str
        The files whose bytes make :attr:`sha256` (the module's file, and the function's own file if another).
    sha256 : str
        The function's identity (:func:`files_sha256` of :attr:`files`; of ``spec`` when it has no file).
    """

    spec: str
    fn: Callable = field(repr=False)
    file: str | None
    files: tuple
    sha256: str

    @property
    def name(self) -> str:
        """``target.fn='mod:f' (/path/mod.py)``: how every message names it."""
        return f"target.fn={self.spec!r}" + (f" ({self.file})" if self.file else "")

    def __call__(
        self, X, *, purpose: str = "X", finite: bool = True, copy: bool = True, log_size: bool = True
    ) -> np.ndarray:
        """The function's values on the rows of X, checked.

        Parameters
        ----------
        X : array, shape (N, d)
        purpose : str
            What the call is for, in messages ("a probe batch", "the C_f grid").
        finite : bool
            Refuse non-finite values (False: returned as they are, for the caller to judge).
        copy : bool
            Pass a read-only copy of X (False: X itself, made read-only; for arrays the caller owns).
        log_size : bool
            Log a call on :data:`HEAVY_ROWS` rows or more before it starts.

        Returns
        -------
        array, shape (N,), float64 (a new array)

        Raises
        ------
        UserCodeError
            The function raised (anything, ``SystemExit`` included) or returned the wrong shape, non-real or
            (``finite``) non-finite values.
        """
        X = np.array(X, dtype=np.float64, copy=True) if copy else X
        X.flags.writeable = False
        n = X.shape[0]
        if log_size and n >= HEAVY_ROWS:
            log.info(
                "%s: evaluating the function on %s points (%s; X takes %.0f MB)",
                self.name,
                f"{n:,}",
                purpose,
                X.nbytes / 2**20,
            )
        try:
            out = self.fn(X)
        except (Exception, SystemExit) as e:
            hint = ""
            if "read-only" in str(e):
                hint = (
                    "; the function must not modify X (it gets a read-only copy): compute on a copy "
                    "(X = 2 * X, not X *= 2)"
                )
            kind, detail = _describe_exception(e, self.files)
            raise UserCodeError(
                f"{self.name} raised {kind} on {purpose} (X of shape {X.shape}){detail}{hint}"
            ) from None
        return self._checked(out, X, purpose, finite)

    def _checked(self, out, X, purpose, finite) -> np.ndarray:
        n = X.shape[0]
        try:
            v = np.asarray(out)
        except Exception as e:  # noqa: BLE001 - whatever the user returned
            raise UserCodeError(
                f"{self.name} returned a {type(out).__name__} that is not an array ({_one_line(e)}) on "
                f"{purpose}; it must return one real value per row of X"
            ) from None
        if v.shape not in ((n,), (n, 1)):
            raise UserCodeError(
                f"{self.name} returned shape {v.shape} for X of shape {X.shape}; expected ({n},) (one value per row)"
            )
        if v.dtype.kind == "c":
            raise UserCodeError(
                f"{self.name} returned complex values (dtype {v.dtype}) on {purpose}; a target is "
                f"real-valued: return the real part (np.real) or the modulus (np.abs) explicitly"
            )
        if v.dtype.kind == "O" and all(isinstance(e, numbers.Real) for e in v.ravel()):
            v = v.astype(np.float64)
        if v.dtype.kind not in "biuf":
            raise UserCodeError(
                f"{self.name} returned values of dtype {v.dtype} on {purpose}; allowed: real numbers "
                f"(float, int or bool)"
            )
        with np.errstate(over="ignore"):
            v = np.array(v, dtype=np.float64, copy=True).reshape(n)
        if finite:
            bad = ~np.isfinite(v)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise UserCodeError(
                    f"{self.name} returned non-finite values on {purpose} ({int(bad.sum())} of {n} "
                    f"rows; the first, {v[i]}, at x = {np.array2string(X[i], precision=4)}); it must be "
                    f"finite on its domain"
                )
        return v

    def probe(self, X) -> np.ndarray:
        """Values on a probe batch, with the checks of a call and determinism: two calls on the same batch and a
        call on its first half agree.

        Raises
        ------
        UserCodeError
        """
        v1 = self(X, purpose="a probe batch from its domain")
        v2 = self(X, purpose="a second call on the same probe batch")
        scale = max(1.0, float(np.max(np.abs(v1)))) if len(v1) else 1.0
        diff = np.abs(v1 - v2)
        if np.any(diff > 1e-12 * scale):
            i = int(np.argmax(diff))
            raise UserCodeError(
                f"{self.name} is not deterministic: two calls on the same X of shape {np.shape(X)} differ by up to "
                f"{diff[i]:.3g} (at x = {np.array2string(np.asarray(X)[i], precision=4)}); a target must be a "
                f"function of X alone (no global random generator, counter or clock): draw from a "
                f"np.random.default_rng(seed) made inside the function if it needs randomness"
            )
        k = len(v1) // 2
        if k:
            v3 = self(np.asarray(X)[:k], purpose="the first half of the probe batch")
            diff = np.abs(v3 - v1[:k])
            if np.any(diff > 1e-9 * scale):
                raise UserCodeError(
                    f"{self.name} gives a row a different value in a smaller batch (by up to {diff.max():.3g}): each "
                    f"value must depend on its own row of X only (no batch statistics such as X.mean(axis=0))"
                )
        return v1


def load_user_function(spec) -> UserFunction:
    """Import ``module:function`` or ``path/to/file.py:function`` through the guard.

    Raises
    ------
    UserCodeError
        A malformed spec, a module that does not import (any exception or ``SystemExit``), a missing
        or non-callable attribute; one line naming ``target.fn`` and the file.
    """
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise UserCodeError(f"target.fn={spec!r} is invalid: give 'module:function' or 'path/to/file.py:function'")
    mod_name, attr = spec.split(":")
    module, file = _import_module(spec, mod_name)
    fn = module
    for part in attr.split("."):
        if not hasattr(fn, part):
            raise UserCodeError(
                f"target.fn={spec!r}: module {mod_name!r}"
                + (f" ({file})" if file else "")
                + f" has no attribute {attr!r}"
            )
        fn = getattr(fn, part)
    if not callable(fn) or inspect.isclass(fn):
        raise UserCodeError(f"target.fn={spec!r}: {attr!r} is a {type(fn).__name__}, not a function")
    files = [file] if file else []
    try:
        own = inspect.getsourcefile(fn)
    except TypeError:
        own = None
    if own and os.path.isfile(own) and (not file or os.path.realpath(own) != os.path.realpath(file)):
        files.append(own)
    files = [os.path.abspath(f) for f in files if f and os.path.isfile(f)]
    try:
        sha = files_sha256(files) if files else hashlib.sha256(spec.encode()).hexdigest()
    except OSError as e:
        raise UserCodeError(
            f"target.fn={spec!r}: cannot read {getattr(e, 'filename', '') or file} ({e.strerror or e})"
        ) from None
    return UserFunction(spec=spec, fn=fn, file=os.path.abspath(file) if file else None, files=tuple(files), sha256=sha)
