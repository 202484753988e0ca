"""nnapprox.experiment.validation: options a run cannot honour (depth, dtype, unused init keys, options that depend
on the data) are refused before any job."""

import pytest
from helpers import plain_config, small_sin_cfg

from nnapprox.experiment.validation import ConfigError, canonical


@pytest.mark.parametrize(
    "over,match",
    [
        (
            {
                "target": {"name": "compositional", "d": 8},
                "model.structure": "tree",
                "model.depth": 2,
                "model.width": 2,
            },
            "model.depth",
        ),
        (
            {"target": {"name": "radial", "d": 6}, "model.structure": "tree", "model.depth": 3, "model.width": 2},
            "power of 2",
        ),
        (
            {
                "target": {"name": "compositional", "d": 8},
                "model.structure": "tree",
                "model.depth": 3,
                "model.width": 2,
                "trainer": {"name": "oga"},
            },
            "tree",
        ),
        ({"activation.name": "relu", "model.init": "rai", "model.bias_init": "data"}, "model.bias_init"),
    ],
)
def test_depth_options_that_cannot_be_honoured_are_refused(over, match):
    with pytest.raises(ValueError, match=match):
        canonical(plain_config(**over))


# constructive trainers: depth and dtype they cannot honour are refused; their unused init keys are null
def test_constructive_trainers_refuse_depth_and_dtype():
    oga = {"name": "oga"}
    with pytest.raises(ConfigError, match="model.depth=3 is not supported by trainer 'oga'"):
        canonical(small_sin_cfg(trainer=oga, **{"model.depth": 3}))
    with pytest.raises(ConfigError, match="model.dtype='float32' is not supported"):
        canonical(small_sin_cfg(trainer=oga, **{"model.dtype": "float32"}))
    with pytest.raises(ConfigError, match="model.init='he' is not used by this run"):
        canonical(small_sin_cfg(trainer=oga, **{"model.init": "he"}))
    c = canonical(small_sin_cfg(trainer=oga, **{"activation.name": "sigmoid"}))
    assert c.config["model"]["init"] is None and c.config["model"]["bias_init"] is None


# options that would fail inside a job are refused before it
def test_options_that_depend_on_the_data_are_checked_too():
    rf = {"name": "random_features", "val_fraction": 0.01}
    with pytest.raises(ConfigError, match="trainer.val_fraction=0.01 leaves 0 validation and 50 fitting points"):
        canonical(small_sin_cfg(trainer=rf, **{"data.N": 50, "activation.name": "sigmoid"}))
