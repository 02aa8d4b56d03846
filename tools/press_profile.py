"""Makes taidan's press profile, tools/taidan/engines/pdfx/taidan-fogra39.icc: the CMYK
ICC profile every --press PDF embeds as its output intent and converts colours through.

It is built by ArgyllCMS's colprof from FOGRA39L.ti3, the FOGRA39 characterisation data
(offset on coated paper, ISO 12647-2:2004/Amd 1) as Debian's icc-profiles-free ships it:
zlib licence (/usr/share/doc/icc-profiles-free/copyright), which lets anyone use, alter and
pass it on, so the profile made from it may be embedded in every book we send out. The
profile says in its description and copyright tags that it is an altered version made
here, as the licence asks. Total ink is limited to 300 % (-l300), black to 95 % (-L95).

colprof writes the clock into the profile's header; the date is set to the data's own
(December 2006), so the same ArgyllCMS gives the same bytes: `python tools/press_profile.py
--check` rebuilds it and compares (tests/test_press.py does). Needs argyll and
icc-profiles-free (tools/setup.sh installs both).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

DATA = Path("/usr/share/color/icc/FOGRA39L.ti3")
PROFILE = Path(__file__).resolve().parent / "taidan" / "engines" / "pdfx" / "taidan-fogra39.icc"
DESCRIPTION = "taidan FOGRA39 (coated offset, 300 % total ink)"
COPYRIGHT = ("Made by taidan with ArgyllCMS colprof from FOGRA39L.ti3 (Fogra characterisation "
             "data, (c) Kai-Uwe Behrmann, zlib licence, Debian icc-profiles-free); altered "
             "version, freely redistributable under the same licence")
DATED = (2006, 12, 1, 0, 0, 0)  # the data's CREATED, instead of the clock


def build() -> bytes:
    colprof = shutil.which("colprof")
    if colprof is None or not DATA.exists():
        sys.exit("press_profile: needs ArgyllCMS (colprof) and icc-profiles-free: sh tools/setup.sh")
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(DATA, Path(folder) / "fogra39.ti3")
        subprocess.run([colprof, "-qm", "-kr", "-l300", "-L95", "-D", DESCRIPTION, "-C", COPYRIGHT,
                        "fogra39"], cwd=folder, check=True, capture_output=True)
        profile = bytearray((Path(folder) / "fogra39.icc").read_bytes())
    profile[24:36] = struct.pack(">6H", *DATED)  # ICC.1:2010, 7.2.8: the creation date
    return bytes(profile)


if __name__ == "__main__":
    made = build()
    if "--check" in sys.argv:
        same = PROFILE.exists() and PROFILE.read_bytes() == made
        print("the profile is what colprof makes" if same else "the profile differs from what colprof makes")
        sys.exit(0 if same else 1)
    PROFILE.write_bytes(made)
    print(f"wrote {PROFILE} ({len(made)} bytes)")
