"""nnapprox.engine.structure: tree-structured networks (sizes, mask, gradient, training)."""

import numpy as np
import pytest

from nnapprox import MLP, fit
from nnapprox.engine.gradcheck import numerical_gradient, relative_error
from nnapprox.engine.structure import tree_mask, tree_sizes


def test_tree_sizes_and_mask_connect_each_node_to_its_two_children_only():
    assert tree_sizes(8, 2) == [8, 8, 4, 2, 1]
    net = MLP(tree_sizes(8, 2), "relu", rng=np.random.default_rng(0), mask=tree_mask(8, 2))
    W1, W2, W3 = net.weights[:3]
    # level 1: node j (units 2j, 2j+1) sees inputs 2j, 2j+1 only
    for node in range(4):
        rows = W1[2 * node : 2 * node + 2]
        assert np.all(rows[:, 2 * node : 2 * node + 2] != 0)
        assert np.count_nonzero(rows) == 4
    # level 2: node j sees the 4 units of child nodes 2j and 2j+1
    assert np.count_nonzero(W2[:2, 4:]) == 0 and np.count_nonzero(W2[2:, :4]) == 0
    assert np.count_nonzero(W3) == W3.size  # the root sees both children
    assert net.n_trainable == int(tree_mask(8, 2).sum()) < net.n_params
    # the first half of the inputs reaches only the first root child: the second subtree's output moves alone
    x = np.random.default_rng(1).uniform(size=(5, 8))
    a = x.copy()
    a[:, 4:] += 0.3

    def z_left(X):
        return np.maximum(X @ W1.T + net.biases[0], 0)[:, :4]

    assert np.array_equal(z_left(x), z_left(a))


@pytest.mark.parametrize("d,w", [(4, 2), (8, 3)])
def test_tree_gradient_matches_finite_differences_and_is_zero_off_the_tree(d, w):
    rng = np.random.default_rng(d + w)
    net = MLP(tree_sizes(d, w), "tanh", rng=rng, mask=tree_mask(d, w))
    X = rng.uniform(-1, 1, size=(40, d))
    y = np.sin(X.sum(axis=1))
    keep = tree_mask(d, w) == 1
    X, y = net.check_data(X, y)
    theta0 = net.theta.copy()
    _, g = net.loss_and_grad_flat(theta0, X, y)
    g = g.copy()
    assert np.all(g[~keep] == 0.0)  # the structure leaves these connections out: no gradient
    num = numerical_gradient(lambda t: net.loss_and_grad_flat(t, X, y)[0], theta0)
    assert relative_error(g[keep], num[keep]) < 1e-7
    assert np.abs(num[~keep]).max() > 1e-6  # the masked entries would matter, were they free


def test_training_a_tree_keeps_the_left_out_connections_at_zero():
    d, w = 8, 2
    rng = np.random.default_rng(3)
    net = MLP(tree_sizes(d, w), "relu", rng=rng, mask=tree_mask(d, w))
    X = rng.uniform(0, 1, size=(200, d))
    y = np.prod(X[:, :2], axis=1) + X[:, 7]
    theta0 = net.theta.copy()
    fit(net, X, y, trainer="adam", lr=1e-2, max_steps=200, progress_every=0)
    keep = tree_mask(d, w) == 1
    assert np.all(net.theta[~keep] == 0.0)
    assert np.mean(net.theta[keep] != theta0[keep]) > 0.5  # the tree's own connections did train


def test_tree_sizes_refuse_a_dimension_that_is_not_a_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        tree_sizes(6, 2)
