// Amarktai offline API docs: renders /api/openapi.json as tags -> operations.
// Self-contained (no libraries, nothing remote); builds DOM nodes with textContent only.
"use strict";

(function () {
  const METHODS = ["get", "post", "put", "patch", "delete"];
  let spec = null;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function refName(ref) {
    return ref.split("/").pop();
  }

  function resolve(schema) {
    if (schema && schema.$ref) {
      const name = refName(schema.$ref);
      const found = spec.components && spec.components.schemas && spec.components.schemas[name];
      return { name: name, schema: found || {} };
    }
    return { name: null, schema: schema || {} };
  }

  function typeLabel(schema) {
    if (schema.$ref) return refName(schema.$ref);
    let t = schema.type;
    if (Array.isArray(t)) t = t.join(" | ");
    if (schema.enum) return (t ? t + " " : "") + "enum: " + schema.enum.join(" | ");
    if (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array"))) {
      return "array of " + (schema.items ? typeLabel(schema.items) : "any");
    }
    const alt = schema.oneOf || schema.anyOf;
    if (alt) return alt.map(typeLabel).join(" | ");
    if (schema.allOf) return schema.allOf.map(typeLabel).join(" & ");
    if (schema.format) return (t || "any") + " (" + schema.format + ")";
    return t || "any";
  }

  // Renders a schema as a nested list; `seen` stops recursion through shared refs.
  function renderSchema(schema, seen) {
    const list = el("ul");
    const r = resolve(schema);
    const target = r.schema;
    if (r.name) {
      if (seen.has(r.name)) {
        list.appendChild(el("li", "ref", r.name + " (see above)"));
        return list;
      }
      seen = new Set(seen);
      seen.add(r.name);
    }
    const alt = target.oneOf || target.anyOf;
    if (alt) {
      const concrete = alt.filter(function (s) { return s.type !== "null"; });
      if (concrete.length === 1) return renderSchema(concrete[0], seen);
    }
    if (target.properties) {
      const required = new Set(target.required || []);
      Object.keys(target.properties).forEach(function (name) {
        const prop = target.properties[name];
        const item = el("li");
        item.appendChild(el("span", "prop", name));
        if (required.has(name)) item.appendChild(el("span", "req", "*"));
        item.appendChild(document.createTextNode(": "));
        item.appendChild(el("span", prop.$ref ? "ref" : "type", typeLabel(prop)));
        if (prop.description) item.appendChild(el("span", "desc", "  — " + prop.description));
        const inner = nestedOf(prop);
        if (inner) item.appendChild(renderSchema(inner, seen));
        list.appendChild(item);
      });
      if (target.additionalProperties && typeof target.additionalProperties === "object") {
        const item = el("li");
        item.appendChild(el("span", "prop", "<key>"));
        item.appendChild(document.createTextNode(": "));
        item.appendChild(el("span", "type", typeLabel(target.additionalProperties)));
        list.appendChild(item);
      }
    } else if (target.type === "array" && target.items) {
      const item = el("li");
      item.appendChild(el("span", "type", "array of " + typeLabel(target.items)));
      const inner = nestedOf(target.items) || (target.items.$ref ? target.items : null);
      if (inner) item.appendChild(renderSchema(inner, seen));
      list.appendChild(item);
    } else if (target.additionalProperties && typeof target.additionalProperties === "object") {
      const item = el("li");
      item.appendChild(el("span", "prop", "<key>"));
      item.appendChild(document.createTextNode(": "));
      item.appendChild(el("span", "ref", typeLabel(target.additionalProperties)));
      const inner = nestedOf(target.additionalProperties) || target.additionalProperties;
      if (inner.$ref || inner.properties) item.appendChild(renderSchema(inner, seen));
      list.appendChild(item);
    } else {
      list.appendChild(el("li", "type", typeLabel(target)));
    }
    if (target.description && r.name) list.insertBefore(el("li", "desc", target.description), list.firstChild);
    return list;
  }

  // The schema worth expanding under a property: a ref, an object, or array items that are refs.
  function nestedOf(prop) {
    if (prop.$ref) return prop;
    if (prop.properties) return prop;
    if (prop.items && (prop.items.$ref || prop.items.properties)) return prop.items;
    const alt = prop.oneOf || prop.anyOf;
    if (alt) {
      const concrete = alt.filter(function (s) { return s.type !== "null"; });
      if (concrete.length === 1) return nestedOf(concrete[0]);
    }
    return null;
  }

  function schemaBlock(content) {
    const box = el("div");
    Object.keys(content || {}).forEach(function (type) {
      const media = content[type];
      box.appendChild(el("div", "desc", type));
      if (media.schema) {
        const wrap = el("div", "schema");
        wrap.appendChild(renderSchema(media.schema, new Set()));
        box.appendChild(wrap);
      }
    });
    return box;
  }

  function renderOperation(method, path, op) {
    const details = el("details", "op");
    details.dataset.search = [method, path, op.summary || "", (op.tags || []).join(" ")].join(" ").toLowerCase();
    const summary = el("summary");
    summary.appendChild(el("span", "method m-" + method, method));
    summary.appendChild(el("span", "path", path));
    summary.appendChild(el("span", "summary", op.summary || ""));
    summary.appendChild(el("span", "lock", op.security && op.security.length ? "bearer" : "public"));
    details.appendChild(summary);

    const body = el("div", "body");
    if (op.description) body.appendChild(el("p", "desc", op.description));
    const params = op.parameters || [];
    if (params.length) {
      body.appendChild(el("h4", null, "Parameters"));
      const table = el("table");
      params.forEach(function (p) {
        const row = el("tr");
        const name = el("td");
        name.appendChild(el("code", null, p.name));
        if (p.required) name.appendChild(el("span", "req", "*"));
        row.appendChild(name);
        row.appendChild(el("td", "desc", p.in));
        row.appendChild(el("td", "type", p.schema ? typeLabel(p.schema) : ""));
        row.appendChild(el("td", "desc", p.description || ""));
        table.appendChild(row);
      });
      body.appendChild(table);
    }
    if (op.requestBody) {
      body.appendChild(el("h4", null, "Request body" + (op.requestBody.required ? "" : " (optional)")));
      body.appendChild(schemaBlock(op.requestBody.content));
    }
    body.appendChild(el("h4", null, "Responses"));
    Object.keys(op.responses || {}).forEach(function (status) {
      const resp = op.responses[status];
      const line = el("div");
      line.appendChild(el("span", "status s-" + status.charAt(0), status + " "));
      line.appendChild(el("span", "desc", resp.description || ""));
      body.appendChild(line);
      if (resp.content && status.charAt(0) !== "4" && status.charAt(0) !== "5") {
        body.appendChild(schemaBlock(resp.content));
      }
    });
    const errors = Object.keys(op.responses || {}).filter(function (s) { return s >= "400"; });
    if (errors.length) {
      body.appendChild(el("h4", null, "Error body (" + errors.join(", ") + ")"));
      body.appendChild(schemaBlock(op.responses[errors[0]].content));
    }
    details.appendChild(body);
    return details;
  }

  function render() {
    document.getElementById("title").textContent = spec.info.title + " " + spec.info.version;
    const subtitle = document.getElementById("subtitle");
    subtitle.textContent = "OpenAPI " + spec.openapi + " · ";
    const raw = el("a", null, "openapi.json");
    raw.href = "/api/openapi.json";
    subtitle.appendChild(raw);

    const byTag = new Map();
    Object.keys(spec.paths).forEach(function (path) {
      METHODS.forEach(function (method) {
        const op = spec.paths[path][method];
        if (!op) return;
        const tag = (op.tags && op.tags[0]) || "Other";
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push([method, path, op]);
      });
    });
    const nav = document.getElementById("tags");
    const main = document.getElementById("ops");
    Array.from(byTag.keys()).sort().forEach(function (tag, index) {
      const id = "tag-" + index;
      const link = el("a", null, tag);
      link.href = "#" + id;
      link.appendChild(el("span", "count", byTag.get(tag).length));
      nav.appendChild(link);
      const section = el("section");
      section.id = id;
      section.appendChild(el("h2", "tag", tag));
      byTag.get(tag)
        .sort(function (a, b) { return a[1] === b[1] ? METHODS.indexOf(a[0]) - METHODS.indexOf(b[0]) : (a[1] < b[1] ? -1 : 1); })
        .forEach(function (entry) { section.appendChild(renderOperation(entry[0], entry[1], entry[2])); });
      main.appendChild(section);
    });
    document.getElementById("filter").addEventListener("input", function (event) {
      const needle = event.target.value.trim().toLowerCase();
      document.querySelectorAll("details.op").forEach(function (node) {
        node.classList.toggle("hidden", needle !== "" && node.dataset.search.indexOf(needle) < 0);
      });
      document.querySelectorAll("main section").forEach(function (section) {
        const visible = section.querySelectorAll("details.op:not(.hidden)").length > 0;
        section.classList.toggle("hidden", !visible);
      });
    });
  }

  function fail(message) {
    const main = document.getElementById("ops");
    main.textContent = "";
    main.appendChild(el("p", "error", message));
  }

  document.addEventListener("DOMContentLoaded", function () {
    fetch("/api/openapi.json", { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("GET /api/openapi.json answered " + response.status);
        return response.json();
      })
      .then(function (json) { spec = json; render(); })
      .catch(function (err) { fail("Could not load the API spec: " + err.message); });
  });
})();
