"""LibreOffice, headless, for the ledger and bulletin tests: convert a file with a private profile per call, so
parallel runs do not share (and lock) one. Without `soffice` the tests skip with the reason; with CI=true they fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def soffice() -> str:
    executable = shutil.which("soffice") or shutil.which("libreoffice")
    if executable is None:
        reason = "no `soffice` on PATH (Debian: libreoffice-calc-nogui libreoffice-writer-nogui; .ci/run installs them)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"LibreOffice tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"LibreOffice tests skipped: {reason}")
    return executable


def convert(source: Path, target: str, outdir: Path) -> Path:
    """`soffice --headless --convert-to TARGET` into outdir; the converted file's path."""
    executable = soffice()
    with tempfile.TemporaryDirectory(prefix="kg-lo-profile-") as profile:
        done = subprocess.run([executable, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                               "--convert-to", target, "--outdir", str(outdir), str(source)],
                              capture_output=True, text=True, timeout=180)
    out = outdir / f"{source.stem}.{target.split(':')[0]}"
    assert done.returncode == 0 and out.exists(), done.stdout + done.stderr
    return out
