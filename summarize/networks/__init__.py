"""The networks of the trained scorers (their shipped checkpoints and model cards live in the
project's ``models/`` folder, installed as ``summarize.checkpoints``).

``mae``: the masked autoencoder of Shim et al. (network and sizes); ``contrastive``: the
contrastive refinement and uniqueness filter of Pang et al. (network and losses);
``clips``: where MAE training and scoring clips sit in a video; ``checkpoint``: the
checkpoint file format of both kinds and the shipped default (``DEFAULT_CHECKPOINT``).
"""

from .checkpoint import (DEFAULT_CHECKPOINT, KINDS, Checkpoint, ContrastiveWeights, MAEWeights, TrainedWeights,
                         load_checkpoint, save_checkpoint)
from .contrastive import ContrastiveConfig, RefinementNet
from .mae import DEFAULT_SIZE, SIZES, MAEConfig, MaskedAutoencoder, masked_mse, standardize

__all__ = [
    "Checkpoint",
    "ContrastiveConfig",
    "ContrastiveWeights",
    "DEFAULT_CHECKPOINT",
    "DEFAULT_SIZE",
    "KINDS",
    "MAEConfig",
    "MAEWeights",
    "MaskedAutoencoder",
    "RefinementNet",
    "SIZES",
    "TrainedWeights",
    "load_checkpoint",
    "masked_mse",
    "save_checkpoint",
    "standardize",
]
