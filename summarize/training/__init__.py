"""Self-supervised training (``summarize train``): data loading and the MAE training loop."""

from .data import FeatureSequence, sequences_from_h5, sequences_from_videos, training_sequences, video_files
from .mae import TrainOptions, TrainResult, adapt, distributed, learning_rate, train_mae

__all__ = [
    "FeatureSequence",
    "TrainOptions",
    "TrainResult",
    "adapt",
    "distributed",
    "learning_rate",
    "sequences_from_h5",
    "sequences_from_videos",
    "train_mae",
    "training_sequences",
    "video_files",
]
