// A key's history on the values screen, newest first, with a revert to any revision.
import { ApiError, ago, api, canEdit, element, show } from "./console.js";

const panel = document.getElementById("history");

export async function showHistory(key, onReverted) {
  const page = await api("GET", `/values/${encodeURIComponent(key)}/history?limit=20`);
  document.getElementById("history-title").textContent = `History of ${key} (${page.total} changes)`;
  const message = document.getElementById("history-message");
  message.textContent = "";
  panel.querySelector("tbody").replaceChildren(...page.history.map((change) => {
    const cells = [element("td", { text: String(change.revision) }),
      element("td", { text: `${change.user || ""}, ${ago(change.timestamp)}` }),
      element("td", { text: change.action }),
      element("td", { class: "old", text: show(change.old_value) }),
      element("td", { class: "new", text: show(change.new_value) }),
      element("td", { text: change.description || "" })];
    if (canEdit) {
      const revert = element("button", { type: "button", text: `Revert to r${change.revision}` });
      revert.addEventListener("click", async () => {
        try {
          await api("POST", `/values/${encodeURIComponent(key)}/revert`, { revision: change.revision });
          await onReverted(key);
          await showHistory(key, onReverted);
          message.textContent = `Reverted ${key} to its value at revision ${change.revision}.`;
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          message.textContent = error.message;
        }
      });
      cells.push(element("td", {}, revert));
    }
    return element("tr", { "data-revision": change.revision }, ...cells);
  }));
  panel.hidden = false;
  document.getElementById("history-close").focus();
}

document.getElementById("history-close").addEventListener("click", () => { panel.hidden = true; });
