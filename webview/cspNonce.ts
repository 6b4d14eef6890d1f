/**
 * Imported first by main.ts, so it runs before the toolkit's modules are evaluated.
 * The toolkit's FAST base creates a <style> probe at module load and signs it with the nonce it finds in
 * <meta property="csp-nonce">; without that the panel's CSP blocks the probe (harmless, but an error in the
 * console). The nonce of this very script is readable only while it runs, via document.currentScript.
 */
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';
if (nonce && !document.querySelector('meta[property="csp-nonce"]')) {
  const meta = document.createElement('meta');
  meta.setAttribute('property', 'csp-nonce');
  meta.setAttribute('content', nonce);
  document.head.append(meta);
}
export {};
