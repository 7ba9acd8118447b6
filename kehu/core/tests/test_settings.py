import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, check=False,
    )


def test_production_refuses_debug():
    result = _import_settings(KEHU_PRODUCTION="1", KEHU_DEBUG="1", KEHU_SECRET_KEY="x" * 50)
    assert result.returncode == 1
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_the_default_secret_key():
    result = _import_settings(KEHU_PRODUCTION="1", KEHU_DEBUG="0")
    assert result.returncode == 1
    assert "KEHU_SECRET_KEY" in result.stderr


def test_production_starts_with_debug_off_and_a_real_key():
    result = _import_settings(KEHU_PRODUCTION="1", KEHU_DEBUG="0", KEHU_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
