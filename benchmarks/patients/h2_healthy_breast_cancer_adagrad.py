"""Healthy control (small medical table, Adagrad): the bundled Wisconsin breast-cancer data
(569 rows, 30 features), standardised with the training statistics and split 369 / 100 / 100,
a 16-unit MLP trained with Adagrad. It makes the few percent of errors this data set is known for
(published models sit at 2–5 %). Reference: a wider, deeper MLP, no better."""

import clinic

import dldoctor as dd

SOURCE = "control: UCI breast cancer Wisconsin (bundled with scikit-learn), a sane small-data set-up"
EXPECTED = "healthy"
WHY = "errors of a few percent on every split, at the level any model reaches on this table"


SETUP = dict(
    model=lambda: clinic.mlp([30, 16, 2]),
    data=clinic.breast_cancer_splits,
    optimizer="adagrad",
    lr=0.05,
    weight_decay=1e-3,
    batch_size=32,
    epochs=25,
)
REFERENCE = dict(model=lambda: clinic.mlp([30, 128, 128, 2]), optimizer="adam", lr=1e-3, epochs=40)
recipe = dd.Recipe(name="h2-healthy-breast-cancer-adagrad", **SETUP)
