"""Nothing left behind: builds of every edition of the interview (two workers, Chromium for
the vertical book) stopped at random moments by Ctrl-C (SIGINT to the process group, as a
terminal sends it) or SIGTERM, 20 times. Each time the temporary folder and an empty HOME
stay empty, no `.taidan-tmp-*` file is left in the output folder, no traceback is printed,
and no process of the build is left running."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from conftest import INTERVIEW, ROOT, clean_env

pytestmark = [pytest.mark.slow, pytest.mark.chromium]


def test_interrupted_builds_leave_nothing(tmp_path):
    chance = random.Random(3)  # the same moments every run
    for attempt in range(20):
        home, temp, out = (tmp_path / f"{what}{attempt}" for what in ("home", "tmp", "out"))
        home.mkdir()
        temp.mkdir()
        env = clean_env(PYTHONPATH=str(ROOT / "tools"), HOME=str(home), TMPDIR=str(temp),
                        TAIDAN_NO_CACHE="1", XDG_CACHE_HOME=str(tmp_path / "cache"))
        env.pop("XDG_CONFIG_HOME", None)
        build = subprocess.Popen([sys.executable, "-m", "taidan", "build", str(INTERVIEW), "--jobs", "2",
                                  "--out", str(out)], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        moment, how = chance.uniform(0.2, 3.0), (signal.SIGINT, signal.SIGTERM)[attempt % 2]
        time.sleep(moment)
        if how == signal.SIGINT:
            os.killpg(build.pid, how)
        else:
            build.send_signal(how)
        err = build.communicate(timeout=120)[1]
        where = (attempt, how.name, round(moment, 2))
        # 130, or ended by SIGINT (a shell shows 130 for both): stopped; 0: done before the
        # signal; ended by SIGTERM: the signal came after the command had ended
        assert build.returncode in (0, 130, -signal.SIGINT, -signal.SIGTERM), (where, build.returncode, err)
        assert "Traceback" not in err, (where, err)
        for _ in range(50):  # the group's last processes (Chromium's) may take a moment
            try:
                os.killpg(build.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"{where}: a process of the build is still running")
        assert list(temp.iterdir()) == [], where
        assert list(home.rglob("*")) == [], where
        assert not [p for p in out.glob(".taidan-tmp*")] if out.exists() else True, where
