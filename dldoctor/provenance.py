"""Files written for one recipe (a baseline report, tuned params, a diagnosis) used with another.

Comparing with, or applying, another recipe's results is almost always a wrong path in a script,
and it would pass silently: refuse unless the user says it is deliberate (--force). Another task
is refused outright: its errors are in other units and its settings mean other things.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from dldoctor.errors import UsageError


class Named(Protocol):
    """What results are for: a Recipe, saved predictions (named for their file) or a stored report."""

    @property
    def name(self) -> str: ...

    @property
    def task(self) -> str: ...


class Made(NamedTuple):
    """A stored report's own name and task, to hold a baseline against."""

    name: str
    task: str


def check_same_recipe(
    what: str, recipe_name: Any, task: Any, recipe: Named, force: bool, flag: str = "--force"
) -> None:
    """Raise unless `what` (named in the message) was made for `recipe`; None means not recorded."""
    if task is not None and task != recipe.task:
        raise UsageError(f"{what} is from a {task} recipe; recipe '{recipe.name}' is {recipe.task}")
    if recipe_name is not None and recipe_name != recipe.name and not force:
        raise UsageError(
            f"{what} is from recipe '{recipe_name}', not '{recipe.name}'; give the one made for"
            f" '{recipe.name}', or pass {flag} to use it across recipes on purpose"
        )
