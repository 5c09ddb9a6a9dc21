"""Checkpoints of the trained scorers: the weights plus what they are, in the spirit of
torchvision's weights enums.

A checkpoint is one ``torch.save`` file holding plain Python values and tensors only (it
loads with ``weights_only=True``):

    {"format": "summarize.mae" | "summarize.contrastive", "format_version": N,
     "meta": the kind's Weights fields, "config": the network's config, "model": state dict,
     "training": optimizer state and progress (only while a run is unfinished)}

Each model kind (``KINDS``) names its format, its version, config, network and ``Weights``
record; the loading, saving, digests and errors are shared. A kind's version goes up when
what its fields mean changes; a file of an older version is read through the kind's
``upgrade``, which says in today's fields what the older code did, so it scores (and a
run resumes) exactly as before. A newer version than this code knows is refused.

Versions: MAE 1. Contrastive 2 (the uniqueness target, 64-d attention heads, attention
dropout and Adam with an L2 penalty, as in the authors' code); a version-1 contrastive
file was trained with the other videos' segments as target, ``d_model / heads``-d heads,
no dropout and AdamW. The project ships one default MAE
checkpoint (``DEFAULT_CHECKPOINT``) in its top-level ``models/`` folder with its model card
(``mae-small-efficientnet-lite0.md``); installed, the folder is the package
``summarize.checkpoints``.
"""

from __future__ import annotations

import datetime as _dt
import subprocess
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from .._version import __version__
from ..digest import file_digest
from ..errors import InputError, UsageError
from ..outputs.atomic import atomic_output
from .contrastive import ContrastiveConfig, RefinementNet
from .mae import MAEConfig, MaskedAutoencoder

FORMAT = "summarize.mae"
FORMAT_VERSION = 1  # of the MAE format


def shipped_checkpoint(name: str) -> Path:
    """Path of a checkpoint shipped in ``models/`` (the package ``summarize.checkpoints``)."""
    try:
        from importlib import resources

        return Path(str(resources.files("summarize.checkpoints").joinpath(name)))
    except ModuleNotFoundError:  # a source checkout used without installing it (PYTHONPATH)
        return Path(__file__).resolve().parents[2] / "models" / name


DEFAULT_CHECKPOINT = shipped_checkpoint("mae-small-efficientnet-lite0.pt")


@dataclass(frozen=True, kw_only=True)
class TrainedWeights:
    """What every trained model records: its data, its run and where it came from."""

    backbone: str  # features it was trained on (a name in summarize.backbones.BACKBONES)
    feature_dim: int
    sampling_fps: float  # the sampling rate of its training features (None/0: feature files)
    size: str  # the network's shape in words (the exact shape is in the checkpoint's config)
    num_params: int
    trained_on: str  # the training data, in words
    steps: int
    batch_size: int
    seed: int
    created: str
    code_version: str
    train_seconds: float = 0.0
    device: str = "cpu"
    world_size: int = 1
    command: str = ""
    backbone_weights: str = "default"
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check_features(self, features, backbone: str | None, name: str) -> None:
        """Refuse features these weights cannot read (another backbone, another size);
        ``name`` says which checkpoint in the message."""
        import numpy as np

        if backbone is not None and backbone != self.backbone:
            raise UsageError(f"{name} was trained on {self.backbone} features, not {backbone}: "
                             f"use --backbone {self.backbone} or a checkpoint trained on {backbone}")
        dim = np.shape(features)[1] if np.ndim(features) == 2 else None
        if dim != self.feature_dim:
            raise UsageError(f"{name} takes {self.feature_dim}-d {self.backbone} features, got {dim}-d ones")

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, kw_only=True)
class MAEWeights(TrainedWeights):
    """What a set of MAE weights is and how it was made."""

    clip_length: int
    base_lr: float  # per 256 clips; the peak rate was base_lr * batch_size / 256
    mask_ratio: float
    max_stride: int


@dataclass(frozen=True, kw_only=True)
class ContrastiveWeights(TrainedWeights):
    """What a contrastive refinement + uniqueness model is and how it was made."""

    epochs: int
    sequence_length: int  # training sequences were resampled to this many samples
    lr: float
    weight_decay: float
    alpha: float  # lambda1, on L_uniform
    lambda_unique: float
    lambda_filter: float
    neighbour_ratio: float
    segment_length: int  # m, samples per segment in L_unique
    n_videos: int
    unique_target: str = "other"  # L_unique against the other videos' segments, or all ("ctvsum")
    optimizer: str = "adam"  # Adam with an L2 penalty (the authors'); "adamw" in version-1 files


def _contrastive_from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 contrastive checkpoint in version-2 fields: what the code that wrote it did."""
    config = data["config"]
    config = {**config, "head_dim": config["d_model"] // config["heads"], "attention_dropout": 0.0}
    legacy = {"unique_target": "other", "optimizer": "adamw"}
    data = {**data, "config": config, "meta": {**legacy, **data["meta"]}}
    if data.get("training") is not None:  # an unfinished run resumes with the options it had
        training = data["training"]
        data["training"] = {**training, "options": {**legacy, **training["options"]}}
    return data


@dataclass(frozen=True)
class ModelKind:
    """One kind of trained model: its file format, network and records."""

    name: str
    label: str  # in messages: "MAE", "contrastive"
    format: str
    config: type
    network: type
    weights: type
    version: int = 1
    upgrades: tuple = ()  # upgrades[v - 1] turns version v's dict into version v + 1's


KINDS = {
    "mae": ModelKind("mae", "MAE", FORMAT, MAEConfig, MaskedAutoencoder, MAEWeights, FORMAT_VERSION),
    "contrastive": ModelKind("contrastive", "contrastive", "summarize.contrastive", ContrastiveConfig,
                             RefinementNet, ContrastiveWeights, 2, (_contrastive_from_v1,)),
}


@dataclass
class Checkpoint:
    model: torch.nn.Module  # on the CPU, in eval mode
    meta: Any  # the kind's Weights record
    path: Path | None = None
    digest: str = ""  # SHA-256 of the file (first 16 hex digits)
    training: dict[str, Any] | None = None  # present while a training run is unfinished
    kind: str = "mae"


def kind_of(model: torch.nn.Module) -> ModelKind:
    for kind in KINDS.values():
        if isinstance(model, kind.network):
            return kind
    raise TypeError(f"no checkpoint format for {type(model).__name__}")


def code_version() -> str:
    """The package version, plus the git commit when running from a checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                                capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+g{commit}" if commit else __version__


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def checkpoint_dict(model: torch.nn.Module, meta: TrainedWeights,
                    training: dict[str, Any] | None = None) -> dict[str, Any]:
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    kind = kind_of(model)
    data = {"format": kind.format, "format_version": kind.version, "meta": meta.to_dict(),
            "config": model.config.to_dict(), "model": state}
    if training is not None:
        data["training"] = training
    return data


def save_checkpoint(path: str | Path, model: torch.nn.Module, meta: TrainedWeights,
                    training: dict[str, Any] | None = None) -> None:
    """Write atomically: a crash mid-save leaves the previous checkpoint intact."""
    path = Path(path)
    with atomic_output(path) as tmp:
        torch.save(checkpoint_dict(model, meta, training), tmp)


def load_checkpoint(path: str | Path | None = None, kind: str = "mae") -> Checkpoint:
    """Load a checkpoint of ``kind`` (the shipped default MAE when ``path`` is None) onto the CPU."""
    spec = KINDS[kind]
    if path is None and kind != "mae":
        raise UsageError(f"no default {spec.label} checkpoint is shipped: train one with `summarize train {kind}`")
    path = Path(path) if path is not None else DEFAULT_CHECKPOINT
    if not path.is_file():
        if path == DEFAULT_CHECKPOINT:
            raise InputError(f"the default MAE checkpoint is missing from the installation ({path})")
        raise UsageError(f"checkpoint not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a corrupt or foreign file: say so in one line
        raise InputError(f"cannot read checkpoint {path}: {type(exc).__name__}") from None
    found = data.get("format") if isinstance(data, dict) else None
    if found != spec.format:
        other = next((k for k in KINDS.values() if k.format == found), None)
        hint = f" (it is a {other.label} checkpoint: use it with --method {other.name})" if other else ""
        raise InputError(f"{path} is not a summarize {spec.label} checkpoint{hint}")
    version = data.get("format_version", 0)
    if not isinstance(version, int) or version > spec.version:
        raise InputError(f"{path} was written by a newer summarize (checkpoint format "
                         f"{data['format_version']}); upgrade to read it")
    try:
        for upgrade in spec.upgrades[max(version, 1) - 1:]:
            data = upgrade(data)
        model = spec.network(spec.config(**data["config"]))
        model.load_state_dict(data["model"], strict=True)
        meta = spec.weights.from_dict(data["meta"])
    except (KeyError, TypeError, RuntimeError, ValueError) as exc:
        raise InputError(f"{path} is a damaged {spec.label} checkpoint ({type(exc).__name__})") from None
    return Checkpoint(model.eval(), meta, path, file_digest(path, "sha256", 16), data.get("training"), kind)
