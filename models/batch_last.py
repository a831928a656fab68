"""A fast, inference-only copy of the transformer generator, for drawing many points on a CPU.

Why: a point is only F = 5 tokens of width H, so nn.TransformerEncoderLayer spends most of its
time on per-(point, head) attention overhead, not on arithmetic. Here the batch is the LAST,
contiguous dimension, activations are (H, T, B): every linear is one GEMM over all B·T tokens,
layer norm reduces over dim 0, and attention over T = 5 tokens is a handful of elementwise ops
vectorised along B. LayerNorm's affine and the 1/sqrt(d) attention scale are folded into the
following weights. Same maths as `TransformerVAE.decode` (a test checks equality to 1e-5);
its speed is measured in benchmarks/RESULTS.md ("Speed"). Gradients are not supported.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Heads = tuple[nn.Linear, nn.Linear | None]  # the mean's Linear, and the learned variance's (or None)


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """(Hin, T, B) -> (Hout, T, B): one GEMM over all tokens."""
    h_in, t, b = x.shape
    return torch.addmm(bias[:, None], weight, x.view(h_in, t * b)).view(-1, t, b)


def _standardise(x: torch.Tensor, eps: float) -> torch.Tensor:
    """LayerNorm over dim 0 without its affine (folded into the next linear)."""
    # mean, then mean of squares: torch.var_mean over a non-last dim is several times slower
    centred = x - x.mean(0, keepdim=True)
    return centred.mul_(torch.rsqrt_(centred.pow(2).mean(0, keepdim=True).add_(eps)))


def _fold_norm(norm: nn.LayerNorm, weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """linear(γ·x̂ + β) = (W·diag(γ))·x̂ + (b + W·β)."""
    return weight * norm.weight[None, :], bias + weight @ norm.bias


class BatchLastEncoderLayer:
    """Evaluates a pre-norm, ReLU nn.TransformerEncoderLayer on (H, T, B) activations (a snapshot of its weights)."""

    @torch.no_grad()
    def __init__(self, layer: nn.TransformerEncoderLayer):
        attn = layer.self_attn
        assert layer.norm_first, "only pre-norm layers are supported"
        assert layer.activation_relu_or_gelu == 1, "only ReLU layers are supported"
        assert attn._qkv_same_embed_dim, "only packed q, k, v weights are supported"
        assert attn.in_proj_bias is not None, "only q, k, v projections with bias are supported"
        self.heads, width = attn.num_heads, attn.embed_dim
        self.eps1, self.eps2 = layer.norm1.eps, layer.norm2.eps
        self.w_qkv, self.b_qkv = _fold_norm(layer.norm1, attn.in_proj_weight, attn.in_proj_bias)
        q_scale = torch.ones(3 * width, device=self.w_qkv.device)
        q_scale[:width] = (width // self.heads) ** -0.5  # softmax(q·k / sqrt(d)), folded into q's rows
        self.w_qkv, self.b_qkv = self.w_qkv * q_scale[:, None], self.b_qkv * q_scale
        self.w_out, self.b_out = attn.out_proj.weight.detach(), attn.out_proj.bias.detach()
        self.w_ff1, self.b_ff1 = _fold_norm(layer.norm2, layer.linear1.weight, layer.linear1.bias)
        self.w_ff2, self.b_ff2 = layer.linear2.weight.detach(), layer.linear2.bias.detach()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x (H, T, B) -> (H, T, B)."""
        width, tokens, batch = x.shape
        d = width // self.heads
        qkv = _linear(_standardise(x, self.eps1), self.w_qkv, self.b_qkv)  # (3H, T, B)
        q, k, v = (qkv[i * width : (i + 1) * width].view(self.heads, d, tokens, batch) for i in range(3))
        # scores[h, i, j, b] = q_i · k_j over the head's d channels; softmax over the keys j
        scores = (q[:, :, :, None] * k[:, :, None]).sum(1)  # (heads, T, T, B)
        weights = torch.softmax(scores, dim=2)
        mixed = weights[:, None, :, 0] * v[:, :, 0:1]  # (heads, d, T, B)
        for j in range(1, tokens):
            mixed.addcmul_(weights[:, None, :, j], v[:, :, j : j + 1])
        x = x + _linear(mixed.view(width, tokens, batch), self.w_out, self.b_out)
        hidden = _linear(_standardise(x, self.eps2), self.w_ff1, self.b_ff1).relu_()  # (2H, T, B)
        return x.add_(_linear(hidden, self.w_ff2, self.b_ff2))


class BatchLastDecoder:
    """z (B, D) -> (mean (B, F), variance (B, F) or None): Linear -> ReLU -> (F tokens of width H) ->
    encoder layers -> Linear -> Sigmoid for the mean, and the variance head's Linear -> `variance`."""

    @torch.no_grad()
    def __init__(
        self,
        from_latent: nn.Linear,
        layers: list[nn.Module],
        heads: Heads,
        n_tokens: int,
        variance: Callable[[torch.Tensor], torch.Tensor],
    ):
        self.n_tokens, self.variance = n_tokens, variance
        to_value, to_var = heads
        # both heads in one GEMM: row 0 the mean's, row 1 the variance's
        head_weight = to_value.weight if to_var is None else torch.cat([to_value.weight, to_var.weight])
        head_bias = to_value.bias if to_var is None else torch.cat([to_value.bias, to_var.bias])
        self.w_in, self.b_in = from_latent.weight.detach(), from_latent.bias.detach()
        assert all(isinstance(layer, nn.TransformerEncoderLayer) for layer in layers), "only encoder layers"
        self.layers = [
            BatchLastEncoderLayer(layer) for layer in layers if isinstance(layer, nn.TransformerEncoderLayer)
        ]
        self.w_heads, self.b_heads = head_weight.detach(), head_bias.detach()

    def __call__(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        t = torch.addmm(self.b_in[:, None], self.w_in, z.T).relu_()  # (F·H, B), token-major like decode's view
        t = t.view(self.n_tokens, -1, z.shape[0]).transpose(0, 1).contiguous()  # (H, F, B)
        for layer in self.layers:
            t = layer(t)
        heads = _linear(t, self.w_heads, self.b_heads)  # (1 or 2, F, B)
        mean = torch.sigmoid(heads[0].T)  # (B, F)
        return mean, self.variance(heads[1].T) if len(heads) > 1 else None
