// Philia admin panel: the condition builder. Without scripts the rule is edited as JSON in its
// text box; with them the text box is hidden and kept in step with a tree of groups and tests,
// and the number of matching customers is asked for as the rule changes.
"use strict";

const OPS = {
  number: ["gte", "lte", "eq", "ne", "gt", "lt", "between", "exists", "missing"],
  text: ["eq", "ne", "in", "not_in", "starts_with", "exists", "missing"],
  text_list: ["contains", "exists", "missing"],
  bool: ["eq"],
  instant: ["within_last_days", "before", "after", "exists", "missing"],
  any: ["eq", "ne", "gt", "gte", "lt", "lte", "exists", "missing"],
};
const NO_VALUE = ["exists", "missing"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

// JSON rule -> tree: every node becomes a group {mode, negate, items} or a test.
function toGroup(json) {
  if (!json || typeof json !== "object") return { mode: "all", negate: false, items: [] };
  if (Array.isArray(json.all)) return { mode: "all", negate: false, items: json.all.map(toNode) };
  if (Array.isArray(json.any)) return { mode: "any", negate: false, items: json.any.map(toNode) };
  if (json.not) {
    const inner = toNode(json.not);
    if (inner.items && !inner.negate) return { ...inner, negate: true };
    return { mode: "all", negate: true, items: [inner] };
  }
  return { mode: "all", negate: false, items: [toNode(json)] };
}
function toNode(json) {
  if (json && typeof json === "object" && "field" in json) {
    const t = { field: json.field, op: json.op, value: json.value };
    if (json.where) t.where = toGroup(json.where);
    return t;
  }
  return toGroup(json);
}
function toJson(node) {
  if (!node.items) {
    const t = { field: node.field, op: node.op };
    if (node.where && node.where.items.length) t.where = toJson(node.where);
    if (!NO_VALUE.includes(node.op)) t.value = node.value;
    return t;
  }
  const inner = { [node.mode]: node.items.map(toJson) };
  return node.negate ? { not: inner } : inner;
}

function parseValue(kind, op, text) {
  const num = (s) => {
    const ascii = String(s).replace(/[۰-۹]/g, (d) => "۰۱۲۳۴۵۶۷۸۹".indexOf(d)).replace(/[٬,]/g, "").trim();
    return ascii !== "" && !isNaN(Number(ascii)) ? Number(ascii) : s;
  };
  if (op === "in" || op === "not_in") return text.split(/[,،]/).map((s) => s.trim()).filter(Boolean);
  if (op === "within_last_days") return num(text);
  if (kind === "number" || kind === "any") return num(text);
  if (kind === "bool") return text === "true";
  return text;
}

function builder(root) {
  const box = root.querySelector("textarea");
  const all = JSON.parse(root.dataset.fields);
  // Entries marked as prefixes are not offered; they say what a field typed by hand under them
  // is and which fields narrow it (`where`).
  const topFields = all.filter((f) => !f.prefix);
  const prefixes = all.filter((f) => f.prefix);
  const prefixOf = (field) => prefixes.find((p) => String(field || "").startsWith(p.name));
  const text = JSON.parse(root.dataset.text);
  const countUrl = root.dataset.countUrl;
  const countOut = root.querySelector("[data-count]");
  const csrf = root.closest("form").querySelector("input[name=csrf]").value;
  let tree;
  try { tree = toGroup(box.value.trim() ? JSON.parse(box.value) : null); } catch (e) { return; }
  box.hidden = true;
  const area = el("div", { class: "builder" });
  box.after(area);
  const kindOf = (field, list) => {
    const f = list.find((x) => x.name === field);
    if (f) return f.kind;
    if (prefixOf(field)) return prefixOf(field).kind;
    if (/^points\./.test(field)) return "number";
    return "any";
  };

  let timer;
  function changed() {
    box.value = JSON.stringify(toJson(tree));
    if (!countUrl || !countOut) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const body = new URLSearchParams({ csrf, rule: box.value });
      try {
        const res = await fetch(countUrl, { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
        const answer = await res.json();
        countOut.textContent = answer.count !== undefined ? `${text.live_count}: ${answer.shown}` : answer.error;
        countOut.classList.toggle("error", answer.count === undefined);
      } catch (e) { /* the count is a hint; the form still saves */ }
    }, 350);
  }

  function testRow(node, parent, fields) {
    const row = el("div", { class: "test" });
    const known = fields.some((f) => f.name === node.field);
    const fieldSelect = el("select", { "aria-label": text.field_name });
    for (const f of fields) fieldSelect.append(el("option", { value: f.name }, f.label));
    fieldSelect.append(el("option", { value: "__other" }, text.other_field));
    fieldSelect.value = known ? node.field : "__other";
    const custom = el("input", { "aria-label": text.field_name, placeholder: fields === topFields ? "events.review.count" : "properties.name", dir: "ltr", value: known ? "" : node.field || "" });
    custom.hidden = known;
    const opSelect = el("select", { "aria-label": "op" });
    const valueBox = el("span", { class: "value" });
    function fillOps() {
      const kind = kindOf(node.field, fields);
      opSelect.replaceChildren(...OPS[kind].map((op) => el("option", { value: op }, text.ops[op])));
      if (!OPS[kind].includes(node.op)) node.op = OPS[kind][0];
      opSelect.value = node.op;
    }
    function fillValue() {
      const kind = kindOf(node.field, fields);
      valueBox.replaceChildren();
      if (NO_VALUE.includes(node.op)) return;
      if (kind === "bool") {
        const s = el("select", { "aria-label": "value", on: { change: () => { node.value = s.value === "true"; changed(); } } },
          el("option", { value: "true" }, text.yes), el("option", { value: "false" }, text.no));
        if (typeof node.value !== "boolean") node.value = true;
        s.value = String(node.value);
        valueBox.append(s);
        return;
      }
      if (node.op === "between") {
        const pair = Array.isArray(node.value) ? node.value : ["", ""];
        const a = el("input", { size: 8, value: pair[0] ?? "", "aria-label": "from" });
        const b = el("input", { size: 8, value: pair[1] ?? "", "aria-label": "to" });
        const upd = () => { node.value = [parseValue(kind, "eq", a.value), parseValue(kind, "eq", b.value)]; changed(); };
        a.addEventListener("input", upd); b.addEventListener("input", upd);
        valueBox.append(a, " – ", b);
        return;
      }
      const shown = Array.isArray(node.value) ? node.value.join(", ") : (node.value ?? "");
      const input = el("input", { size: 14, value: shown, "aria-label": "value",
        placeholder: node.op === "in" || node.op === "not_in" ? text.list_hint : "" });
      input.addEventListener("input", () => { node.value = parseValue(kind, node.op, input.value); changed(); });
      valueBox.append(input);
    }
    fieldSelect.addEventListener("change", () => {
      custom.hidden = fieldSelect.value !== "__other";
      node.field = fieldSelect.value === "__other" ? custom.value : fieldSelect.value;
      node.op = undefined; // each kind starts from its own first operator
      node.value = "";
      fillOps(); fillValue(); fillWhere(); changed();
    });
    custom.addEventListener("input", () => {
      // A field typed into another kind starts from that kind's first operator, as a picked one does.
      if (kindOf(custom.value, fields) !== kindOf(node.field, fields)) node.op = undefined;
      node.field = custom.value;
      fillOps(); fillValue(); fillWhere(); changed();
    });
    opSelect.addEventListener("change", () => { node.op = opSelect.value; fillValue(); changed(); });
    const remove = el("button", { type: "button", class: "link", on: { click: () => {
      parent.items.splice(parent.items.indexOf(node), 1); render(); changed(); } } }, text.remove);
    // A counting field may narrow what it counts: a group of its own over the counted facts.
    const whereBox = el("div", { class: "where" });
    function fillWhere() {
      whereBox.replaceChildren();
      const p = prefixOf(node.field);
      if (!p || !p.where) { delete node.where; return; }
      if (!node.where) {
        whereBox.append(el("button", { type: "button", class: "link", on: { click: () => {
          node.where = { mode: "all", negate: false, items: [] }; fillWhere(); } } }, text.only_events_where));
        return;
      }
      whereBox.append(el("p", { class: "hint" }, text.only_events_where), groupBox(node.where, null, p.where, () => {
        delete node.where; fillWhere(); changed(); }));
    }
    fillOps(); fillValue(); fillWhere();
    row.append(fieldSelect, custom, opSelect, valueBox, remove, whereBox);
    return row;
  }

  function groupBox(group, parent, fields = topFields, drop = null) {
    const box = el("fieldset", { class: "group" });
    const mode = el("select", { "aria-label": text.all_of });
    mode.append(el("option", { value: "all" }, text.all_of), el("option", { value: "any" }, text.any_of),
      el("option", { value: "none" }, text.none_of));
    mode.value = group.negate ? "none" : group.mode;
    mode.addEventListener("change", () => {
      group.negate = mode.value === "none";
      group.mode = mode.value === "any" ? "any" : "all";
      changed();
    });
    const legend = el("legend", {}, mode);
    box.append(legend);
    for (const item of group.items) box.append(item.items ? groupBox(item, group, fields) : testRow(item, group, fields));
    const add = el("button", { type: "button", class: "link", on: { click: () => {
      group.items.push({ field: fields[0].name, op: OPS[fields[0].kind][0], value: "" }); render(); changed(); } } }, text.add_condition);
    const addGroup = el("button", { type: "button", class: "link", on: { click: () => {
      group.items.push({ mode: "any", negate: false, items: [] }); render(); changed(); } } }, text.add_group);
    const actions = el("div", { class: "actions" }, add, addGroup);
    if (parent) actions.append(el("button", { type: "button", class: "link", on: { click: () => {
      parent.items.splice(parent.items.indexOf(group), 1); render(); changed(); } } }, text.remove));
    if (drop) actions.append(el("button", { type: "button", class: "link", on: { click: drop } }, text.remove));
    box.append(actions);
    return box;
  }

  function render() { area.replaceChildren(groupBox(tree, null)); }
  render();
  changed();
}

document.querySelectorAll("[data-builder]").forEach(builder);

// The branding form: the preview follows the colours, name, logo and font as they are edited.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("branding");
  const preview = document.getElementById("club-preview");
  if (!form || !preview) return;
  const update = () => {
    const val = (n) => (form.elements[n] ? form.elements[n].value.trim() : "");
    preview.style.setProperty("--brand", val("primary_colour"));
    preview.style.setProperty("--accent", val("accent_colour"));
    preview.querySelector(".preview-name").textContent = val("club_name") || preview.dataset.defaultName;
    preview.className = "club-preview font-" + val("font");
    let logo = preview.querySelector(".logo");
    const url = val("logo_url");
    if (url.startsWith("https://") || (url.startsWith("/") && !url.startsWith("//"))) {
      if (!logo) { logo = document.createElement("img"); logo.className = "logo"; logo.alt = ""; preview.querySelector(".preview-bar").prepend(logo); }
      logo.src = url;
    } else if (logo) { logo.remove(); }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
});
