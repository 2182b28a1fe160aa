"""Integer-versioned export directories that appear atomically (what TF Serving polls)."""

import os
import re
import shutil
import tempfile
from typing import Callable, List, Optional

VERSION_PATTERN = re.compile(r"^[0-9]+$")


def existing_versions(export_base: str) -> List[int]:
    """Sorted integer versions under `export_base` (other names are ignored, as by TF Serving)."""
    if not os.path.isdir(export_base):
        return []
    return sorted(
        int(name)
        for name in os.listdir(export_base)
        if VERSION_PATTERN.match(name) and os.path.isdir(os.path.join(export_base, name))
    )


def resolve_version(export_base: str, version: Optional[int]) -> int:
    """`version`, checked, or one more than the newest existing version (1 if none)."""
    if version is None:
        return max(existing_versions(export_base), default=0) + 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer. Received: version={version!r}.")
    return version


def write_version_atomically(
    export_base: str, version: int, write: Callable[[str], None], overwrite: bool = False
) -> str:
    """Calls `write(directory)` on a hidden temporary directory, then renames it into place.

    TF Serving watches `export_base` and must never see a half-written version: the new
    version is complete before its directory gets its integer name. A failure leaves no
    version directory and earlier versions untouched; an existing version is replaced only
    with `overwrite=True`.

    Returns:
        `export_base/<version>`.
    """
    final = os.path.join(export_base, str(version))
    if os.path.exists(final) and not overwrite:
        raise FileExistsError(
            f"Version {version} already exists in {export_base} (versions: "
            f"{existing_versions(export_base)}). Pass overwrite=True to replace it, or no "
            "version to write the next one."
        )
    os.makedirs(export_base, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".tmp-version-{version}-", dir=export_base)
    try:
        write(staging)
        if os.path.exists(final):  # overwrite: move the old version aside, then swap
            retired = tempfile.mkdtemp(prefix=f".old-version-{version}-", dir=export_base)
            os.rename(final, os.path.join(retired, "old"))
            os.rename(staging, final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final
