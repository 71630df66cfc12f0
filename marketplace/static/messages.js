// An open conversation asks every few seconds for messages newer than the last one shown
// and appends them (rendered and escaped by the server). A static file, not inline script,
// so it runs under the Content-Security-Policy without 'unsafe-inline'.
(function () {
  "use strict";
  var list = document.getElementById("message-list");
  if (!list || !window.fetch) {
    return;
  }
  var url = list.getAttribute("data-poll-url");
  var every = parseInt(list.getAttribute("data-poll-ms"), 10) || 3000;

  function lastId() {
    var items = list.querySelectorAll("[data-message-id]");
    return items.length ? items[items.length - 1].getAttribute("data-message-id") : "0";
  }

  function append(message) {
    if (document.getElementById("message-" + message.id)) {
      return;
    }
    list.insertAdjacentHTML("beforeend", message.html);
    var empty = document.getElementById("no-messages");
    if (empty) {
      empty.remove();
    }
  }

  function poll() {
    // Only a page somebody is looking at marks what it shows as read.
    var seen = document.visibilityState === "visible" ? "1" : "0";
    fetch(url + "?after=" + encodeURIComponent(lastId()) + "&seen=" + seen, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && data.messages) {
          data.messages.forEach(append);
        }
      })
      .catch(function () {})
      .then(function () {
        window.setTimeout(poll, every);
      });
  }

  window.setTimeout(poll, every);
})();
