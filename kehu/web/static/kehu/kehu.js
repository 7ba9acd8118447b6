/* Kehu's few behaviours that plain HTML and htmx do not cover. Everything works without it. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;

    // One navigation menu open at a time; a click elsewhere closes it.
    var menu = target.closest("[data-nav-menu]");
    document.querySelectorAll("[data-nav-menu][open]").forEach(function (open) {
      if (open !== menu) open.removeAttribute("open");
    });

    if (target.closest("[data-print]")) {
      window.print();
      return;
    }

    var picker = target.closest("[data-picker]");
    if (!picker) return;
    var hidden = picker.querySelector("input[type=hidden]");
    var text = picker.querySelector("input[type=text]");
    var options = picker.querySelector(".picker-options");
    var option = target.closest("[data-pick-id]");
    if (option) {
      hidden.value = option.getAttribute("data-pick-id");
      text.value = option.getAttribute("data-pick-label");
      options.innerHTML = "";
      text.setAttribute("aria-expanded", "false");
    } else if (target.closest("[data-picker-clear]")) {
      hidden.value = "";
      text.value = "";
      options.innerHTML = "";
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var options = event.target;
    if (options.classList && options.classList.contains("picker-options")) {
      var text = options.parentNode.querySelector("input[type=text]");
      if (text) text.setAttribute("aria-expanded", options.children.length ? "true" : "false");
    }
  });
})();
