// The proctor's live room (issue 11). Polls the room's JSON (#live-room[data-state-url])
// every data-poll-ms (2 s: the view is at most a few seconds behind), not while the tab is
// hidden, and updates the page in place: seat states, counts, the panels' facts, events and
// the room's history. Forms are never rebuilt, so a reason being typed is never lost; a form
// only shows or hides with its candidate's state (data-states) or the room's
// (data-room-states), and not while someone is filling it in. A failed poll shows a warning
// with the time of the last good one and is retried. Seats open their candidate's panel in
// place (the links work without script too: ?ghe=A1).
(function () {
  "use strict";
  var root = document.getElementById("live-room");
  if (!root) { return; }
  var url = root.getAttribute("data-state-url");
  var every = Number(root.getAttribute("data-poll-ms")) || 2000;
  var labels = JSON.parse(document.getElementById("live-labels").textContent);
  var words = labels.words;
  var locale = document.documentElement.lang === "en" ? "en-GB" : "vi-VN";
  var clockFormat = new Intl.DateTimeFormat(locale, {
    timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23"
  });
  var updatedAt = document.getElementById("updated-at");
  var warning = document.getElementById("poll-warning");
  var layoutNotice = document.getElementById("layout-changed");
  var lastGood = updatedAt.getAttribute("data-now");
  var timer = null;
  var busy = false;
  var TIMEOUT_MS = 8000;
  var RELOADED_KEY = "live-room-reloaded:" + url;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }
  function vnClock(iso) { return iso ? clockFormat.format(new Date(iso)) : ""; }
  function clock(seconds) {
    if (seconds === null || seconds === undefined) { return "—"; }
    var s = Math.floor(seconds);
    var rest = s % 60;
    return Math.floor(s / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }
  function since(c) {
    var s = c.seconds_since_contact;
    if (s === null || s === undefined) { return words.never; }
    return s < 120 ? fill(words.seconds_ago, { n: s }) : fill(words.minutes_ago, { n: Math.floor(s / 60) });
  }
  function number(n) { return Number(n).toLocaleString(locale, { maximumFractionDigits: 1 }); }
  function setText(el, text) { if (el && el.textContent !== text) { el.textContent = text; } }
  function field(scope, name) { return scope.querySelector('[data-field="' + name + '"]'); }
  function setState(el, state) {
    var wanted = "state-" + state;
    Array.prototype.slice.call(el.classList).forEach(function (name) {
      if (name.indexOf("state-") === 0 && name !== "state-badge" && name !== wanted) { el.classList.remove(name); }
    });
    el.classList.add(wanted);
  }

  // Someone is using this form: focus inside, text typed, or its <details> opened.
  function engaged(el) {
    if (el.contains(document.activeElement) && document.activeElement !== document.body) { return true; }
    if (el.tagName === "DETAILS" && el.open) { return true; }
    var fields = el.querySelectorAll("textarea, input:not([type=hidden]), select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.tagName === "SELECT") {
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].selected !== f.options[j].defaultSelected) { return true; }
        }
      } else if (f.value !== f.defaultValue) { return true; }
    }
    return false;
  }
  function anyEngaged() {
    var forms = root.querySelectorAll("form, details");
    for (var i = 0; i < forms.length; i++) { if (engaged(forms[i])) { return true; } }
    return false;
  }
  function show(el, visible) {
    if (visible === !el.hidden) { return; }
    if (!visible && engaged(el)) { return; }  // never pull a form away from under a hand
    el.hidden = !visible;
  }
  function listed(attr, el, value) {
    return (el.getAttribute(attr) || "").split(/\s+/).indexOf(value) >= 0;
  }

  // ---- the panel of a seat ---------------------------------------------------------------
  function openPanel(candidateId, seat, focus) {
    var panels = root.querySelectorAll(".panel");
    for (var i = 0; i < panels.length; i++) {
      panels[i].hidden = panels[i].getAttribute("data-candidate") !== candidateId;
    }
    document.getElementById("panel-hint").hidden = Boolean(candidateId);
    var seats = root.querySelectorAll("a.seat");
    for (var k = 0; k < seats.length; k++) {
      if (seats[k].getAttribute("data-candidate") === candidateId) { seats[k].setAttribute("aria-current", "true"); }
      else { seats[k].removeAttribute("aria-current"); }
    }
    window.history.replaceState(null, "", candidateId ? "?ghe=" + encodeURIComponent(seat) : window.location.pathname);
    var panel = candidateId && document.getElementById("panel-" + candidateId);
    if (panel && focus) { panel.focus(); }
  }
  root.addEventListener("click", function (event) {
    var seat = event.target.closest("a.seat");
    if (seat) {
      event.preventDefault();
      openPanel(seat.getAttribute("data-candidate"), seat.getAttribute("data-seat"), true);
      return;
    }
    var close = event.target.closest(".close-panel");
    if (close) {
      event.preventDefault();
      var id = close.closest(".panel").getAttribute("data-candidate");
      openPanel(null, null, false);
      var back = root.querySelector('a.seat[data-candidate="' + id + '"]');
      if (back) { back.focus(); }
    }
  });

  // ---- applying a snapshot ------------------------------------------------------------------
  function layoutChanged(data) {
    var wanted = {};
    data.seats.forEach(function (line) {
      line.forEach(function (s) { wanted[s.seat] = s.candidate_id ? String(s.candidate_id) : ""; });
    });
    var cells = root.querySelectorAll(".seat-map [data-seat]");
    if (cells.length !== Object.keys(wanted).length) { return true; }
    for (var i = 0; i < cells.length; i++) {
      if (wanted[cells[i].getAttribute("data-seat")] !== cells[i].getAttribute("data-candidate")) { return true; }
    }
    var panels = root.querySelectorAll(".panel");
    if (panels.length !== data.candidates.length) { return true; }
    return data.off_grid.length !== root.querySelectorAll(".off-grid a.seat").length;
  }

  function updateSeat(el, c) {
    setState(el, c.state);
    el.classList.toggle("flagged", c.flagged_count > 0);
    setText(field(el, "symbol"), labels.state_symbols[c.state]);
    setText(field(el, "state-label"), labels.state_labels[c.state]);
    setText(field(el, "answered"), c.answered + " / " + c.total);
    setText(field(el, "time-left"), clock(c.seconds_left));
    var flags = field(el, "flags");
    if (flags) { flags.hidden = !c.flagged_count; setText(field(flags, "flagged-count"), String(c.flagged_count)); }
  }

  function eventItems(list, events, describe) {
    var text = events.map(describe).join("\n");
    if (list.getAttribute("data-shown") === text) { return; }
    list.setAttribute("data-shown", text);
    list.textContent = "";
    if (!events.length) {
      var empty = document.createElement("li");
      empty.className = "hint";
      empty.textContent = words.no_events;
      list.appendChild(empty);
    }
    events.forEach(function (e) {
      var li = document.createElement("li");
      var time = document.createElement("time");
      time.setAttribute("datetime", e.at);
      time.textContent = vnClock(e.at);
      li.appendChild(time);
      li.appendChild(document.createTextNode(" " + describe(e)));
      list.appendChild(li);
    });
  }
  function eventLabel(e) { return labels.event_labels[e.kind] || e.kind; }

  function updatePanel(panel, c) {
    var badge = field(panel, "state");
    setState(badge, c.state);
    setText(badge.firstElementChild, labels.state_symbols[c.state]);
    setText(field(panel, "state-label"), labels.state_labels[c.state]);
    setText(field(panel, "answered"), c.answered + " / " + c.total);
    setText(field(panel, "time-left"), clock(c.seconds_left));
    setText(field(panel, "extra"), c.extra_seconds ? fill(words.extra_minutes, { n: number(c.extra_seconds / 60) }) : words.none);
    setText(field(panel, "last-contact"), since(c));
    setText(field(panel, "ip"), c.ip || words.never);
    setText(field(panel, "device"), c.device || words.never);
    setText(field(panel, "waiting"), c.waiting
      ? (labels.request_labels[c.waiting.reason] || c.waiting.reason) + " (" + (c.waiting.ip || "") + ")"
      : words.none);
    setText(field(panel, "flagged-count"), String(c.flagged_count));
    eventItems(field(panel, "events"), c.events, eventLabel);
    var forms = panel.querySelectorAll("[data-states]");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      var target = form.getAttribute("data-url-field");
      if (target && !engaged(form)) {
        // the admission forms: the request to admit changes, and so may why it waits
        if (c[target]) { form.setAttribute("action", c[target]); }
        var why = form.getAttribute("data-waiting-reason");
        show(form, Boolean(c[target]) && listed("data-states", form, c.state) &&
                   (!why || (c.waiting && c.waiting.reason === why)));
        continue;
      }
      show(form, listed("data-states", form, c.state));
    }
  }

  function updateRoom(data) {
    var room = data.room;
    var state = document.getElementById("room-state");
    state.setAttribute("data-state", room.state);
    setText(state, labels.room_state_labels[room.state]);
    setText(document.getElementById("room-opened"), room.opened_at ? vnClock(room.opened_at) + (room.opened_by ? " · " + room.opened_by : "") : "—");
    setText(document.getElementById("room-closed"), room.closed_at ? vnClock(room.closed_at) + (room.closed_by ? " · " + room.closed_by : "") : "—");
    setText(document.getElementById("room-proctors"), data.proctors.length
      ? data.proctors.map(function (p) { return p.name; }).join(", ") : words.none);
    var actions = root.querySelectorAll("[data-room-states]");
    for (var i = 0; i < actions.length; i++) { show(actions[i], listed("data-room-states", actions[i], room.state)); }
    Object.keys(data.counts).forEach(function (key) {
      setText(root.querySelector('[data-count="' + key + '"]'), String(data.counts[key]));
    });
  }

  function updateHistory(history) {
    var body = document.querySelector("#room-history tbody");
    var key = history.length ? history[0].id + ":" + history.length : "none";
    if (body.getAttribute("data-shown") === key) { return; }
    body.setAttribute("data-shown", key);
    body.textContent = "";
    if (!history.length) {
      var none = body.insertRow();
      var cell = none.insertCell();
      cell.colSpan = 5;
      cell.className = "hint";
      cell.textContent = words.no_history;
    }
    history.forEach(function (a) {
      var row = body.insertRow();
      var time = document.createElement("time");
      time.setAttribute("datetime", a.at);
      time.textContent = vnClock(a.at);
      row.insertCell().appendChild(time);
      [labels.action_labels[a.kind] || a.kind, a.number || "", a.actor || "", a.reason].forEach(function (text) {
        row.insertCell().textContent = text;
      });
    });
  }

  function updateFreeSeats(data) {
    var list = document.getElementById("free-seats");
    var free = [];
    data.seats.forEach(function (line) {
      line.forEach(function (s) { if (!s.candidate_id) { free.push(s); } });
    });
    var key = free.map(function (s) { return s.seat; }).join(",");
    if (list.getAttribute("data-shown") === key) { return; }
    list.setAttribute("data-shown", key);
    list.textContent = "";
    free.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.seat;
      option.textContent = s.spare ? words.spare_seat : "";
      list.appendChild(option);
    });
  }

  function apply(data) {
    if (layoutChanged(data)) {
      // Seats changed hands: the page is drawn again, unless someone is typing (he finishes,
      // then reloads) or it was just drawn (never a reload loop).
      var last = Number(window.sessionStorage.getItem(RELOADED_KEY)) || 0;
      if (!anyEngaged() && Date.now() - last > 10000) {
        window.sessionStorage.setItem(RELOADED_KEY, String(Date.now()));
        window.location.reload();
        return;
      }
      layoutNotice.hidden = false;
    } else {
      layoutNotice.hidden = true;
    }
    updateRoom(data);
    data.candidates.forEach(function (c) {
      var id = String(c.id);
      var seats = root.querySelectorAll('a.seat[data-candidate="' + id + '"]');
      for (var i = 0; i < seats.length; i++) { updateSeat(seats[i], c); }
      var panel = document.getElementById("panel-" + id);
      if (panel) { updatePanel(panel, c); }
    });
    eventItems(document.getElementById("room-events"), data.events, function (e) {
      return words.seat + " " + e.seat + " · " + e.number + " — " + eventLabel(e);
    });
    updateHistory(data.history);
    updateFreeSeats(data);
  }

  // ---- polling -------------------------------------------------------------------------------
  function succeeded(data) {
    lastGood = data.now;
    setText(updatedAt, fill(updatedAt.getAttribute("data-template"), { time: vnClock(data.now) }));
    warning.hidden = true;
  }
  function failed(status) {
    warning.textContent = status === 401 || status === 403
      ? words.logged_out : fill(words.poll_failed, { time: vnClock(lastGood) });
    warning.hidden = false;
  }
  function schedule(delay) {
    window.clearTimeout(timer);
    timer = document.hidden ? null : window.setTimeout(poll, delay);
  }
  function poll() {
    timer = null;
    if (busy || document.hidden) { return; }
    busy = true;
    var controller = new AbortController();
    var giveUp = window.setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    var status = 0;
    fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "error",
                 headers: { Accept: "application/json" }, signal: controller.signal })
      .then(function (response) {
        status = response.status;
        if (!response.ok) { throw new Error(String(status)); }
        return response.json();
      })
      .then(function (data) { apply(data); succeeded(data); })
      .catch(function () { failed(status); })
      .then(function () {
        window.clearTimeout(giveUp);
        busy = false;
        schedule(status === 401 || status === 403 ? every * 5 : every);
      });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { window.clearTimeout(timer); timer = null; } else { schedule(0); }
  });
  schedule(every);
})();
