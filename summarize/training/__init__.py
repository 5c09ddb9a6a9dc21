"""Self-supervised training (``summarize train``): data loading, the one training loop
(``loop``) and the recipes of the trained scorers (``mae``, ``contrastive``)."""

from .data import FeatureSequence, sequences_from_h5, sequences_from_videos, training_sequences, video_files
from .loop import Distributed, Recipe, TrainResult, distributed, fit
from .mae import TrainOptions, adapt, learning_rate, train_mae

__all__ = [
    "Distributed",
    "FeatureSequence",
    "Recipe",
    "TrainOptions",
    "TrainResult",
    "adapt",
    "distributed",
    "fit",
    "learning_rate",
    "sequences_from_h5",
    "sequences_from_videos",
    "train_mae",
    "training_sequences",
    "video_files",
]
