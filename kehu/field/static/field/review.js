/* The territory review map: each rep's cards as small circles in the rep's colour, the reps' centres,
 * and a dashed arrow-ish line from each card suggested for a move to the receiving rep's centre.
 * Data: the #review-map-data JSON (kehu.field.selectors.territory.review_map_data). */
(function () {
  "use strict";

  function draw() {
    var element = document.getElementById("review-map");
    var node = document.getElementById("review-map-data");
    if (!element || !node || !window.KehuMap || !window.L) return;
    var data = JSON.parse(node.textContent);
    var km = KehuMap.create(element, {zoom: 10});
    var colours = {}, names = {};
    data.reps.forEach(function (rep) { colours[rep.id] = rep.colour; names[rep.id] = rep.name; });
    var points = [];
    data.cards.forEach(function (card) {  // [id, name, owner, lat, lng]
      points.push([card[3], card[4]]);
      L.circleMarker(km.point(card[3], card[4]), {
        radius: 4, weight: 1, color: colours[card[2]] || "#555", fillOpacity: 0.7
      }).bindTooltip(card[1] + " · " + (names[card[2]] || "")).addTo(km.map);
    });
    data.reps.forEach(function (rep) {
      if (!rep.centre) return;
      L.marker(km.point(rep.centre[0], rep.centre[1]), {title: rep.name}).bindTooltip(rep.name).addTo(km.map);
    });
    data.moves.forEach(function (move) {
      var from = km.point(move.lat, move.lng), to = km.point(move.to_lat, move.to_lng);
      L.polyline([from, to], {color: colours[move.to] || "#000", weight: 2, dashArray: "6 4"})
        .bindTooltip(move.customer + ": " + (names[move.from] || "") + " → " + (names[move.to] || ""))
        .addTo(km.map);
      L.circleMarker(from, {radius: 7, weight: 3, color: colours[move.to] || "#000", fill: false}).addTo(km.map);
    });
    if (points.length) km.fit(points);
    element.setAttribute("data-cards", String(data.cards.length));
    element.setAttribute("data-moves", String(data.moves.length));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
