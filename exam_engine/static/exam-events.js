// The exam page's events (issue 11): what the page sees — the tab hidden, the window left, full
// screen left, copy and paste, the network lost, a reload — goes to its own endpoint, off the
// answer path: its own queue in localStorage (seqs that survive reloads), its own fetches, so a
// save never waits for an event. An event is dropped from the queue only once the server has
// acknowledged it (after its commit). Each answer carries the attempt's state, from which the
// page follows the proctor: pause and resume, extra time, force-submit; a browser moved to
// another computer stops.
(function () {
  "use strict";
  const root = document.getElementById("exam");
  if (!root || !root.dataset.eventsUrl) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const STORE = "exam-events:" + root.dataset.attempt;
  // proctor.events.FLAGGED_KINDS that a page sees: sent at once, the proctor sees them in 5 s
  const FLAGGED = new Set(["tab_hidden", "blur", "fullscreen_exit", "copy", "cut", "paste",
                           "context_menu", "network_lost", "reload"]);
  const EVERY_MS = 10000;          // a batch, or a heartbeat (an empty batch), every 10 s
  const PAUSED_EVERY_MS = 3000;    // during a pause: the resume shows within 3 s
  const FLAGGED_WITHIN_MS = 300;   // a few events of one moment (blur + tab hidden) go together
  const BATCH = 50;                // the endpoint takes 100 and 32 KB; ours are tiny
  const KEEP = 5000;               // hours offline: the queue stops growing, nothing sent is lost
  const el = (id) => document.getElementById(id);

  let timer = null;
  let dueAt = Infinity;
  let sending = false;
  let again = false;      // asked to send while a send was under way
  let failures = 0;
  let paused = false;
  let stopped = false;    // moved away, or the login ended: nothing more is sent from here
  let leaving = false;    // the page is being unloaded: its "hidden" is no tab switch

  function read() {
    try {
      const box = JSON.parse(localStorage.getItem(STORE));
      if (box && Number.isInteger(box.next) && Array.isArray(box.queue)) return box;
    } catch (broken) { /* start afresh: the server renumbers seqs it already holds */ }
    return { next: 1, queue: [] };
  }

  function write(box) {
    try { localStorage.setItem(STORE, JSON.stringify(box)); } catch (full) { /* not acked */ }
  }

  function record(kind, detail) {
    const box = read();
    if (box.queue.length >= KEEP) return;
    const position = window.ExamPage ? window.ExamPage.position() : null;
    box.queue.push({ seq: box.next, kind, at: Date.now(),
                     detail: Object.assign(position === null ? {} : { position }, detail) });
    box.next += 1;
    write(box);
    if (FLAGGED.has(kind)) sendWithin(FLAGGED_WITHIN_MS);
  }

  function sendWithin(ms) {
    if (stopped || Date.now() + ms >= dueAt) return;
    clearTimeout(timer);
    dueAt = Date.now() + ms;
    timer = setTimeout(() => { dueAt = Infinity; send(); }, ms);
  }

  const backoff = () => Math.min(60000, 2000 * 2 ** failures++) * (0.75 + Math.random() / 2);

  async function send() {
    if (stopped) return;
    if (sending) { again = true; return; }
    sending = true;
    again = false;
    const batch = read().queue.slice(0, BATCH);
    let next;
    try {
      const response = await fetch(root.dataset.eventsUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ events: batch, client_now: Date.now() }),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        failures = 0;
        settle(batch, answer);
        follow(answer.state);
        next = read().queue.length > 0 ? 1000 : (paused ? PAUSED_EVERY_MS : EVERY_MS);
      } else if (answer.error === "MovedAway") {
        movedAway();
      } else if (response.status === 401) {
        stopped = true;  // the login ended (logout, expiry): the answer saves say so
      } else if (response.status === 422) {
        dropRefused(batch, answer);  // never acceptable: resending would refuse it for ever
        next = 1000;
      } else {
        next = backoff();
      }
    } catch (networkError) {
      next = backoff();
    }
    sending = false;
    if (stopped) return;
    sendWithin(again ? FLAGGED_WITHIN_MS : next);
  }

  // Forget what the server acknowledged. A seq it holds for another event (a second computer
  // of this attempt, or a cleared localStorage, counted from 1 again) is renumbered from its
  // next_seq and sent again.
  function settle(batch, answer) {
    const acked = new Set(answer.acked || []);
    const sent = new Set(batch.map((e) => e.seq));
    const box = read();
    box.queue = box.queue.filter((e) => !acked.has(e.seq));
    if (answer.next_seq) {
      box.next = Math.max(box.next, answer.next_seq);
      for (const e of box.queue) if (sent.has(e.seq)) e.seq = box.next++;
      box.queue.sort((a, b) => a.seq - b.seq);
    }
    write(box);
  }

  function dropRefused(batch, answer) {
    const named = new Set((answer.problems || [])
      .map((p) => /^events\[(\d+)\]/.exec(p.field || ""))
      .filter(Boolean).map((m) => batch[Number(m[1])] && batch[Number(m[1])].seq));
    const drop = named.size ? named : new Set(batch.map((e) => e.seq));
    const box = read();
    box.queue = box.queue.filter((e) => !drop.has(e.seq));
    write(box);
  }

  // ---- following the server's state ----------------------------------------------------

  function follow(state) {
    if (!state || stopped) return;
    if (state.status === "submitted") {  // a proctor's force-submit, or the deadline
      stopped = true;
      window.ExamPage.showResult();
    } else if (state.status === "paused") {
      pause(state.seconds_left);
    } else if (state.status === "in_progress") {
      if (paused) resume(state.seconds_left);
      else window.ExamPage.sync(state.seconds_left);  // extra time
    }
  }

  function clockText(seconds) {
    const left = Math.max(0, Math.ceil(seconds));
    return String(Math.floor(left / 60)).padStart(2, "0") + ":" +
           String(left % 60).padStart(2, "0");
  }

  function pause(secondsLeft) {
    el("paused-clock").textContent = clockText(window.ExamPage.pause(secondsLeft));
    if (paused) return;
    paused = true;
    el("exam-main").inert = true;
    el("paused").hidden = false;
  }

  function resume(secondsLeft) {
    paused = false;
    el("paused").hidden = true;
    el("exam-main").inert = false;
    window.ExamPage.resume(secondsLeft);
  }

  function movedAway() {
    stopped = true;
    clearTimeout(timer);
    window.ExamPage.stop();
    el("exam-main").inert = true;
    el("paused").hidden = true;
    el("moved").hidden = false;
  }

  // exam.js: a save refused because the attempt is paused or this browser was moved.
  window.ExamEvents = {
    refused(error) {
      if (error === "MovedAway") { movedAway(); return; }
      if (!paused) pause(null);  // at once; the state (and its time left) follows
      sendWithin(0);
    },
  };

  // ---- full screen, when the session asks for it ---------------------------------------

  const fullscreenRequired = "requireFullscreen" in root.dataset;
  function showFullscreenNotice() {
    el("fullscreen-needed").hidden = !fullscreenRequired || Boolean(document.fullscreenElement);
  }
  el("fullscreen-enter").addEventListener("click", () => {
    // a user's click: browsers grant full screen only to a gesture
    const page = document.documentElement;
    if (page.requestFullscreen) page.requestFullscreen().catch(() => {});
  });
  showFullscreenNotice();

  // ---- what the page sees --------------------------------------------------------------

  function selectedChars(event) {
    const t = event.target;
    if (t && typeof t.selectionStart === "number" && typeof t.selectionEnd === "number") {
      return t.selectionEnd - t.selectionStart;
    }
    return String(window.getSelection() || "").length;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden && leaving) return;
    record(document.hidden ? "tab_hidden" : "tab_visible");
  });
  window.addEventListener("blur", () => record("blur"));
  window.addEventListener("focus", () => record("focus"));
  document.addEventListener("fullscreenchange", () => {
    record(document.fullscreenElement ? "fullscreen_enter" : "fullscreen_exit");
    showFullscreenNotice();
  });
  document.addEventListener("copy", (e) => record("copy", { chars: selectedChars(e) }));
  document.addEventListener("cut", (e) => record("cut", { chars: selectedChars(e) }));
  document.addEventListener("paste", (e) => record("paste", {
    chars: ((e.clipboardData && e.clipboardData.getData("text")) || "").length }));
  document.addEventListener("contextmenu", (e) => record("context_menu", {
    target: e.target && e.target.tagName ? e.target.tagName.toLowerCase() : "" }));
  window.addEventListener("offline", () => record("network_lost"));
  window.addEventListener("online", () => {
    record("network_back");
    failures = 0;
    sendWithin(0);
  });
  // Leaving (a reload, a link): what is queued goes out with the page; kept here until acked.
  window.addEventListener("pagehide", () => {
    leaving = true;
    const batch = read().queue.slice(0, BATCH);
    if (stopped || batch.length === 0) return;
    fetch(root.dataset.eventsUrl, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ events: batch, client_now: Date.now() }),
    }).catch(() => {});
  });
  window.addEventListener("pageshow", (e) => { if (e.persisted) { leaving = false; sendWithin(0); } });

  const navigation = performance.getEntriesByType("navigation")[0];
  if (navigation && navigation.type === "reload") record("reload");
  sendWithin(0);  // the first contact: presence, and the state (a reload during a pause)
})();
