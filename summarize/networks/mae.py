"""The masked autoencoder over frame features (Shim et al., AAAI 2024, Sec. 3.2-3.3 and App. A1).

A clip is a short sequence of frame features (30 by default). Some of its frames are
masked; the encoder sees only the unmasked frames, each with the sinusoidal embedding of
its position in the clip; a lighter decoder sees the encoder's outputs plus one shared
learnable mask token at every masked position (again with sinusoidal positions) and
reconstructs every frame's feature. Training minimises the mean squared error on the
masked frames only; scoring masks one frame and compares its reconstruction with it.

Both transformers are ViT-style pre-norm blocks (``torch.nn.TransformerEncoderLayer``,
GELU MLP of ``mlp_ratio`` times the width, no dropout) with every linear layer initialised
Xavier-uniform. Positions are those of the frames *within the clip* (0..L-1), not their
times: the model is not told the stride, as in the paper.

Features are L2-normalised and scaled by sqrt(D) before use (``standardize``), so a
feature's entries have unit mean square whatever the backbone; reconstructions live in
that space and the loss compares them with the standardized features.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
from torch import nn

# Sizes from the paper's appendix (A1) and a small one that is practical on a CPU.
SIZES: dict[str, dict[str, int]] = {
    "small": dict(encoder_dim=256, encoder_depth=4, encoder_heads=4,
                  decoder_dim=128, decoder_depth=2, decoder_heads=4),
    "base": dict(encoder_dim=768, encoder_depth=12, encoder_heads=12,
                 decoder_dim=384, decoder_depth=4, decoder_heads=6),
    "large": dict(encoder_dim=1024, encoder_depth=24, encoder_heads=16,
                  decoder_dim=512, decoder_depth=8, decoder_heads=16),
}
DEFAULT_SIZE = "small"


@dataclass(frozen=True)
class MAEConfig:
    """The network's shape. ``feature_dim`` is the backbone's; the rest is the model size."""

    feature_dim: int = 1280
    clip_length: int = 30
    encoder_dim: int = 256
    encoder_depth: int = 4
    encoder_heads: int = 4
    decoder_dim: int = 128
    decoder_depth: int = 2
    decoder_heads: int = 4
    mlp_ratio: float = 4.0

    @classmethod
    def sized(cls, size: str = DEFAULT_SIZE, **overrides: Any) -> "MAEConfig":
        """The named size (``small``, ``base``, ``large``) with ``overrides`` applied."""
        if size not in SIZES:
            raise ValueError(f"unknown model size {size!r}; choose one of: {', '.join(SIZES)}")
        return replace(cls(**SIZES[size]), **overrides)

    @property
    def size_name(self) -> str:
        """The named size this config has, or ``custom``."""
        for name, shape in SIZES.items():
            if all(getattr(self, key) == value for key, value in shape.items()) and self.mlp_ratio == 4.0:
                return name
        return "custom"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """(length, dim) fixed sine/cosine embeddings (Vaswani et al.): sines in the first half."""
    half = dim // 2
    frequencies = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / max(half, 1))
    angles = torch.arange(length, dtype=torch.float64)[:, None] * frequencies[None, :]
    table = torch.zeros(length, dim, dtype=torch.float64)
    table[:, :half] = torch.sin(angles)
    table[:, half : 2 * half] = torch.cos(angles)
    return table.float()


def standardize(features: torch.Tensor) -> torch.Tensor:
    """L2-normalise each feature and scale it by sqrt(D): entries of unit mean square."""
    return nn.functional.normalize(features, dim=-1) * math.sqrt(features.shape[-1])


def masked_mse(reconstruction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the masked frames only (``mask`` (B, L) True = masked)."""
    per_frame = (reconstruction - target).pow(2).mean(dim=-1)
    return per_frame[mask].mean()


def _blocks(dim: int, depth: int, heads: int, mlp_ratio: float) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(dim, heads, int(dim * mlp_ratio), dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, depth, norm=nn.LayerNorm(dim), enable_nested_tensor=False)


class MaskedAutoencoder(nn.Module):
    """``forward(features (B, L, D), mask (B, L))`` -> reconstructions (B, L, D).

    Every row of ``mask`` must mask the same number of frames (at least one, not all),
    so the unmasked frames of a batch form one dense (B, L - M, D) tensor.
    """

    def __init__(self, config: MAEConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Linear(c.feature_dim, c.encoder_dim)
        self.encoder = _blocks(c.encoder_dim, c.encoder_depth, c.encoder_heads, c.mlp_ratio)
        self.decoder_embed = nn.Linear(c.encoder_dim, c.decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, c.decoder_dim))
        self.decoder = _blocks(c.decoder_dim, c.decoder_depth, c.decoder_heads, c.mlp_ratio)
        self.head = nn.Linear(c.decoder_dim, c.feature_dim)
        self.register_buffer("encoder_positions", sinusoidal_positions(c.clip_length, c.encoder_dim),
                             persistent=False)
        self.register_buffer("decoder_positions", sinusoidal_positions(c.clip_length, c.decoder_dim),
                             persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform linear layers (attention projections included), zero biases."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.MultiheadAttention):
                nn.init.xavier_uniform_(module.in_proj_weight)
                nn.init.zeros_(module.in_proj_bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.mask_token, std=0.02)

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, _ = features.shape
        if length > self.config.clip_length:
            raise ValueError(f"clips of {length} frames, the model takes at most {self.config.clip_length}")
        masked_per_row = mask.sum(dim=1)
        n_masked = int(masked_per_row[0]) if batch else 0
        if batch and (not 0 < n_masked < length or bool((masked_per_row != n_masked).any())):
            raise ValueError("every clip must mask the same number of frames, at least one and not all")
        visible = ~mask
        x = standardize(features)
        # Boolean indexing keeps row-major order, so each row's visible frames stay in time order.
        tokens = self.embed(x[visible].view(batch, length - n_masked, -1))
        tokens = tokens + self.encoder_positions[:length].expand(batch, length, -1)[visible].view(tokens.shape)
        encoded = self.decoder_embed(self.encoder(tokens))
        full = encoded.new_zeros(batch, length, encoded.shape[-1])
        full[visible] = encoded.reshape(-1, encoded.shape[-1])
        decoder_in = torch.where(mask.unsqueeze(-1), self.mask_token.to(full.dtype), full)
        decoded = self.decoder(decoder_in + self.decoder_positions[:length])
        return self.head(decoded)
