// A form with data-confirm="question" asks before it acts (money moves, a task closes).
// A static file, not inline script, so it runs under a CSP without 'unsafe-inline'.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
