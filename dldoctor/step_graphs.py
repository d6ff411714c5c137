"""Replay a fixed-shape training step as a CUDA graph.

A population of small models takes hundreds of tiny kernels per step; on a GPU their launches, not
their arithmetic, set the pace (the GPU sat idle 85 % of the time). Captured once, a step is
relaunched as one graph. The step must read its inputs from the tensors it is given and from
memory that stays put between calls (parameters, optimiser state, the data on the device); whoever
moves that memory calls `reset`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

WARMUP = 2  # eager steps of a shape before it is captured: lazy library set-up must not be recorded


class StepGraphs:
    """Runs `step(index)` eagerly for the first few calls of each index shape, then as a graph."""

    def __init__(self, step: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.step = step
        self._graphs: dict[tuple[int, ...], tuple[torch.cuda.CUDAGraph, torch.Tensor, torch.Tensor]] = {}
        self._eager: dict[tuple[int, ...], int] = {}

    def reset(self) -> None:
        """Forget every graph: the memory a step reads or writes has moved."""
        self._graphs.clear()
        self._eager.clear()

    def __call__(self, index: torch.Tensor) -> torch.Tensor:
        shape = tuple(index.shape)
        if shape in self._graphs:
            graph, static_index, result = self._graphs[shape]
            static_index.copy_(index)
            graph.replay()
            return result
        if self._eager.get(shape, 0) < WARMUP:
            self._eager[shape] = self._eager.get(shape, 0) + 1
            return self._on_side_stream(index)
        return self._capture(index)

    def _on_side_stream(self, index: torch.Tensor) -> torch.Tensor:
        """An eager step on a side stream, as capture needs its warm-up steps to run."""
        stream = torch.cuda.Stream(index.device)
        stream.wait_stream(torch.cuda.current_stream(index.device))
        with torch.cuda.stream(stream):
            result = self.step(index)
        torch.cuda.current_stream(index.device).wait_stream(stream)
        return result

    def _capture(self, index: torch.Tensor) -> torch.Tensor:
        """Record one step (nothing runs while recording), then replay it for this call."""
        static_index = index.clone()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            result = self.step(static_index)
        self._graphs[tuple(index.shape)] = (graph, static_index, result)
        graph.replay()
        return result
