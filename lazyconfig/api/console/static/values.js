// The values screen: search and filters, editing checked as you type, a batch applied
// after its diff, conflicts reported, changes made elsewhere shown as they happen.
import { ApiError, announce, ago, api, canEdit, element, follow, show } from "./console.js";
import { showHistory } from "./history.js";

const entries = new Map(); // key -> the entry as GET /values shows it
const rules = new Map();   // key -> its rule
const rows = new Map();    // key -> its <tr>
const staged = new Map();  // key -> {value, version: the version the edit began from}
const checks = new Map();  // key -> the number of its newest check, so late answers lose
const $ = (id) => document.getElementById(id);
const CHECK_DELAY_MS = 120; // a pause in typing, before the value is checked

function parse(text, type) {
  const trimmed = text.trim();
  if (type === "bool" && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === "true";
  if ((type === "int" || type === "float") && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (type === "json") { try { return JSON.parse(text); } catch { return text; } }
  return text;
}

function allowed(rule) {
  if (!rule) return "";
  if (rule.choices) return rule.choices.join(" | ");
  if (rule.min !== null || rule.max !== null) {
    return `${rule.min ?? "−∞"} ${rule.min_exclusive ? "<" : "≤"} x ≤ ${rule.max ?? "∞"}`;
  }
  return rule.pattern ? `matches ${rule.pattern}` : rule.type;
}

function cells(key) {
  const entry = entries.get(key), rule = rules.get(key) || {};
  const layers = Object.entries(entry.layers || {}).map(([s, v]) => `${s}: ${show(v)}`).join(" · ");
  const history = element("button", { type: "button", class: "link", text: "History",
                                      "aria-label": `History of ${key}` });
  history.addEventListener("click", () => showHistory(key, reload));
  return [
    element("th", { scope: "row" }, element("code", { text: key }),
            element("div", { class: "desc", text: rule.description || "" }), history),
    element("td", { class: "value", "data-label": "Value", text: show(entry.value) }),
    element("td", { "data-label": "Source", text: entry.source }),
    element("td", { class: "layers", "data-label": "Layers", text: layers }),
    element("td", { "data-label": "Unit", text: rule.unit || "" }),
    element("td", { "data-label": "Allowed", text: allowed(rule) }),
    element("td", { class: "last", "data-label": "Last change",
                    text: entry.updated_by ? `${entry.updated_by}, ${ago(entry.updated_at)}` : "never" }),
  ];
}

function editor(key) {
  const entry = entries.get(key), id = `edit-${key}`;
  const input = element("input", { id, "aria-describedby": `msg-${key}`, autocomplete: "off",
                                    value: entry.sensitive && entry.value === "***" ? "" : show(entry.value) });
  const save = element("button", { type: "button", text: "Save" });
  const message = element("p", { id: `msg-${key}`, class: "msg", role: "status" });
  input.addEventListener("input", () => edited(key, input, message));
  input.addEventListener("keydown", (event) => { if (event.key === "Enter") saveOne(key, message); });
  save.addEventListener("click", () => saveOne(key, message));
  return element("td", { class: "edit", "data-label": "Edit" },
                 element("label", { for: id, class: "sr-only", text: `New value for ${key}` }),
                 input, save, message);
}

function row(key) {
  const tr = element("tr", { "data-key": key }, ...cells(key));
  if (canEdit) tr.append(editor(key));
  return tr;
}

function refreshRow(key) {
  const tr = rows.get(key);
  const fresh = cells(key);
  [...tr.children].slice(0, fresh.length).forEach((cell, i) => cell.replaceWith(fresh[i]));
}

async function edited(key, input, message) {
  const entry = entries.get(key), value = parse(input.value, rules.get(key)?.type);
  if (!staged.has(key)) staged.set(key, { value, version: entry.version });
  const number = (checks.get(key) || 0) + 1;
  checks.set(key, number);
  if (JSON.stringify(value) === JSON.stringify(entry.value)) {
    staged.delete(key);
    setProblem(input, message, "");
  } else {
    staged.get(key).value = value;
    await new Promise((resolve) => setTimeout(resolve, CHECK_DELAY_MS));
    if (checks.get(key) !== number) return; // typed on: only the last keystroke is checked
    const verdict = await api("POST", "/validate", { key, value });
    if (checks.get(key) !== number) return;
    setProblem(input, message, verdict.validation_errors.join("; "));
  }
  showBatch();
}

function setProblem(input, message, text) {
  message.textContent = text;
  message.classList.toggle("bad", Boolean(text));
  input.setAttribute("aria-invalid", text ? "true" : "false");
}

function showBatch() {
  $("batch").hidden = staged.size === 0;
  $("staged-count").textContent = `${staged.size} change${staged.size === 1 ? "" : "s"} staged`;
}

function conflictText(error) {
  if (error.status === 412 || error.status === 409) {
    return `Conflict: changed by someone else since you began editing; nothing was applied. ${error.message}`;
  }
  const detail = Object.entries(error.body.errors || {}).map(([k, m]) => `${k}: ${[].concat(m).join(" ")}`);
  return detail.length ? detail.join("; ") : error.message;
}

// A write a policy covers answers 202 with the change request it became (four eyes).
function heldText(answer) {
  return answer && answer.content_hash
    ? `Held for approval as change request ${answer.id} (${answer.state}); nothing applied yet.`
    : null;
}

async function saveOne(key, message) {
  const edit = staged.get(key);
  if (!edit) return;
  try {
    const answer = await api("PUT", `/values/${encodeURIComponent(key)}`, { value: edit.value },
                             { "If-Match": `"${edit.version}"` });
    staged.delete(key);
    message.textContent = heldText(answer) || "saved";
    await reload(key);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    message.textContent = conflictText(error);
    message.classList.add("bad");
  }
  showBatch();
}

function review() {
  const tbody = document.querySelector("#diff tbody");
  tbody.replaceChildren(...[...staged].map(([key, edit]) => element("tr", {},
    element("th", { scope: "row" }, element("code", { text: key })),
    element("td", { class: "old", text: show(entries.get(key).value) }),
    element("td", { class: "new", text: show(edit.value) }))));
  $("diff").hidden = false;
  $("apply").focus();
}

async function apply() {
  const description = $("batch-description").value || null;
  const updates = [...staged].map(([key, edit]) => ({ key, value: edit.value, description,
                                                      expected_version: edit.version }));
  try {
    const answer = await api("POST", "/values/batch", { updates });
    const keys = [...staged.keys()];
    staged.clear();
    $("diff").hidden = true;
    $("message").textContent = heldText(answer)
      || `Applied ${keys.length} change${keys.length === 1 ? "" : "s"}.`;
    await Promise.all(keys.map((key) => reload(key, true)));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    $("message").textContent = conflictText(error);
  }
  showBatch();
}

async function reload(key, resetInput = false) {
  entries.set(key, await api("GET", `/values/${encodeURIComponent(key)}`));
  refreshRow(key);
  const input = document.getElementById(`edit-${key}`);
  if (input && (resetInput || !staged.has(key))) input.value = show(entries.get(key).value);
}

function filter() {
  const words = $("search").value.trim().toLowerCase(), source = $("source").value;
  const changed = $("changed").checked;
  let shown = 0;
  for (const [key, tr] of rows) {
    const entry = entries.get(key), text = `${key} ${rules.get(key)?.description || ""}`.toLowerCase();
    const visible = (!words || text.includes(words)) && (!source || entry.source === source)
      && (!changed || entry.source !== "default");
    tr.hidden = !visible;
    shown += visible;
  }
  $("count").textContent = `${shown} of ${rows.size} keys`;
}

async function onChange(change) {
  if (!entries.has(change.key)) return;
  await reload(change.key);
  const last = rows.get(change.key).querySelector(".last");
  last.textContent = `changed by ${change.user || "someone"} just now`;
  last.classList.add("flash");
  announce(`${change.key} changed by ${change.user || "someone"}`);
  filter();
}

async function start() {
  const [values, ruleList] = await Promise.all([api("GET", "/values"), api("GET", "/rules")]);
  ruleList.rules.forEach((rule) => rules.set(rule.key, rule));
  const tbody = document.querySelector("#values tbody");
  for (const entry of values.values) {
    entries.set(entry.key, entry);
    rows.set(entry.key, row(entry.key));
  }
  tbody.replaceChildren(...rows.values());
  filter();
  document.body.dataset.rendered = String(performance.now()); // ms since navigation began
  follow(onChange);
}

for (const id of ["search", "source", "changed"]) $(id).addEventListener("input", filter);
$("review").addEventListener("click", review);
$("discard").addEventListener("click", () => { staged.clear(); $("diff").hidden = true; reloadAll(); });
$("back").addEventListener("click", () => { $("diff").hidden = true; });
$("apply").addEventListener("click", apply);
async function reloadAll() { for (const key of entries.keys()) await reload(key, true); showBatch(); }
start();
