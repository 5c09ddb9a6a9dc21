"""Shipped checkpoints, one model card (``NAME.md``) each; installed as ``summarize.checkpoints``."""
