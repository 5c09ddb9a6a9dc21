"""Packaging beyond what pyproject.toml can say: the top-level ``models/`` folder (shipped
checkpoints and their model cards) installs as the package ``summarize.checkpoints``."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["summarize", "summarize.*"]) + ["summarize.checkpoints"],
    package_dir={"summarize.checkpoints": "models"},
)
