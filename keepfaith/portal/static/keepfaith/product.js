/* The product page: price the choices as they change (SITE-2: the server computes every
   price). Asks the page's price address with the choices only (never the CSRF token) and
   shows the total and each term's price. Without this script the page still shows the
   server's prices and "Update price" posts the form back. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-price-url]");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var url = form.getAttribute("data-price-url");
  var total = form.querySelector("[data-price]");
  var problem = document.querySelector("[data-price-error]");
  var asked = 0;
  var timer = null;

  function choices() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name || "";
      var wanted = name === "term" || name === "quantity" || name.indexOf("option_") === 0;
      if (!wanted || ((el.type === "radio" || el.type === "checkbox") && !el.checked)) {
        return;
      }
      params.append(name, el.value);
    });
    return params.toString();
  }

  function show(data) {
    if (problem) {
      problem.textContent = data.error || "";
      problem.hidden = !data.error;
    }
    if (total) {
      total.textContent = data.error ? "–" : data.total;
    }
    /* every term's cell, so that none keeps the price of choices no longer on the page */
    var terms = data.terms || {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-term-price]"), function (cell) {
      var months = cell.getAttribute("data-term-price");
      cell.textContent = !data.error && terms[months] ? terms[months] : "–";
    });
  }

  function update() {
    var mine = ++asked;
    fetch(url + "?" + choices(), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) { if (mine === asked) { show(data); } })
      .catch(function () { /* the server's price stays; "Update price" still works */ });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 250);
  });
})();
