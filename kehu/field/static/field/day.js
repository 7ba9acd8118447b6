/* Check-in and check-out with the phone's position: fills lat/lng/accuracy from
   navigator.geolocation before the form is sent. Without JavaScript or GPS the rep types them. */
(function () {
  "use strict";
  function fill(form, pos) {
    form.querySelector("[data-geo-lat]").value = pos.coords.latitude.toFixed(6);
    form.querySelector("[data-geo-lng]").value = pos.coords.longitude.toFixed(6);
    form.querySelector("[data-geo-accuracy]").value = Math.round(pos.coords.accuracy || 0);
  }
  function say(form, text) {
    var status = form.querySelector("[data-geo-status]");
    if (status) { status.textContent = text; }
  }
  function bind(form) {
    form.addEventListener("submit", function (event) {
      var lat = form.querySelector("[data-geo-lat]");
      if (form.dataset.geoDone === "1" || lat.value || !navigator.geolocation) { return; }
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      say(form, form.dataset.geoAsking || "…");
      navigator.geolocation.getCurrentPosition(function (pos) {
        fill(form, pos);
        form.dataset.geoDone = "1";
        form.submit();
      }, function (error) {
        if (button) { button.disabled = false; }
        var manual = form.querySelector("details");
        if (manual) { manual.open = true; }
        say(form, (form.dataset.geoFailed || "") + " " + error.message);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-geo]").forEach(bind);
  });
})();
