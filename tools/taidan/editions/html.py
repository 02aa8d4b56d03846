"""The html edition: one self-contained page per manuscript, the proofreading view.

With a recording (the front matter's audio:), the page has a player: each timed passage
carries its times, and a small script plays from a passage when it is clicked and
highlights the passage being heard. Without JavaScript the page reads the same, and the
player plays the whole recording."""

from __future__ import annotations

import base64

from taidan.render.jinja import data_uri, render
from taidan.editions.registry import EDITIONS

NAME = "html"


def produce(m, options) -> dict[str, bytes]:
    page = render(NAME, "page.html", m, image_href=lambda image: data_uri(image.path),
                  readalong=_readalong(m, options))
    return {EDITIONS[NAME].outputs[0].file(m): page.encode("utf-8")}


def _readalong(m, options) -> dict | None:
    if m.audio_path is None:
        return None
    from taidan.editions import readalong  # deferred: ffmpeg and the clips, for a recording alone

    heard = readalong.recording(m, options.audio_bitrate, NAME)
    times = {uid: clip.seconds for uid, clip in readalong.clips(m, heard.length).items()}
    # in the page, as its images are: the page is one file to send or to open anywhere
    src = f"data:{heard.media_type};base64," + base64.b64encode(heard.data).decode("ascii")
    return {"times": times, "src": src}
