// The progress of a background job on its page (the bank's import, the staff's certificate
// issue): the element with data-progress-url names the job's JSON. Polls it every half second
// and moves the bar (#job-progress, #job-phase, #job-count); when the job has ended, reloads
// the page, which then shows the outcome. Without JavaScript the page's <noscript> refresh
// does the same, more slowly.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("job-progress");
  var phase = document.getElementById("job-phase");
  var count = document.getElementById("job-count");
  var locale = document.documentElement.lang === "en" ? "en-US" : "vi-VN";
  var EVERY_MS = 500;
  var AFTER_ERROR_MS = 2000; // a lost poll (server busy, network) is simply tried again

  function number(n) { return Number(n).toLocaleString(locale); }

  function show(job) {
    bar.max = Math.max(job.total, 1);
    bar.value = Math.min(job.done, bar.max);
    bar.textContent = job.percent + "%";
    if (job.phase) { phase.textContent = job.phase; }
    count.textContent = number(job.done) + " / " + number(job.total);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) { window.location.reload(); return null; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (job) {
        if (job === null) { return; }
        if (job.status !== "running") { window.location.reload(); return; }
        show(job);
        window.setTimeout(poll, EVERY_MS);
      })
      .catch(function () { window.setTimeout(poll, AFTER_ERROR_MS); });
  }

  window.setTimeout(poll, EVERY_MS);
})();
