"""Packed trials: a population member trains exactly as the same trial alone, and packing is refused,
with the reason, whenever it could not."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO
from torch import nn

import dldoctor as dd
from dldoctor.population import Member, Population, member_losses, recipe_obstacle, uses_randomness
from dldoctor.search_space import SearchSpace, build_space
from dldoctor.stacked import stacked_kernel
from dldoctor.training import build_model, fit, prepare_run
from dldoctor.tuning.packing import choose_packing, seed_packing
from dldoctor.tuning.runner import PackedRunner, SequentialRunner, TrialPlan

CPU = torch.device("cpu")
SETTINGS = [(1e-2, 0.9), (3e-2, 0.5), (2e-3, 0.99)]  # (lr, β) of three members


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    return (3.0 * np.eye(3, 4)[y] + rng.standard_normal((n, 4))).astype(np.float32), y


def make_data(seed: int) -> dd.Splits:
    return dd.Splits(train=blobs(300, seed), dev=blobs(150, seed + 1))


def mlp(dropout: float = 0.0) -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))


class Wrapped(nn.Module):
    """The same network behind a forward of its own: the hand-written kernel leaves it to vmap."""

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = mlp(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def recipe(model=mlp, **changes) -> dd.Recipe:
    base = dd.Recipe(name="packed", model=model, data=make_data, lr=1e-2, batch_size=32, epochs=3)
    return base.replace(**changes)


@pytest.fixture(scope="module")
def data():
    return prepare_run(recipe(), 0, CPU)[0]


def plans(base: dd.Recipe, settings=SETTINGS) -> list[TrialPlan]:
    return [TrialPlan(i, base.replace(lr=lr, beta=beta), {}, 0) for i, (lr, beta) in enumerate(settings)]


def never_prune(number: int, epoch: int, value: float) -> bool:
    return False


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize(("network", "kernel"), [(mlp, True), (Wrapped, False)])
def test_a_member_ends_with_the_weights_and_dev_error_of_the_trial_trained_alone(
    data, optimizer, dropout, network, kernel
):
    """With dropout, "the same" means the member draws the masks its lone run draws: fit seeds the
    global generator with the trial's seed, and the population (one seed, randomness="same") does too.
    Both ways of training a population: the hand-written kernel (a plain stack) and vmap."""
    base = recipe(lambda: network(dropout), optimizer=optimizer, weight_decay=1e-3)
    template = build_model(base, 0, CPU)
    population = Population(template, base, data.train, uses_randomness(template, data.train.x[:2]))
    assert population.random == (dropout > 0)
    assert (population.kernel is not None) == kernel
    alone = []
    for plan in plans(base):
        model = build_model(plan.recipe, 0, CPU)
        history = fit(model, data, plan.recipe, seed=0)
        alone.append((model, history.epochs[-1]))
        population.add(build_model(plan.recipe, 0, CPU), Member(plan.recipe.lr, plan.recipe.beta, 1e-3, 0))
    population.start()
    for _ in range(base.epochs):
        train_losses = population.train_epoch()
        errors, losses = population.evaluate(data.dev)
    for i, (model, last) in enumerate(alone):
        weights = population.weights(i)
        for name, p in model.named_parameters():
            assert torch.allclose(weights[name], p.detach(), atol=1e-5, rtol=1e-5), (i, name)
        assert errors[i] == pytest.approx(last.dev_error, abs=1e-9)
        assert losses[i] == pytest.approx(last.dev_loss, rel=1e-5)
        assert train_losses[i] == pytest.approx(last.train_loss, rel=1e-5)


def zoo() -> nn.Module:
    """Every layer the kernel writes out, nested, with a wide layer and a narrow (transposed) head."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Sequential(nn.Linear(6, 40), nn.Tanh(), nn.Dropout(0.2), nn.GELU(approximate="tanh")),
        nn.Linear(40, 8, bias=False),
        nn.LeakyReLU(0.1),
        nn.Sigmoid(),
        nn.Identity(),
        nn.Linear(8, 40),
        nn.GELU(),
        nn.ReLU(),
        nn.Linear(40, 3),
    )


@pytest.mark.parametrize("stacked", [False, True])
def test_the_kernel_gives_each_member_the_loss_and_gradients_autograd_gives_it_alone(stacked):
    """Two members with their own weights, one batch shared or one batch each; with dropout the
    member draws the mask its lone run draws from the same generator state."""
    x, y = torch.randn(2, 5, 2, 3), torch.randint(0, 3, (2, 5))
    members = [build_model(recipe(zoo), seed, CPU) for seed in (0, 1)]
    kernel = stacked_kernel(members[0], x[0])
    assert kernel is not None
    params = {
        name: torch.stack([dict(m.named_parameters())[name].detach() for m in members])
        for name, _ in members[0].named_parameters()
    }
    torch.manual_seed(7)
    batch = (x, y) if stacked else (x[0], y[0])
    loss, grads = kernel.step(params, *batch, "classification", stacked=stacked)
    for i, model in enumerate(members):
        torch.manual_seed(7)
        alone = nn.functional.cross_entropy(model(x[i if stacked else 0]), y[i if stacked else 0])
        expected = torch.autograd.grad(alone, list(model.parameters()))
        assert loss[i] == pytest.approx(alone.item(), rel=1e-6)
        for (name, _), e in zip(model.named_parameters(), expected, strict=True):
            assert torch.allclose(grads[name][i], e, rtol=1e-5, atol=1e-7), (i, name)


def test_the_kernel_computes_a_regression_loss_through_the_task():
    x, y = torch.randn(6, 4), torch.randn(6)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    params = {name: p.detach().unsqueeze(0) for name, p in model.named_parameters()}
    kernel = stacked_kernel(model, x)
    assert kernel is not None
    loss, grads = kernel.step(params, x, y, "regression", stacked=False)
    alone = member_losses(model(x).unsqueeze(0), y, "regression", shared=True)
    assert torch.allclose(loss, alone.detach())
    expected = torch.autograd.grad(alone.sum(), list(model.parameters()))
    for (name, _), e in zip(model.named_parameters(), expected, strict=True):
        assert torch.allclose(grads[name][0], e, rtol=1e-5, atol=1e-7), name


def _hooked_linear() -> nn.Module:
    model = mlp()
    model[0].register_forward_hook(lambda module, args, out: out * 2)
    return model


def _reused_linear() -> nn.Module:
    shared = nn.Linear(4, 4)
    return nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(4, 3))


class Scaled(nn.Linear):
    """A Linear whose forward differs from nn.Linear's."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) * 0.5


@pytest.mark.parametrize(
    "model",
    [
        Wrapped,
        _hooked_linear,
        _reused_linear,
        lambda: nn.Sequential(Scaled(4, 16), nn.ReLU(), nn.Linear(16, 3)),
        lambda: nn.Sequential(nn.Linear(4, 16), nn.LayerNorm(16), nn.Linear(16, 3)),
        lambda: nn.Sequential(nn.Linear(4, 16), nn.Softplus(), nn.Linear(16, 3)),
        lambda: nn.Sequential(nn.Unflatten(1, (2, 2)), nn.Linear(2, 3)),  # a Linear over 3-D rows
        lambda: nn.Sequential(nn.Flatten(0), nn.Linear(4, 3)),
        lambda: nn.Sequential(nn.Linear(4, 16), nn.Dropout(1.0), nn.Linear(16, 3)),
    ],
)
def test_a_population_of_a_model_the_kernel_cannot_write_out_trains_through_vmap(data, model):
    template = build_model(recipe(model), 0, CPU)
    assert stacked_kernel(template, data.train.x) is None
    assert Population(template, recipe(model), data.train, False).kernel is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a GPU")
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_on_a_gpu_the_replayed_step_trains_as_the_eager_step_and_as_the_trial_alone(optimizer):
    """Four epochs of ten steps: two eager steps per batch shape, then replays of the captured graph
    (the last, shorter batch of each epoch has its own)."""
    cuda = torch.device("cuda")
    base = recipe(optimizer=optimizer, epochs=4)
    gpu_data = prepare_run(base, 0, cuda)[0]

    def trained(graphs: bool) -> tuple[list[dict[str, torch.Tensor]], np.ndarray]:
        population = Population(build_model(base, 0, cuda), base, gpu_data.train, False, graphs=graphs)
        for plan in plans(base):
            member = Member(plan.recipe.lr, plan.recipe.beta, 0.0, 0)
            population.add(build_model(plan.recipe, 0, cuda), member)
        population.start()
        for _ in range(base.epochs):
            population.train_epoch()
        return [population.weights(i) for i in range(len(SETTINGS))], population.evaluate(gpu_data.dev)[0]

    (replayed, replayed_errors), (eager, eager_errors) = trained(True), trained(False)
    for plan, graph_weights, eager_weights in zip(plans(base), replayed, eager, strict=True):
        alone = build_model(plan.recipe, 0, cuda)
        fit(alone, gpu_data, plan.recipe, seed=0)
        for name, p in alone.named_parameters():
            assert torch.allclose(graph_weights[name], eager_weights[name], atol=1e-6), name
            assert torch.allclose(graph_weights[name], p.detach(), atol=1e-4, rtol=1e-4), name
    assert replayed_errors == pytest.approx(eager_errors, abs=1e-9)


def test_the_packed_runner_reports_what_the_sequential_runner_reports(data):
    trials = plans(recipe(optimizer="adam"))
    seen: dict[str, list] = {"sequential": [], "packed": []}
    sequential = SequentialRunner(data, "dev_loss", CPU).run(
        trials, lambda *report: seen["sequential"].append(report) or False
    )
    packed = PackedRunner(data, "dev_loss", CPU, 3).run(
        trials, lambda *report: seen["packed"].append(report) or False
    )
    assert [o.status for o in packed] == ["complete"] * 3
    assert [o.value for o in packed] == pytest.approx([o.value for o in sequential], rel=1e-5)
    packed_reports, sequential_reports = sorted(seen["packed"]), sorted(seen["sequential"])
    assert [r[:2] for r in packed_reports] == [r[:2] for r in sequential_reports]
    assert [r[2] for r in packed_reports] == pytest.approx([r[2] for r in sequential_reports], rel=1e-5)


def test_members_of_other_seeds_report_the_final_errors_their_lone_runs_measure(data):
    base = recipe(optimizer="adam")
    seeds = [TrialPlan(i, base, {}, seed) for i, seed in enumerate((3, 4, 5))]
    packed = PackedRunner(data, "dev_error", CPU, 3, measure=("train", "dev")).run(seeds, never_prune)
    alone = SequentialRunner(data, "dev_error", CPU, measure=("train", "dev")).run(seeds, never_prune)
    assert [set(o.errors) for o in packed] == [{"train", "dev"}] * 3
    for mine, lone in zip(packed, alone, strict=True):
        assert mine.errors == pytest.approx(lone.errors, abs=1e-9)
        assert mine.errors["dev"] == pytest.approx(mine.value, abs=1e-9)
    assert len({o.errors["train"] for o in packed}) > 1  # the seeds trained differently


def test_seeds_pack_unless_the_model_draws_random_numbers(data):
    plain = seed_packing(recipe(), build_model(recipe(), 0, CPU), data, CPU, seeds=5)
    assert plain.size == 5
    noisy = recipe(lambda: mlp(0.3))
    refused = seed_packing(noisy, build_model(noisy, 0, CPU), data, CPU, seeds=5)
    assert refused.size == 1 and "dropout" in refused.reason and "seeds run one at a time" in refused.reason


def test_a_refilled_member_trains_like_a_fresh_trial_alongside_older_members(data):
    """A newcomer joins at its own epoch 1 with its own data order while the others are mid-run."""
    first, *later = plans(recipe(optimizer="sgd"))
    waiting = list(later)
    finished: dict[int, object] = {}

    def refill(key: tuple) -> TrialPlan | None:
        return waiting.pop(0) if waiting else None

    runner = PackedRunner(data, "dev_error", CPU, capacity=2)
    runner.train(
        [first], never_prune, lambda plan, outcome: finished.__setitem__(plan.number, outcome), refill
    )
    alone = SequentialRunner(data, "dev_error", CPU).run([first, *later], never_prune)
    assert [finished[i].value for i in range(3)] == pytest.approx([o.value for o in alone], abs=1e-9)


def test_a_diverging_member_is_stopped_and_never_poisons_the_others(data):
    trials = plans(recipe(optimizer="sgd"), [(1e-2, 0.9), (1e4, 0.9), (3e-2, 0.5)])
    packed = PackedRunner(data, "dev_error", CPU, 3).run(trials, never_prune)
    alone = SequentialRunner(data, "dev_error", CPU).run(trials, never_prune)
    assert packed[1].status == "diverged" == alone[1].status and packed[1].epochs == alone[1].epochs == 1
    assert [packed[0].value, packed[2].value] == pytest.approx([alone[0].value, alone[2].value], abs=1e-9)
    assert all(math.isfinite(o.value) for o in (packed[0], packed[2]))


def test_a_pruned_member_stops_while_the_others_train_on(data):
    trials = plans(recipe(optimizer="adam"))
    outcomes = PackedRunner(data, "dev_error", CPU, 3).run(trials, lambda number, epoch, value: number == 1)
    assert [(o.status, o.epochs) for o in outcomes] == [("complete", 3), ("pruned", 1), ("complete", 3)]
    alone = SequentialRunner(data, "dev_error", CPU).run([trials[0]], never_prune)
    assert outcomes[0].value == pytest.approx(alone[0].value, abs=1e-9)


class Counting(nn.Module):
    """Keeps state outside its parameters: its output depends on how often it was called."""

    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.net(x) * self.calls


class Branching(nn.Module):
    """Data-dependent control flow, which vmap cannot batch."""

    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        return out if out.sum() > 0 else -out


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (lambda: nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.Linear(16, 3)), "buffers"),
        (Branching, "vmap cannot run the model"),
        (Counting, "differs from the model run alone"),
    ],
)
def test_models_vmap_cannot_train_faithfully_fall_back_to_one_at_a_time_with_the_reason(data, model, reason):
    base = recipe(model)
    space = build_space(None, base.model, len(data.train))
    packing = choose_packing(4, base, build_model(base, 0, CPU), data, space, CPU)
    assert packing.size == 1 and reason in packing.reason and "one at a time" in packing.describe()


def test_a_recipe_setting_packing_does_not_implement_refuses_packing():
    @dataclasses.dataclass(frozen=True)
    class Scheduled(dd.Recipe):
        scheduler: str | None = None

    assert recipe_obstacle(Scheduled(name="s", model=mlp, data=make_data)) is None
    reason = recipe_obstacle(Scheduled(name="s", model=mlp, data=make_data, scheduler="cosine"))
    assert reason is not None and "scheduler" in reason


def test_auto_packs_a_small_model_and_leaves_a_searched_architecture_alone(data):
    base = recipe()
    space = _fixed_batch(build_space(None, base.model, len(data.train)))
    assert choose_packing("auto", base, build_model(base, 0, CPU), data, space, CPU).size > 1
    shaped = _fixed_batch(build_space({"hidden": (4, 32)}, lambda hidden=16: mlp(), len(data.train)))
    off = choose_packing("auto", base, build_model(base, 0, CPU), data, shaped, CPU)
    assert off.size == 1 and "architecture" in off.reason


def _fixed_batch(space: SearchSpace) -> SearchSpace:
    return SearchSpace(tuple(d for d in space.dimensions if d.name != "log2_batch_size"))


def test_auto_packs_when_the_batch_size_is_searched_grouping_trials_by_it(data):
    base = recipe()
    space = build_space(None, base.model, len(data.train))
    assert space.get("log2_batch_size").low < space.get("log2_batch_size").high
    packing = choose_packing("auto", base, build_model(base, 0, CPU), data, space, CPU)
    assert packing.size > 1 and "grouped by batch size" in packing.reason


def test_deciding_to_pack_leaves_torch_dynamo_unimported():
    """Its import took minutes per worker process on a busy 2-core machine: packed --workers studies
    looked stalled. The probe must try the model without torch.func.grad, which imports it."""
    code = (
        "import sys, torch\n"
        "sys.path.insert(0, 'tests')\n"
        "from test_packed import CPU, build_model, build_space, choose_packing, prepare_run, recipe\n"
        "data = prepare_run(recipe(), 0, CPU)[0]\n"
        "space = build_space(None, recipe().model, len(data.train))\n"
        "assert choose_packing('auto', recipe(), build_model(recipe(), 0, CPU), data, space, CPU).size > 1\n"
        "assert 'torch._dynamo' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_tune_prints_the_packing_before_the_first_trial_and_refuses_a_bad_pack(make_recipe, tmp_path, cli):
    path = make_recipe('recipe = dd.Recipe(name="p", model=make_model, data=make_data, **OPTIONS)')
    url = f"sqlite:///{tmp_path / 'study.db'}"
    result = cli("tune", path, "--trials", "2", "--epochs", "1", "--storage", url, "--pack", "2")
    assert result.code == 0, result.stderr
    assert result.stdout.index("packing: up to 2 trials") < result.stdout.index("trial 0")
    refused = cli("tune", path, "--trials", "2", "--storage", url, "--pack", "0")
    assert refused.code == 2 and "--pack must be auto or a positive number" in refused.stderr
