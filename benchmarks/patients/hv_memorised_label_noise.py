"""Fault: 20 % label noise and only 500 training examples of two Gaussian classes in 20-D, a 512-512
MLP trained 60 epochs with no weight decay or dropout: it memorises the flipped labels. Bayes error
0.2 + 0.6·Φ(−2) = 21.4 % (given). Cure: weight decay and a small model."""

import clinic

import dldoctor as dd

SOURCE = "DeepCrime: change_dropout_rate / the undoing of add_weights_regularisation; UMLAUT: overfitting"
EXPECTED = "high_variance"
WHY = (
    "train error far below the 21 % floor, train-dev far above it: memorised noise, material recoverable "
    "variance"
)


def clean(n, rng):
    return clinic.two_gaussians(n, rng, dim=20, half_gap=2.0)


NOISY = clinic.noisy(clean, 0.20, 2)
SETUP = dict(
    model=lambda: clinic.mlp([20, 512, 512, 2]),
    data=lambda seed: clinic.splits(NOISY, seed, 500, 1500, 1500),
    bayes_error=0.2 + 0.6 * clinic.normal_cdf(-2.0),
    lr=1e-3,
    batch_size=32,
    epochs=60,
)
CURE = dict(model=lambda: clinic.mlp([20, 8, 2]), weight_decay=1e-3, epochs=30)
recipe = dd.Recipe(name="hv-memorised-label-noise", **SETUP)
