"""The warm worker's memos of pytest's work: right answers, invalidated when a file changes.

Each case runs in a new interpreter, since `pytest_memo.install()` patches pytest process-wide.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import importlib.metadata, json, os, sys
    from pathlib import Path
    from mutgate.execution import pytest_memo
    from _pytest.assertion import rewrite
    from _pytest import config as pytest_config

    def plugin_entry_points():
        return sorted((d.metadata["Name"], ep.name) for d in importlib.metadata.distributions()
                      for ep in d.entry_points if ep.group == "pytest11")

    real = plugin_entry_points()
    walk = importlib.metadata.distributions
    pytest_memo.install(os.getcwd())
    pytest_memo.install(os.getcwd())  # idempotent
    config = pytest_config._prepareconfig(["-p", "no:cacheprovider"], plugins=None)
    test = Path(sys.argv[1])
    first = rewrite._rewrite_test(test, config)[1]
    again = rewrite._rewrite_test(test, config)[1]
    test.write_text(test.read_text() + "\\n\\ndef test_two():\\n    assert 2\\n")
    os.utime(test, ns=(1, 1))
    changed = rewrite._rewrite_test(test, config)[1]
    import importlib.util, marshal, struct
    stat = os.stat(test)
    pyc = Path("test_one.rewritten.pyc")
    pyc.write_bytes(importlib.util.MAGIC_NUMBER + bytes(4) + struct.pack(
        "<LL", int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF) + marshal.dumps(changed))
    read = rewrite._read_pyc(test, pyc)
    pyc.unlink()
    read_again = rewrite._read_pyc(test, pyc)
    os.utime(test, ns=(2 * 10**9, 2 * 10**9))
    read_after_change = rewrite._read_pyc(test, pyc)
    sys.path.insert(0, os.getcwd())
    sys.dont_write_bytecode = True
    Path("mod_a.py").write_text("def f():\\n    return 1\\n")
    import mod_a
    first_f = mod_a.f.__code__
    del sys.modules["mod_a"]
    import mod_a
    same_module_code = mod_a.f.__code__ is first_f
    Path("mod_a.py").write_text("def f():\\n    return 2\\n")
    del sys.modules["mod_a"]
    import mod_a
    edited_module_runs_new_code = mod_a.f() == 2
    print(json.dumps({
        "same_module_code": same_module_code,
        "edited_module_runs_new_code": edited_module_runs_new_code,
        "same_object": first is again,
        "pyc_read": read is not None and sorted(read.co_names) == sorted(changed.co_names),
        "pyc_from_memory": read_again is read,
        "pyc_forgotten_after_change": read_after_change is None,
        "changed_recompiled": changed is not first,
        "changed_names": sorted(changed.co_names),
        "registered": sorted(name for name, _ in config.pluginmanager.list_name_plugin()
                             if name and not name.startswith(("_pytest", "<"))
                             and "." not in name and not name.isdigit()),
        "restored": importlib.metadata.distributions is walk,
        "entry_points_after": plugin_entry_points() == real,
        "real": real,
    }))
""")


def test_memos_answer_like_pytest_and_forget_changed_files(tmp_path: Path) -> None:
    test = tmp_path / "test_one.py"
    test.write_text("def test_one():\n    assert 1 == 1\n", encoding="utf-8")
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(test)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["same_object"], "a second rewrite of an unchanged file should come from memory"
    assert out["changed_recompiled"], "a changed file must be rewritten again"
    assert "test_two" in out["changed_names"]
    assert out["pyc_read"]
    assert out["pyc_from_memory"], "a rewritten module read once should come from memory"
    assert out["pyc_forgotten_after_change"], "a changed file's cached pyc must be read again"
    assert out["same_module_code"], "a project module imported again should not be recompiled"
    assert out["edited_module_runs_new_code"]
    assert out["restored"], "importlib.metadata.distributions must be restored after configuring"
    assert out["entry_points_after"]
    # Every pytest11 entry point installed here was registered, under its entry point name.
    for _dist, name in out["real"]:
        assert name in out["registered"], (name, out["registered"])
