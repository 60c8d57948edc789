// Service tokens (admins): issue one with a name, role, key patterns and expiry (its secret
// shown once), list them, revoke one.
import { ago, api, element, reported } from "./console.js";

const $ = (id) => document.getElementById(id);

function state(t) {
  if (t.revoked_at) return `revoked ${ago(t.revoked_at)}`;
  if (t.expires_at && Date.parse(t.expires_at) < Date.now()) return "expired";
  return "live";
}

async function list() {
  const page = await api("GET", "/tokens?page_size=1000");
  $("tokens").querySelector("tbody").replaceChildren(...page.tokens.map((t) => {
    const cell = element("td", { text: state(t) });
    if (!t.revoked_at) {
      const revoke = element("button", { type: "button", class: "link", text: `Revoke ${t.name} (lzc_${t.id})` });
      revoke.addEventListener("click", reported(async () => {
        if (!window.confirm(`Revoke ${t.name}? Every request with it is refused within a second.`)) return;
        await api("DELETE", `/tokens/${t.id}`);
        $("message").textContent = `Revoked ${t.name} (lzc_${t.id}).`;
        await list();
      }));
      cell.append(" ", revoke);
    }
    return element("tr", { "data-id": t.id }, element("td", { text: `lzc_${t.id}` }), element("td", { text: t.name }),
      element("td", { text: t.role }), element("td", { text: t.keys ? t.keys.join(", ") : "every key" }),
      element("td", { text: `${t.created_by || ""}, ${ago(t.created_at)}` }),
      element("td", { text: t.expires_at ? t.expires_at.slice(0, 16).replace("T", " ") : "never" }),
      element("td", { text: t.last_used_at ? ago(t.last_used_at) : "never" }), cell);
  }));
}

async function issue(event) {
  event.preventDefault();
  const keys = $("token-keys").value.split(",").map((k) => k.trim()).filter(Boolean);
  const days = $("token-days").value;
  const made = await api("POST", "/tokens", { name: $("token-name").value, role: $("token-role").value,
    keys: keys.length ? keys : null, expires_in: days ? Math.round(Number(days) * 86400) : null });
  $("secret-value").value = made.token;
  $("secret").hidden = false;
  $("secret-value").select();
  $("secret-value").focus();
  $("message").textContent = `Issued ${made.name} (lzc_${made.id}).`;
  $("issue").reset();
  await list();
}

$("issue").addEventListener("submit", reported(issue));
$("secret-done").addEventListener("click", () => { $("secret-value").value = ""; $("secret").hidden = true; });
list();
