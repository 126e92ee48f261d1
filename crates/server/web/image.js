// One image: the display image, its details, editing with optimistic
// locking (a conflict shows the newer values and lets the person choose),
// and deleting after a second, explicit step.
import { allAlbums, fillAlbumChoice } from "./albums.js";
import { ApiError, request } from "./api.js";

const $ = (id) => document.getElementById(id);
const FIELDS = ["title", "description", "altText"];
let current = null;

/** Shows image `id`; `onGone` runs after it is deleted. */
export async function showImage(id, onGone) {
  const view = $("image-view");
  $("image-message").textContent = "";
  $("conflict").hidden = true;
  $("confirm-delete").hidden = true;
  try {
    current = await request("GET", `/images/${encodeURIComponent(id)}`);
  } catch (error) {
    $("image-message").textContent = error instanceof ApiError ? error.message : "Not found.";
    view.hidden = false;
    return;
  }
  fill(current);
  // Someone else's photo (a moderator's view): their albums are not ours to list.
  const mine = await allAlbums().catch(() => []);
  fillAlbumChoice($("edit-album"), mine, "No album", current.albumId);
  $("image-form").onsubmit = (e) => { e.preventDefault(); save(fromForm(), current.version); };
  $("delete").onclick = () => { $("confirm-delete").hidden = false; $("really-delete").focus(); };
  $("cancel-delete").onclick = () => { $("confirm-delete").hidden = true; };
  $("really-delete").onclick = async () => {
    await request("DELETE", `/images/${encodeURIComponent(current.id)}`);
    onGone();
  };
  view.hidden = false;
  $("image-title").focus();
}

function fill(image) {
  const img = $("display");
  img.src = image.urls.display;
  img.alt = image.altText || image.title || "A photo without a description";
  for (const field of FIELDS) $(`edit-${field}`).value = image[field] || "";
  $("edit-tags").value = (image.tags || []).join(", ");
  if ([...$("edit-album").options].some((o) => o.value === (image.albumId || ""))) {
    $("edit-album").value = image.albumId || "";
  }
  $("details").textContent =
    `${image.width} × ${image.height} px, uploaded ${new Date(image.createdAt).toLocaleString()}`;
}

function fromForm() {
  const change = {};
  for (const field of FIELDS) change[field] = $(`edit-${field}`).value.trim() || null;
  change.tags = $("edit-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
  // Only a move the person chose: a moderator's view of someone else's photo
  // cannot list that person's albums, so it leaves the album alone.
  const options = [...$("edit-album").options].map((o) => o.value);
  const chosen = $("edit-album").value || null;
  if (options.includes(current.albumId || "") && chosen !== (current.albumId || null)) {
    change.albumId = chosen;
  }
  return change;
}

async function save(change, version) {
  try {
    current = await request("PATCH", `/images/${encodeURIComponent(current.id)}`, { ...change, version });
    fill(current);
    $("conflict").hidden = true;
    $("image-message").textContent = "Saved.";
  } catch (error) {
    if (error.code !== "VERSION_CONFLICT") {
      $("image-message").textContent = error instanceof ApiError ? error.message : "Not saved.";
      return;
    }
    const newer = await request("GET", `/images/${encodeURIComponent(current.id)}`);
    showConflict(change, newer);
  }
}

/** Someone changed the image meanwhile: their values beside the person's. */
function showConflict(mine, newer) {
  const list = $("conflict-values");
  list.replaceChildren();
  for (const field of [...FIELDS, "tags"]) {
    const theirs = field === "tags" ? (newer.tags || []).join(", ") : newer[field] || "";
    const item = document.createElement("li");
    item.textContent = `${field}: ${theirs || "(empty)"}`;
    list.append(item);
  }
  $("conflict").hidden = false;
  $("keep-mine").onclick = () => save(mine, newer.version);
  $("take-theirs").onclick = () => {
    current = newer;
    fill(newer);
    $("conflict").hidden = true;
    $("image-message").textContent = "Showing the newer version.";
  };
  $("keep-mine").focus();
}
