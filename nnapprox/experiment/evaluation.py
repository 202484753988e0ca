"""Step 4 of a job: the metrics of every trained network, as flat records.

Test and train MSE, relative and sup error, Barron's bound and its ratio, saturated and dead
units, and for 1-D targets the errors on a fine grid (and a piecewise-linear network's pieces).
"""

from __future__ import annotations

import math

import numpy as np

from nnapprox.engine.diagnostics import unit_stats
from nnapprox.experiment import records as rc
from nnapprox.experiment.training import ReplicaResult, ReplicaSetup

__all__ = ["evaluate", "grid_errors", "BLOWUP_REL_MSE", "GRID_POINTS"]


#: A trained run whose training MSE exceeds this multiple of Var(y) (the constant predictor's
#: error) is ``diverged``, even if every number stayed finite.
BLOWUP_REL_MSE = 100.0


#: Points of the evaluation grid of a 1-D target (2^14 + 1: contains every dyadic point j/2^14).
GRID_POINTS = 2**14 + 1


def _grid(target):
    dom = target.domain
    lo, hi = (-dom.radius, dom.radius) if dom.kind == "ball" else (dom.low, dom.high)
    return np.linspace(lo, hi, GRID_POINTS)


def grid_errors(net, target, grid=None) -> dict:
    """Errors of a network on a fine uniform grid of a 1-D target's interval.

    ``grid_mse`` (the uniform-measure MSE), ``grid_sup_err`` (the sup error on the grid; exact
    for piecewise-linear networks whose breakpoints lie on the dyadic grid) and, for ReLU-family
    networks, ``pieces``: the number of linear pieces of the network on the interval.
    """
    from nnapprox.theory.constructions import count_linear_pieces

    x = _grid(target) if grid is None else grid
    with np.errstate(over="ignore", invalid="ignore"):
        p = net.predict(x[:, None])
        e = p - target(x[:, None])
        out = {"grid_mse": float(np.mean(e * e)), "grid_sup_err": float(np.max(np.abs(e)))}
    if net.act.kink and np.all(np.isfinite(p)):  # piecewise linear: count its pieces
        out["pieces"] = count_linear_pieces(p, x)
    return out


def _metrics(canon, s: ReplicaSetup, res: ReplicaResult) -> list[dict]:
    """One metric dict per recorded width of a replica."""
    from nnapprox.experiment.metrics import evaluate as fit_metrics
    from nnapprox.theory.bounds import barron_bound

    target, ds = canon.target, s.data
    act = canon.config["activation"]["name"]
    depth = canon.config["model"]["depth"]
    out = []
    widths = [n for n, _, _ in res.models]
    finite = [np.all(np.isfinite(net.theta)) for _, net, _ in res.models]
    P_test = P_train = None
    if res.path is not None and all(finite):
        with np.errstate(over="ignore", invalid="ignore"):
            P_test, P_train = res.path.predict(ds.X_test, widths), res.path.predict(ds.X, widths)
    for i, (n, net, t) in enumerate(res.models):
        rec = {"n": int(n), "n_params": int(net.n_trainable), "train_time": res.train_time if t is None else t}
        if not finite[i]:
            out.append(rec)
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            pt = P_test[i] if P_test is not None else net.predict(ds.X_test)
            pr = P_train[i] if P_train is not None else net.predict(ds.X)
        c_f = target.c_f if target.c_f is not None and math.isfinite(target.c_f) else None
        bound = barron_bound(c_f, n, target.radius, act) if (c_f is not None and depth == 1 and n > 0) else None
        m = fit_metrics(pt, ds.y_test, pr, ds.y)
        m["bound"] = bound
        m["bound_ratio"] = m["test_mse"] / bound if bound and m["test_mse"] is not None else None
        rec.update(m)
        rec.update(unit_stats(net, ds.X_test))
        if target.dim == 1 and target.kind != "table":  # a table has no values between its rows
            rec.update(grid_errors(net, target))
        out.append(rec)
    return out


def evaluate(canon, setups: list, results: list) -> list[dict]:
    """Flat records (without the config part) of every replica and recorded width.

    A trained run whose training MSE ends above :data:`BLOWUP_REL_MSE` × Var(y) is marked
    ``diverged``: it blew up even if its numbers stayed finite.
    """
    out = []
    for s, res in zip(setups, results, strict=True):
        common = {"replica": res.replica, "steps": res.steps, "stop_reason": res.stop_reason}
        lists = canon.trainer.record_lists  # the list-valued extras the trainer declares for its records
        common.update(
            {
                f"{rc.EXTRA_PREFIX}{k}": _extra_value(v)
                for k, v in res.extras.items()
                if isinstance(v, (int, float, str, bool)) or v is None or (isinstance(v, (list, tuple)) and k in lists)
            }
        )
        var_y = float(np.var(s.data.y))
        per_width = getattr(res.path, "record_extras", None)  # e.g. a boosting stage's scale, loss and time
        for m in _metrics(canon, s, res):
            if per_width is not None:
                m.update({f"{rc.EXTRA_PREFIX}{k}": _extra_value(v) for k, v in per_width(m["n"]).items()})
            status, message = res.status, res.message
            tm = m.get("train_mse")
            if status == "ok" and res.steps > 0 and tm is not None and var_y > 0 and tm > BLOWUP_REL_MSE * var_y:
                status = "diverged"
                message = (
                    f"training MSE {tm:.3g} is {tm / var_y:.3g} x Var(y) (above {BLOWUP_REL_MSE:g} x, the "
                    f"constant predictor's error): the run blew up"
                )
            out.append(
                {
                    **common,
                    **m,
                    "status": status,
                    "error": message or None,
                    "params_key": rc.params_key(res.replica, m["n"]),
                }
            )
    return out


def _extra_value(v):
    """A trainer's extra number as a record value: lists (restart losses, stage scales) as JSON text."""
    import json

    def plain(u):
        return [plain(w) for w in u] if isinstance(u, (list, tuple, np.ndarray)) else rc.encode(u)

    if isinstance(v, (list, tuple)):
        return json.dumps(plain(v), allow_nan=False)  # a NaN (diverged restart) is written as null
    return rc.encode(v)
