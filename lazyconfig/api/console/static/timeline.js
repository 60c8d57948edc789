// The history screen: the newest changes, the configuration at any revision beside today's,
// and (editors) a restore to a revision after its dry run's preview.
import { ago, api, canEdit, element, follow, show, reported } from "./console.js";

const $ = (id) => document.getElementById(id);
const RECENT = 50;
let previewed = null; // {at, revision} of the restore being previewed

async function recent() {
  const head = (await api("GET", "/status")).revision;
  const page = await api("GET", `/notifications?since=${Math.max(0, head - RECENT)}&limit=${RECENT}`);
  $("changes").querySelector("tbody").replaceChildren(...page.notifications.reverse().map((c) => {
    const view = element("button", { type: "button", class: "link", text: `View r${c.revision}` });
    view.addEventListener("click", reported(() => at(c.revision)));
    const cell = element("td", {}, view);
    if (canEdit) {
      const restore = element("button", { type: "button", class: "link", text: `Restore to r${c.revision}` });
      restore.addEventListener("click", reported(() => preview(c.revision)));
      cell.append(" ", restore);
    }
    return element("tr", { "data-revision": c.revision }, element("td", { text: String(c.revision) }),
      element("td", {}, element("code", { text: c.key })), element("td", { text: `${c.user || ""}, ${ago(c.timestamp)}` }),
      element("td", { text: c.action }), element("td", { class: "value", text: show(c.old_value) }),
      element("td", { class: "value", text: show(c.new_value) }), cell);
  }));
}

function open(title, rows, restoring) {
  $("diff-title").textContent = title;
  $("diff").querySelector("tbody").replaceChildren(...(rows.length ? rows.map(([key, now, then, changed]) =>
    element("tr", { class: changed ? "changed" : "", "data-key": key }, element("th", { scope: "row" }, element("code", { text: key })),
      element("td", { class: changed ? "old" : "", text: show(now) }), element("td", { class: changed ? "new" : "", text: show(then) })))
    : [element("tr", {}, element("td", { colspan: "3", text: "nothing would change" }))]));
  if ($("restore")) $("restore").hidden = !restoring;
  $("diff").hidden = false;
  $("message").textContent = "";
}

// Every key at revision `n` beside its value now; the keys that differ first, highlighted.
async function at(n) {
  $("revision").value = n;
  const [then, now] = await Promise.all([api("GET", `/values?at_revision=${n}`), api("GET", "/values")]);
  const current = new Map(now.values.map((e) => [e.key, e.value]));
  const rows = then.values.map((e) => [e.key, current.get(e.key), e.value,
                                       JSON.stringify(current.get(e.key)) !== JSON.stringify(e.value)]);
  rows.sort((a, b) => Number(b[3]) - Number(a[3]));
  previewed = null;
  open(`The configuration at revision ${n}: ${rows.filter((r) => r[3]).length} keys differ from now`, rows, false);
}

async function preview(n) {
  $("revision").value = n;
  const result = await api("POST", "/restore", { at_revision: n, dry_run: true });
  previewed = { at: n, revision: result.revision };
  open(`Restoring revision ${n} would change ${result.diff.length} keys`,
       result.diff.map((d) => [d.key, d.old_value, d.new_value, true]), result.diff.length > 0);
  (result.diff.length ? $("restore") : $("close")).focus();
}

async function restore() {
  const result = await api("POST", "/restore", { at_revision: previewed.at, expected_revision: previewed.revision });
  $("diff").hidden = true;
  $("message").textContent = `Restored revision ${previewed.at}: ${result.diff.length} keys changed ` +
    `(snapshot #${result.safety_snapshot_id} holds what they were).`;
}

$("at").addEventListener("submit", reported((event) => { event.preventDefault(); return at(Number($("revision").value)); }));
$("preview")?.addEventListener("click", reported(() => preview(Number($("revision").value))));
$("restore")?.addEventListener("click", reported(restore, "restored"));
$("close").addEventListener("click", () => { $("diff").hidden = true; });
reported(recent)();
follow(() => recent());
