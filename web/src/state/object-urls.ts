// Decrypted files shown or saved through blob: URLs. Every URL made is tracked so that a
// lock or a quick exit revokes them all: the browser then drops the bytes.
const live = new Set<string>();

export function objectUrl(blob: Blob): string {
  const url = URL.createObjectURL(blob);
  live.add(url);
  return url;
}

export function revokeUrl(url: string): void {
  URL.revokeObjectURL(url);
  live.delete(url);
}

export function revokeAll(): void {
  for (const url of live) URL.revokeObjectURL(url);
  live.clear();
}

/** Saves a Blob under a name, as a download, through a URL revoked a minute later. */
export function saveBlob(blob: Blob, name: string): void {
  const url = objectUrl(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => revokeUrl(url), 60_000);
}
