// The API as this page uses it. The token lives in this module's memory
// only: never localStorage, never a URL.

let token = null;

export function signedIn() {
  return token !== null;
}

export function setToken(value) {
  token = value;
}

/** A failure with the API's error code and plain words for a person. */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(explain(status, body, retryAfter));
    this.status = status;
    this.code = body && body.code;
    this.body = body;
  }
}

/** What a person reads for each error code. */
export function explain(status, body, retryAfter) {
  const code = body && body.code;
  switch (code) {
    case "FILE_TOO_LARGE": return "This file is too big: the limit is 10 MiB.";
    case "UNSUPPORTED_FILE_TYPE": return "This is not an image type we take (JPEG, PNG or WebP).";
    case "INVALID_IMAGE":
      // A form we do not take is named by the API ("12-bit JPEG is not supported").
      return body.message && body.message.endsWith("not supported")
        ? `${body.message}.` : "This image is damaged or not a still image.";
    case "IMAGE_TOO_LARGE": return "This image has too many pixels.";
    case "RATE_LIMITED": return `Too many uploads at once: try again in ${retryAfter || "a few"} seconds.`;
    case "OVERLOADED":
    case "UNAVAILABLE": return `The service is busy: try again in ${retryAfter || "a few"} seconds.`;
    case "MAINTENANCE": return "Uploads are paused for maintenance: try again later.";
    case "TOKEN_EXPIRED":
    case "INVALID_TOKEN":
    case "MISSING_TOKEN": return "You have been signed out: sign in again.";
    case "ACCOUNT_ERASING": return "This account is being erased.";
    default: return status >= 500 ? "Something went wrong on our side: try again." :
      (body && body.message) || `The request failed (${status}).`;
  }
}

export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, json, response.headers.get("Retry-After"));
  }
  return json;
}

/** Uploads one file; `onProgress` gets 0..1 as the bytes go out. */
export function upload(file, fields, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) {
      if (value) form.append(name, value);
    }
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/images");
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let json = null;
      try { json = JSON.parse(xhr.responseText); } catch { json = null; }
      if (xhr.status === 201) {
        onProgress(1);
        resolve(json);
      } else {
        reject(new ApiError(xhr.status, json, xhr.getResponseHeader("Retry-After")));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, null, null));
    xhr.send(form);
  });
}
