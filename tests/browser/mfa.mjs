// The second factor in a real browser: Debian's Chromium driven by
// playwright-core, JavaScript disabled, every console error and CSP
// violation a failure (harness.mjs, strictContext). The server runs with
// GATEHOUSE_MFA_REQUIRED=staff.
//
// ada signs up and enrols an authenticator app from her account page: the
// QR code is an inline SVG, the secret is read from the page and the code
// computed here (RFC 6238, as her phone would); she keeps the ten recovery
// codes. Her next login asks for the second step and the right code logs
// her in; in another browser a wrong code is refused and a recovery code
// logs in (through the <details> that needs no script). The superuser's admin login
// is taken to enrolment first (staff must have a factor), then to /admin/;
// there he resets ada's factors, which ends her sessions. Screenshots of the
// enrolment page, the recovery codes and the second step go to
// GATEHOUSE_ARTEFACTS_DIR, else build/artefacts/mfa/<deployment>/.
//
// Usage: node mfa.mjs PATH_TO_GATEHOUSE sqlite|postgresql_redis
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, environment, strictContext, expectNoInlineScript, step, runBrowserTest } from "./harness.mjs";

const [gatehouse, deployment] = process.argv.slice(2);
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const artefacts = process.env.GATEHOUSE_ARTEFACTS_DIR || join(repoRoot, "build", "artefacts", "mfa", deployment);
mkdirSync(artefacts, { recursive: true });

const ADA_PASSWORD = "analytical engine 1843";
const ADMIN_PASSWORD = "keep the gate 2718";
const { env, cleanup } = environment(deployment);
env.GATEHOUSE_MFA_REQUIRED = "staff";
let base = "";

// ---- RFC 6238, as an authenticator app computes it ----------------------------------------

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const ch of text.replace(/[\s=]/g, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

// The code `steps` time steps from now.
function totp(secret, steps = 0) {
  const counter = Math.floor(Date.now() / 1000 / 30) + steps;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const h = createHmac("sha1", base32Decode(secret)).update(message).digest();
  const o = h[19] & 15;
  const binary = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(binary % 1000000).padStart(6, "0");
}

// ---- pages ---------------------------------------------------------------------------------

async function newPage(browser, label) {
  const context = await strictContext(browser, label);
  const page = await context.newPage();
  const t = {
    page,
    path: () => { const u = new URL(page.url()); return u.pathname + u.search; },
    async go(path) { await page.goto(base + path); await expectNoInlineScript(page); },
    async submit(selector) {
      await Promise.all([page.waitForNavigation(), page.locator(selector).first().click()]);
      await expectNoInlineScript(page);
    },
    text: (selector) => page.locator(selector).first().innerText(),
    count: (selector) => page.locator(selector).count(),
    async login(username, password, path = "/accounts/login/") {
      await t.go(path);
      await page.fill("input[name=username]", username);
      await page.fill("input[name=password]", password);
      await t.submit("form [type=submit]");
    },
    async screenshot(name) {
      const file = join(artefacts, name);
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size > 2000, `screenshot ${name} was written`);
    },
  };
  return t;
}

// Enrols on the setup page the browser is on; returns { secret, codes }.
async function enrolHere(t, shot) {
  expect(await t.count("svg.qr-code path") === 1, `the QR code is an inline SVG on ${t.path()}`);
  const secret = (await t.text("#secret")).replace(/\s/g, "");
  expect(base32Decode(secret).length === 20, `a 160-bit secret is shown as text (${secret})`);
  if (shot) await t.screenshot("setup.png");
  await t.page.fill("input[name=code]", totp(secret));
  await t.submit("#confirm-form [type=submit]");
  const codes = await t.page.locator("#recovery-codes code").allInnerTexts();
  expect(codes.length === 10 && codes.every((c) => /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/.test(c)),
         `ten recovery codes are shown: ${codes.slice(0, 2).join(", ")}`);
  if (shot) await t.screenshot("recovery_codes.png");
  return { secret, codes };
}

async function run(browser) {
  const ada = await newPage(browser, "ada");
  let secret = "", codes = [];

  await step("signup and enrolment", async () => {
    await ada.go("/accounts/signup/");
    await ada.page.fill("input[name=username]", "ada");
    await ada.page.fill("input[name=email]", "ada@example.com");
    await ada.page.fill("input[name=password1]", ADA_PASSWORD);
    await ada.page.fill("input[name=password2]", ADA_PASSWORD);
    await ada.submit("form [type=submit]");
    expect(ada.path() === "/accounts/profile/", `signup lands on the profile: ${ada.path()}`);
    await Promise.all([ada.page.waitForNavigation(), ada.page.click("#mfa-link")]);
    expect((await ada.text("#mfa-status")).includes("password alone"), "no factor yet");
    await Promise.all([ada.page.waitForNavigation(), ada.page.click("#setup-link")]);
    ({ secret, codes } = await enrolHere(ada, true));
    await Promise.all([ada.page.waitForNavigation(), ada.page.click("#continue")]);
    expect((await ada.text("#recovery-status")).includes("10"), "ten unused recovery codes");
  });

  await step("the second step", async () => {
    await ada.go("/accounts/logout/");
    await ada.submit("main form [type=submit]");
    await ada.login("ada", ADA_PASSWORD);
    expect(ada.path() === "/accounts/login/mfa/", `the login asks for the second step: ${ada.path()}`);
    await ada.screenshot("second_step.png");
    await ada.go("/accounts/profile/");
    expect(ada.path().startsWith("/accounts/login/"), `the pending login is not logged in: ${ada.path()}`);
    await ada.go("/accounts/login/mfa/");
    await ada.page.fill("#totp-form input[name=code]", totp(secret, 1));  // the confirming step's code is spent
    await ada.submit("#totp-form [type=submit]");
    expect(ada.path() === "/accounts/profile/", `the right code logs in: ${ada.path()}`);
  });

  const phone = await newPage(browser, "ada's other browser");
  await step("a recovery code", async () => {
    await phone.login("ada", ADA_PASSWORD);
    await phone.page.fill("#totp-form input[name=code]", "000000");
    await phone.submit("#totp-form [type=submit]");
    expect((await phone.text("#non_field_errors")).includes("not valid"), "a wrong code is refused");
    await phone.page.click("#recovery summary");  // the recovery codes are another device: no wait after the failure
    await phone.page.fill("#recovery-form input[name=recovery_code]", codes[0].toUpperCase());
    await phone.submit("#recovery-form [type=submit]");
    expect(phone.path() === "/accounts/profile/", `a recovery code logs in: ${phone.path()}`);
    await phone.go("/accounts/mfa/");
    expect((await phone.text("#recovery-status")).includes("9"), "nine left");
  });

  const admin = await newPage(browser, "admin");
  await step("staff enrol before the admin", async () => {
    await admin.login("admin", ADMIN_PASSWORD, "/admin/login/?next=/admin/");
    expect(admin.path().startsWith("/accounts/mfa/totp/setup/"), `the admin login goes to enrolment: ${admin.path()}`);
    expect((await admin.text("#enrolment-required")).includes("requires a second factor"), "and says why");
    await enrolHere(admin, false);
    await Promise.all([admin.page.waitForNavigation(), admin.page.click("#continue")]);
    expect(admin.path() === "/admin/", `then the admin: ${admin.path()}`);
  });

  await step("staff reset a lost device", async () => {
    await admin.go("/admin/auth/user/?q=ada");
    await Promise.all([admin.page.waitForNavigation(), admin.page.click("#result_list a:text-is('ada')")]);
    expect((await admin.text("#mfa")).includes("on"), "ada's app is on");
    await admin.submit("#mfa [type=submit]");
    expect((await admin.text(".messagelist")).includes("were removed"), "the reset is confirmed");
    await ada.go("/accounts/profile/");
    expect(ada.path().startsWith("/accounts/login/"), `ada's sessions ended: ${ada.path()}`);
    await ada.login("ada", ADA_PASSWORD);
    expect(ada.path() === "/accounts/profile/", `her password alone logs in again: ${ada.path()}`);
  });
}

await runBrowserTest({
  gatehouse, env, cleanup, label: `browser mfa (${deployment})`,
  before: () => execFileSync(gatehouse, ["createsuperuser", "--username", "admin", "--email", "a@example.com", "--noinput"],
                             { env: { ...env, GATEHOUSE_SUPERUSER_PASSWORD: ADMIN_PASSWORD }, stdio: ["ignore", "pipe", "pipe"] }),
  run: (browser, b) => { base = b; return run(browser); },
});
