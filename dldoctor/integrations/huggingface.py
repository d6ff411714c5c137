"""`DoctorCallback`: the monitor inside a Hugging Face `transformers.Trainer`; training ends with a report.

    trainer = Trainer(model, args, train_dataset=..., callbacks=[DoctorCallback(report="report.json",
                      train=(x, y), train_dev=(x_td, y_td), dev=(x_dev, y_dev))])

Each split's inputs are a tensor or a dict of tensors (`input_ids`, `attention_mask`, …) that the
model is called with; its logits are read from the output's `logits` (or the output itself), and
the diagnosis is the one `dldoctor diagnose --predictions` gives on those outputs, with the
training loss curve and gradient health of the run. The step loss is the `loss` the model returns
in training (averaged over gradient-accumulation micro-batches). Needs transformers:
`pip install "dldoctor[huggingface]"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

try:
    from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
except ImportError as exc:  # the extra is not installed: say how to get it
    raise ImportError('DoctorCallback needs transformers: pip install "dldoctor[huggingface]"') from exc

from dldoctor import inputs
from dldoctor.integrations._watch import WatchedCallback
from dldoctor.monitoring import Pair
from dldoctor.training import EVAL_BATCH


class DoctorCallback(WatchedCallback, TrainerCallback):
    """Watches `Trainer.train` with `dd.monitor`: splits measured before the first step and after each
    epoch, gradients read from the optimizer's pre-step hook (after the Trainer's clipping)."""

    _model: nn.Module | None = None  # set when training begins
    _hook: Any = None  # the forward hook reading the step loss
    _losses: list[torch.Tensor]  # this optimizer step's micro-batch losses

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        model = kwargs["model"]
        optimizer = getattr(kwargs["optimizer"], "optimizer", kwargs["optimizer"])  # accelerate wraps it
        self._model, self._losses = model, []
        self.watch.outputs = self._outputs
        self._hook = model.register_forward_hook(self._record_loss)
        self.watch.start(model, optimizer, int(args.num_train_epochs) or None)

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self._losses:
            self.watch.step(torch.stack(self._losses).mean())
            self._losses = []

    def on_epoch_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.watch.epoch()

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        self.watch.finish()

    def _record_loss(self, module: nn.Module, args: Any, output: Any) -> None:
        """The training loss the model returned (the Trainer's own loss comes from it)."""
        loss = output.get("loss") if isinstance(output, Mapping) else None
        if module.training and isinstance(loss, torch.Tensor):
            self._losses.append(loss.detach().float())

    @torch.no_grad()
    def _outputs(self, pair: Pair) -> Pair:
        """(inputs, y) → (logits, y), in eval mode and batches, outside the loss hook's view."""
        model, (x, y) = self._model, pair
        if model is None:
            raise RuntimeError("DoctorCallback measures the splits only once training has begun")
        was_training = model.training
        model.eval()
        try:
            device = next(model.parameters()).device
            logits = [
                _logits(inputs.forward(model, inputs.to(inputs.index(x, slice(i, i + EVAL_BATCH)), device)))
                for i in range(0, len(y), EVAL_BATCH)
            ]
        finally:
            model.train(was_training)
        return torch.cat(logits).cpu(), y


def _logits(output: Any) -> torch.Tensor:
    logits = output.get("logits") if isinstance(output, Mapping) else output
    if not isinstance(logits, torch.Tensor):
        raise TypeError("DoctorCallback reads the model's logits: return a tensor or an output with 'logits'")
    return logits.float()
