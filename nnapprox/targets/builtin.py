"""Target functions with their Barron constants.

Convention (Barron 1993)::

    f(x) = ∫ e^{iω·x} f̃(ω) dω,        C_f = ∫ |ω| |f̃(ω)| dω,

so ``f̃(ω) = (2π)^{-d} ∫ e^{-iω·x} f(x) dx``. ``C_f`` is taken over the whole
space; on a domain inside the ball ``B_r`` Barron's bound reads
``(2 r C_f)^2 / n``.

Closed forms (derivations in each factory's docstring):

========================  ============================================  ==============================
name                      f(x)                                          C_f
========================  ============================================  ==============================
``gaussian(d, s)``        ``exp(-|x|^2 / (2 s^2))``                     ``√2 Γ((d+1)/2) / (s Γ(d/2))``
``cosine_ridge``          ``cos(ω·x + φ)``                              ``|ω|``
``cosine_sum``            ``Σ_j b_j cos(ω_j·x + φ_j)``                  ``Σ_j |b_j| |ω_j|``
``ridge_sum``             ``m^(-1/2) Σ_j cos(ω_j·x)``, orthogonal ω_j     ``sqrt(m) |ω|``, |ω| = 1.5 sqrt(d + 2)
``cosine_product(d, k)``  ``Π_i cos(k x_i)``                            ``k √d``
``sigmoid_ridge(a, b)``   ``σ(a·x + b)``, ``σ(t) = 1/(1 + e^{-t})``     ``|a| / 4``
``tanh_ridge(a, b)``      ``tanh(a·x + b)``                             ``|a|``
``sin(freq)``             ``sin(freq x)`` on [-1, 1]                    ``freq``
========================  ============================================  ==============================

Outside the class (``c_f = math.inf``): a jump or a kink inside the domain makes
every extension's gradient discontinuous, while a finite ``C_f`` forces a
continuous gradient (the Fourier transform of ∇f is integrable): ``step``,
``abs``, ``ball_indicator``, and the depth targets ``sawtooth``/``tent``.
Smooth depth targets without a canonical extension have ``c_f = None``:
``square`` (x² on [0, 1]) and ``compositional``.

Factories are called with keyword parameters; ``get_target(t.name, **t.params)``
rebuilds ``t`` and ``target_defaults(name)`` lists a target's parameters. Random-looking frequencies and directions
come from a ``seed`` parameter, so the same parameters always give the same function.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import numpy as np
from scipy.special import expit

from nnapprox.targets.core import KINDS, Target, finite, fixed_dim, int_at_least, make_target, symmetric_domain, vector
from nnapprox.targets.sampling import Domain

__all__ = [
    "Target",
    "Domain",
    "TARGETS",
    "KINDS",
    "get_target",
    "list_targets",
    "target_defaults",
    "tent_map",
    "iterated_tent",
    "teacher_params",
]


# ---------------------------------------------------------------------------
# the Target object
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# parameter checks
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Barron-class targets
# ---------------------------------------------------------------------------


def gaussian(d: int = 1, s: float = 1.0, radius: float = 1.0, domain: str = "ball") -> Target:
    """Gaussian bump ``exp(-|x|^2 / (2 s^2))``.

    ``f̃(ω) = (s^2 / 2π)^{d/2} exp(-s^2 |ω|^2 / 2)`` is the density of
    ``N(0, s^{-2} I_d)``, so ``C_f = E|ω| = (1/s) √2 Γ((d+1)/2) / Γ(d/2)``
    (the mean of a chi distribution with d degrees of freedom, over s).
    """
    d = int_at_least("d", d, 1)
    s = finite("s", s, positive=True)
    dom = symmetric_domain(domain, radius)
    c_f = math.sqrt(2.0) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2)) / s

    def fn(X):
        return np.exp(-np.einsum("ij,ij->i", X, X) / (2 * s * s))

    return make_target("gaussian", d, dom, c_f, "barron", dict(d=d, s=s, radius=radius, domain=domain), fn)


def cosine_ridge(
    d: int = 1,
    omega: float | list[float] = 1.0,
    phase: float = 0.0,
    seed: int = 0,
    radius: float = 1.0,
    domain: str = "ball",
) -> Target:
    """Plane wave ``cos(ω·x + φ)``.

    ``omega`` is the vector ω itself, or a float: ω for d = 1, and for d > 1 the
    norm ``|ω|`` times a uniform random unit vector drawn from ``seed``. ``f̃`` puts mass 1/2 at
    ±ω, so ``C_f = |ω|``.
    """
    d = int_at_least("d", d, 1)
    w = vector("omega", omega, d, seed)
    phase = finite("phase", phase)
    dom = symmetric_domain(domain, radius)

    def fn(X):
        return np.cos(X @ w + phase)

    return make_target(
        "cosine_ridge",
        d,
        dom,
        np.linalg.norm(w),
        "barron",
        dict(d=d, omega=omega, phase=phase, seed=seed, radius=radius, domain=domain),
        fn,
        info={"omega": w},
    )


def cosine_sum(
    d: int = 1,
    m: int | None = None,
    omega: float = 3.0,
    seed: int = 0,
    omegas: list | None = None,
    amplitudes: list[float] | None = None,
    phases: list[float] | None = None,
    radius: float = 1.0,
    domain: str = "ball",
) -> Target:
    """Sum of plane waves ``Σ_j b_j cos(ω_j·x + φ_j)``, j = 1..m.

    ``C_f = Σ_j |b_j| |ω_j|``, exact when the frequencies are distinct up to sign
    (``ω_j ≠ ±ω_k`` for j ≠ k; checked), since then no two terms share a point
    of the spectrum.

    Default (``omegas=None``): ``m = 4`` terms drawn from ``seed`` with
    ``ω_j ~ N(0, omega^2 I_d / d)`` (so ``E|ω_j|^2 = omega^2``),
    ``b_j ~ N(0, 1/m)`` and ``φ_j ~ U(0, 2π)``.
    Explicit: ``omegas`` of shape ``(m, d)``; ``amplitudes`` (default all 1) and
    ``phases`` (default all 0) of shape ``(m,)``.
    """
    d = int_at_least("d", d, 1)
    dom = symmetric_domain(domain, radius)
    if omegas is None:
        m_ = 4 if m is None else int_at_least("m", m, 1)
        omega_ = finite("omega", omega, positive=True)
        rng = np.random.default_rng(int_at_least("seed", seed, 0))
        W = rng.standard_normal((m_, d)) * (omega_ / math.sqrt(d))
        B = rng.standard_normal(m_) / math.sqrt(m_)
        P = rng.uniform(0.0, 2 * math.pi, m_)
        if amplitudes is not None or phases is not None:
            raise ValueError("amplitudes and phases are only allowed together with explicit omegas")
    else:
        W = np.asarray(omegas, dtype=np.float64)
        if W.ndim == 1 and d == 1:
            W = W[:, None]
        if W.ndim != 2 or W.shape[1] != d or W.shape[0] < 1 or not np.all(np.isfinite(W)):
            raise ValueError(f"omegas={omegas!r} is invalid: omegas must be a finite array of shape (m, d={d})")
        m_ = W.shape[0]
        if m is not None and m != m_:
            raise ValueError(f"m={m!r} is invalid: it must equal len(omegas)={m_} (or be left out)")
        B = np.ones(m_) if amplitudes is None else np.asarray(amplitudes, dtype=np.float64)
        P = np.zeros(m_) if phases is None else np.asarray(phases, dtype=np.float64)
        if B.shape != (m_,) or not np.all(np.isfinite(B)):
            raise ValueError(f"amplitudes={amplitudes!r} is invalid: need a finite array of shape ({m_},)")
        if P.shape != (m_,) or not np.all(np.isfinite(P)):
            raise ValueError(f"phases={phases!r} is invalid: need a finite array of shape ({m_},)")
    for j in range(m_):
        for k in range(j + 1, m_):
            if np.allclose(W[j], W[k], rtol=0, atol=1e-12) or np.allclose(W[j], -W[k], rtol=0, atol=1e-12):
                raise ValueError(
                    f"omegas is invalid: frequencies {j} and {k} coincide up to sign; they must be distinct"
                )
    c_f = float(np.sum(np.abs(B) * np.linalg.norm(W, axis=1)))

    def fn(X):
        return np.cos(X @ W.T + P) @ B

    params = dict(
        d=d,
        m=m,
        omega=omega,
        seed=seed,
        omegas=omegas,
        amplitudes=amplitudes,
        phases=phases,
        radius=radius,
        domain=domain,
    )
    return make_target(
        "cosine_sum", d, dom, c_f, "barron", params, fn, info={"omegas": W, "amplitudes": B, "phases": P}
    )


def ridge_sum(
    d: int = 2, m: int = 1, scale: float = 1.5, seed: int = 0, radius: float = 1.0, domain: str = "ball"
) -> Target:
    """Ridges in orthogonal directions at the frequency that keeps n_0 near its floor in every d:
    ``m^(-1/2) Σ_j cos(ω_j·x)``, ``|ω_j| = scale · sqrt(d + 2)``, j = 1..m ≤ d.

    ``C_f = Σ_j |b_j| |ω_j| = sqrt(m) · scale · sqrt(d + 2)`` (the frequencies are distinct up to
    sign). Under the uniform measure on the ball every Barron function has Var f ≤ C_f² r²/(d + 2),
    so n_0 = (2 r C_f)²/Var f ≥ 4 (d + 2); with ``scale = 1.5`` each ridge keeps Var f near 0.4 in every d
    and n_0 near 22 m (d + 2). The directions are the columns of the Q factor of a Gaussian matrix
    drawn from ``seed``. One ridge (m = 1) becomes a 1-D problem once its direction is found; sums of
    several test how the error depends on d.
    """
    d = int_at_least("d", d, 1)
    m = int_at_least("m", m, 1)
    if m > d:
        raise ValueError(f"m={m!r} is invalid: at most d={d} orthogonal directions")
    scale = finite("scale", scale, positive=True)
    dom = symmetric_domain(domain, radius)
    q, _ = np.linalg.qr(np.random.default_rng(int_at_least("seed", seed, 0)).standard_normal((d, d)))
    W = (scale * math.sqrt(d + 2)) * q[:, :m].T
    b = 1.0 / math.sqrt(m)

    def fn(X):
        return b * np.cos(X @ W.T).sum(axis=1)

    return make_target(
        "ridge_sum",
        d,
        dom,
        m * b * scale * math.sqrt(d + 2),
        "barron",
        dict(d=d, m=m, scale=scale, seed=seed, radius=radius, domain=domain),
        fn,
        info={"omegas": W},
    )


def cosine_product(d: int = 1, k: float = 1.0, radius: float = 1.0, domain: str = "ball") -> Target:
    """Product ``Π_{i=1}^d cos(k x_i)``.

    Expanding each factor as ``(e^{ikx_i} + e^{-ikx_i})/2`` gives 2^d point masses
    ``2^{-d}`` at ``k ε``, ``ε ∈ {±1}^d``, all of norm ``k √d``: ``C_f = k √d``.
    """
    d = int_at_least("d", d, 1)
    k = finite("k", k, positive=True)
    dom = symmetric_domain(domain, radius)

    def fn(X):
        return np.prod(np.cos(k * X), axis=1)

    return make_target(
        "cosine_product", d, dom, k * math.sqrt(d), "barron", dict(d=d, k=k, radius=radius, domain=domain), fn
    )


def sigmoid_ridge(
    d: int = 1, a: float | list[float] = 1.0, b: float = 0.0, seed: int = 0, radius: float = 1.0, domain: str = "ball"
) -> Target:
    """Ridge ``σ(a·x + b)`` with the logistic ``σ(t) = 1/(1 + e^{-t})``.

    ``a`` is a vector, or a float: the slope for d = 1, and for d > 1 the norm
    ``|a|`` times a uniform random unit vector drawn from ``seed``. Derivation: for a ridge
    ``g(a·x + b)`` the spectrum lies on the line ``ω = t a``, so
    ``C_f = |a| C_g`` with ``C_g = ∫ |t| |g̃(t)| dt = (1/2π) ∫ |ĝ'(ξ)| dξ`` (ĝ' the
    plain Fourier transform of g'). With ``σ(t) = 1/2 + tanh(t/2)/2`` and
    ``C_tanh = 1`` (see :func:`tanh_ridge`), dilation gives ``C_σ = (1/2)(1/2) = 1/4``:
    ``C_f = |a| / 4``. (Checked numerically in the tests from the transform of
    ``σ' = σ(1 − σ)`` by quadrature.)
    """
    d = int_at_least("d", d, 1)
    w = vector("a", a, d, seed)
    b = finite("b", b)
    dom = symmetric_domain(domain, radius)

    def fn(X):
        return expit(X @ w + b)

    return make_target(
        "sigmoid_ridge",
        d,
        dom,
        np.linalg.norm(w) / 4,
        "barron",
        dict(d=d, a=a, b=b, seed=seed, radius=radius, domain=domain),
        fn,
        info={"a": w},
    )


def tanh_ridge(
    d: int = 1, a: float | list[float] = 1.0, b: float = 0.0, seed: int = 0, radius: float = 1.0, domain: str = "ball"
) -> Target:
    """Ridge ``tanh(a·x + b)`` (``a`` as in :func:`sigmoid_ridge`).

    ``(tanh)' = sech^2`` has the transform ``∫ sech^2(t) e^{-iξt} dt = πξ / sinh(πξ/2)``,
    so ``C_tanh = (1/2π) ∫ |πξ / sinh(πξ/2)| dξ = ∫_0^∞ ξ / sinh(πξ/2) dξ
    = (4/π^2) ∫_0^∞ u / sinh(u) du = (4/π^2)(π^2/4) = 1``, and ``C_f = |a|``.
    """
    d = int_at_least("d", d, 1)
    w = vector("a", a, d, seed)
    b = finite("b", b)
    dom = symmetric_domain(domain, radius)

    def fn(X):
        return np.tanh(X @ w + b)

    return make_target(
        "tanh_ridge",
        d,
        dom,
        np.linalg.norm(w),
        "barron",
        dict(d=d, a=a, b=b, seed=seed, radius=radius, domain=domain),
        fn,
        info={"a": w},
    )


def sin(d: int = 1, freq: float = 1.0, radius: float = 1.0, domain: str = "ball") -> Target:
    """``sin(freq · x)`` on [-1, 1] (d = 1); ``C_f = freq`` (mass 1/2 at ±freq)."""
    d = fixed_dim("sin", d, 1)
    freq = finite("freq", freq, positive=True)
    dom = symmetric_domain(domain, radius)

    def fn(X):
        return np.sin(freq * X[:, 0])

    return make_target("sin", d, dom, freq, "barron", dict(d=d, freq=freq, radius=radius, domain=domain), fn)


# ---------------------------------------------------------------------------
# outside the class
# ---------------------------------------------------------------------------


def step(d: int = 1, radius: float = 1.0, domain: str = "ball") -> Target:
    """Heaviside step ``1{x_1 > 0}``: a jump inside the domain, ``C_f = inf``."""
    d = int_at_least("d", d, 1)
    dom = symmetric_domain(domain, radius)

    def fn(X):
        return (X[:, 0] > 0).astype(np.float64)

    return make_target("step", d, dom, math.inf, "non_barron", dict(d=d, radius=radius, domain=domain), fn)


def abs_(d: int = 1, radius: float = 1.0, domain: str = "ball") -> Target:
    """``|x_1|``: a kink inside the domain, ``C_f = inf``."""
    d = int_at_least("d", d, 1)
    dom = symmetric_domain(domain, radius)

    def fn(X):
        return np.abs(X[:, 0])

    return make_target("abs", d, dom, math.inf, "non_barron", dict(d=d, radius=radius, domain=domain), fn)


def ball_indicator(d: int = 1, rho: float = 0.5, radius: float = 1.0, domain: str = "ball") -> Target:
    """Indicator ``1{|x| <= ρ}`` of a ball; needs ``0 < ρ < r`` (the jump inside the domain), ``C_f = inf``."""
    d = int_at_least("d", d, 1)
    dom = symmetric_domain(domain, radius)
    rho = finite("rho", rho, positive=True)
    r = dom.bounding_radius(d)
    if rho >= r:
        raise ValueError(f"rho={rho!r} is invalid: rho must satisfy 0 < rho < r = {r} (jump inside the domain)")

    def fn(X):
        return (np.einsum("ij,ij->i", X, X) <= rho * rho).astype(np.float64)

    return make_target(
        "ball_indicator", d, dom, math.inf, "non_barron", dict(d=d, rho=rho, radius=radius, domain=domain), fn
    )


# ---------------------------------------------------------------------------
# depth targets
# ---------------------------------------------------------------------------

_UNIT = Domain("cube", low=0.0, high=1.0)


def radial(d: int = 4, eps: float = 0.05, radius: float = 1.0, domain: str = "cube") -> Target:
    """A smoothed ball indicator ``σ((ρ − |x|)/ε)``, σ the logistic function (Safran & Shamir 2017).

    ρ is the median of |x| under the uniform measure of the domain, so about half the mass lies
    inside: ``ρ = r 2^(−1/d)`` on the ball of radius r, ``ρ = r √(d/3)`` on the cube ``[−r, r]^d``
    (where |x|² has mean d r²/3 and |x| a spread of about 0.26 r whatever d). ε sets the width of
    the transition. A radial function: one hidden layer must build it from ridge functions, two
    can compute |x|² = Σ x_i² and then a function of one variable (Eldan & Shamir 2016 give radial
    functions that separate depth 2 from depth 3 exponentially in d). Smooth, ``c_f = None``.
    """
    d = int_at_least("d", d, 1)
    eps = finite("eps", eps, positive=True)
    dom = symmetric_domain(domain, radius)
    r = float(radius)
    rho = r * 2.0 ** (-1.0 / d) if domain == "ball" else r * math.sqrt(d / 3.0)

    def fn(X):
        return expit((rho - np.sqrt(np.einsum("ij,ij->i", X, X))) / eps)

    return make_target(
        "radial", d, dom, None, "depth", dict(d=d, eps=eps, radius=radius, domain=domain), fn, info={"rho": rho}
    )


def tent_map(x):
    """Telgarsky's tent map ``Δ(x) = 2 relu(x) − 4 relu(x − 1/2)`` (maps [0, 1] onto [0, 1])."""
    x = np.asarray(x, dtype=np.float64)
    return 2 * np.maximum(x, 0.0) - 4 * np.maximum(x - 0.5, 0.0)


def iterated_tent(x, k: int):
    """The sawtooth ``Δ^k = Δ ∘ ... ∘ Δ`` (k times): 2^{k-1} teeth, 2^k linear pieces on [0, 1]."""
    k = int_at_least("k", k, 0)
    x = np.asarray(x, dtype=np.float64)
    for _ in range(k):
        x = tent_map(x)
    return x


def sawtooth(k: int = 1, d: int = 1) -> Target:
    """Telgarsky's sawtooth ``Δ^k`` on [0, 1] (d = 1); kinks inside, ``C_f = inf``."""
    d = fixed_dim("sawtooth", d, 1)
    k = int_at_least("k", k, 1)

    def fn(X):
        return iterated_tent(X[:, 0], k)

    return make_target("sawtooth", d, _UNIT, math.inf, "depth", dict(k=k, d=d), fn)


def tent(d: int = 1) -> Target:
    """The tent map Δ on [0, 1] (= ``sawtooth`` with k = 1); ``C_f = inf``."""
    t = sawtooth(k=1, d=d)
    return make_target("tent", t.dim, t.domain, t.c_f, "depth", dict(d=t.dim), t.fn)


def square(d: int = 1) -> Target:
    """Yarotsky's ``x^2`` on [0, 1] (d = 1); smooth, ``c_f = None`` (depends on the extension)."""
    d = fixed_dim("square", d, 1)

    def fn(X):
        return X[:, 0] ** 2

    return make_target("square", d, _UNIT, None, "depth", dict(d=d), fn)


def _h1(u, v):
    return u * v


def _h2(u, v):
    return np.sin(0.25 * np.pi * (u + v))


def _h3(u, v):
    return np.sin(np.pi * u * v)


def compositional(d: int = 8) -> Target:
    """Binary-tree compositional function of 8 inputs on ``[0, 1]^8``.

    ``f(x) = h3(h2(h1(x1, x2), h1(x3, x4)), h2(h1(x5, x6), h1(x7, x8)))`` with the
    smooth 2-input constituents

    * leaves  ``h1(u, v) = u v``                 ([0, 1]^2 -> [0, 1])
    * middle  ``h2(u, v) = sin(π (u + v) / 4)``   ([0, 1]^2 -> [0, 1])
    * root    ``h3(u, v) = sin(π u v)``           ([0, 1]^2 -> [0, 1])

    so every node sees inputs in [0, 1] and f maps [0, 1]^8 into [0, 1]
    (variance about 0.077 under the uniform measure). ``c_f = None``.
    """
    d = fixed_dim("compositional", d, 8)

    def fn(X):
        leaves = [_h1(X[:, 2 * i], X[:, 2 * i + 1]) for i in range(4)]
        mid = [_h2(leaves[0], leaves[1]), _h2(leaves[2], leaves[3])]
        return _h3(mid[0], mid[1])

    return make_target("compositional", d, _UNIT, None, "depth", dict(d=d), fn)


def teacher_params(d, widths, seed):
    """The teacher's weights and biases: every ``W[l]`` and ``b[l]`` i.i.d. U(±1/sqrt(n_{l−1})).

    That is the distribution of PyTorch's ``nn.Linear`` default initialisation, with which
    Michaud, Liu & Tegmark (2023) draw their teacher; the numbers come from
    ``np.random.default_rng(seed)`` (W then b, layer by layer), not from PyTorch's generator.

    Returns
    -------
    weights, biases : lists of arrays, ``(n_l, n_{l−1})`` and ``(n_l,)``
    """
    rng = np.random.default_rng(seed)
    sizes = [d] + list(widths) + [1]
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        a = 1.0 / math.sqrt(fan_in)
        weights.append(rng.uniform(-a, a, size=(fan_out, fan_in)))
        biases.append(rng.uniform(-a, a, size=fan_out))
    return weights, biases


def teacher(d: int = 1, widths: list[int] = (3, 3), seed: int = 0, radius: float = 1.0, domain: str = "cube") -> Target:
    """A random tanh network ``[d, *widths, 1]`` (teacher-student experiments; Michaud et al. 2023).

    Weights and biases from :func:`teacher_params` (U(±1/sqrt(fan_in)), seed ``seed``);
    evaluated with ``np.tanh`` in float64. A smooth function without a closed-form Barron
    constant (``c_f = None``); the default 1-3-3-1 on [−1, 1] is Michaud et al.'s teacher
    architecture.
    """
    d = int_at_least("d", d, 1)
    seed = int_at_least("seed", seed, 0)
    try:
        widths = [int_at_least("widths", w, 1) for w in widths]
    except TypeError:
        raise ValueError(f"widths={widths!r} is invalid: a non-empty list of integers >= 1") from None
    if not widths:
        raise ValueError("widths=[] is invalid: a teacher needs at least one hidden layer")
    dom = symmetric_domain(domain, radius)
    weights, biases = teacher_params(d, widths, seed)

    def fn(X):
        A = X
        for W, b in zip(weights[:-1], biases[:-1], strict=True):
            A = np.tanh(A @ W.T + b)
        return (A @ weights[-1].T + biases[-1])[:, 0]

    return make_target(
        "teacher",
        d,
        dom,
        None,
        "depth",
        dict(d=d, widths=list(widths), seed=seed, radius=radius, domain=domain),
        fn,
        info={"weights": [W.tolist() for W in weights], "biases": [b.tolist() for b in biases]},
    )


# ---------------------------------------------------------------------------
# the user's own: a Python function or a table (nnapprox.targets.user)
# ---------------------------------------------------------------------------


def python(
    d: int = 1,
    fn: str | None = None,
    c_f: float | None = None,
    radius: float = 1.0,
    domain: str = "ball",
    fn_sha256: str | None = None,
) -> Target:
    """Your function ``fn='module:function'`` or ``'file.py:function'``, X (N, d) -> (N,); C_f given or estimated.

    C_f is ``c_f`` when given, else an FFT estimate (d <= 3), else unknown.

    See :func:`nnapprox.targets.user.python_target`.
    """
    from nnapprox.targets.user import python_target

    return python_target(d=d, fn=fn, c_f=c_f, radius=radius, domain=domain, fn_sha256=fn_sha256)


def table(
    path: str | None = None,
    label: str = "y",
    columns: list[str] | None = None,
    sha256: str | None = None,
    d: int | None = None,
) -> Target:
    """Your data: the rows of a CSV file ``path`` (features ``columns``, label ``label``), split per replica; no C_f.

    See :func:`nnapprox.targets.user.table_target`; ``d``, when given, must be the number of feature columns.
    """
    from nnapprox.targets.user import table_target

    t = table_target(path=path, label=label, columns=columns, sha256=sha256)
    if d is not None and d != t.dim:
        raise ValueError(
            f"d={d!r} is invalid: the table has {t.dim} feature column(s) ({', '.join(t.params['columns'])})"
        )
    return t


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

TARGETS: dict[str, Callable[..., Target]] = {
    "gaussian": gaussian,
    "cosine_ridge": cosine_ridge,
    "cosine_sum": cosine_sum,
    "ridge_sum": ridge_sum,
    "cosine_product": cosine_product,
    "sigmoid_ridge": sigmoid_ridge,
    "tanh_ridge": tanh_ridge,
    "sin": sin,
    "step": step,
    "abs": abs_,
    "ball_indicator": ball_indicator,
    "sawtooth": sawtooth,
    "tent": tent,
    "square": square,
    "compositional": compositional,
    "radial": radial,
    "teacher": teacher,
    "python": python,
    "table": table,
}

# kind of each registered target (checked against the built targets in the tests)
_KIND_OF = {
    "gaussian": "barron",
    "cosine_ridge": "barron",
    "cosine_sum": "barron",
    "ridge_sum": "barron",
    "cosine_product": "barron",
    "sigmoid_ridge": "barron",
    "tanh_ridge": "barron",
    "sin": "barron",
    "step": "non_barron",
    "abs": "non_barron",
    "ball_indicator": "non_barron",
    "sawtooth": "depth",
    "tent": "depth",
    "square": "depth",
    "compositional": "depth",
    "radial": "depth",
    "teacher": "depth",
    "python": "user",
    "table": "table",
}


def list_targets(kind: str | None = None) -> list[str]:
    """Sorted registry names, optionally only those of one ``kind``."""
    if kind is None:
        return sorted(TARGETS)
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is invalid; valid kinds: {', '.join(KINDS)}")
    return sorted(n for n in TARGETS if _KIND_OF[n] == kind)


def _factory(name):
    if not isinstance(name, str) or name not in TARGETS:
        raise ValueError(f"name={name!r} is not a known target; valid names: {', '.join(sorted(TARGETS))}")
    return TARGETS[name]


def target_defaults(name: str) -> dict:
    """The parameters target ``name`` accepts, with their defaults (e.g. to filter a config)."""
    return {k: p.default for k, p in inspect.signature(_factory(name)).parameters.items()}


def get_target(name: str, **params) -> Target:
    """Build the target ``name`` with keyword ``params``.

    Raises
    ------
    ValueError
        Unknown name (the message lists the valid names), a parameter the target
        does not take (lists the allowed ones), or an out-of-range value.
    """
    factory = _factory(name)
    allowed = list(inspect.signature(factory).parameters)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(
            f"target {name!r} got unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    return factory(**params)
