"""Make JupyterLab open the book's MyST chapters (``book/*.md``) as notebooks.

    python tools/jupyterlab_settings.py PREFIX

Writes JupyterLab's settings overrides in ``PREFIX/share/jupyter/lab/settings/overrides.json``
(PREFIX is the environment: ``.venv`` for ``make lab``, ``$NB_PYTHON_PREFIX`` on Binder), so
double-clicking a markdown file opens it with Jupytext's notebook view. Other settings
already in the file are kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/docmanager-extension:plugin": {
        "defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}
    }
}


def write_overrides(prefix: Path) -> Path:
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = json.loads(path.read_text()) if path.exists() else {}
    for plugin, values in OVERRIDES.items():
        settings.setdefault(plugin, {}).update(values)
    path.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(f"jupyterlab_settings: wrote {write_overrides(Path(sys.argv[1]))}")
