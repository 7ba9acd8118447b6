/* KehuMap: Leaflet with Kehu's tile presets and datum shifts, reused by every page with a map.
 *
 *   var km = KehuMap.create(element, {center: [lat, lng], zoom: 11});
 *   L.marker(km.point(lat, lng)).addTo(km.map);   // lat/lng as stored (WGS-84)
 *
 * Kehu stores and serves WGS-84. The tile preset (settings KEHU_MAP_TILES, given to the page as the
 * #kehu-map-tiles JSON by the _leaflet_head.html snippet) says which datum its tiles are drawn in;
 * km.point() shifts a stored point into it (GCJ-02 for AMap), so every layer must go through it.
 * The formulas are the ones in kehu/field/geo.py (tested against the same reference pairs).
 */
(function (global) {
  "use strict";

  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var X_PI = Math.PI * 3000.0 / 180.0;
  var PI = Math.PI;

  function outOfChina(lat, lng) {
    return !(lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function shiftLat(x, y) {
    var ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    ret += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    ret += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    ret += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return ret;
  }

  function shiftLng(x, y) {
    var ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    ret += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    ret += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    ret += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return ret;
  }

  function wgs84ToGcj02(lat, lng) {
    lat = +lat; lng = +lng;
    if (outOfChina(lat, lng)) return [lat, lng];
    var dLat = shiftLat(lng - 105.0, lat - 35.0);
    var dLng = shiftLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * PI;
    var magic = 1 - EE * Math.pow(Math.sin(radLat), 2);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lat + dLat, lng + dLng];
  }

  function gcj02ToWgs84(lat, lng) {
    lat = +lat; lng = +lng;
    if (outOfChina(lat, lng)) return [lat, lng];
    var wLat = lat, wLng = lng;
    for (var i = 0; i < 30; i++) {
      var g = wgs84ToGcj02(wLat, wLng);
      var eLat = g[0] - lat, eLng = g[1] - lng;
      wLat -= eLat; wLng -= eLng;
      if (Math.abs(eLat) < 1e-10 && Math.abs(eLng) < 1e-10) break;
    }
    return [wLat, wLng];
  }

  function gcj02ToBd09(lat, lng) {
    var x = +lng, y = +lat;
    var z = Math.sqrt(x * x + y * y) + 0.00002 * Math.sin(y * X_PI);
    var theta = Math.atan2(y, x) + 0.000003 * Math.cos(x * X_PI);
    return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
  }

  function toDatum(lat, lng, datum) {
    if (datum === "gcj02") return wgs84ToGcj02(lat, lng);
    if (datum === "bd09") { var g = wgs84ToGcj02(lat, lng); return gcj02ToBd09(g[0], g[1]); }
    return [+lat, +lng];
  }

  function fromDatum(lat, lng, datum) {
    if (datum === "gcj02") return gcj02ToWgs84(lat, lng);
    return [+lat, +lng];  // bd09 input is not expected from a Kehu map
  }

  var DEFAULT_TILES = {
    preset: "osm",
    url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    subdomains: "",
    attribution: "&copy; OpenStreetMap",
    max_zoom: 19,
    datum: "wgs84",
    convert: false
  };

  function readTiles() {
    var node = document.getElementById("kehu-map-tiles");
    if (!node) return DEFAULT_TILES;
    try { return JSON.parse(node.textContent); } catch (e) { return DEFAULT_TILES; }
  }

  function tileLayer(url, tiles) {
    var options = {maxZoom: tiles.max_zoom || 18, attribution: tiles.attribution || ""};
    if (tiles.subdomains) options.subdomains = tiles.subdomains;
    return L.tileLayer(url, options);
  }

  /* create(element, options) → {map, tiles, datum, point(lat, lng), toStored(latlng), fit(points)}
   * options: tiles (a preset object; default: the page's #kehu-map-tiles), center ([lat, lng],
   * stored WGS-84; default Beijing), zoom (default 11), and anything L.map() accepts. */
  function create(element, options) {
    options = options || {};
    var tiles = options.tiles || readTiles();
    var datum = tiles.datum || "wgs84";
    var center = options.center || [39.9042, 116.4074];
    var mapOptions = {};
    for (var k in options) {
      if (Object.prototype.hasOwnProperty.call(options, k) && ["tiles", "center", "zoom"].indexOf(k) < 0) {
        mapOptions[k] = options[k];
      }
    }
    var map = L.map(element, mapOptions);
    var km = {
      map: map,
      tiles: tiles,
      datum: datum,
      point: function (lat, lng) { var p = toDatum(lat, lng, datum); return L.latLng(p[0], p[1]); },
      toStored: function (latlng) { return fromDatum(latlng.lat, latlng.lng, datum); },
      fit: function (points, fitOptions) {
        var shifted = [];
        for (var i = 0; i < points.length; i++) shifted.push(km.point(points[i][0], points[i][1]));
        if (shifted.length === 1) map.setView(shifted[0], Math.max(map.getZoom() || 0, 14), {animate: false});
        else if (shifted.length) map.fitBounds(L.latLngBounds(shifted), fitOptions || {padding: [24, 24], animate: false});
      }
    };
    map.setView(km.point(center[0], center[1]), options.zoom || 11);
    // Without a network (intranet without a tile server, tests) the tiles fail quietly; markers still work.
    tileLayer(tiles.url, tiles).addTo(map);
    if (tiles.labels_url) tileLayer(tiles.labels_url, tiles).addTo(map);
    element.setAttribute("data-datum", datum);
    element.setAttribute("data-tiles", tiles.preset || "");
    return km;
  }

  global.KehuMap = {
    create: create,
    toDatum: toDatum,
    fromDatum: fromDatum,
    wgs84ToGcj02: wgs84ToGcj02,
    gcj02ToWgs84: gcj02ToWgs84,
    gcj02ToBd09: gcj02ToBd09
  };
})(window);

/* The map page (/field/map/): customers clustered and coloured, the heat layer, a rep's route. */
(function () {
  "use strict";

  function json(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function drawLegend(wrap, legendNode, labels, mode) {
    wrap.className = wrap.className.replace(/\bkm-mode-\w+/g, "").trim() + " km-mode-" + mode;
    wrap.setAttribute("data-colour", mode);
    legendNode.setAttribute("data-mode", mode);
    var key = {tier: "t", status: "s", overdue: "o"}[mode];
    var html = "";
    labels.legend[mode].forEach(function (entry) {
      html += '<span class="km-legend-item"><i class="km-dot ' + key + "-" + escapeHtml(entry[0]) + '"></i>' +
        escapeHtml(entry[1]) + "</span>";
    });
    html += '<span class="km-legend-item"><i class="km-dot km-approx"></i>' + escapeHtml(labels.approximate) + "</span>";
    legendNode.innerHTML = html;
  }

  function customerMarkers(km, data, labels, cardUrl) {
    var col = {};
    data.columns.forEach(function (name, i) { col[name] = i; });
    var statusLabel = {};
    labels.legend.status.forEach(function (entry) { statusLabel[entry[0]] = entry[1]; });
    var markers = [];
    data.rows.forEach(function (row) {
      var approx = row[col.precision] !== "exact";
      var classes = "km-dot t-" + row[col.tier] + " s-" + row[col.status] + " o-" + row[col.overdue] +
        (approx ? " km-approx" : "");
      var icon = L.divIcon({className: "km-icon", html: '<i class="' + classes + '"></i>', iconSize: [14, 14]});
      var marker = L.marker(km.point(row[col.lat], row[col.lng]), {icon: icon, title: row[col.name]});
      marker.bindPopup(function () {
        var url = cardUrl.replace("/0/", "/" + row[col.id] + "/");
        return '<a href="' + url + '"><strong>' + escapeHtml(row[col.name]) + "</strong></a><br>" +
          escapeHtml(row[col.code]) + " · " + escapeHtml(labels.tier) + " " + escapeHtml(row[col.tier]) +
          " · " + escapeHtml(statusLabel[row[col.status]] || row[col.status]) +
          (row[col.overdue] ? '<br><span class="km-warn">' + escapeHtml(labels.overdue) + "</span>" : "") +
          (approx ? '<br><span class="muted">' + escapeHtml(labels.approximate) + "</span>" : "");
      });
      markers.push(marker);
    });
    return markers;
  }

  function heatLayer(km, heat, labels) {
    if (!heat || !heat.rows.length || typeof L.heatLayer !== "function") return null;
    var points = heat.rows.map(function (row) {
      var p = km.point(row.lat, row.lng);
      return [p.lat, p.lng, row.weight];
    });
    var group = L.layerGroup([L.heatLayer(points, {radius: 40, blur: 30, max: 1, minOpacity: 0.3})]);
    heat.rows.forEach(function (row) {
      var label = [row.province, row.city, row.district].filter(Boolean).join(" ");
      L.circleMarker(km.point(row.lat, row.lng), {radius: 4, weight: 1, opacity: 0.6, fillOpacity: 0.2})
        .bindTooltip(escapeHtml(label) + ": " + escapeHtml(labels.sales) + " " + escapeHtml(row.sales) +
          " (" + row.customers + " " + escapeHtml(labels.customers) + ")")
        .addTo(group);
    });
    return group;
  }

  function routeLayer(km, route, labels, cardUrl) {
    var group = L.featureGroup();
    var line = [];
    if (route.base) {
      var base = km.point(route.base.lat, route.base.lng);
      L.marker(base, {icon: L.divIcon({className: "km-icon", html: '<span class="km-base">⌂</span>', iconSize: [24, 24]}),
        title: labels.base}).bindTooltip(escapeHtml(route.base.label || labels.base)).addTo(group);
      line.push(base);
    }
    route.stops.forEach(function (stop) {
      if (stop.lat === null) return;
      var p = km.point(stop.lat, stop.lng);
      var icon = L.divIcon({className: "km-icon", iconSize: [26, 26],
        html: '<span class="km-stop' + (stop.sequence === null ? " km-unrouted" : "") + '" data-number="' +
          stop.number + '">' + stop.number + "</span>"});
      L.marker(p, {icon: icon, title: stop.customer.name, zIndexOffset: 1000})
        .bindPopup('<a href="' + cardUrl.replace("/0/", "/" + stop.customer.id + "/") + '">' +
          escapeHtml(stop.number + ". " + stop.customer.name) + "</a>" +
          (stop.planned_arrival ? "<br>" + escapeHtml(stop.planned_arrival) : ""))
        .addTo(group);
      line.push(p);
    });
    if (route.base && line.length > 1) line.push(line[0]);
    if (line.length > 1) L.polyline(line, {className: "km-route-line", weight: 4, opacity: 0.8}).addTo(group);
    return group;
  }

  function init() {
    var element = document.getElementById("field-map");
    if (!element || !window.L || !window.KehuMap) return;
    var data = json("map-customers");
    var labels = json("map-labels");
    var route = json("map-route-data");
    var heat = json("map-heat");
    var cardUrl = element.getAttribute("data-card-url");
    var km = KehuMap.create(element);
    var wrap = document.getElementById("map-wrap");
    var legendNode = document.getElementById("map-legend");

    var markers = customerMarkers(km, data, labels, cardUrl);
    var cluster = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50});
    cluster.addLayers(markers);
    km.map.addLayer(cluster);
    element.setAttribute("data-markers", String(markers.length));

    var routeGroup = route ? routeLayer(km, route, labels, cardUrl).addTo(km.map) : null;
    if (routeGroup && routeGroup.getLayers().length) {
      km.map.fitBounds(routeGroup.getBounds(), {padding: [24, 24], maxZoom: 15, animate: false});
    } else if (data.rows.length) {
      var lat = data.columns.indexOf("lat"), lng = data.columns.indexOf("lng");
      km.fit(data.rows.map(function (row) { return [row[lat], row[lng]]; }));
    }

    var heatGroup = heatLayer(km, heat, labels);
    var heatToggle = document.getElementById("map-heat-toggle");
    if (heatToggle) {
      heatToggle.disabled = !heatGroup;
      heatToggle.addEventListener("change", function () {
        if (!heatGroup) return;
        if (heatToggle.checked) heatGroup.addTo(km.map); else km.map.removeLayer(heatGroup);
        element.setAttribute("data-heat", heatToggle.checked ? "on" : "off");
      });
    }

    drawLegend(wrap, legendNode, labels, wrap.getAttribute("data-colour") || "tier");
    document.querySelectorAll("input[name=km-colour]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked) drawLegend(wrap, legendNode, labels, radio.value);
        var kept = document.querySelectorAll("input[type=hidden][name=colour]");
        kept.forEach(function (input) { input.value = radio.value; });
      });
    });
    window.kehuFieldMap = {km: km, cluster: cluster, route: routeGroup, heat: heatGroup};
  }

  document.addEventListener("DOMContentLoaded", init);
})();
