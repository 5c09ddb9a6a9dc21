"""The names the command line offers and ``SummaryOptions`` checks, importable without PyTorch.

``summarize --help`` and usage errors must answer in a fraction of a second, before the
registries (which import the networks) are loaded; ``tests/test_cli_startup.py`` checks
that every tuple here equals its registry.
"""

BACKBONE_NAMES = ("efficientnet-lite0", "googlenet", "resnet50")  # summarize.backbones.BACKBONES
DEFAULT_BACKBONE = "efficientnet-lite0"
METHOD_NAMES = ("contrastive", "mae", "random")  # summarize.scoring.SCORERS
DEFAULT_METHOD = "contrastive"
VARIANTS = ("align+uniform", "align", "align+unique", "align+uniform+unique")  # summarize.scoring.contrastive.VARIANTS
DEVICE_CHOICES = ("auto", "cpu", "cuda")  # summarize.device.DEVICE_CHOICES
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                "veryslow")  # x264's presets (libx264 checks them)
DATASETS = ("tvsum", "summe")  # summarize.evaluation.DATASETS
REFERENCES = ("random", "uniform", "human")  # summarize.evaluation.REFERENCES
BASELINES = ("uniform", "human")  # summarize.evaluation.runner.BASELINES
CUT_MODES = ("exact", "keyframe", "reencode")  # summarize.outputs.smartcut.CUT_MODES
DEFAULT_CUT = "exact"
DECODERS = ("auto", "decord", "pyav", "nvdec")  # "auto" and summarize.decoding.BACKENDS
SAMPLING_MODES = ("uniform", "keyframes")  # summarize.decoding.SAMPLING_MODES
RUNTIMES = ("auto", "torch", "onnxruntime")  # summarize.backbones.RUNTIMES
# --selection: total (the importance shots hold, total_selection.py) or benchmark (the
# published rule: mean score, shots halved to fill the budget, selection.py); see Summarizer._select.
SELECTIONS = ("total", "benchmark")
DEFAULT_MIN_SHOT = 1.0  # summarize.total_selection.DEFAULT_MIN_SHOT
