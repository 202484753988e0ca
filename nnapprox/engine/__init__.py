"""The MLP engine: activations, losses, the network (parameters as views of one flat vector; forward and
backward as the backprop lecture derives them), initialisations, the blocked fast path and the gradient check.
"""
