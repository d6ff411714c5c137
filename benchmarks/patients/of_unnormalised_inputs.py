"""Fault: unnormalised inputs. The breast-cancer features are fed raw (from ~1e-3 up to ~4e3) to an
MLP trained with SGD; the large-scale features dominate, the loss is erratic and the model does not
get near what logistic regression on standardised inputs reaches (≈3–5 %). Same raw features in
every split, so there is no mismatch. Small data: 369 / 100 / 100. Cure: standardise the inputs."""

import clinic

import dldoctor as dd

SOURCE = "TheDeepChecker: unnormalised input data; UMLAUT: data not normalised"
EXPECTED = "optimization_failure"
WHY = "a simple model fits these data far better; ill-scaled inputs defeat the optimiser, not the capacity"


def make_data(seed, standardise=False):
    x, y = clinic.breast_cancer_raw()
    if standardise:
        x = clinic.standardised(x, x)
    order = clinic.permuted(len(y), seed)
    train, train_dev, dev = order[:369], order[369:469], order[469:]
    return clinic.dd.Splits(train=(x[train], y[train]), train_dev=(x[train_dev], y[train_dev]),
                            dev=(x[dev], y[dev]))  # fmt: skip


SETUP = dict(
    model=lambda: clinic.mlp([30, 32, 2]),
    data=make_data,
    optimizer="sgd",
    lr=1e-3,
    beta=0.9,
    batch_size=32,
    epochs=30,
)
CURE = dict(data=lambda seed: make_data(seed, standardise=True))
recipe = dd.Recipe(name="of-unnormalised-inputs", **SETUP)
