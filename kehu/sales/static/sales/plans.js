/* The plan grid: product search in each line (the catalogue's JSON autocomplete), more rows.
   Without JavaScript the grid still posts the rows it shows; only the search and extra rows need it. */
(function () {
  "use strict";
  var grid = document.querySelector("[data-plan-grid]");
  if (!grid) return;
  var url = grid.getAttribute("data-product-url");
  var customer = grid.getAttribute("data-customer");
  var timer = null;

  function search(input) {
    var cell = input.closest(".product-cell");
    var list = cell.querySelector(".product-options");
    var text = input.value.trim();
    if (!url || text.length < 1) { list.innerHTML = ""; return; }
    var query = url + "?format=json&q=" + encodeURIComponent(text) + (customer ? "&customer=" + customer : "");
    fetch(query, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; }).then(function (items) {
      list.innerHTML = "";
      items.forEach(function (item) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = item.sku + " " + item.name + (item.spec ? " " + item.spec : "") + " · " + item.price + "/" + item.unit;
        button.setAttribute("data-id", item.id);
        button.setAttribute("data-label", item.sku + " " + item.name + (item.spec ? " " + item.spec : ""));
        button.setAttribute("data-price", item.price);
        list.appendChild(button);
      });
    }).catch(function () { list.innerHTML = ""; });
  }

  grid.addEventListener("input", function (event) {
    var input = event.target;
    if (input.matches("[data-product-label]")) {
      input.closest(".product-cell").querySelector("[data-product-id]").value = "";
      clearTimeout(timer);
      timer = setTimeout(function () { search(input); }, 250);
    }
  });

  grid.addEventListener("click", function (event) {
    var option = event.target.closest(".product-options button");
    if (option) {
      var cell = option.closest(".product-cell");
      cell.querySelector("[data-product-id]").value = option.getAttribute("data-id");
      cell.querySelector("[data-product-label]").value = option.getAttribute("data-label");
      cell.querySelector(".product-options").innerHTML = "";
      var row = cell.closest("tr");
      row.setAttribute("data-price", option.getAttribute("data-price"));
      var quantity = row.querySelector("[data-quantity]");
      if (quantity) quantity.focus();
      return;
    }
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var kind = add.getAttribute("data-add-row");
      var body = grid.querySelector("[data-rows=" + kind + "]");
      var template = grid.querySelector("template[data-row=" + kind + "]");
      var index = body.querySelectorAll("tr").length + Date.now() % 1000 * 10;
      body.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__n__/g, String(index)));
    }
  });

  /* Amount target left empty: quantity × the customer's price, as a suggestion. */
  grid.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches("[data-quantity]")) return;
    var row = input.closest("tr");
    var amount = row.querySelector("[data-amount]");
    var price = parseFloat(row.getAttribute("data-price") || "");
    var qty = parseFloat(input.value);
    if (amount && !amount.value && !isNaN(price) && !isNaN(qty)) amount.value = (price * qty).toFixed(2);
  });
})();
