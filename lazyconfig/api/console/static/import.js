// Import (admins): a lazyconfig JSON document, or a .env, Consul or etcd export; the dry
// run's per-key report (applied / unchanged / unknown key) first, then the import itself
// at the previewed revision, so a change made in between is a conflict.
import { api, element, show, reported } from "./console.js";

const $ = (id) => document.getElementById(id);
let previewed = null; // {format, body, revision} of the import being previewed

// The request for the chosen format: our JSON as a document, another system's file as text.
function request() {
  const format = $("format").value, text = $("document").value;
  if (format === "json") return { format, path: "/import", body: JSON.parse(text), headers: {} };
  const prefix = $("prefix").value ? `&prefix=${encodeURIComponent($("prefix").value)}` : "";
  return { format, path: `/import?format=${format}${prefix}`, body: text, headers: { "Content-Type": "text/plain" } };
}

// One row per entry: a foreign file's report as it came; for our JSON, each key of the document.
function rows(result, body) {
  const diff = new Map(result.diff.map((d) => [d.key, d]));
  const report = result.report || Object.keys(body.values || body).map((key) =>
    ({ name: key, key, status: diff.has(key) ? "applied" : "unchanged" }));
  return report.map((r) => {
    const d = diff.get(r.key);
    return element("tr", { class: r.status === "applied" ? "changed" : "", "data-key": r.key || "", "data-status": r.status },
      element("th", { scope: "row" }, element("code", { text: r.name })), element("td", { text: r.key || "" }),
      element("td", { class: "status", text: r.status }),
      element("td", { class: d ? "old" : "", text: d ? show(d.old_value) : "" }),
      element("td", { class: d ? "new" : "", text: d ? show(d.new_value) : "" }));
  });
}

async function preview(event) {
  event.preventDefault();
  let wanted;
  try { wanted = request(); } catch (error) {
    $("message").textContent = `not JSON: ${error.message}`;
    return;
  }
  const join = wanted.path.includes("?") ? "&" : "?";
  const result = await api("POST", `${wanted.path}${join}dry_run=true`, wanted.body, wanted.headers);
  previewed = { ...wanted, revision: result.revision };
  const found = rows(result, wanted.body);
  $("diff-title").textContent = `The import would change ${result.diff.length} keys`;
  $("diff").querySelector("tbody").replaceChildren(...(found.length ? found
    : [element("tr", {}, element("td", { colspan: "5", text: "the file names no entry" }))]));
  $("apply").hidden = result.diff.length === 0;
  $("message").textContent = "";
  $("diff").hidden = false;
  (result.diff.length ? $("apply") : $("close")).focus();
}

async function apply() {
  const join = previewed.path.includes("?") ? "&" : "?";
  const result = await api("POST", `${previewed.path}${join}expected_revision=${previewed.revision}`,
                           previewed.body, previewed.headers);
  $("diff").hidden = true;
  $("message").textContent = `Imported: ${result.diff.length} keys changed (snapshot #${result.snapshot_id} holds what they were).`;
}

$("file").addEventListener("change", async () => {
  const file = $("file").files[0];
  if (file) $("document").value = await file.text();
});
$("import").addEventListener("submit", reported(preview));
$("apply").addEventListener("click", reported(apply, "imported"));
$("close").addEventListener("click", () => { $("diff").hidden = true; });
