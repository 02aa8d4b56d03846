// taidan serve: keeps the open page current. It long-polls /_taidan/state (as MkDocs'
// live reload does); the server answers when something was rebuilt. The proof reloads in
// its frame and keeps its scroll position; problems and the page gallery are redrawn.
(function () {
  "use strict";
  const name = document.body.dataset.name || null;  // null on the index
  const proof = document.getElementById("proof");
  const scrollKey = "taidan-scroll:" + name;
  let epoch = null, version = 0, shown = null;
  // the proof the frame shows or is loading (?v= counts the good builds)
  let asked = proof ? Number(new URL(proof.src, location.href).searchParams.get("v") || 0) : 0;

  const sleep = ms => new Promise(done => setTimeout(done, ms));
  const element = (tag, props, ...children) => {
    const el = Object.assign(document.createElement(tag), props);
    el.append(...children);
    return el;
  };

  // The proof's scroll position lives in sessionStorage, so that it survives a reload of
  // the proof and of the whole page alike.
  function remember() {
    try {
      const w = proof.contentWindow;
      if (w.location.href !== "about:blank") {
        sessionStorage.setItem(scrollKey, JSON.stringify([w.scrollX, w.scrollY]));
      }
    } catch (err) {}  // the frame shows another site's page: nothing to remember
  }
  function proofLoaded() {
    const w = proof.contentWindow;
    if (w.location.href === "about:blank") return;
    const saved = JSON.parse(sessionStorage.getItem(scrollKey) || "null");
    if (saved) w.scrollTo(saved[0], saved[1]);
    w.addEventListener("scroll", remember, {passive: true});
    // the proof's links to the web open in a tab of their own, not in the frame
    for (const a of w.document.querySelectorAll("a[href]:not([href^='#'])")) {
      a.target = "_blank";
      a.rel = "noopener";
    }
    document.body.dataset.proofLoaded = String(Date.now());
  }
  if (proof) {
    proof.addEventListener("load", proofLoaded);
    if (proof.contentDocument && proof.contentDocument.readyState === "complete") proofLoaded();
  }

  function drawProblems(lines) {
    const box = document.getElementById("problems");
    box.querySelector("ol").replaceChildren(...lines.map(line => element("li", {textContent: line})));
    box.hidden = lines.length === 0;
  }

  let drawing = 0;  // the newest gallery being drawn (older draws give way)
  async function drawThumbs(thumbs, p) {
    const mine = ++drawing;
    const images = p.files.map((file, i) => element("img", {src: file, alt: `page ${i + 1}`}));
    // decoded before they replace the old pages: the gallery keeps its height and scroll
    await Promise.all(images.map(img => img.decode().catch(() => null)));
    if (mine !== drawing) return;
    thumbs.replaceChildren(...images.map((img, i) => element("figure", {},
      element("a", {href: `${encodeURIComponent(p.pdf)}#page=${i + 1}`, target: "_blank"}, img),
      element("figcaption", {textContent: String(i + 1)}))));
    thumbs.parentElement.dataset.serial = p.serial;
  }

  function drawPages(e) {
    const aside = document.getElementById("pages"), p = e.pages;
    const thumbs = aside.querySelector(".thumbs");
    let status;
    if (p.building) status = "Pages: updating…";
    else if (e.problems.length) status = "Pages: waiting for a manuscript without problems";
    else if (p.problems.length) status = "Pages: the print edition failed (see above)";
    else if (p.serial) status = `${p.files.length} pages, laid out in ${p.seconds.toFixed(2)} s`;
    else status = "Pages: building…";
    aside.querySelector(".pages-status").textContent = status;
    aside.classList.toggle("stale", p.building || e.problems.length > 0 || p.problems.length > 0);
    if (!shown || shown.pages.serial !== p.serial) drawThumbs(thumbs, p);
  }

  function draw(state) {
    if (!name) {  // the index: reload when the list of manuscripts says something new
      const sig = JSON.stringify([state.problems,
                                  state.manuscripts.map(e => [e.name, e.title, e.problems.length])]);
      if (shown !== null && shown !== sig) location.reload();
      shown = sig;
      return;
    }
    const e = state.manuscripts.find(x => x.name === name);
    if (!e) { location.href = "/"; return; }
    const lines = [...new Set(state.problems.concat(e.problems, e.pages.problems))];
    drawProblems(lines);
    drawPages(e);
    document.getElementById("status").textContent = e.problems.length
      ? `${e.problems.length} problem${e.problems.length > 1 ? "s" : ""}`
      : e.seconds !== null ? `proof rebuilt in ${e.seconds.toFixed(2)} s` : "building…";
    if (e.proof && e.proof !== asked) {
      asked = e.proof;
      remember();
      proof.contentWindow.location.replace(`proof.html?v=${e.proof}`);  // no history entry
    }
    shown = e;
  }

  async function poll() {
    for (;;) {
      if (document.hidden) {  // no polling while the tab is hidden
        await new Promise(done => document.addEventListener("visibilitychange", done, {once: true}));
        continue;
      }
      let state;
      try {
        const query = epoch === null ? "" : `?since=${version}&epoch=${epoch}`;
        const response = await fetch("/_taidan/state" + query, {cache: "no-store"});
        state = await response.json();
      } catch (err) {  // the server stopped, or is restarting
        const status = document.getElementById("status");
        if (status) status.textContent = "the server is not answering";
        await sleep(1000);
        continue;
      }
      if (epoch !== null && state.epoch !== epoch) { location.reload(); return; }
      epoch = state.epoch;
      version = state.version;
      draw(state);
    }
  }
  poll();
})();
