def train_random_features(net, X, y, loss, rng, **options):
    raise NotImplementedError
