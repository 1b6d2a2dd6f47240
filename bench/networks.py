"""The benchmark's generated problems: dense networks with random two-decimal values (a fixed
seed), all gradients asked, in the default (neuron by neuron) or the matrix style, with ReLU or
sigmoid hidden layers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

SEED = 20240601

# (inputs, hidden..., outputs), layers ≤ 64 units.
SMALL = (10, 8, 4)  # 124 parameters: information (start-up dominates), below the slope's range
ONE_K = (20, 30, 12, 4)  # 1,054
FOUR_K = (30, 64, 32, 10)  # 4,394
BIG = (30, 64, 64, 64, 10)  # 10,954: issue 19's "benchmark's network"
LARGER = (40, 64, 64, 64, 64, 64, 10)  # 19,914: "20,000 parameters" (the limit is 20,000)


def parameter_count(shape: tuple[int, ...]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in zip(shape, shape[1:]))


def shape_name(shape: tuple[int, ...]) -> str:
    return "-".join(map(str, shape))


def network_yaml(shape: tuple[int, ...], activation: str = "relu", style: str | None = None,
                 seed: int = SEED) -> str:
    """A dense network problem: ``activation`` hidden layers, a linear output layer, half_sse
    loss, one bias per neuron, random two-decimal inputs, weights, biases and targets in
    [-1, 1] (the same numbers for every activation and style), all gradients asked;
    ``style: matrix`` when asked."""
    rng = random.Random(seed)

    def num() -> str:
        return f"{rng.randint(-100, 100) / 100:.2f}"

    name = shape_name(shape)
    lines = [f'title: "A {name} {"ReLU" if activation == "relu" else activation} network '
             f'({parameter_count(shape)} parameters)"',
             "precision: 4"]
    if style:
        lines.append(f"style: {style}")
    lines += ["network:",
              "  inputs: {" + ", ".join(f"x{i + 1}: {num()}" for i in range(shape[0])) + "}",
              "  orientation: Wx",
              "  naming: sequential",
              "  layers:"]
    for li, (n_in, n_out) in enumerate(zip(shape, shape[1:])):
        last = li == len(shape) - 2
        lines += [f"    - units: {n_out}",
                  f"      activation: {'linear' if last else activation}",
                  "      weights:"]
        lines += ["        - [" + ", ".join(num() for _ in range(n_in)) + "]" for _ in range(n_out)]
        lines.append("      bias: [" + ", ".join(num() for _ in range(n_out)) + "]")
    lines += ["loss: half_sse",
              "target: [" + ", ".join(num() for _ in range(shape[-1])) + "]",
              "questions:",
              "  - id: all",
              '    title: "All gradients"',
              "    ask: [forward, loss, gradients]",
              "    gradients: all",
              ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class Network:
    """One generated problem: its shape, hidden activation and style."""

    shape: tuple[int, ...]
    activation: str = "relu"
    style: str | None = None

    @property
    def parameters(self) -> int:
        return parameter_count(self.shape)

    @property
    def label(self) -> str:
        extra = [] if self.activation == "relu" else [self.activation]
        extra += [f"{self.style} style"] if self.style else []
        return shape_name(self.shape) + (f" ({', '.join(extra)})" if extra else "")

    @property
    def stem(self) -> str:
        return "-".join(["dense", shape_name(self.shape), self.activation, *([self.style] if self.style else [])])

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.stem}.yaml"
        path.write_text(network_yaml(self.shape, self.activation, self.style), encoding="utf-8")
        return path
