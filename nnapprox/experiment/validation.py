"""A composed config in, the validated run out: :func:`canonical`.

1. :func:`~nnapprox.experiment.schema.check_closed`: keys the schema does not know are refused (a trainer's
   options and a target's parameters against that trainer's and that target's own declarations);
2. :func:`resolve`: every group's values checked against its declarations and defaulted, the
   target built, the trainer's options resolved (a trainer's options against that trainer's
   declaration: ``trainer=oga trainer.lr=0.1`` is refused);
3. the named rules of :data:`nnapprox.experiment.rules.RULES`, in order, each one concern: a
   value the run would not use is refused when it was set and recorded as ``null`` when left at
   its default; defaults that depend on other keys are resolved (the initialisation by the
   activation's family); combinations the trainer's declared facts exclude are refused;
4. optionally the memory estimate (:mod:`nnapprox.experiment.memory`).

The result (:class:`Canonical`) holds exactly what the run uses, so its hash says what was
computed. Every refusal is one line (:class:`~nnapprox.experiment.errors.ConfigError`) naming the
key, the value and what is allowed. No Hydra here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnapprox.base.options import resolve as resolve_options
from nnapprox.experiment.errors import ConfigError, config_error
from nnapprox.experiment.groups import ACTIVATION_OPTIONS, DATA_OPTIONS, MODEL_OPTIONS, RUN_OPTIONS
from nnapprox.experiment.records import config_hash
from nnapprox.experiment.schema import check_closed

__all__ = ["ConfigError", "Canonical", "Draft", "canonical", "resolve", "model_sizes"]


@dataclass
class Canonical:
    """A validated run.

    Attributes
    ----------
    config : dict
        Nested like the schema, holding exactly what the run uses: the target's parameters and
        the trainer's options resolved, unused keys ``None``. Records are ``flatten(config)``.
    hash : str
        :func:`nnapprox.experiment.records.config_hash` of ``config``.
    target : Target
        The built target.
    trainer : Trainer
        The trainer's declaration.
    options : dict
        The trainer's resolved options (identity options and the rest, e.g. ``progress_every``).
    """

    config: dict
    hash: str
    target: Any
    trainer: Any
    options: dict

    @property
    def sizes(self) -> list:
        return model_sizes(self.config["model"], self.target.dim)


@dataclass
class Draft:
    """A run being validated: the groups checked against their declarations, before the rules."""

    run: dict
    target: Any
    model: dict
    act: dict
    data: dict
    spec: Any
    loss: str
    options: dict

    @property
    def sizes(self) -> list:
        return model_sizes(self.model, self.target.dim)


def model_sizes(model: dict, d: int) -> list:
    """Layer sizes of a (resolved) model group on d inputs: dense ``[d, w, ..., w, 1]`` or a binary tree."""
    if model.get("structure") == "tree":
        from nnapprox.engine.structure import tree_sizes

        return tree_sizes(d, model["width"])
    return [d] + [model["width"]] * model["depth"] + [1]


def _check_group(group: str | None, values: dict, declared) -> dict:
    out = {}
    for o in declared:
        v = values.get(o.name, o.default)
        try:
            out[o.name] = o.check(v, f"{group}.{o.name}" if group else o.name) if v is not None else None
        except ValueError as e:
            raise config_error(str(e)) from None
    return out


def _target(t: dict):
    from nnapprox.targets.builtin import TARGETS, get_target

    name = t.get("name")
    if name not in TARGETS:
        raise config_error(f"target.name={name!r} is not known; valid: {', '.join(sorted(TARGETS))}")
    params = {k: v for k, v in t.items() if k != "name" and v is not None}  # (unknown ones: check_closed)
    if isinstance(params.get("d"), bool) or not isinstance(params.get("d", 1), int) or params.get("d", 1) < 1:
        raise config_error(f"target.d={params.get('d')!r} must be an integer >= 1")
    try:
        target = get_target(name, **params)
    except ValueError as e:
        raise config_error(f"target {name!r}: {e}") from None
    if "d" in params and target.dim != params["d"]:
        raise config_error(f"target.d={params['d']} must be {target.dim} for target {name!r}")
    return target


def _trainer(tr: dict, run: dict):
    """The trainer's declaration, loss and resolved options."""
    from nnapprox.trainers import TRAINERS
    from nnapprox.trainers.checks import check_loss

    tr = dict(tr)
    name, loss = tr.pop("name", None), tr.pop("loss", "mse")
    if name not in TRAINERS:
        raise config_error(f"trainer.name={name!r} is not known; valid: {', '.join(sorted(TRAINERS))}")
    spec = TRAINERS[name]
    try:
        check_loss(spec, loss)
    except ValueError as e:
        raise config_error(str(e)) from None
    given = {k: v for k, v in tr.items() if v is not None}  # (options it does not take: check_closed)
    try:
        options = resolve_options(spec.options, given, f"trainer {name!r}", prefix="trainer.")
    except ValueError as e:
        raise config_error(str(e)) from None
    if "progress_every" in options:
        options["progress_every"] = run["progress_every"]
    return spec, loss, options


def resolve(cfg: dict) -> Draft:
    """Check every group of a plain config against its declarations; build the target (step 2 above)."""
    check_closed(cfg)
    run = _check_group(None, {k: v for k, v in cfg.items() if not isinstance(v, dict)}, RUN_OPTIONS)
    target = _target(cfg["target"])
    model = _check_group("model", cfg["model"], MODEL_OPTIONS)
    act = _check_group("activation", cfg["activation"], ACTIVATION_OPTIONS)
    data = _check_group("data", cfg["data"], DATA_OPTIONS)
    spec, loss, options = _trainer(cfg["trainer"], run)
    return Draft(run, target, model, act, data, spec, loss, options)


def canonical(cfg: dict, *, check_memory: bool = False) -> Canonical:
    """Validate a composed config and resolve it into the run it describes.

    Parameters
    ----------
    cfg : dict
        A plain (resolved) config, as from ``OmegaConf.to_container(cfg, resolve=True)``.
    check_memory : bool
        Also refuse a run whose estimated peak memory (:func:`nnapprox.experiment.memory.estimate_bytes`)
        exceeds the memory available on this machine.

    Returns
    -------
    Canonical

    Raises
    ------
    ConfigError
        One line naming the first offending key, its value and what is allowed.
    """
    from nnapprox.experiment.rules import RULES

    draft = resolve(cfg)
    for rule in RULES:
        rule(draft)
    spec, options = draft.spec, draft.options
    trainer_cfg = {
        "name": spec.name,
        "loss": draft.loss,
        **{k: v for k, v in options.items() if spec.option(k).identity and spec.option(k).config},
    }
    conf = {
        "target": {"name": draft.target.name, **draft.target.params},
        "model": draft.model,
        "activation": draft.act,
        "data": draft.data,
        "trainer": trainer_cfg,
        **draft.run,
    }
    canon = Canonical(config=conf, hash=config_hash(conf), target=draft.target, trainer=spec, options=options)
    if check_memory:
        from nnapprox.experiment.memory import check_memory as check

        check(canon)
    return canon
