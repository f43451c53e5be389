// What both peer scripts share: the emulator's address, a token from its sign-in service,
// and a DynamicsWebApi client configured as its documentation shows.
import { DynamicsWebApi } from "dynamics-web-api";

// The emulator's default seed (see dynamics-emulator/README.md).
const DEFAULTS = {
  tenant: "c0a7e5a0-0000-4000-8000-000000000001",
  clientId: "c0a7e5a0-0000-4000-8000-000000000002",
  clientSecret: "Emu8Q~default-client-secret-0123456789",
};

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

export function baseUrl() {
  const base = arg("base", process.env.EMULATOR_URL ?? "http://127.0.0.1:7070/");
  return base.endsWith("/") ? base : `${base}/`;
}

/** Client credentials against the emulator's token endpoint, for `{origin}/.default`. */
export async function token(base) {
  const origin = new URL(base).origin;
  const response = await fetch(`${base}${DEFAULTS.tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: DEFAULTS.clientId,
      client_secret: DEFAULTS.clientSecret,
      scope: `${origin}/.default`,
    }),
  });
  if (!response.ok) {
    throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  }
  return (await response.json()).access_token;
}

export function client(base) {
  let cached = null;
  return new DynamicsWebApi({
    serverUrl: base,
    dataApi: { version: "9.2" },
    onTokenRefresh: async () => {
      cached ??= await token(base);
      return cached;
    },
  });
}
