// Passkeys in a real browser: Debian's Chromium driven by playwright-core,
// with a virtual authenticator (the DevTools protocol's
// WebAuthn.addVirtualAuthenticator through playwright-core's CDP session:
// CTAP2, internal, resident keys, user verification). JavaScript is on here
// (the WebAuthn call needs it: /static/gatehouse-webauthn.js), and every
// console error and CSP violation is still a failure (harness.mjs).
//
// The server runs on http://localhost:<port> (WebAuthn's RP ID must be a
// host name) with GATEHOUSE_SITE_URL naming it. ada signs up, adds a passkey
// on /accounts/mfa/; her next login asks for it after the password and it
// completes the login; then "Log in with a passkey" on the login page logs
// her in with no username or password at all. Screenshots of the factors page
// and the second step go to GATEHOUSE_ARTEFACTS_DIR, else
// build/artefacts/passkeys/<deployment>/. With GATEHOUSE_RECORD_WEBAUTHN=FILE
// the browser's registration and assertion (with their challenges) are
// written to FILE (tests/auth/data/ holds such a recording).
//
// Usage: node passkeys.mjs PATH_TO_GATEHOUSE sqlite|postgresql_redis
import { createServer } from "node:net";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, environment, strictContext, step, runBrowserTest } from "./harness.mjs";

const [gatehouse, deployment] = process.argv.slice(2);
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const artefacts = process.env.GATEHOUSE_ARTEFACTS_DIR || join(repoRoot, "build", "artefacts", "passkeys", deployment);
mkdirSync(artefacts, { recursive: true });
const ADA_PASSWORD = "analytical engine 1843";
const { env, cleanup } = environment(deployment);
delete env.GATEHOUSE_RECORD_WEBAUTHN;  // the test's, not the server's (which refuses names it does not know)
const recording = { ceremonies: [] };

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// A JavaScript-enabled strict context with a virtual authenticator; the page and its helpers.
async function passkeyPage(browser, base) {
  const context = await strictContext(browser, "ada", { javaScriptEnabled: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
               isUserVerified: true, automaticPresenceSimulation: true },
  });
  page.on("request", (r) => {  // what the browser sent (its clientDataJSON names the challenge and origin)
    const path = new URL(r.url()).pathname;
    if (path.endsWith("/finish")) recording.ceremonies.push({ path, body: JSON.parse(r.postData() || "{}") });
  });
  return {
    page, cdp, authenticatorId,
    path: () => { const u = new URL(page.url()); return u.pathname + u.search; },
    go: (p) => page.goto(base + p),
    async submit(selector) { await Promise.all([page.waitForNavigation(), page.locator(selector).first().click()]); },
    text: (selector) => page.locator(selector).first().innerText(),
    async shot(name) {
      const file = join(artefacts, name);
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size > 2000, `screenshot ${name} was written`);
    },
  };
}

async function run(browser, base) {
  const ada = await passkeyPage(browser, base);
  await step("sign up and add a passkey", async () => {
    await ada.go("/accounts/signup/");
    await ada.page.fill("input[name=username]", "ada");
    await ada.page.fill("input[name=email]", "ada@example.com");
    await ada.page.fill("input[name=password1]", ADA_PASSWORD);
    await ada.page.fill("input[name=password2]", ADA_PASSWORD);
    await ada.submit("form [type=submit]");
    await ada.go("/accounts/mfa/");
    expect(await ada.page.locator("#passkey-register").isVisible(), "the script reveals the passkey form");
    await ada.page.fill("#id_passkey_name", "Virtual key");
    await ada.submit("#passkey-register [type=submit]");  // the script reloads the page once registered
    expect((await ada.text("#passkeys")).includes("Virtual key"), `the passkey is listed: ${await ada.text("#passkeys")}`);
    const { credentials } = await ada.cdp.send("WebAuthn.getCredentials", { authenticatorId: ada.authenticatorId });
    expect(credentials.length === 1 && credentials[0].isResidentCredential, "the authenticator holds one discoverable credential");
    await ada.shot("factors.png");
  });

  await step("the passkey as the second step", async () => {
    await ada.go("/accounts/logout/");
    await ada.submit("main form [type=submit]");
    await ada.go("/accounts/login/");
    await ada.page.fill("input[name=username]", "ada");
    await ada.page.fill("input[name=password]", ADA_PASSWORD);
    await ada.submit("form[action='/accounts/login/'] [type=submit]");
    expect(ada.path() === "/accounts/login/mfa/", `the password leads to the second step: ${ada.path()}`);
    expect(await ada.page.locator("#passkey-second-step").isVisible(), "the passkey button is shown");
    expect(await ada.page.locator("#totp-form").count() === 0, "no app code is asked for: she has none");
    await ada.shot("second_step.png");
    await ada.submit("#passkey-second-step [type=submit]");
    expect(ada.path() === "/accounts/profile/", `the passkey completes the login: ${ada.path()}`);
  });

  await step("a passkey alone", async () => {
    await ada.go("/accounts/logout/");
    await ada.submit("main form [type=submit]");
    await ada.go("/accounts/login/");
    expect(await ada.page.locator("#passkey-login").isVisible(), "the login page offers a passkey");
    await ada.submit("#passkey-login [type=submit]");
    expect(ada.path() === "/accounts/profile/", `no username, no password, logged in: ${ada.path()}`);
    expect((await ada.text("#welcome")).includes("ada"), "as ada");
  });
}

const port = await freePort();
env.GATEHOUSE_BIND = `127.0.0.1:${port}`;
env.GATEHOUSE_SITE_URL = `http://localhost:${port}`;
await runBrowserTest({
  gatehouse, env, cleanup, label: `browser passkeys (${deployment})`,
  run: async (browser) => {
    await run(browser, env.GATEHOUSE_SITE_URL);
    if (process.env.GATEHOUSE_RECORD_WEBAUTHN)
      writeFileSync(process.env.GATEHOUSE_RECORD_WEBAUTHN, JSON.stringify({ origin: env.GATEHOUSE_SITE_URL, ...recording }, null, 2));
  },
});
