// Status and validation problems; for admins, an import previewed by its dry run first.
import { ApiError, api, element, follow, show } from "./console.js";

const $ = (id) => document.getElementById(id);
let previewed = null; // {document, revision} of the import being previewed

function figure(label, value) {
  return element("div", {}, element("strong", { text: value }), element("span", { text: label }));
}

async function status() {
  const now = await api("GET", "/status");
  const sources = Object.entries(now.sources).map(([s, n]) => `${s} ${n}`).join(" · ");
  $("figures").replaceChildren(figure("revision", String(now.revision)),
    figure("keys", String(now.total_values)), figure("from each source", sources),
    figure("validation", now.validation_status.valid ? "valid" : `${now.validation_status.error_count} problems`));
  const problems = Object.entries(now.validation_status.errors);
  $("problems").replaceChildren(...(problems.length
    ? problems.map(([key, messages]) => element("li", {}, element("code", { text: key }), `: ${messages.join("; ")}`))
    : [element("li", { text: "none" })]));
}

async function preview(event) {
  event.preventDefault();
  let document;
  try { document = JSON.parse($("document").value); } catch (error) {
    $("message").textContent = `not JSON: ${error.message}`;
    return;
  }
  const result = await api("POST", "/import?dry_run=true", document);
  previewed = { document, revision: result.revision };
  $("diff").querySelector("tbody").replaceChildren(...(result.diff.length ? result.diff.map((d) => element("tr", {},
    element("th", { scope: "row" }, element("code", { text: d.key })),
    element("td", { class: "old", text: show(d.old_value) }), element("td", { class: "new", text: show(d.new_value) })))
    : [element("tr", {}, element("td", { colspan: "3", text: "nothing would change" }))]));
  $("message").textContent = "";
  $("diff").hidden = false;
}

async function apply() {
  const result = await api("POST", `/import?expected_revision=${previewed.revision}`, previewed.document);
  $("diff").hidden = true;
  $("message").textContent = `Imported: ${result.diff.length} keys changed (snapshot #${result.snapshot_id} holds what they were).`;
  await status();
}

function reported(action) {
  return (...args) => action(...args).catch((error) => {
    if (!(error instanceof ApiError)) throw error;
    const detail = Object.entries(error.body.errors || {}).map(([k, m]) => `${k}: ${[].concat(m).join(" ")}`);
    $("message").textContent = detail.length ? `${error.message} (${detail.join("; ")})` : error.message;
  });
}

$("import")?.addEventListener("submit", reported(preview));
$("apply")?.addEventListener("click", reported(apply));
status();
follow(() => status());
