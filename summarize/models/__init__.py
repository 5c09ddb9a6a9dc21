"""Self-supervised models over frame features, and their shipped checkpoints.

``mae``: the masked autoencoder of Shim et al. (network and sizes); ``clips``: where
training and scoring clips sit in a video; ``checkpoint``: the checkpoint file format and
the shipped default (``DEFAULT_CHECKPOINT``, in the project's ``models/`` folder with its
model card).
"""

from .checkpoint import DEFAULT_CHECKPOINT, MAECheckpoint, MAEWeights, load_checkpoint, save_checkpoint
from .mae import DEFAULT_SIZE, SIZES, MAEConfig, MaskedAutoencoder, masked_mse, standardize

__all__ = [
    "DEFAULT_CHECKPOINT",
    "DEFAULT_SIZE",
    "MAECheckpoint",
    "MAEConfig",
    "MAEWeights",
    "MaskedAutoencoder",
    "SIZES",
    "load_checkpoint",
    "masked_mse",
    "save_checkpoint",
    "standardize",
]
