// The candidate's exam page. The server is the truth; this page shows it, keeps unacknowledged
// saves in a localStorage outbox and re-sends them until the server acknowledges each one.
(function () {
  "use strict";
  const root = document.getElementById("exam");
  const attemptId = root.dataset.attempt;
  const T = JSON.parse(root.dataset.messages);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const OUTBOX = "exam-outbox:" + attemptId;
  const el = (id) => document.getElementById(id);

  let questions = [];
  let current = 0;
  let deadlineAt = 0;          // performance.now() at which the server's deadline falls
  let closed = false;
  let finishing = false;       // the clock ran out: last saves go out, then the submit
  let frozenLeft = null;       // seconds shown while a proctor's pause stops the clock
  let held = false;            // paused or moved away: saves wait in the outbox
  const typing = new Map();    // typed answers waiting for the pause: position -> timer
  const TYPING_PAUSE_MS = 600;

  // Time on each question (ms, cumulative on this computer), sent with every save for the
  // response log: counted while the question is shown, the page visible and the clock running.
  const TIME_ON = "exam-time:" + attemptId;
  const timeOn = JSON.parse(localStorage.getItem(TIME_ON) || "{}");
  let countingSince = null;    // performance.now() since the current question is counted

  const readOutbox = () => JSON.parse(localStorage.getItem(OUTBOX) || "{}");
  const writeOutbox = (box) => localStorage.setItem(OUTBOX, JSON.stringify(box));

  function setStatus(text, cls) {
    const s = el("save-status");
    s.textContent = text;
    s.className = "save-status " + (cls || "");
  }

  // Single/multiple choice keep their shown positions in q.selected, and send the options'
  // opaque ids (q.option_ids); the other kinds keep their type's response in q.response, parts
  // named by opaque ids, and are drawn by exam_items.js. No id the page holds tells the key.
  const isChoice = (q) => q.type === "single" || q.type === "multiple";
  const choiceResponse = (q) => q.selected.map((i) => q.option_ids[i]);

  function answered(q) {
    if (isChoice(q)) return q.selected.length > 0;
    return !q.invalid && window.ExamItems.answered(q);  // a refused answer is not the server's
  }

  // Buttons are built once and then only restyled: a save queued when a text field loses focus
  // (the mousedown on a navigator button) must not replace the button being clicked.
  function renderNavigator() {
    const nav = el("navigator");
    if (nav.children.length !== questions.length) {
      nav.replaceChildren(...questions.map((q, i) => {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = String(i + 1);
        b.setAttribute("aria-label", T.question + " " + (i + 1));
        b.addEventListener("click", () => show(i));
        return b;
      }));
    }
    questions.forEach((q, i) => {
      const b = nav.children[i];
      b.className = [answered(q) ? "answered" : "", q.flagged ? "flagged" : "",
                     i === current ? "current" : ""].join(" ");
      // the flag is a mark and words too, never colour alone
      b.textContent = String(i + 1) + (q.flagged ? " ⚑" : "");
      b.setAttribute("aria-label", T.question + " " + (i + 1) +
                     (answered(q) ? ", " + T.answered_state : "") +
                     (q.flagged ? ", " + T.flagged_state : ""));
      b.title = q.flagged ? T.flagged_state : "";
    });
    const done = questions.filter(answered).length;
    el("answered-count").textContent = T.answered_count + " " + done + "/" + questions.length;
  }

  function renderQuestion() {
    const q = questions[current];
    const box = el("question");
    const title = document.createElement("h2");
    title.textContent = T.question + " " + (current + 1) + "/" + questions.length;
    const module = document.createElement("span");
    module.className = "module";
    module.textContent = q.module;
    title.append(" ", module);
    const problem = document.createElement("p");
    problem.id = "answer-error";
    problem.className = "error";
    problem.setAttribute("role", "alert");
    problem.textContent = q.invalid || "";
    problem.hidden = !q.invalid;
    if (!isChoice(q)) {
      const [stem, area] = window.ExamItems.render(q, itemContext(q));
      box.replaceChildren(title, stem, area, problem);
      finishRender();
      return;
    }
    const stem = document.createElement("div");
    stem.className = "stem";
    stem.innerHTML = q.stem;  // sanitised HTML from the server's allow-list (item_bank.sanitise)
    const list = document.createElement("div");
    list.className = "options";
    const kind = q.type === "single" ? "radio" : "checkbox";
    q.options.forEach((text, i) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = kind;
      input.name = "q" + q.position;
      input.value = String(i);
      input.checked = q.selected.includes(i);
      input.disabled = closed;
      input.addEventListener("change", () => choose(i, input.checked));
      const letter = document.createElement("b");
      letter.textContent = String.fromCharCode(65 + i) + ". ";
      const body = document.createElement("span");
      body.innerHTML = text;  // sanitised HTML, as the stem
      label.append(input, letter, body);
      list.append(label);
    });
    box.replaceChildren(title, stem, list, problem);
    finishRender();
  }

  function finishRender() {
    const q = questions[current];
    el("flag").checked = q.flagged;
    el("prev").disabled = current === 0;
    el("next").disabled = current === questions.length - 1;
  }

  // What exam_items.js may do to a question: answer it now, or type (saved after a pause and
  // when the field is left, through the same outbox as every other save).
  function itemContext(q) {
    return {
      T, closed,
      answer(response, redraw) {
        if (closed) return;
        q.response = response;
        queueSave(q);
        if (redraw) {
          const key = document.activeElement && document.activeElement.dataset.focusKey;
          renderQuestion();
          const again = key && el("question").querySelector('[data-focus-key="' + key + '"]');
          if (again) again.focus();
        }
      },
      type(response) {
        if (closed) return;
        q.response = response;
        clearTimeout(typing.get(q.position));
        typing.set(q.position, setTimeout(() => { typing.delete(q.position); queueSave(q); },
                                          TYPING_PAUSE_MS));
        renderNavigator();
      },
      typed: commitTyping,
    };
  }

  function commitTyping() {
    for (const [position, timer] of [...typing]) {
      clearTimeout(timer);
      typing.delete(position);
      queueSave(questions.find((x) => x.position === position));
    }
  }

  function countTime(running) {
    const now = performance.now();
    if (countingSince !== null && questions.length) {
      const position = questions[current].position;
      timeOn[position] = (timeOn[position] || 0) + (now - countingSince);
    }
    countingSince = running ? now : null;
  }
  const counting = () => !document.hidden && frozenLeft === null && !closed;

  function show(i) {
    commitTyping();
    countTime(counting());  // the time so far goes to the question being left
    current = Math.max(0, Math.min(questions.length - 1, i));
    renderQuestion();
    renderNavigator();
  }

  function queueSave(q) {
    clearTimeout(typing.get(q.position));  // this save carries what was typed so far
    typing.delete(q.position);
    q.seq += 1;
    countTime(countingSince !== null);
    localStorage.setItem(TIME_ON, JSON.stringify(timeOn));
    const box = readOutbox();
    box[q.position] = { position: q.position,
                        response: isChoice(q) ? choiceResponse(q) : q.response,
                        flagged: q.flagged, seq: q.seq,
                        ms_on_item: Math.round(timeOn[q.position] || 0) };
    writeOutbox(box);   // durable on this computer before it leaves it
    renderNavigator();
    flush();
  }

  function choose(i, checked) {
    if (closed) return;
    const q = questions[current];
    if (q.type === "single") q.selected = checked ? [i] : [];
    else q.selected = checked ? [...new Set([...q.selected, i])].sort((a, b) => a - b)
                              : q.selected.filter((x) => x !== i);
    queueSave(q);
  }

  async function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
  }

  // One way to the result page: the page and exam-events.js may both learn the exam is over,
  // and a second navigation would abort the first one.
  let leaving = false;
  function showResult() {
    if (leaving) return;
    leaving = true;
    window.location.href = root.dataset.resultUrl;
  }

  function closeExam(message) {
    closed = true;
    finishing = false;
    writeOutbox({});
    const c = el("closed");
    c.textContent = message;
    c.hidden = false;
    renderQuestion();
    setTimeout(() => { showResult(); }, 1500);
  }

  // Send every pending save, oldest question first; stop at the first network failure.
  // Callers share one drain: awaiting flush() waits for the drain already under way.
  let draining = null;
  function flush() {
    if (held || (closed && !finishing)) return Promise.resolve();
    if (!draining) draining = drain().finally(() => { draining = null; });
    return draining;
  }

  // Resolve once the outbox is empty, or false when the network keeps failing.
  async function flushAll(attempts) {
    for (let i = 0; i < attempts; i++) {
      await flush();
      if (Object.keys(readOutbox()).length === 0) return true;
    }
    return false;
  }

  async function drain() {
    for (;;) {
      const pending = Object.values(readOutbox());
      if (pending.length === 0) { setStatus(T.saved, "ok"); return; }
      setStatus(T.saving, "busy");
      const entry = pending[0];
      let response;
      try {
        response = await post(root.dataset.saveUrl, entry);
      } catch (networkError) {
        setStatus(T.offline, "warn");
        return;
      }
      if (response.ok) {
        const ack = await response.json();
        const box = readOutbox();
        const mine = box[entry.position];
        if (mine && mine.seq <= ack.seq) delete box[entry.position];
        writeOutbox(box);
        showProblem(entry.position, "");
      } else if (response.status === 409) {
        const err = await response.json().catch(() => ({}));
        if (err.error === "AttemptPaused" || err.error === "MovedAway") {
          if (window.ExamEvents) window.ExamEvents.refused(err.error);  // kept in the outbox
          return;
        }
        closeExam(err.message);
        return;
      } else if (response.status === 422) {
        const box = readOutbox();   // a save the server can never take: drop it, say so
        delete box[entry.position];
        writeOutbox(box);
        const err = await response.json().catch(() => ({}));
        showProblem(entry.position, err.message || "");
      } else {
        setStatus(T.retrying, "warn");
        return;
      }
    }
  }

  // The server's reason for refusing a question's last save ("«3,5a» không phải là một số"),
  // shown under the question until a save of it is accepted.
  function showProblem(position, message) {
    const q = questions.find((x) => x.position === position);
    if (!q || (q.invalid || "") === message) return;
    q.invalid = message;
    if (questions[current] === q) {
      el("answer-error").textContent = message;
      el("answer-error").hidden = !message;
    }
    renderNavigator();
  }

  function tick() {
    const remaining = frozenLeft === null ? deadlineAt - performance.now() : frozenLeft * 1000;
    const left = Math.max(0, Math.ceil(remaining / 1000));
    const m = Math.floor(left / 60), s = left % 60;
    el("clock").textContent = String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    el("clock").classList.toggle("urgent", left <= 300);
    if (remaining <= 0 && !closed && frozenLeft === null) {
      // Time is up by the server's clock: no more answers; send what is queued (the server
      // grants a short grace), then ask for the submit so the page learns the result.
      commitTyping();
      closed = true;
      finishing = true;
      renderQuestion();
      finishWhenReachable();
    }
  }

  // Time is up: send what is queued, then the submit, and go to the result only once the
  // server has answered. With the network down, navigating would show the browser's own
  // "no internet" page; instead a calm notice says the answers are kept here, and we retry.
  // A submit that closed the exam (or found it closed). A 409 because a proctor paused it, or
  // moved the candidate to another computer, closes nothing: the outbox must be kept.
  async function submitted(response) {
    if (response.ok) return true;
    if (response.status !== 409) return false;
    const err = await response.clone().json().catch(() => ({}));
    if (err.error === "AttemptPaused" || err.error === "MovedAway") {
      if (window.ExamEvents) window.ExamEvents.refused(err.error);
      return false;
    }
    return true;
  }

  async function finishWhenReachable() {
    for (;;) {
      if (await flushAll(2)) {
        try {
          const response = await post(root.dataset.submitUrl, {});
          if (await submitted(response)) {
            writeOutbox({});
            showResult();
            return;
          }
        } catch (networkError) { /* still offline: keep waiting below */ }
      }
      if (!finishing) return;  // the server refused a save as closed: closeExam took over
      el("time-up").hidden = false;
      el("exam-main").hidden = true;
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }

  async function submit() {
    commitTyping();
    if (!(await flushAll(5))) { setStatus(T.offline, "warn"); return; }
    const response = await post(root.dataset.submitUrl, {});
    if (await submitted(response)) {
      closed = true;
      writeOutbox({});
      showResult();
    } else {
      setStatus(T.retrying, "warn");
    }
  }

  async function load() {
    const response = await fetch(root.dataset.paperUrl, { credentials: "same-origin" });
    const paper = await response.json();
    if (paper.status === "submitted") { showResult(); return; }
    questions = paper.questions;
    // Saves this computer made that the server has not acknowledged win over older server state.
    const box = readOutbox();
    for (const entry of Object.values(box)) {
      const q = questions.find((x) => x.position === entry.position);
      if (!q) continue;
      if (entry.seq > q.seq) {
        if (!("response" in entry)) q.selected = entry.selected;  // an outbox of the older page
        else if (isChoice(q)) q.selected = entry.response.map((id) => q.option_ids.indexOf(id))
                                                         .filter((i) => i >= 0);
        else q.response = entry.response;
        q.flagged = entry.flagged;
        q.seq = entry.seq;
      }
      else delete box[entry.position];
    }
    writeOutbox(box);
    deadlineAt = performance.now() + paper.seconds_left * 1000;
    show(0);
    tick();
    setInterval(tick, 1000);
    setInterval(flush, 3000);
    flush();
  }

  // What exam-events.js does to the page when the server's state changes (a proctor's pause,
  // extra time, a move): the clock follows the server's seconds left; saves wait meanwhile.
  window.ExamPage = {
    showResult,
    pause(secondsLeft) {
      commitTyping();  // into the outbox: sent after the resume
      countTime(false);
      held = true;
      frozenLeft = secondsLeft === null ? Math.max(0, (deadlineAt - performance.now()) / 1000)
                                        : secondsLeft;
      tick();
      return frozenLeft;
    },
    resume(secondsLeft) {
      frozenLeft = null;
      held = false;
      countTime(counting());
      deadlineAt = performance.now() + secondsLeft * 1000;
      tick();
      flush();
    },
    sync(secondsLeft) {  // extra time, or drift: only a real difference moves the clock
      const at = performance.now() + secondsLeft * 1000;
      if (frozenLeft === null && !closed && Math.abs(at - deadlineAt) > 1500) {
        deadlineAt = at;
        tick();
      }
    },
    stop() {  // moved to another computer: nothing more from here (the outbox is kept)
      commitTyping();
      countTime(false);
      held = true;
      closed = true;
      finishing = false;
      frozenLeft = Math.max(0, (deadlineAt - performance.now()) / 1000);
      setStatus("", "");
      if (questions.length) renderQuestion();
      tick();
    },
    position: () => (questions.length ? questions[current].position : null),
  };

  el("prev").addEventListener("click", () => show(current - 1));
  el("next").addEventListener("click", () => show(current + 1));
  el("flag").addEventListener("change", (e) => {
    questions[current].flagged = e.target.checked;
    queueSave(questions[current]);
  });
  el("submit").addEventListener("click", () => {
    commitTyping();
    const missing = questions.filter((q) => !answered(q)).map((q) => questions.indexOf(q) + 1);
    el("unanswered").textContent = T.unanswered + ": " + (missing.length ? missing.join(", ") : T.none);
    el("confirm").showModal();
  });
  el("confirm-no").addEventListener("click", () => el("confirm").close());
  el("confirm-yes").addEventListener("click", () => { el("confirm").close(); submit(); });
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", () => countTime(counting()));
  window.addEventListener("pagehide", commitTyping);  // into the outbox before a reload
  load();
})();
