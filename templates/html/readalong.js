// The html edition's read-along: a click on a passage (or on a turn: its first passage)
// plays the recording from there; the passage being heard is highlighted. Each passage is
// a .cue with its times in seconds (data-start, data-end). Without this script the page
// reads the same, and the player plays the whole recording.
(function () {
  "use strict";
  var audio = document.getElementById("recording");
  var cues = Array.prototype.slice.call(document.querySelectorAll(".cue[data-start]"));
  var current = null;
  document.documentElement.classList.add("readalong");

  function show(cue) {
    if (cue === current) { return; }
    if (current) { current.classList.remove("readalong-active"); }
    current = cue;
    if (cue) { cue.classList.add("readalong-active"); }
  }

  function heard(time) {
    for (var i = 0; i < cues.length; i++) {
      if (time >= +cues[i].dataset.start && time < +cues[i].dataset.end) { return cues[i]; }
    }
    return null;
  }

  audio.addEventListener("timeupdate", function () { show(heard(audio.currentTime)); });
  audio.addEventListener("seeked", function () { show(heard(audio.currentTime)); });
  document.addEventListener("click", function (event) {
    if (event.target.closest("a, audio")) { return; }
    var cue = event.target.closest(".cue[data-start]");
    if (!cue) {
      var turn = event.target.closest(".turn");
      cue = turn && turn.querySelector(".cue[data-start]");
    }
    if (!cue) { return; }
    audio.currentTime = +cue.dataset.start;
    show(cue);
    audio.play();
  });
})();
