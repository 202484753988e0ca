"""nnapprox.experiment.validation: depth options a run cannot honour are refused before any job."""
import pytest


@pytest.mark.parametrize("over,match", [
    ({"target": {"name": "compositional", "d": 8}, "model.structure": "tree", "model.depth": 2, "model.width": 2},
     "model.depth"),
    ({"target": {"name": "radial", "d": 6}, "model.structure": "tree", "model.depth": 3, "model.width": 2},
     "power of 2"),
    ({"target": {"name": "compositional", "d": 8}, "model.structure": "tree", "model.depth": 3, "model.width": 2,
      "trainer": {"name": "oga"}}, "tree"),
    ({"activation.name": "relu", "model.init": "rai", "model.bias_init": "data"}, "model.bias_init"),
])
def test_depth_options_that_cannot_be_honoured_are_refused(over, match):
    from helpers import plain_config

    from nnapprox.experiment.validation import canonical
    with pytest.raises(ValueError, match=match):
        canonical(plain_config(**over))
