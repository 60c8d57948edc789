// Templates: every one with its values; apply one with parameters after the dry run's diff
// (changed keys only, now on the left, the template's on the right); its drift against now.
import { api, element, show, reported } from "./console.js";

const $ = (id) => document.getElementById(id);
let templates = [];
let previewed = null; // {name, params, revision} of the apply being previewed

const chosen = () => templates.find((t) => t.name === $("template").value);

function card(t) {
  const rows = [...Object.entries(t.values).map(([k, v]) => [k, show(v)]),
                ...Object.entries(t.derived).map(([k, e]) => [k, `= ${e}`])];
  const params = Object.entries(t.params).map(([p, d]) => `${p} (${d.type}, default ${show(d.default)})`);
  return element("section", { class: "panel", "data-name": t.name, "aria-labelledby": `t-${t.name}` },
    element("h2", { id: `t-${t.name}`, text: `${t.name} · version ${t.version}${t.builtin ? " · built-in" : ""}` }),
    element("p", { text: t.description || "" }),
    ...(params.length ? [element("p", { text: `Parameters: ${params.join("; ")}` })] : []),
    element("table", {}, element("caption", { class: "sr-only", text: `Values of ${t.name}` }),
      element("thead", {}, element("tr", {}, element("th", { scope: "col", text: "Key" }),
                                   element("th", { scope: "col", text: "Value" }))),
      element("tbody", {}, ...rows.map(([k, v]) => element("tr", {},
        element("th", { scope: "row" }, element("code", { text: k })), element("td", { class: "value", text: v }))))));
}

function paramFields() {
  const t = chosen();
  $("params").replaceChildren(...Object.entries(t ? t.params : {}).map(([p, d]) =>
    element("label", {}, `${p}`, element("input", { id: `param-${p}`, "data-param": p,
      value: show(d.default), autocomplete: "off", "aria-describedby": "chosen-title" }))));
}

function params() {
  return Object.fromEntries([...$("params").querySelectorAll("input")].map((i) => [i.dataset.param, i.value]));
}

async function load() {
  templates = (await api("GET", "/templates")).templates;
  $("template").replaceChildren(...templates.map((t) => element("option", { value: t.name, text: t.name })));
  $("templates").replaceChildren(...templates.map(card));
  paramFields();
}

function open(title, left, right, rows, applying) {
  $("diff-title").textContent = title;
  $("left-head").textContent = left;
  $("right-head").textContent = right;
  $("diff").querySelector("tbody").replaceChildren(...(rows.length ? rows.map(([key, old, now]) =>
    element("tr", { class: "changed", "data-key": key }, element("th", { scope: "row" }, element("code", { text: key })),
      element("td", { class: "old", text: show(old) }), element("td", { class: "new", text: show(now) })))
    : [element("tr", {}, element("td", { colspan: "3", text: "no differences" }))]));
  if ($("apply")) $("apply").hidden = !applying;
  $("diff").hidden = false;
}

async function preview(event) {
  event.preventDefault();
  const name = $("template").value, given = params();
  const result = await api("POST", `/templates/${encodeURIComponent(name)}/apply`, { params: given, dry_run: true });
  previewed = { name, params: given, revision: result.revision };
  open(`Applying ${name} would change ${result.diff.length} keys`, "Now", "Template",
       result.diff.map((d) => [d.key, d.old_value, d.new_value]), result.diff.length > 0);
  $("message").textContent = "";
  (result.diff.length ? $("apply") : $("close")).focus();
}

async function apply() {
  const { name } = previewed;
  const result = await api("POST", `/templates/${encodeURIComponent(name)}/apply`,
                           { params: previewed.params, expected_revision: previewed.revision });
  $("diff").hidden = true;
  $("message").textContent = `Applied ${name}: ${result.diff.length} keys changed ` +
    `(snapshot #${result.safety_snapshot_id} holds what they were).`;
}

async function drift() {
  const name = $("template").value;
  const query = Object.entries(params()).map(([p, v]) => `param=${encodeURIComponent(`${p}=${v}`)}`).join("&");
  const result = await api("GET", `/templates/${encodeURIComponent(name)}/drift${query ? `?${query}` : ""}`);
  previewed = null;
  open(result.in_sync ? `${name} is in sync with the configuration`
                      : `${result.drift.length} keys drifted from ${name}`, "Now", "Template",
       result.drift.map((d) => [d.key, d.current_value, d.template_value]), false);
}

$("template").addEventListener("change", () => { paramFields(); $("diff").hidden = true; });
// A viewer's form has no preview: Enter there shows the drift.
$("chosen").addEventListener("submit", reported($("preview") ? preview : (event) => { event.preventDefault(); return drift(); }));
$("drift").addEventListener("click", reported(drift));
$("apply")?.addEventListener("click", reported(apply, "applied"));
$("close").addEventListener("click", () => { $("diff").hidden = true; });
load();
