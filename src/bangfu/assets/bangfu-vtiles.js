/* Bangfu Atlas: the village vector tiles (bangfu.maps.tiles) drawn on canvas tiles, every frame short.
 *
 * Our own code (not vendored). L.BangfuTiles extends the vendored Leaflet.VectorGrid's protobuf layer but replaces
 * how a tile is parsed and drawn: VectorGrid turned every village of a tile into a Leaflet polygon (points, parts,
 * bounds, a renderer entry) and filled it on its own, all in one task — 100–200 ms for a tile of the lowest zoom
 * levels (up to ~4,000 villages), the longest frame of a zoom. Here:
 *
 *  - the tile's bytes are read by a small MVT 2.1 reader written for the app's own encoder (one layer of
 *    polygons; feature id = the village's index i, which picks its class in the class string);
 *  - the geometry commands go straight into one Path2D per class colour (plus one for the borders) and each is
 *    filled once (nonzero rule: the encoder orients rings as the spec says) — no object per village or vertex;
 *  - the work of all arriving tiles goes through one queue run in slices of SLICE_MS, one slice per animation
 *    frame at most, so no frame waits for a whole tile. Leaflet shows a tile only once it is loaded (done), so a
 *    half-drawn tile is never seen;
 *  - properties are decoded only for the village a click hits (point in polygon over that tile's rings, in the
 *    tile's own pixels, also beyond the last tile level where tiles are scaled up).
 *
 * A click fires "click" on the layer with e.layer = {properties: {...}} (VectorGrid's event shape), which the
 * layer script turns into the popup and streamlit-folium's last_active_drawing.
 */
(function () {
  "use strict";
  if (!window.L || !L.VectorGrid || !L.VectorGrid.Protobuf || L.BangfuTiles) { return; }

  /* Time one slice of the queue may take before the browser gets to draw a frame. */
  var SLICE_MS = 8;

  /* ------------------------------------------------------------------ reading protobuf */

  function varint(r) {  /* r = {b: Uint8Array, p: position}; values < 2^53 */
    var b = r.b, p = r.p, x = b[p++], v = x & 0x7f;
    if (x >= 0x80) {
      x = b[p++]; v |= (x & 0x7f) << 7;
      if (x >= 0x80) {
        x = b[p++]; v |= (x & 0x7f) << 14;
        if (x >= 0x80) {
          x = b[p++]; v |= (x & 0x7f) << 21;
          if (x >= 0x80) {
            var m = 268435456, hi = 0;  /* beyond 28 bits: plain arithmetic */
            v = v >>> 0;
            do { x = b[p++]; hi += (x & 0x7f) * m; m *= 128; } while (x >= 0x80);
            v += hi;
          }
        }
      }
    }
    r.p = p;
    return v;
  }

  function skip(r, wire) {
    if (wire === 0) { varint(r); } else if (wire === 1) { r.p += 8; } else if (wire === 2) { var n = varint(r); r.p += n; }
    else if (wire === 5) { r.p += 4; } else { throw new Error("bad wire type " + wire); }
  }

  var utf8 = typeof TextDecoder !== "undefined" ? new TextDecoder("utf-8") : null;
  function text(b, start, end) {
    if (utf8) { return utf8.decode(b.subarray(start, end)); }
    var s = ""; for (var i = start; i < end; i++) { s += String.fromCharCode(b[i]); }
    return decodeURIComponent(escape(s));
  }

  /* One tile → {b, extent, keys[], values: positions of Value messages, feats: [start, end) of each Feature}. */
  function readTile(buf) {
    var b = new Uint8Array(buf), r = {b: b, p: 0}, out = null;
    while (r.p < b.length) {
      var tag = varint(r);
      if (tag >> 3 === 3 && (tag & 7) === 2) {
        var len = varint(r), end = r.p + len, layer = readLayer(r, end);
        if (!out && layer.feats.length) { out = layer; }
        r.p = end;
      } else { skip(r, tag & 7); }
    }
    return out;
  }

  function readLayer(r, end) {
    var feats = [], keys = [], values = [], extent = 4096;
    while (r.p < end) {
      var tag = varint(r), f = tag >> 3, w = tag & 7;
      if (f === 2 && w === 2) { var n = varint(r); feats.push(r.p, r.p + n); r.p += n; }
      else if (f === 3 && w === 2) { var k = varint(r); keys.push(text(r.b, r.p, r.p + k)); r.p += k; }
      else if (f === 4 && w === 2) { var m = varint(r); values.push(r.p, r.p + m); r.p += m; }
      else if (f === 5 && w === 0) { extent = varint(r); }
      else { skip(r, w); }
    }
    return {b: r.b, extent: extent, keys: keys, values: values, feats: feats};
  }

  function readValue(b, start, end) {
    var r = {b: b, p: start}, v = null;
    while (r.p < end) {
      var tag = varint(r), f = tag >> 3, w = tag & 7;
      if (f === 1 && w === 2) { var n = varint(r); v = text(b, r.p, r.p + n); r.p += n; }
      else if (f === 2 && w === 5) { v = new DataView(b.buffer, b.byteOffset + r.p, 4).getFloat32(0, true); r.p += 4; }
      else if (f === 3 && w === 1) { v = new DataView(b.buffer, b.byteOffset + r.p, 8).getFloat64(0, true); r.p += 8; }
      else if ((f === 4 || f === 5) && w === 0) { v = varint(r); }
      else if (f === 6 && w === 0) { var z = varint(r); v = (z % 2) ? -(z + 1) / 2 : z / 2; }
      else if (f === 7 && w === 0) { v = varint(r) !== 0; }
      else { skip(r, w); }
    }
    return v;
  }

  /* Feature n of a tile: {id, tags: [start, end), geom: [start, end)} (positions in t.b). */
  function readFeature(t, n, r) {
    var end = t.feats[2 * n + 1], id = 0, ts = 0, te = 0, gs = 0, ge = 0;
    r.p = t.feats[2 * n];
    while (r.p < end) {
      var tag = varint(r), f = tag >> 3, w = tag & 7;
      if (f === 1 && w === 0) { id = varint(r); }
      else if (f === 2 && w === 2) { var a = varint(r); ts = r.p; te = r.p + a; r.p = te; }
      else if (f === 4 && w === 2) { var g = varint(r); gs = r.p; ge = r.p + g; r.p = ge; }
      else { skip(r, w); }
    }
    return {id: id, ts: ts, te: te, gs: gs, ge: ge};
  }

  function properties(t, feat) {
    var r = {b: t.b, p: feat.ts}, out = {};
    while (r.p < feat.te) {
      var k = varint(r), v = varint(r);
      out[t.keys[k]] = readValue(t.b, t.values[2 * v], t.values[2 * v + 1]);
    }
    return out;
  }

  /* The geometry commands of a feature: each ring to sink(x, y, first) in tile units, then sink.close(). */
  function rings(t, feat, moveTo, lineTo, close) {
    var r = {b: t.b, p: feat.gs}, x = 0, y = 0, cmd = 0, count = 0;
    while (r.p < feat.ge) {
      if (!count) { var c = varint(r); cmd = c & 7; count = c >> 3; if (cmd === 7) { close(); count = 0; continue; } }
      count--;
      var dx = varint(r), dy = varint(r);
      x += (dx >>> 1) ^ -(dx & 1);
      y += (dy >>> 1) ^ -(dy & 1);
      if (cmd === 1) { moveTo(x, y); } else { lineTo(x, y); }
    }
  }

  /* ------------------------------------------------------------------ the queue of drawing work */

  var queue = [], posted = false, channel = new MessageChannel();
  channel.port1.onmessage = function () {
    posted = false;
    var until = performance.now() + SLICE_MS;
    while (queue.length && performance.now() < until) {
      if (queue[0](until)) { queue.shift(); }
    }
    if (queue.length) { next(); }
  };
  function next() {  /* the next slice after the next frame */
    if (posted) { return; }
    posted = true;
    L.Util.requestAnimFrame(function () { channel.port2.postMessage(0); });
  }
  function enqueue(job) {
    queue.push(job);
    if (!posted) { posted = true; channel.port2.postMessage(0); }
  }

  /* ------------------------------------------------------------------ the layer */

  L.BangfuTiles = L.VectorGrid.Protobuf.extend({
    options: {
      classes: "",        /* one character per village index i: '0' + class, anything else: no value */
      colors: [],         /* class → fill colour */
      noData: "#cccccc",  /* fill of a village without a value */
      fillOpacity: 0.85,
      edge: "#ffffff",    /* border colour, drawn from edgeZoom on */
      edgeZoom: 9,
      edgeWeight: function (z) { return z >= 12 ? 0.8 : 0.4; }
    },

    createTile: function (coords, done) {
      var size = this.getTileSize(), canvas = document.createElement("canvas"), self = this;
      canvas.width = size.x;
      canvas.height = size.y;
      canvas.style.pointerEvents = this.options.interactive ? "auto" : "none";
      if (this.options.interactive) {
        L.DomUtil.addClass(canvas, "leaflet-interactive");
        L.DomEvent.on(canvas, "click", function (e) { self._click(canvas, e); });
      }
      canvas._bangfu = {coords: coords, tile: null, feats: null};
      var url = L.Util.template(this._url, L.extend({s: this._getSubdomain(coords), x: coords.x, y: coords.y,
                                                         z: coords.z}, this.options));
      fetch(url, this.options.fetchOptions).then(function (res) {
        return res.ok ? res.arrayBuffer() : null;  /* no tile (404): nothing of the workspace there */
      }).then(function (buf) {
        var t = buf ? readTile(buf) : null;
        if (!t) { done(null, canvas); return; }
        canvas._bangfu.tile = t;
        enqueue(self._drawJob(canvas, t, coords.z, done));
      }, function (err) { done(err, canvas); });
      return canvas;
    },

    /* A job drawing tile t on canvas, one slice at a time: returns true when the tile is drawn. */
    _drawJob: function (canvas, t, z, done) {
      var o = this.options, n = t.feats.length / 2, i = 0, r = {b: t.b, p: 0};
      var ctx = canvas.getContext("2d"), s = canvas.width / t.extent, edges = z >= o.edgeZoom;
      var ids = new Float64Array(n), tags = new Uint32Array(2 * n), geoms = new Uint32Array(2 * n);
      var paths, edgePath, path, x0, y0;
      /* A fill closes its rings itself; the borders go back to each ring's first point (Path2D.closePath is
         slow in Chromium: it was most of a tile's time) */
      function moveTo(x, y) { x0 = x * s; y0 = y * s; path.moveTo(x0, y0); if (edges) { edgePath.moveTo(x0, y0); } }
      function lineTo(x, y) { path.lineTo(x * s, y * s); if (edges) { edgePath.lineTo(x * s, y * s); } }
      function close() { if (edges) { edgePath.lineTo(x0, y0); } }
      ctx.lineJoin = "round";
      ctx.lineCap = "round";
      return function (until) {
        if (!canvas._bangfu) { return true; }  /* the tile was unloaded meanwhile */
        paths = {};
        edgePath = edges ? new Path2D() : null;
        var start = i;
        for (; i < n && (i - start < 16 || (i & 15) || performance.now() < until); i++) {
          var f = readFeature(t, i, r), c = o.classes.charCodeAt(f.id) - 48;
          var colour = (c >= 0 && c < o.colors.length) ? o.colors[c] : o.noData;
          ids[i] = f.id; tags[2 * i] = f.ts; tags[2 * i + 1] = f.te; geoms[2 * i] = f.gs; geoms[2 * i + 1] = f.ge;
          path = paths[colour] || (paths[colour] = new Path2D());
          rings(t, f, moveTo, lineTo, close);
        }
        ctx.globalAlpha = o.fillOpacity;
        for (var colourKey in paths) { ctx.fillStyle = colourKey; ctx.fill(paths[colourKey], "nonzero"); }
        if (edges) {
          ctx.globalAlpha = 1;
          ctx.strokeStyle = o.edge;
          ctx.lineWidth = o.edgeWeight(z);
          ctx.stroke(edgePath);
        }
        if (i < n) { return false; }
        canvas._bangfu.feats = {n: n, ids: ids, tags: tags, geoms: geoms};
        done(null, canvas);
        return true;
      };
    },

    /* The village under a click on a tile: point in polygon (even-odd over its rings) in the tile's pixels. */
    _hit: function (canvas, e) {
      var info = canvas._bangfu, t = info && info.tile, F = info && info.feats, map = this._map;
      if (!t || !F || !map) { return null; }
      var scale = map.getZoomScale(map.getZoom(), info.coords.z);
      var pt = map.mouseEventToLayerPoint(e).add(map.getPixelOrigin()).divideBy(scale)
        .subtract(info.coords.scaleBy(this.getTileSize()));
      var s = canvas.width / t.extent, px = pt.x / s, py = pt.y / s, inside, hit = -1, x0, y0, xp, yp;
      function moveTo(x, y) { x0 = xp = x; y0 = yp = y; }
      function edge(x, y) {
        if ((y > py) !== (yp > py) && px < (xp - x) * (py - y) / (yp - y) + x) { inside = !inside; }
        xp = x; yp = y;
      }
      function close() { edge(x0, y0); }
      for (var k = 0; k < F.n; k++) {
        inside = false;
        rings(t, {gs: F.geoms[2 * k], ge: F.geoms[2 * k + 1]}, moveTo, edge, close);
        if (inside) { hit = k; }
      }
      if (hit < 0) { return null; }
      return {id: F.ids[hit], properties: properties(t, {ts: F.tags[2 * hit], te: F.tags[2 * hit + 1]})};
    },

    _click: function (canvas, e) {
      var map = this._map;
      if (!map || (map.dragging && map.dragging.moved())) { return; }
      var found = this._hit(canvas, e);
      if (!found) { return; }
      var target = new L.Evented();
      target.options = {};
      target.properties = found.properties;
      target.addEventParent(this);
      e._stopped = true;  /* as VectorGrid: the layer gets the click, the map's own click handlers do not */
      map._fireDOMEvent(e, e.type, [target]);
    },

    _removeTile: function (key) {
      var tile = this._tiles[key];
      if (tile && tile.el) { tile.el._bangfu = null; }  /* stop its drawing job */
      L.VectorGrid.Protobuf.prototype._removeTile.call(this, key);
    }
  });

  L.bangfuTiles = function (url, options) { return new L.BangfuTiles(url, options); };
})();
