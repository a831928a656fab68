"""Adam over one flat buffer: every parameter a view into it, every gradient a view into another.

Why: it keeps torch.optim out of a run. Building a torch.optim.Adam imports torch's compiler
(torch._dynamo and sympy): 1.4 s of every process on this project's 2-core machine, a twentieth of a
default run and more than the whole training of a test's tiny run. Step for step it is as fast as
torch.optim.Adam(fused=True) (10.2 against 10.3 ms a step of the default model, medians of three) and
faster than `foreach` (11.5 ms): over one buffer a step is six tensor operations, clipping one norm,
zeroing one fill (benchmarks/RESULTS.md, "Speed").

The update is Adam's (Kingma & Ba 2015, Algorithm 1, with bias correction), as torch.optim.Adam
computes it without weight decay or amsgrad; the numbers agree with it to float rounding (a test).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

ALIGN = 16  # elements: 64 bytes of float32


class FlatAdam:
    """Adam over `params`, which from here on live in one buffer (`flat`), their gradients in `grad`.

    The parameters keep their shapes and stay registered where they were: only their storage moves.
    Move the model to its device before building this: moving it later would copy the parameters out.
    """

    def __init__(
        self, params: Iterable[torch.nn.Parameter], betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ):
        self.params = list(params)
        # each parameter starts on a 64-byte boundary, as a tensor of its own would: the math libraries
        # take other code paths for unaligned memory, which round differently
        starts = [0]
        for p in self.params:
            starts.append(starts[-1] + -(-p.numel() // ALIGN) * ALIGN)
        device, dtype = self.params[0].device, self.params[0].dtype
        self.flat = torch.zeros(starts[-1], device=device, dtype=dtype)  # the padding stays 0: its gradient is 0
        self.grad = torch.zeros_like(self.flat)
        for p, start in zip(self.params, starts, strict=False):
            view = self.flat[start : start + p.numel()].view_as(p)
            view.copy_(p.detach())
            p.data = view
            p.grad = self.grad[start : start + p.numel()].view_as(p)  # backward adds into it in place
        self.betas, self.eps = betas, eps
        self.steps = 0
        self.exp_avg = torch.zeros_like(self.flat)  # m: the gradients' running mean
        self.exp_avg_sq = torch.zeros_like(self.flat)  # v: their running mean square

    def zero_grad(self) -> None:
        self.grad.zero_()

    @torch.no_grad()
    def clip_grad_norm(self, max_norm: float) -> None:
        """Scale the gradient down to norm `max_norm` if it is longer (torch.nn.utils.clip_grad_norm_'s rule)."""
        norm = torch.linalg.vector_norm(self.grad)
        self.grad.mul_((max_norm / (norm + 1e-6)).clamp(max=1.0))

    @torch.no_grad()
    def step(self, lr: float) -> None:
        """One Adam update with learning rate `lr` from the gradients in `grad`."""
        beta1, beta2 = self.betas
        self.steps += 1
        self.exp_avg.lerp_(self.grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(self.grad, self.grad, value=1 - beta2)
        bias1, bias2 = 1 - beta1**self.steps, 1 - beta2**self.steps
        denominator = (self.exp_avg_sq.sqrt() / math.sqrt(bias2)).add_(self.eps)
        self.flat.addcdiv_(self.exp_avg, denominator, value=-lr / bias1)

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "exp_avg": self.exp_avg.clone(), "exp_avg_sq": self.exp_avg_sq.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = int(state["steps"])
        self.exp_avg.copy_(state["exp_avg"])
        self.exp_avg_sq.copy_(state["exp_avg_sq"])
