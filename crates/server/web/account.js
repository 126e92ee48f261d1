// The account: download everything stored about me, or erase it all after
// typing my user name.
import { ApiError, request } from "./api.js";

const $ = (id) => document.getElementById(id);

export function showAccount(sub, onErased) {
  $("account-view").hidden = false;
  $("account-message").textContent = "";
  $("erase-confirm").value = "";
  $("erase-hint").textContent = `Type ${sub} to confirm.`;
  $("export").onclick = async () => {
    const data = await request("GET", `/users/${encodeURIComponent(sub)}/export`);
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "my-photos-export.json";
    link.click();
    $("account-message").textContent = `Exported ${data.images.length} photos and ${data.albums.length} albums.`;
  };
  $("erase-form").onsubmit = async (event) => {
    event.preventDefault();
    if ($("erase-confirm").value !== sub) {
      $("account-message").textContent = "The name you typed does not match: nothing was erased.";
      return;
    }
    try {
      const erased = await request("DELETE", `/users/${encodeURIComponent(sub)}`);
      onErased(erased);
    } catch (error) {
      $("account-message").textContent = error instanceof ApiError ? error.message : "Not erased.";
    }
  };
}
