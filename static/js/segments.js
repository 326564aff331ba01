/* Segment selects follow their chain select: only the chosen chain's segments are offered.
 *
 * Markup: <select data-chain-select="ID of the chain select" data-segments='[{"key": …,
 * "name": …, "segments": [[id, name], …]}, …]'>, first option blank. The server already
 * renders the right options; this keeps them right when the chain changes in the browser,
 * and picks the chain when a segment is chosen first. Loaded from 'self' (the CSP forbids
 * inline scripts). */
(function () {
  "use strict";

  function option(value, label, selected) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    element.selected = selected;
    return element;
  }

  function fill(segment, catalogue, chainKey) {
    var current = segment.value;
    var blank = segment.options.length && segment.options[0].value === ""
      ? segment.options[0].cloneNode(true) : option("", "", false);
    var chosen = catalogue.filter(function (chain) { return chain.key === chainKey; });
    segment.replaceChildren(blank);
    if (chosen.length) {
      chosen[0].segments.forEach(function (s) {
        segment.appendChild(option(s[0], s[1], s[0] === current));
      });
    } else {
      catalogue.forEach(function (chain) {
        if (!chain.segments.length) { return; }
        var group = document.createElement("optgroup");
        group.label = chain.name;
        group.dataset.chain = chain.key;
        chain.segments.forEach(function (s) {
          group.appendChild(option(s[0], s[1], s[0] === current));
        });
        segment.appendChild(group);
      });
    }
    if (segment.value !== current) {
      segment.value = "";
    }
  }

  function chainOf(catalogue, segmentId) {
    var found = catalogue.filter(function (chain) {
      return chain.segments.some(function (s) { return s[0] === segmentId; });
    });
    return found.length ? found[0].key : "";
  }

  function wire(segment) {
    var chain = document.getElementById(segment.dataset.chainSelect);
    var catalogue;
    try {
      catalogue = JSON.parse(segment.dataset.segments || "[]");
    } catch (error) {
      return;
    }
    if (!chain) { return; }
    chain.addEventListener("change", function () {
      fill(segment, catalogue, chain.value);
      segment.dispatchEvent(new Event("segments:updated", { bubbles: true }));
    });
    segment.addEventListener("change", function () {
      if (!chain.value && segment.value) {
        chain.value = chainOf(catalogue, segment.value);
        fill(segment, catalogue, chain.value);
      }
    });
  }

  document.querySelectorAll("select[data-segments]").forEach(wire);
}());
