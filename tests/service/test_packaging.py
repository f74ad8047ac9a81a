"""An installed copy (``pip install .``, as the Docker image does) holds every file the code reads."""
from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_data_file_of_the_packages_is_declared():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(["git", "ls-files", "moderation", "workers"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    data_files = [path for path in tracked if not path.endswith(".py")]
    assert data_files, "the packages have data files (Lua scripts, templates)"
    missing = []
    for path in data_files:
        owners = [(package, patterns) for package, patterns in declared.items()
                  if path.startswith(package.replace(".", "/") + "/")]
        inside = [(path[len(package.replace(".", "/")) + 1:], patterns) for package, patterns in owners]
        if not any(fnmatch.fnmatch(relative, pattern) for relative, patterns in inside for pattern in patterns):
            missing.append(path)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
