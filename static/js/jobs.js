/* Live progress of background jobs on the operator's pages.
 *
 * Markup: an element [data-job-url="/admin/jobs/ID.json"] for each job that is not done yet,
 * holding [data-job-bar] (the .progress-bar; its width is a w-pct-N class in 5 % steps, as
 * the CSP forbids inline styles), [data-job-progressbar] (role=progressbar), and optionally
 * [data-job-status], [data-job-percent], [data-job-message], [data-job-duration],
 * [data-job-error]. Every 2 s the JSON is read and these are updated, until the job is done;
 * then a container marked data-job-reload reloads the page so that the server renders the
 * result or the error in full. The page works without this script: it has a refresh link.
 * Loaded from 'self' (the CSP forbids inline scripts). */
(function () {
  "use strict";

  var INTERVAL = 2000;
  var MAX_FAILURES = 5;
  var STYLES = ["text-bg-secondary", "text-bg-primary", "text-bg-success", "text-bg-danger"];
  var STYLE_OF = {queued: STYLES[0], running: STYLES[1], finished: STYLES[2], failed: STYLES[3]};

  function find(box, name) {
    return box.querySelector("[data-job-" + name + "]");
  }

  function setText(element, text) {
    if (element) {
      element.textContent = text;
    }
  }

  function setBar(box, state) {
    var bar = find(box, "bar");
    var meter = find(box, "progressbar");
    if (!bar) {
      return;
    }
    var known = state.percent !== null && state.percent !== undefined;
    var step = known ? Math.round(state.percent / 5) * 5 : (state.status === "running" ? 100 : 0);
    bar.className = bar.className.replace(/\bw-pct-\d+\b/g, "").trim() + " w-pct-" + step;
    var moving = state.status === "running";
    bar.classList.toggle("progress-bar-striped", moving);
    bar.classList.toggle("progress-bar-animated", moving && !known);
    bar.classList.toggle("bg-success", state.status === "finished");
    bar.classList.toggle("bg-danger", state.status === "failed");
    if (meter) {
      if (known) {
        meter.setAttribute("aria-valuenow", String(state.percent));
      } else {
        meter.removeAttribute("aria-valuenow");
      }
    }
  }

  function show(box, state) {
    setBar(box, state);
    var status = find(box, "status") || document.querySelector(
      '[data-job-status][data-job-id="' + state.id + '"]');
    if (status) {
      status.classList.remove.apply(status.classList, STYLES);
      status.classList.add(STYLE_OF[state.status] || STYLES[0]);
      status.textContent = state.status_label;
    }
    if (state.percent !== null && state.percent !== undefined) {
      setText(find(box, "percent"), state.percent + " % · " + state.done + " / " + state.total);
    }
    var message = find(box, "message");
    if (message && state.message) {
      message.textContent = state.message;
      message.lang = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]/.test(state.message)
        ? "zh" : "en";
    }
    setText(find(box, "duration"), state.duration);
    setText(find(box, "error"), state.error);
    box.dataset.jobState = state.status;
  }

  function poll(box) {
    var failures = 0;

    function tick() {
      if (document.hidden) {  // a background tab waits until it is looked at again
        window.setTimeout(tick, INTERVAL);
        return;
      }
      fetch(box.dataset.jobUrl, {credentials: "same-origin", cache: "no-store",
                                 headers: {Accept: "application/json"}})
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (state) {
          failures = 0;
          show(box, state);
          if (state.is_done) {
            if (box.closest("[data-job-reload]")) {
              window.location.reload();
            }
            return;
          }
          window.setTimeout(tick, INTERVAL);
        })
        .catch(function () {
          failures += 1;
          if (failures >= MAX_FAILURES) {  // signed out or server gone: the refresh link stays
            box.dataset.jobState = "lost";
            return;
          }
          window.setTimeout(tick, INTERVAL);
        });
    }

    window.setTimeout(tick, INTERVAL);
  }

  document.querySelectorAll("[data-job-url]").forEach(poll);
}());
