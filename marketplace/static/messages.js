// An open conversation asks every few seconds for messages newer than the last one shown
// and appends them (rendered and escaped by the server). The form sends through here too,
// so the page stays put; a message that was not sent (a rate limit, an expired form, the
// network) says why under the box and keeps what was typed. Without script the form posts
// as a plain form. A static file, not inline script, so it runs under the
// Content-Security-Policy without 'unsafe-inline'.
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

  var form = document.getElementById("latest");
  var box = form && form.querySelector("textarea");
  var picker = form && form.querySelector("input[type=file]");
  var NOT_SENT = "Your message was not sent. Reload the page and try again; what you wrote is kept.";
  var OFFLINE =
    "Your message was not sent: Delegate could not be reached. Check your connection and " +
    "send it again; what you wrote is kept.";

  function showError(text, fieldName) {
    var shown = form.querySelectorAll("small.error");
    for (var i = 0; i < shown.length; i++) {
      shown[i].parentNode.classList.remove("has-error");
      shown[i].remove();
    }
    // Under the file picker when a file was refused, else under the text.
    var field = (fieldName === "files" && picker ? picker : box).parentNode;
    field.classList.toggle("has-error", Boolean(text));
    if (text) {
      var note = document.createElement("small");
      note.className = "error";
      note.setAttribute("role", "alert");
      note.id = "message-error";
      note.textContent = text;
      field.appendChild(note);
    }
  }

  // Said before sending, not after: a body over the server's limit is refused unread, and
  // a browser still uploading it may see the connection close instead of the answer. The
  // server checks every file all the same.
  function tooLarge() {
    if (!picker || !picker.files) {
      return "";
    }
    var maxBytes = parseInt(picker.getAttribute("data-max-bytes"), 10);
    var maxFiles = parseInt(picker.getAttribute("data-max-files"), 10);
    var limits = picker.getAttribute("data-limits") || "";
    if (maxFiles && picker.files.length > maxFiles) {
      return "You chose " + picker.files.length + " files. " + limits;
    }
    for (var i = 0; i < picker.files.length; i++) {
      if (maxBytes && picker.files[i].size > maxBytes) {
        return "\u201c" + picker.files[i].name + "\u201d is too large to send. " + limits;
      }
    }
    return "";
  }

  function send(event) {
    event.preventDefault();
    var problem = tooLarge();
    if (problem) {
      showError(problem, "files");
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            if (response.ok && data && data.message && data.message.id) {
              append(data.message);
              box.value = "";
              if (picker) {
                picker.value = "";
              }
              showError("");
            } else {
              showError(
                (data && typeof data.message === "string" && data.message) || NOT_SENT,
                data && data.field
              );
            }
          });
      })
      .catch(function () {
        showError(OFFLINE);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  if (form && box && window.FormData) {
    form.addEventListener("submit", send);
  }

  window.setTimeout(poll, every);
})();
