// Snapshots: take one, compare any two or one with now (changed keys highlighted), and roll
// back after a dry run's preview, all or only the keys left checked; pin (kept by retention)
// and unpin.
import { ago, api, canEdit, element, reported, show } from "./console.js";

const $ = (id) => document.getElementById(id);
let preview = null; // {id, revision} of the rollback being previewed

async function list() {
  const page = await api("GET", "/snapshots?page_size=100");
  $("snapshots").querySelector("tbody").replaceChildren(...page.snapshots.map((s) => element("tr", { "data-id": s.id },
    element("td", { text: String(s.id) }), element("td", { text: ago(s.timestamp) }),
    element("td", { text: s.created_by || "" }), element("td", { text: s.description || "" }),
    element("td", { text: s.tags.join(", ") }), element("td", { text: String(s.key_count) }),
    element("td", { text: String(s.revision) }), pinCell(s))));
  const options = () => page.snapshots.map((s) => element("option", { value: s.id, text: `#${s.id} ${s.description || ""}` }));
  $("diff-from").replaceChildren(...options());
  $("diff-to").replaceChildren(element("option", { value: "", text: "the current configuration" }), ...options());
}

function pinCell(s) {
  if (!canEdit) return element("td", { text: s.pinned ? "pinned" : "" });
  const button = element("button", { type: "button", class: "link", text: `${s.pinned ? "Unpin" : "Pin"} #${s.id}` });
  button.addEventListener("click", reported(async () => {
    await api(s.pinned ? "DELETE" : "POST", `/snapshots/${s.id}/pin`);
    $("message").textContent = `Snapshot #${s.id} ${s.pinned ? "unpinned: retention may delete it" : "pinned: retention keeps it"}.`;
    await list();
    $("snapshots").querySelector(`tr[data-id="${s.id}"] button`)?.focus();
  }));
  return element("td", {}, button);
}

function diffRows(changes, pick) {
  return changes.map((c) => element("tr", { class: c.kind, "data-key": c.key },
    element("th", { scope: "row" }, ...(pick ? [element("input", { type: "checkbox", checked: "", id: `pick-${c.key}`, value: c.key }),
                                                 element("label", { for: `pick-${c.key}` }, element("code", { text: c.key }))]
                                             : [element("code", { text: c.key })])),
    element("td", { class: "old", text: show(c.old_value) }),
    element("td", { class: "new", text: show(c.new_value) })));
}

function open(title, right, rows, rollback) {
  $("diff-title").textContent = title;
  $("right-head").textContent = right;
  $("diff").querySelector("tbody").replaceChildren(...(rows.length ? rows
    : [element("tr", {}, element("td", { colspan: "3", text: "no differences" }))]));
  $("rollback-controls").hidden = !rollback;
  $("diff").hidden = false;
}

async function compare(event) {
  event.preventDefault();
  const from = $("diff-from").value, to = $("diff-to").value;
  const diff = await api("GET", `/snapshots/${from}/diff${to ? `?against=${to}` : ""}`);
  const changes = [...diff.changed.map((c) => ({ ...c, kind: "changed" })),
                   ...diff.added.map((c) => ({ ...c, kind: "added" })),
                   ...diff.removed.map((c) => ({ ...c, kind: "removed" }))];
  preview = null;
  open(`Snapshot #${from} against ${to ? `snapshot #${to}` : "now"}: ${changes.length} keys differ`,
       to ? `#${to}` : "Now", diffRows(changes, false), false);
}

async function previewRollback() {
  const id = $("diff-from").value;
  const result = await api("POST", `/snapshots/${id}/rollback`, { dry_run: true });
  preview = { id, revision: result.revision };
  const changes = result.diff.map((c) => ({ key: c.key, old_value: c.new_value, new_value: c.old_value, kind: "changed" }));
  open(`Rolling back to snapshot #${id} would change ${changes.length} keys (uncheck those to keep)`,
       "Now", diffRows(changes, true), true);
  $("rollback").focus();
}

async function rollback() {
  const keys = [...$("diff").querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
  const result = await api("POST", `/snapshots/${preview.id}/rollback`,
                           { keys, expected_revision: preview.revision });
  $("diff").hidden = true;
  $("message").textContent = `Rolled back ${result.diff.length} keys to snapshot #${preview.id} ` +
    `(the replaced values are in snapshot #${result.safety_snapshot_id}).`;
  await list();
}

async function create(event) {
  event.preventDefault();
  const tags = $("create-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
  const made = await api("POST", "/snapshots", { description: $("create-description").value || null, tags });
  $("message").textContent = `Took snapshot #${made.id}.`;
  await list();
}

$("compare").addEventListener("submit", reported(compare));
$("preview")?.addEventListener("click", reported(previewRollback));
$("rollback")?.addEventListener("click", reported(rollback, "rolled back"));
$("close")?.addEventListener("click", () => { $("diff").hidden = true; });
$("create")?.addEventListener("submit", reported(create));
list();
