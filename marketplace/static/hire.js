// The hire page: show the price for the hours as they are typed, and send that same total
// with the form. The server recomputes it and hires only when both agree, so the price shown
// is the price charged; without this script "Update price" does the same on the server.
(function () {
  var form = document.getElementById("hire-form");
  if (!form) return;
  var hours = form.querySelector("input[name=hours]");
  var quoted = form.querySelector("input[name=quoted_total_cents]");
  var rate = parseInt(form.dataset.rateCents, 10);
  var feeBps = parseInt(form.dataset.feeBps, 10);
  var maxHours = parseInt(form.dataset.maxHours, 10);
  var symbol = form.dataset.currencySymbol;

  function money(cents) {  // the same text as the server's `money` filter
    var whole = Math.floor(cents / 100), part = cents % 100;
    var text = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return symbol + (part ? text + "." + (part < 10 ? "0" : "") + part : text);
  }

  function show(testid, text) {
    var cell = form.querySelector("[data-testid=" + testid + "]");
    if (cell) cell.textContent = text;
  }

  function update() {
    var value = hours.value.trim();
    var h = /^\d+$/.test(value) ? parseInt(value, 10) : NaN;
    if (!(h >= 1 && h <= maxHours)) {
      quoted.value = "";  // nothing is hired until the server has shown a price
      ["total", "fee", "net"].forEach(function (id) { show(id, "—"); });
      return;
    }
    var total = h * rate;
    var fee = Math.floor((total * feeBps + 5000) / 10000);  // half up, as pricing.price_for
    quoted.value = String(total);
    show("total", money(total));
    show("fee", money(fee));
    show("net", money(total - fee));
  }

  hours.addEventListener("input", update);
})();
