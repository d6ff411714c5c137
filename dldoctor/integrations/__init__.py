"""Entry points inside training frameworks; each needs its framework installed (an optional extra)."""
