"""Packed trials: whether a study's trials can train as populations, and how many at once.

Packing is refused, with the reason shown before the first trial, whenever a population could train
differently from the trials alone: a recipe setting it does not vectorise, a model with buffers or
one that vmap cannot run or runs differently (found by trying one step), data streamed from disk.
The same decision serves diagnose's seed repeats, where members differ in their seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from dldoctor.data import Data, TensorSplit
from dldoctor.inputs import forward, single
from dldoctor.population import (
    data_obstacle,
    model_obstacle,
    probe_obstacle,
    recipe_obstacle,
    uses_randomness,
)
from dldoctor.recipe import Recipe
from dldoctor.search_space import SearchSpace
from dldoctor.tuning.runner import PackedRunner, SequentialRunner, TrialRunner

AUTO_MAX = 16  # members: past this a CPU gains nothing more, and a study wants feedback early
CPU_AUTO_PARAMETERS = 1_000_000  # bigger models keep a CPU busy alone; packing them only adds latency
MEMORY_SHARE = 0.25  # of the free memory a population may plan to use
# A CPU population of two trains slower than its two trials one after the other (vmap's fixed cost
# per step; benchmarks/RESULTS.md, "Packed trials"), of three about as fast: smaller ones run alone.
CPU_SMALLEST_POPULATION = 3


@dataclass(frozen=True)
class Packing:
    """How trials will train: `size` per population (1: one at a time) and why, for the setup line."""

    size: int
    reason: str

    def shared(self, trials: int, workers: int) -> Packing:
        """At most a worker's share of the budget: a worker holds up to `size` trials at once, and
        one holding them all would leave the other workers idle."""
        share = -(-trials // workers)
        if self.size <= share:
            return self
        if share < 2:
            return Packing(1, f"{workers} workers share {trials} trials, one at a time each")
        return Packing(share, f"{self.reason}; {workers} workers share {trials} trials")

    def describe(self) -> str:
        if self.size > 1:
            return f"packing: up to {self.size} trials per population ({self.reason})"
        return f"packing: off — {self.reason}"


def choose_packing(
    requested: int | str,
    recipe: Recipe,
    model: nn.Module,
    data: Data,
    space: SearchSpace,
    device: torch.device,
) -> Packing:
    """The population size for `--pack` (`auto` or a count), or 1 with the reason packing cannot be
    used; a model packing would train differently from alone is always refused."""
    if requested == 1:
        return Packing(1, "--pack 1")
    obstacle = training_obstacle(recipe, model, data)
    if obstacle:
        return Packing(1, f"{obstacle}; trials run one at a time")
    if requested != "auto":
        return Packing(int(requested), f"--pack {requested}")
    shaped = [d.name for d in space.dimensions if d.target == "model"]
    if shaped:
        return Packing(
            1, f"the space searches the architecture ({', '.join(shaped)}); use --pack K to pack anyway"
        )
    if busy := cpu_bound(model, device):
        return Packing(1, f"{busy} one trial at a time; use --pack K")
    batch = space.get("log2_batch_size")
    searched = batch is not None and batch.low < batch.high
    largest = 2 ** int(batch.high) if batch is not None else recipe.batch_size
    size = min(AUTO_MAX, memory_size(model, data, largest, device))
    if size < 2:
        return Packing(1, "too little free memory for two trials at once")
    grouped = ", trials grouped by batch size" if searched else ""
    return Packing(size, f"auto: {_size_reason(model, device)}{grouped}")


def seed_packing(recipe: Recipe, model: nn.Module, data: Data, device: torch.device, seeds: int) -> Packing:
    """How `seeds` reruns of one recipe, differing only in their seed, train: as one population when
    each member would train exactly as alone, else one at a time, with the reason."""
    obstacle = training_obstacle(recipe, model, data) or cpu_bound(model, device)
    if obstacle is None and _draws_random(model, data):
        obstacle = "the model draws random numbers (dropout): members of other seeds cannot share its masks"
    if obstacle:
        return Packing(1, f"{obstacle}; seeds run one at a time")
    size = min(seeds, AUTO_MAX, memory_size(model, data, recipe.batch_size, device))
    if size < 2:
        return Packing(1, "too little free memory for two seeds at once")
    return Packing(size, _size_reason(model, device))


def training_obstacle(recipe: Recipe, model: nn.Module, data: Data) -> str | None:
    """Why a population would not train this recipe's model as it trains alone, or None."""
    obstacle = recipe_obstacle(recipe) or model_obstacle(model) or data_obstacle(data)
    return obstacle or probe_obstacle(model, recipe, data.train, 0)  # type: ignore[arg-type]


def _draws_random(model: nn.Module, data: Data) -> bool:
    train = data.train
    assert isinstance(train, TensorSplit)  # data_obstacle found the data in memory
    return uses_randomness(model, single(train.x)[:2])


def cpu_bound(model: nn.Module, device: torch.device) -> str | None:
    """Bigger models keep a CPU busy alone; packing them only adds latency."""
    parameters = _parameters(model)
    if device.type == "cpu" and parameters > CPU_AUTO_PARAMETERS:
        return f"{parameters:,} parameters keep the CPU busy"
    return None


def memory_size(model: nn.Module, data: Data, batch_size: int, device: torch.device) -> int:
    """Members that fit in the share of free memory a population may plan to use."""
    return int(MEMORY_SHARE * free_memory(device) // member_bytes(model, data, batch_size))


def _size_reason(model: nn.Module, device: torch.device) -> str:
    return f"{_parameters(model):,} parameters, {free_memory(device) / 2**30:.1f} GiB free"


def _parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def member_bytes(model: nn.Module, data: Data, batch_size: int) -> int:
    """Memory one member needs: weights, gradients and two optimiser moments, plus the activations
    of a batch (every module's output, kept for the backward pass, twice over for its gradients)."""
    weights = 4 * sum(p.numel() * p.element_size() for p in model.parameters())
    outputs: list[int] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: outputs.append(out.numel() * out.element_size()))
        for m in model.modules()
        if not list(m.children())
    ]
    x, _ = data.train.sample(2, 0)
    try:
        with torch.no_grad():
            forward(model, x)
    finally:
        for hook in hooks:
            hook.remove()
    return weights + 2 * sum(outputs) * batch_size // len(x)


def free_memory(device: torch.device) -> int:
    """Bytes free on `device`: the GPU's own count, else the kernel's MemAvailable."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 2**32  # no /proc (macOS, Windows): assume 4 GiB


def smallest_population(device: torch.device) -> int:
    """The fewest trials worth training as a population on `device`; fewer train one at a time."""
    return CPU_SMALLEST_POPULATION if device.type == "cpu" else 2


def make_runner(
    packing: Packing, data: Data, metric: str, device: torch.device, measure: tuple[str, ...] = ()
) -> TrialRunner:
    if packing.size > 1:
        return PackedRunner(data, metric, device, packing.size, measure)
    return SequentialRunner(data, metric, device, measure)
