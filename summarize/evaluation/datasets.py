"""Readers for the benchmark data: the community feature files and the original annotations.

* ``eccv16_dataset_{tvsum,summe,ovp,youtube}_google_pool5.h5`` (Zhang et al. 2016, as
  distributed with K. Zhou's pytorch-vsumm-reinforce and DSNet): one group per video with
  ``features`` (T, 1024) GoogLeNet pool5 at the frames in ``picks``, ``change_points`` (S, 2)
  shot [first, last] frames (the last frame is *inclusive*), ``n_frame_per_seg``,
  ``n_frames``, ``user_summary`` (users, n_frames) 0/1 keyshot summaries, ``gtscore`` and
  optionally ``video_name``.
* TVSum (Song et al. 2015): ``ydata-tvsum50.mat`` (MATLAB v7.3, i.e. HDF5) or the
  ``ydata-tvsum50-anno.tsv`` text release: per video 20 annotators' importance, 1 to 5, for
  every frame (constant within each 2-second shot).
* SumMe (Gygli et al. 2014): ``GT/*.mat`` (MATLAB v5): ``user_score`` (n_frames, users), a
  frame is in a user's summary when its value is > 0; ``nFrames``, ``FPS``.

Everything is read one video at a time where the format allows it (the feature file);
annotations are small (TVSum: 20 x 352,353 bytes) and read whole.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import InputError, UsageError

DATASETS = ("tvsum", "summe")
FEATURE_FILE = "eccv16_dataset_{dataset}_google_pool5.h5"
FEATURE_FILE_SOURCE = (
    "the community's feature files come with the dataset downloads of K. Zhou's "
    "pytorch-vsumm-reinforce (github.com/KaiyangZhou/pytorch-vsumm-reinforce) and of DSNet "
    "(github.com/li-plus/DSNet)"
)
TVSUM_ANNOTATION_FILES = ("ydata-tvsum50.mat", "ydata-tvsum50-anno.tsv", "ydata-anno.tsv")
TVSUM_INFO_FILE = "ydata-tvsum50-info.tsv"
TVSUM_SOURCE = "the TVSum release (github.com/yalesong/tvsum), file ydata-tvsum50.mat or ydata-tvsum50-anno.tsv"
# Where each benchmark's raw videos come from, for the error that finds none of them.
VIDEO_SOURCES = {
    "tvsum": "the 50 TVSum videos (CC-BY, from YouTube) come with the TVSum release (github.com/yalesong/tvsum), "
             "named by YouTube id; its ydata-tvsum50-info.tsv lists their URLs",
    "summe": "the 25 SumMe videos come with the SumMe dataset (Gygli et al., ECCV 2014), beside its GT folder",
}
VIDEO_SUFFIXES = (".mp4", ".webm", ".mkv", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv")


@dataclass
class FeatureVideo:
    """One video of an eccv16-layout feature file."""

    key: str  # the h5 group, e.g. "video_7"
    name: str | None  # ``video_name`` when the file has it (SumMe does)
    features: np.ndarray  # (T, D) float32
    picks: np.ndarray  # (T,) frame of each feature row
    bounds: np.ndarray  # (S, 2) shots as frame ranges [start, stop) (the file's last frame + 1)
    n_frames: int
    user_summary: np.ndarray  # (users, n_frames) bool


@dataclass
class AnnotatedVideo:
    """A video's human annotation: one row per annotator, one column per frame."""

    name: str  # TVSum YouTube id / SumMe video name
    n_frames: int
    scores: np.ndarray  # (annotators, n_frames): TVSum importance 1-5; SumMe 0/1 selection
    fps: float | None = None  # SumMe's ``FPS`` (TVSum's annotation has none)
    title: str | None = None
    category: str | None = None

    @property
    def n_annotators(self) -> int:
        return int(self.scores.shape[0])


# --------------------------------------------------------------------------- finding files


def natural_key(text: str) -> list:
    """video_2 before video_10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _candidates(folder: Path, names: tuple[str, ...]) -> Iterator[Path]:
    """``folder/name`` then ``folder/*/name`` (the downloads unpack into a subfolder)."""
    for name in names:
        if (folder / name).is_file():
            yield folder / name
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        for name in names:
            if (sub / name).is_file():
                yield sub / name


def find_feature_file(data_dir: str | Path, dataset: str) -> Path:
    """The eccv16 feature file of ``dataset`` in ``data_dir`` (or ``data_dir`` itself)."""
    expected = FEATURE_FILE.format(dataset=dataset)
    data_dir = Path(data_dir)
    if data_dir.is_file() and data_dir.suffix == ".h5":
        return data_dir
    if not data_dir.is_dir():
        raise UsageError(f"--data-dir {data_dir}: no such folder (expected a folder holding {expected}; "
                         f"{FEATURE_FILE_SOURCE})")
    found = next(_candidates(data_dir, (expected,)), None)
    if found is None:
        raise InputError(f"no {expected} in {data_dir} or its subfolders: {FEATURE_FILE_SOURCE}; "
                         f"to evaluate raw videos instead use --videos DIR --annotations PATH")
    return found


def find_tvsum_annotations(*folders: str | Path | None) -> Path | None:
    """The first TVSum annotation file in ``folders`` (or their subfolders)."""
    for folder in folders:
        if folder is not None and Path(folder).is_dir():
            found = next(_candidates(Path(folder), TVSUM_ANNOTATION_FILES), None)
            if found is not None:
                return found
    return None


# --------------------------------------------------------------------------- feature files


def _scalar(value) -> float:
    return float(np.asarray(value).reshape(-1)[0])


def _text(value) -> str:
    value = np.asarray(value).reshape(-1)[0] if np.asarray(value).shape else np.asarray(value)[()]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class FeatureFile:
    """An eccv16-layout h5 file, read one video at a time (``with FeatureFile(p) as f``)."""

    def __init__(self, path: str | Path) -> None:
        import h5py

        self.path = Path(path)
        try:
            self._h5 = h5py.File(self.path, "r")
        except OSError as exc:
            raise InputError(f"{self.path} is not a readable HDF5 feature file ({exc})") from None
        self.keys = sorted((k for k in self._h5.keys() if hasattr(self._h5[k], "keys")), key=natural_key)
        if not self.keys:
            raise InputError(f"{self.path} holds no video groups (expected video_1, video_2, ...)")

    def __enter__(self) -> "FeatureFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._h5.close()

    def __len__(self) -> int:
        return len(self.keys)

    def n_frames(self, key: str) -> int:
        return int(_scalar(self._h5[key]["n_frames"][()]))

    def read(self, key: str) -> FeatureVideo:
        group = self._h5[key]
        where = f"{self.path.name}/{key}"
        missing = [k for k in ("features", "picks", "change_points", "n_frames", "user_summary") if k not in group]
        if missing:
            raise InputError(f"{where} lacks {', '.join(missing)} (not the eccv16 feature-file layout)")
        features = np.asarray(group["features"][()], dtype=np.float32)
        picks = np.asarray(group["picks"][()]).reshape(-1).astype(np.int64)
        n_frames = self.n_frames(key)
        change_points = np.asarray(group["change_points"][()]).reshape(-1, 2).astype(np.int64)
        user_summary = np.asarray(group["user_summary"][()]) > 0
        if user_summary.ndim == 1:
            user_summary = user_summary[None, :]
        if features.ndim != 2 or len(features) != len(picks):
            raise InputError(f"{where}: {len(picks)} picks but features of shape {features.shape}")
        if len(picks) < 2 or np.any(np.diff(picks) <= 0) or picks[0] < 0 or picks[-1] >= n_frames:
            raise InputError(f"{where}: picks must increase and lie in [0, n_frames={n_frames})")
        if user_summary.shape[1] != n_frames:
            raise InputError(f"{where}: user_summary has {user_summary.shape[1]} frames, n_frames is {n_frames}")
        name = _text(group["video_name"][()]) if "video_name" in group else None
        return FeatureVideo(key, name, features, picks, change_point_bounds(change_points, n_frames, where),
                            n_frames, user_summary)


def change_point_bounds(change_points: np.ndarray, n_frames: int, where: str = "change_points") -> np.ndarray:
    """eccv16 ``change_points`` rows [first, last] (last frame inclusive) -> [start, stop)."""
    bounds = np.asarray(change_points, dtype=np.int64).reshape(-1, 2).copy()
    bounds[:, 1] += 1
    bounds = np.clip(bounds, 0, n_frames)
    bounds = bounds[bounds[:, 1] > bounds[:, 0]]
    if len(bounds) == 0 or np.any(bounds[1:, 0] < bounds[:-1, 1]):
        raise InputError(f"{where}: shots must be non-empty, in time order and not overlap")
    return bounds


def write_feature_file(path: str | Path, videos: list[FeatureVideo], gtscores: list[np.ndarray] | None = None) -> None:
    """Write ``videos`` in the eccv16 layout (for tests, benchmarks and converting own data)."""
    import h5py

    with h5py.File(path, "w") as h5:
        for i, video in enumerate(videos):
            group = h5.create_group(video.key)
            group["features"] = np.asarray(video.features, dtype=np.float32)
            group["picks"] = np.asarray(video.picks, dtype=np.int64)
            group["n_frames"] = int(video.n_frames)
            group["n_steps"] = len(video.picks)
            group["change_points"] = np.stack([video.bounds[:, 0], video.bounds[:, 1] - 1], axis=1).astype(np.int64)
            group["n_frame_per_seg"] = (video.bounds[:, 1] - video.bounds[:, 0]).astype(np.int64)
            group["user_summary"] = video.user_summary.astype(np.float32)
            gtscore = gtscores[i] if gtscores is not None else video.user_summary.mean(axis=0)[video.picks]
            group["gtscore"] = np.asarray(gtscore, dtype=np.float32)
            if video.name is not None:
                group["video_name"] = video.name.encode()


# --------------------------------------------------------------------------- TVSum


def read_tvsum(path: str | Path) -> list[AnnotatedVideo]:
    """The 50 TVSum videos in the official order, from ``ydata-tvsum50.mat`` or the anno TSV."""
    path = Path(path)
    if path.is_dir() or (path.is_file() and _is_summe_mat(path)):
        if path.is_dir() and not any(_is_summe_mat(f) for f in sorted(path.glob("*.mat"))[:1]):
            raise UsageError(f"--annotations {path} is a folder; expected {TVSUM_SOURCE}")
        raise UsageError(f"--annotations {path} holds SumMe ground truth, not TVSum annotations: "
                         f"use --dataset summe (or give {TVSUM_SOURCE})")
    if not path.is_file():
        raise UsageError(f"--annotations {path}: no such file (expected {TVSUM_SOURCE})")
    if path.suffix == ".mat":
        return _read_tvsum_mat(path)
    if path.suffix == ".tsv":
        return _read_tvsum_tsv(path)
    raise UsageError(f"{path}: TVSum annotations are read from a .mat or .tsv file ({TVSUM_SOURCE})")


def _matlab_text(h5, ref) -> str:
    codes = np.asarray(h5[ref][()]).reshape(-1)
    return "".join(chr(int(c)) for c in codes)


def _read_tvsum_mat(path: Path) -> list[AnnotatedVideo]:
    import h5py

    try:
        h5 = h5py.File(path, "r")
    except OSError:
        raise InputError(f"{path} is not a MATLAB v7.3 (HDF5) file; expected {TVSUM_SOURCE}") from None
    with h5:
        if "tvsum50" not in h5:
            raise InputError(f"{path} has no 'tvsum50' struct; expected {TVSUM_SOURCE}")
        table = h5["tvsum50"]
        videos = []
        for i in range(table["video"].shape[0]):
            anno = np.asarray(h5[table["user_anno"][i][0]][()])
            n_frames = int(_scalar(h5[table["nframes"][i][0]][()]))
            if anno.shape[1] != n_frames and anno.shape[0] == n_frames:
                anno = anno.T  # MATLAB stores it nframes x 20; h5py shows the transpose
            if anno.shape[1] != n_frames:
                raise InputError(f"{path}: entry {i + 1} has annotations of shape {anno.shape} for {n_frames} frames")
            videos.append(AnnotatedVideo(
                name=_matlab_text(h5, table["video"][i][0]), n_frames=n_frames, scores=anno.astype(np.uint8),
                title=_matlab_text(h5, table["title"][i][0]), category=_matlab_text(h5, table["category"][i][0]),
            ))
    return videos


def _read_tvsum_tsv(path: Path) -> list[AnnotatedVideo]:
    rows: dict[str, list[np.ndarray]] = {}
    categories: dict[str, str] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for line_no, row in enumerate(csv.reader(fh, delimiter="\t"), 1):
            if not row or not row[0].strip():
                continue
            if len(row) != 3:
                raise InputError(f"{path}:{line_no}: expected 'video id<TAB>category<TAB>scores', "
                                 f"got {len(row)} fields")
            video, category, scores = row
            try:
                values = np.array([int(v) for v in scores.split(",")], dtype=np.uint8)
            except ValueError:
                raise InputError(f"{path}:{line_no}: scores must be comma-separated integers") from None
            rows.setdefault(video, []).append(values)
            categories[video] = category
    if not rows:
        raise InputError(f"{path} holds no annotations")
    order = list(rows)
    info = path.with_name(TVSUM_INFO_FILE)
    titles: dict[str, str] = {}
    if info.is_file():  # the official order (the one the eccv16 file follows) is the info file's
        with open(info, newline="", encoding="utf-8") as fh:
            listed = [r for r in csv.DictReader(fh, delimiter="\t") if r.get("video_id") in rows]
        titles = {r["video_id"]: r.get("title") for r in listed}
        order = [r["video_id"] for r in listed] + [v for v in order if v not in titles]
    videos = []
    for video in order:
        lengths = {len(r) for r in rows[video]}
        if len(lengths) != 1:
            raise InputError(f"{path}: annotators of {video} cover different numbers of frames {sorted(lengths)}")
        videos.append(AnnotatedVideo(name=video, n_frames=lengths.pop(), scores=np.stack(rows[video]),
                                     title=titles.get(video), category=categories[video]))
    return videos


def write_tvsum_tsv(path: str | Path, videos: list[AnnotatedVideo]) -> None:
    """The ``ydata-tvsum50-anno.tsv`` layout: one line per (video, annotator)."""
    with open(path, "w", encoding="utf-8") as fh:
        for video in videos:
            for row in video.scores:
                fh.write(f"{video.name}\t{video.category or ''}\t{','.join(str(int(v)) for v in row)}\n")


# --------------------------------------------------------------------------- SumMe


def read_summe(path: str | Path) -> list[AnnotatedVideo]:
    """SumMe ground truth from a ``GT`` folder of .mat files (or one .mat file)."""
    import scipy.io

    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.mat"), key=lambda p: natural_key(p.stem.lower()))
        if not files:
            raise InputError(f"no SumMe ground-truth .mat files in {path} (expected the GT folder of SumMe)")
    elif path.is_file():
        files = [path]
    else:
        raise UsageError(f"--annotations {path}: no such file or folder (expected the GT folder of SumMe)")
    videos = []
    for file in files:
        if _is_tvsum_mat(file):
            raise UsageError(f"{file} holds the TVSum annotations, not SumMe ground truth: use --dataset tvsum "
                             "(SumMe's ground truth is its GT folder of one .mat file per video)")
        try:
            mat = scipy.io.loadmat(file)
        except Exception:  # scipy raises several types, with its own wording, for non-MATLAB content
            raise InputError(f"{file} is not a MATLAB (.mat) file SciPy can read; SumMe's ground truth is its "
                             "GT folder of one .mat file per video") from None
        if "user_score" not in mat:
            raise InputError(f"{file} has no user_score (not a SumMe ground-truth file)")
        scores = np.asarray(mat["user_score"])
        n_frames = int(_scalar(mat["nFrames"])) if "nFrames" in mat else scores.shape[0]
        if scores.shape[0] != n_frames:
            raise InputError(f"{file}: user_score has {scores.shape[0]} rows but nFrames is {n_frames}")
        fps = _scalar(mat["FPS"]) if "FPS" in mat else None
        videos.append(AnnotatedVideo(name=file.stem, n_frames=n_frames, scores=(scores.T > 0).astype(np.uint8),
                                     fps=fps))
    return videos


def _is_tvsum_mat(path: Path) -> bool:
    """An HDF5 (MATLAB v7.3) file with the ``tvsum50`` struct of ``ydata-tvsum50.mat``."""
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            return "tvsum50" in h5
    except (OSError, ValueError):
        return False


def _is_summe_mat(path: Path) -> bool:
    """A MATLAB v5 file with SumMe's ``user_score``."""
    import scipy.io

    try:
        return "user_score" in {name for name, *_ in scipy.io.whosmat(path)}
    except Exception:  # not MATLAB v5 content: scipy's own exception types
        return False


# --------------------------------------------------------------------------- raw videos


def _match_name(name: str) -> str:
    return re.sub(r"[\s_]+", "_", name.strip().lower())


def pair_videos(videos_dir: str | Path, annotations: list[AnnotatedVideo],
                dataset: str | None = None) -> tuple[list[tuple[Path, AnnotatedVideo]], list[str]]:
    """Video files of ``videos_dir`` matched to annotations by name (case, spaces and
    underscores ignored). Returns the pairs and the names of annotated videos not found."""
    videos_dir = Path(videos_dir)
    if not videos_dir.is_dir():
        raise UsageError(f"--videos {videos_dir}: no such folder")
    files = {}
    for file in sorted(videos_dir.iterdir()):
        if file.is_file() and file.suffix.lower() in VIDEO_SUFFIXES and not file.name.startswith("."):
            files.setdefault(_match_name(file.stem), file)
    pairs, missing = [], []
    for video in annotations:
        file = files.get(_match_name(video.name))
        if file is None:
            missing.append(video.name)
        else:
            pairs.append((file, video))
    if not pairs:
        raise InputError(f"none of the {len(annotations)} annotated videos is in {videos_dir} "
                         f"(videos are matched to annotations by file name, e.g. {annotations[0].name}.mp4"
                         + (f"; {VIDEO_SOURCES[dataset]})" if dataset in VIDEO_SOURCES else ")"))
    return pairs, missing


# --------------------------------------------------------------------------- splits


@dataclass
class Fold:
    """One fold of a splits file: its test videos and the videos a trained method learns from."""

    test: list[str]
    train: list[str] | None  # None: the file gives no train_keys (all other videos are used)


def read_folds(path: str | Path) -> list[Fold]:
    """The folds of a JSON splits file in K. Zhou's format
    ``[{"train_keys": [...], "test_keys": [...]}, ...]``. Keys may carry a path prefix
    (``.../eccv16_dataset_tvsum_google_pool5.h5/video_1``): only the last part counts."""
    import json

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--splits {path}: no such file")
    try:
        folds = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"{path} is not JSON; splits are read in K. Zhou's format "
                         '[{"train_keys": [...], "test_keys": [...]}, ...]') from None
    if not isinstance(folds, list) or not folds or not all(isinstance(f, dict) and f.get("test_keys") for f in folds):
        raise InputError(f'{path}: expected a list of folds, each with "test_keys"')

    def keys(values) -> list[str]:
        return [str(k).rstrip("/").rsplit("/", 1)[-1] for k in values]

    return [Fold(keys(fold["test_keys"]), keys(fold["train_keys"]) if fold.get("train_keys") else None)
            for fold in folds]


def read_splits(path: str | Path) -> list[list[str]]:
    """Test keys of each fold of a splits file (see ``read_folds``)."""
    return [fold.test for fold in read_folds(path)]
