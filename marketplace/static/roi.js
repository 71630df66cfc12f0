// The task form's ROI line follows the hours, skills and currency as the owner types them.
// The server words it (GET /tasks/roi, the one rule the task page uses, so the two agree to
// the cent); a pause in the typing asks once, and an answer to an older question is dropped.
(function () {
  var line = document.querySelector("[data-roi-url]");
  if (!line || !window.fetch || !window.URLSearchParams) return;
  var form = line.closest("form");
  var watched = ["title", "skills", "category", "engagement", "estimated_hours",
                 "hours_per_week", "currency"];
  var timer = null;
  var asked = 0;

  function ask() {
    var data = new FormData(form);
    var url = new URL(line.getAttribute("data-roi-url"), window.location.href);
    watched.forEach(function (name) {
      data.getAll(name).forEach(function (value) { url.searchParams.append(name, value); });
    });
    var mine = ++asked;
    fetch(url.toString(), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || mine !== asked) return;
        line.innerHTML = body.html;  // rendered and escaped by the server's template
        line.hidden = !body.html;
      })
      .catch(function () { /* keep the last line; the page still works without it */ });
  }

  function changed(event) {
    if (watched.indexOf(event.target.name) < 0) return;
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  // Typed before this script ran (it is deferred; a slow network delays it): the line the
  // server rendered is for the page's first values, so ask now rather than at the next key.
  function edited(field) {
    if (field.options) {
      return Array.prototype.some.call(field.options, function (o) {
        return o.selected !== o.defaultSelected;
      });
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    return field.value !== field.defaultValue;
  }
  var early = watched.some(function (name) {
    return Array.prototype.some.call(form.querySelectorAll("[name='" + name + "']"), edited);
  });
  if (early) ask();
})();
