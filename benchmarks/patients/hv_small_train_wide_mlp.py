"""Fault: 200 training examples of two Gaussian classes in 40-D fed to a 512-512 MLP for 60 epochs
with no regularisation: it memorises the training set (train error 0) and generalises poorly
(Bayes error Φ(−1) = 15.9 %, given). Cure: 4,000 training examples."""

import clinic

import dldoctor as dd

SOURCE = "DeepCrime: delete_training_data; UMLAUT: overfitting heuristic (train ≫ validation accuracy)"
EXPECTED = "high_variance"
WHY = "train error ≈ 0 below Bayes, train-dev well above Bayes: the recoverable variance is material"


def sample(n, rng):
    return clinic.two_gaussians(n, rng, dim=40)


SETUP = dict(
    model=lambda: clinic.mlp([40, 512, 512, 2]),
    data=lambda seed: clinic.splits(sample, seed, 200, 1000, 1000),
    bayes_error=clinic.normal_cdf(-1.0),
    lr=1e-3,
    batch_size=32,
    epochs=60,
)
CURE = dict(
    data=lambda seed: clinic.splits(sample, seed, 4000, 1000, 1000), model=lambda: clinic.mlp([40, 16, 2])
)
recipe = dd.Recipe(name="hv-small-train-wide-mlp", **SETUP)
