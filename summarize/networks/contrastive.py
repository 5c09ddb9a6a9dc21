"""Contrastive refinement and the uniqueness filter (Pang et al., WACV 2023, Sec. 4.3-4.5).

The network (``RefinementNet``) maps frozen backbone features x_t of one video to

* a projection z_t = G(x_t) (L2-normalised where it is used), refined with the alignment
  and uniformity losses (Eqs. 6-8), and
* a uniqueness score r_t = H(sg(z_t)) in (0, 1) (returned as a logit), trained to mimic
  one minus the scaled uniqueness loss (Eqs. 9-10): frames that resemble segments of
  *other* videos (backgrounds such as streets or water) score low.

G is a light Transformer encoder as in the authors' code (``pangzss/pytorch-CTVSUM``,
``attention.py`` and ``modules.py``): a linear map to ``d_model``, LayerNorm, then post-norm
blocks (self-attention + residual + LayerNorm, ReLU MLP + residual + LayerNorm), no
positional encoding. As there, each attention head has 64-d queries, keys and values
whatever ``d_model`` (one head: 64; 8 heads, their Youtube-8M setting: 8 x 64), and the
attention weights take dropout 0.1 while training (their ``ScaledDotProductAttention``
keeps its default of 0.1 although every other dropout is 0); nothing else drops out. H is
one more such block on the detached z followed by a d -> d -> 1 MLP.

Where we differ from the authors' code, and why:

* ``d_model`` is 128 as their config file says; their code never passes it on and so
  trains with its default of 256.
* A frame is not its own neighbour and is left out of Eq. 7, as the equations state: N_t
  is the K = round(0.1 T) most similar *other* frames. Their code takes the K = floor(0.1 T)
  most similar frames, the frame itself first (it adds a zero distance to every frame's
  alignment and keeps K - 1 real neighbours), and counts the frame in the uniformity mean.
  The training-free scores do as we do, so the refined and the training-free terms measure
  the same thing.
* Eq. 9 averages, by default, over the segments of the *other* videos of the batch, as the
  paper writes (``unique_target="other"``). The mask that does this is commented out in
  their code, which compares each frame with every segment of the batch, its own video's
  included; the published ``+unique`` rows came from that. ``unique_target="ctvsum"`` does
  the same (the uniqueness loss term and the filter's target both change).
* Segments are means of the L2-normalised z (the paper's notation); their code averages
  the unnormalised projection.
* The filter target is theirs: the uniqueness loss min-max scaled over the frames of the
  video, squeezed to [0.25, 0.75] (``* 0.5 + 0.25``), and y = 1 - that. The BCE is computed
  from logits (the same loss, without the sigmoid's rounding at its ends).

Checkpoints written before the head size and the dropout were matched (format 1) hold
``d_model / heads``-d heads and no dropout; their config says so when loaded
(``summarize.networks.checkpoint``), so they score as they did.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

# The published loss weights (Eq. 11 and the authors' config): alpha = lambda1.
ALPHA = 0.5
LAMBDA_UNIQUE = 0.1
LAMBDA_FILTER = 0.1
BETA = 2.0
NEIGHBOUR_RATIO = 0.1
SEGMENT_LENGTH = 10  # m: the authors split each 200-sample training sequence into 20 segments
SEQUENCE_LENGTH = 200
BATCH_SIZE = 32  # training videos per step (their config; their code forces 8 on SumMe)
HEAD_DIM = 64  # d_k = d_v of the authors' attention, whatever d_model and the number of heads
ATTENTION_DROPOUT = 0.1  # on the attention weights while training, as their code keeps it
# L_unique (Eq. 9) compares a frame with the segments of: the other videos of the batch (the
# paper), or every video of the batch, its own included (the authors' code).
UNIQUE_TARGETS = ("other", "ctvsum")


@dataclass(frozen=True)
class ContrastiveConfig:
    """The network's shape (``feature_dim`` is the backbone's)."""

    feature_dim: int = 1024
    d_model: int = 128
    layers: int = 4
    heads: int = 1  # 1 canonical; 8 for large corpora (the authors' Youtube-8M setting)
    ffn_dim: int = 512
    head_dim: int = HEAD_DIM  # d_model // heads in format-1 checkpoints
    attention_dropout: float = ATTENTION_DROPOUT  # 0 in format-1 checkpoints

    @property
    def size_name(self) -> str:
        return f"{self.layers}x{self.d_model}/{self.heads}x{self.head_dim}h"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Block(nn.Module):
    """Post-norm Transformer encoder block; attention through ``scaled_dot_product_attention``,
    whose CPU and GPU kernels never hold the T x T matrix of a long video at once."""

    def __init__(self, dim: int, heads: int, ffn_dim: int, head_dim: int = HEAD_DIM, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads, self.head_dim, self.dropout = heads, head_dim, dropout
        self.qkv = nn.Linear(dim, 3 * heads * head_dim, bias=False)
        self.out = nn.Linear(heads * head_dim, dim, bias=False)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.ff = nn.Sequential(nn.Linear(dim, ffn_dim), nn.ReLU(), nn.Linear(ffn_dim, dim))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        # Dropout on the attention weights, in training only (the authors' attn_dropout).
        attended = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        attended = attended.transpose(1, 2).reshape(batch, length, self.heads * self.head_dim)
        x = self.norm1(x + self.out(attended))
        return self.norm2(x + self.ff(x))


class RefinementNet(nn.Module):
    """``forward(x (B, T, D))`` -> (z (B, T, d_model) unnormalised, uniqueness logits (B, T))."""

    def __init__(self, config: ContrastiveConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embed = nn.Linear(c.feature_dim, c.d_model)
        self.embed_norm = nn.LayerNorm(c.d_model, eps=1e-6)
        self.blocks = nn.ModuleList(Block(c.d_model, c.heads, c.ffn_dim, c.head_dim, c.attention_dropout)
                                    for _ in range(c.layers))
        self.unique_block = Block(c.d_model, c.heads, c.ffn_dim, c.head_dim, c.attention_dropout)
        self.unique_head = nn.Sequential(nn.Linear(c.d_model, c.d_model), nn.ReLU(), nn.Linear(c.d_model, 1))

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.embed_norm(self.embed(x))
        for block in self.blocks:
            z = block(z)
        # sg(z): the filter learns to read z, it does not shape it (Eq. 10).
        logits = self.unique_head(self.unique_block(z.detach())).squeeze(-1)
        return z, logits


# ---- the terms (Eqs. 4-7 and 9), batched: one copy serves training and scoring ------------


def contrastive_terms(x_rows: torch.Tensor, x_all: torch.Tensor, k: int, beta: float = BETA,
                      z_rows: torch.Tensor | None = None, z_all: torch.Tensor | None = None,
                      offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Alignment (Eq. 4/6) and uniformity (Eq. 5/7) of rows ``offset .. offset + R`` of each sequence.

    ``x_*`` (B, R or T, D) are the frozen features, L2-normalised: the K neighbours of a frame
    are its K most cosine-similar *other* frames among them. Distances are measured on the
    projection ``z_*`` (L2-normalised) when given (refinement), else on ``x`` itself
    (training-free). Returns two (B, R) tensors; with ||a||=||b||=1, ||a - b||^2 = 2 - 2 cos.
    """
    rows, total = x_rows.shape[-2], x_all.shape[-2]
    own = torch.arange(rows, device=x_rows.device)
    sims_x = x_rows @ x_all.transpose(-1, -2)  # (B, R, T)
    sims_x[..., own, own + offset] = -math.inf  # a frame is neither its own neighbour nor in Eq. 5/7
    nearest = sims_x.topk(k, dim=-1, sorted=False)
    if z_rows is None:
        sims, near = sims_x, nearest.values
    else:
        sims = z_rows @ z_all.transpose(-1, -2)
        sims[..., own, own + offset] = -math.inf
        near = sims.gather(-1, nearest.indices)
    align = (2.0 - 2.0 * near).mean(dim=-1)
    # -beta * (2 - 2 cos), with the -inf diagonal contributing exp(-inf) = 0.
    uniform = torch.logsumexp(sims * (2.0 * beta) - 2.0 * beta, dim=-1) - math.log(total - 1)
    return align, uniform


def segment_means(z: torch.Tensor, length: int = SEGMENT_LENGTH) -> torch.Tensor:
    """(B, T, d) normalised features -> (B, T // length, d) L2-normalised segment means."""
    batch, frames, dim = z.shape
    count = frames // length
    if count < 1:
        raise ValueError(f"sequences of {frames} samples are shorter than one segment ({length})")
    return F.normalize(z[:, : count * length].reshape(batch, count, length, dim).mean(dim=2), dim=-1)


def uniqueness_loss(z: torch.Tensor, segments: torch.Tensor, beta: float = BETA,
                    target: str = "other") -> torch.Tensor:
    """Eq. 9 for every frame: log of the mean of exp(-beta ||z_t - s||^2) over the segments s
    of the *other* sequences of the batch (``target="other"``, the paper; needs two or more
    sequences) or of every sequence, the frame's own included (``"ctvsum"``, the authors'
    code). ``z`` (B, T, d) and ``segments`` (B, S, d) are L2-normalised; returns (B, T)."""
    if target not in UNIQUE_TARGETS:
        raise ValueError(f"unknown uniqueness target {target!r}; choose one of: {', '.join(UNIQUE_TARGETS)}")
    batch, frames, _ = z.shape
    if batch < 2 and target == "other":
        raise ValueError("the uniqueness loss compares a video with others: a batch needs two or more")
    count = segments.shape[1]
    sims = torch.einsum("btd,nsd->btns", z, segments)  # (B, T, B, S)
    logits = sims * (2.0 * beta) - 2.0 * beta
    if target == "ctvsum":
        return torch.logsumexp(logits.flatten(2), dim=-1) - math.log(batch * count)
    other = ~torch.eye(batch, dtype=torch.bool, device=z.device)  # [b, n]: n is another video
    logits = logits.masked_fill(~other[:, None, :, None], -math.inf)
    return torch.logsumexp(logits.flatten(2), dim=-1) - math.log((batch - 1) * count)


def filter_target(unique: torch.Tensor) -> torch.Tensor:
    """y_t = 1 - (L_unique min-max scaled over the frames of each sequence, then squeezed to
    [0.25, 0.75] as in the authors' code), without gradient (Eq. 10's sg)."""
    unique = unique.detach()
    low = unique.min(dim=-1, keepdim=True).values
    high = unique.max(dim=-1, keepdim=True).values
    scaled = (unique - low) / (high - low + 1e-9)
    return 1.0 - (scaled * 0.5 + 0.25)


@dataclass
class LossWeights:
    alpha: float = ALPHA  # lambda1, on L_uniform
    unique: float = LAMBDA_UNIQUE  # lambda2, on L_unique
    filter: float = LAMBDA_FILTER  # lambda3, on L_filter


def refinement_loss(model: nn.Module, x: torch.Tensor, k: int, weights: LossWeights | None = None,
                    segment_length: int = SEGMENT_LENGTH, beta: float = BETA,
                    unique_target: str = "other") -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 11 averaged over the frames of a batch ``x`` (B, T, D) of L2-normalised sequences;
    ``unique_target`` picks the segments of L_unique (see ``uniqueness_loss``).

    Returns the loss and its four terms (for progress and the checkpoint's record).
    """
    weights = weights or LossWeights()
    z_raw, logits = model(x)
    z = F.normalize(z_raw, dim=-1)
    align, uniform = contrastive_terms(x, x, k, beta, z, z)
    unique = uniqueness_loss(z, segment_means(z, segment_length), beta, unique_target)
    filt = F.binary_cross_entropy_with_logits(logits, filter_target(unique))
    loss = align.mean() + weights.alpha * uniform.mean() + weights.unique * unique.mean() + weights.filter * filt
    terms = {name: float(value.detach().mean()) for name, value in
             (("align", align), ("uniform", uniform), ("unique", unique), ("filter", filt))}
    return loss, terms
