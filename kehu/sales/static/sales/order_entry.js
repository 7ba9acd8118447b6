/* Order entry: keyboard-first grid of lines.
 *
 * Type in the product cell → matching products (name, pinyin, initials, SKU) appear; ↑/↓ choose,
 * Enter picks and moves to the quantity; Enter in quantity, price, discount or spec moves to the next
 * line (adding one at the end); Ctrl+Enter saves. The price for the customer's channel level is filled
 * in when a product is picked and stays editable; line amounts and the total update as you type.
 * Money is computed in integer cents (BigInt), never in floating point. Without this script the form
 * still works: the server resolves typed SKUs, fills prices and recomputes on "Recalculate".
 */
(function () {
  "use strict";

  function parseScaled(text, places) {
    // "1,234.5" → 123450n for places=2; null when not a plain non-negative number.
    var t = String(text || "").replace(/[,\s，]/g, "");
    if (!/^\d*(\.\d*)?$/.test(t) || t === "" || t === ".") return null;
    var parts = t.split(".");
    var frac = (parts[1] || "");
    if (frac.length > places) return null;
    frac = (frac + "000000").slice(0, places);
    return BigInt((parts[0] || "0") + frac);
  }

  function formatCents(cents) {
    var negative = cents < 0n;
    var abs = negative ? -cents : cents;
    var yuan = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = (abs % 100n).toString().padStart(2, "0");
    return (negative ? "-" : "") + yuan + "." + rest;
  }

  function lineCents(row) {
    // quantity (3 places) × price (2 places) = 5 places; minus the discount; rounded half up to cents.
    var q = parseScaled(row.querySelector(".js-qty").value, 3);
    var p = parseScaled(row.querySelector(".js-price").value, 2);
    var discountText = row.querySelector(".js-discount").value;
    var d = discountText.trim() ? parseScaled(discountText, 2) : 0n;
    if (q === null || p === null || d === null) return null;
    var scaled = q * p - d * 1000n;
    var sign = scaled < 0n ? -1n : 1n;
    var abs = scaled * sign;
    return sign * ((abs + 500n) / 1000n);
  }

  function init(grid) {
    var form = grid.closest("form");
    var body = grid.querySelector("tbody");
    var total = form.querySelector("#lines-total");
    var template = document.getElementById("line-template");
    var sumCell = grid.querySelector(".js-total");
    var url = grid.dataset.autocomplete;
    var level = grid.dataset.channelLevel || "";
    var timer = null;
    var lastQuery = null;

    function recompute() {
      var sum = 0n;
      var complete = true;
      body.querySelectorAll("tr.entry-line").forEach(function (row) {
        var cell = row.querySelector(".js-amount");
        var hasProduct = row.querySelector(".js-product-id").value || row.querySelector(".js-product").value.trim();
        var cents = lineCents(row);
        if (cents === null) {
          cell.textContent = "";
          if (hasProduct) complete = false;
          return;
        }
        cell.textContent = formatCents(cents);
        cell.classList.toggle("error", cents < 0n);
        sum += cents;
      });
      sumCell.textContent = formatCents(sum) + (complete ? "" : " …");
    }

    function addLine() {
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, String(index + 1));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      return body.lastElementChild;
    }

    function nextRow(row) {
      var next = row.nextElementSibling;
      while (next && !next.classList.contains("entry-line")) next = next.nextElementSibling;
      return next || addLine();
    }

    function options(row) { return row.querySelector(".product-options"); }

    function closeOptions(row) {
      var list = options(row);
      list.hidden = true;
      list.innerHTML = "";
      row.querySelector(".js-product").setAttribute("aria-expanded", "false");
    }

    function highlight(row, step) {
      var items = Array.prototype.slice.call(options(row).querySelectorAll("li"));
      if (!items.length) return;
      var current = items.findIndex(function (li) { return li.getAttribute("aria-selected") === "true"; });
      var next = (current + step + items.length) % items.length;
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === next ? "true" : "false"); });
      items[next].scrollIntoView({ block: "nearest" });
    }

    function pick(row, item) {
      row.querySelector(".js-product-id").value = item.id;
      var input = row.querySelector(".js-product");
      input.value = [item.sku, item.name, item.spec].filter(Boolean).join(" ");
      input.dataset.picked = input.value;
      var label = row.querySelector(".product-label");
      if (label) label.textContent = item.unit ? "/" + item.unit : "";
      var spec = row.querySelector(".js-spec");
      if (spec && !spec.value) spec.placeholder = item.spec || "";
      var price = row.querySelector(".js-price");
      if (!price.value || price.dataset.auto === "1") {
        price.value = item.price;
        price.dataset.auto = "1";
      }
      closeOptions(row);
      var qty = row.querySelector(".js-qty");
      qty.focus();
      qty.select();
      recompute();
    }

    function search(row) {
      var input = row.querySelector(".js-product");
      var q = input.value.trim();
      if (!q) { closeOptions(row); return; }
      lastQuery = q;
      var query = "?format=json&q=" + encodeURIComponent(q) + "&channel_level=" + encodeURIComponent(level);
      fetch(url + query, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) {
          if (q !== lastQuery || input.value.trim() !== q) return;  // an older answer
          var list = options(row);
          list.innerHTML = "";
          (found.results || found).forEach(function (item, i) {
            var li = document.createElement("li");
            li.setAttribute("role", "option");
            li.setAttribute("aria-selected", i === 0 ? "true" : "false");
            li.dataset.item = JSON.stringify(item);
            var name = document.createElement("span");
            name.textContent = item.name + (item.spec ? " " + item.spec : "");
            var meta = document.createElement("span");
            meta.className = "mono";
            meta.textContent = item.sku + " · " + item.price + (item.unit ? "/" + item.unit : "");
            li.appendChild(name);
            li.appendChild(meta);
            list.appendChild(li);
          });
          if (!list.children.length) {
            var none = document.createElement("li");
            none.className = "muted";
            none.textContent = grid.dataset.noMatch || "—";
            list.appendChild(none);
          }
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        })
        .catch(function () { closeOptions(row); });
    }

    body.addEventListener("input", function (event) {
      var row = event.target.closest("tr.entry-line");
      if (!row) return;
      if (event.target.classList.contains("js-product")) {
        if (event.target.value !== event.target.dataset.picked) row.querySelector(".js-product-id").value = "";
        clearTimeout(timer);
        timer = setTimeout(function () { search(row); }, 150);
      }
      if (event.target.classList.contains("js-price")) event.target.dataset.auto = "0";
      recompute();
    });

    body.addEventListener("keydown", function (event) {
      var row = event.target.closest("tr.entry-line");
      if (!row || event.target.tagName !== "INPUT") return;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.submit();
        return;
      }
      if (event.target.classList.contains("js-product")) {
        var list = options(row);
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          if (list.hidden) search(row); else highlight(row, event.key === "ArrowDown" ? 1 : -1);
        } else if (event.key === "Escape") {
          closeOptions(row);
        } else if (event.key === "Enter") {
          event.preventDefault();
          var chosen = list.hidden ? null : list.querySelector('li[aria-selected="true"]');
          if (chosen && chosen.dataset.item) pick(row, JSON.parse(chosen.dataset.item));
          else if (row.querySelector(".js-product-id").value) row.querySelector(".js-qty").focus();
          else search(row);
        }
        return;
      }
      if (event.key === "Enter") {
        event.preventDefault();
        // The spec sits between product and quantity: Enter there goes on to the quantity.
        if (event.target.classList.contains("js-spec")) row.querySelector(".js-qty").focus();
        else nextRow(row).querySelector(".js-product").focus();
      }
    });

    body.addEventListener("mousedown", function (event) {
      var li = event.target.closest(".product-options li");
      if (li && li.dataset.item) {
        event.preventDefault();
        pick(li.closest("tr.entry-line"), JSON.parse(li.dataset.item));
      }
    });

    body.addEventListener("focusout", function (event) {
      if (event.target.classList.contains("js-product")) {
        var row = event.target.closest("tr.entry-line");
        setTimeout(function () { if (!row.contains(document.activeElement)) closeOptions(row); }, 100);
      }
    });

    body.addEventListener("click", function (event) {
      var remove = event.target.closest(".js-remove");
      if (!remove) return;
      var row = remove.closest("tr.entry-line");
      // Inputs of a removed row are simply gone; the server skips missing and blank rows.
      row.remove();
      if (!body.querySelector("tr.entry-line")) addLine();
      recompute();
    });

    var add = form.querySelector(".js-add-line");
    if (add) {
      add.addEventListener("click", function (event) {
        event.preventDefault();
        addLine().querySelector(".js-product").focus();
      });
    }

    recompute();
    var first = body.querySelector("tr.entry-line .js-product");
    var firstEmpty = Array.prototype.find.call(body.querySelectorAll(".js-product"), function (i) { return !i.value; });
    if (grid.dataset.autofocus === "1" && (firstEmpty || first)) (firstEmpty || first).focus();
  }

  function start() {
    document.querySelectorAll("table.entry-lines[data-autocomplete]").forEach(init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
