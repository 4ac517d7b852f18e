// The renderer's Content-Security-Policy, one definition for the app (main.ts,
// on its lab:// protocol) and browser mode (server.ts).

/** `connect` lists where the page may open connections ('self' plus the browser-mode socket). */
export function contentSecurityPolicy(connect: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // recharts and React set style attributes; no inline <style> or script is used otherwise.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
