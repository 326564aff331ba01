/* Drag and drop on the deal board (SortableJS, vendored in static/vendor/sortablejs).
 *
 * Markup: .board[data-csrf] holding lists [data-board-column][data-stage=KEY] of cards
 * [data-deal][data-version][data-move-url]. Dropping a card in another column posts the move
 * (CSRF token, stage, the version the page showed) and asks for JSON. When the server refuses
 * (the rules, or someone else changed the deal) the card goes back where it was and the
 * message is shown in #board-message; when it moves, the card keeps its new version and the
 * columns' count, value and expected value are updated. Without this script every card has
 * a "Move" form that does the same. Loaded from 'self' (the CSP forbids inline scripts). */
(function () {
  "use strict";

  var board = document.querySelector(".board[data-csrf]");
  if (!board || typeof Sortable === "undefined") {
    return;
  }
  var message = document.getElementById("board-message");

  function showMessage(lines) {
    if (!message) {
      return;
    }
    message.textContent = lines.join(" ");
    message.classList.toggle("d-none", lines.length === 0);
    if (lines.length) {
      message.scrollIntoView({block: "nearest"});
    }
  }

  function putBack(event) {
    var item = event.item;
    var before = event.from.children[event.oldIndex] || null;
    event.from.insertBefore(item, before);
  }

  function updateColumns(columns) {
    Object.keys(columns || {}).forEach(function (key) {
      var column = board.querySelector('[data-testid="column"][data-stage="' + key + '"]');
      if (!column) {
        return;
      }
      var figures = columns[key];
      column.querySelector('[data-testid="column-count"]').textContent = figures.count;
      column.querySelector('[data-testid="column-value"]').textContent = figures.value;
      column.querySelector('[data-testid="column-expected"]').textContent = figures.expected;
    });
  }

  function move(event) {
    if (event.from === event.to) {
      return;
    }
    var card = event.item;
    var body = new FormData();
    body.append("csrf_token", board.dataset.csrf);
    body.append("stage", event.to.dataset.stage);
    body.append("version", card.dataset.version);
    card.classList.add("deal-moving");
    fetch(card.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () {
        return {ok: false, messages: [board.dataset.failed || "Error " + response.status]};
      });
    }).then(function (answer) {
      card.classList.remove("deal-moving");
      if (answer.ok) {
        card.dataset.version = answer.version;
        var version = card.querySelector('input[name="version"]');
        if (version) {
          version.value = answer.version;
        }
        showMessage([]);
        updateColumns(answer.columns);
      } else {
        putBack(event);
        showMessage(answer.messages || []);
      }
    }).catch(function () {
      card.classList.remove("deal-moving");
      putBack(event);
      showMessage([board.dataset.failed || "Network error"]);
    });
  }

  board.querySelectorAll("[data-board-column]").forEach(function (list) {
    Sortable.create(list, {
      group: "deals",
      animation: 150,
      // Pointer events instead of native drag and drop: the same on touch screens, mice and
      // test drivers, and a card follows the finger on phones.
      forceFallback: true,
      fallbackTolerance: 4,
      delay: 150,
      delayOnTouchOnly: true,
      filter: "a, details, summary, select, input, button",
      preventOnFilter: false,
      onEnd: move
    });
  });
}());
