// What the browser tests share: the pass/fail tally, a deployment's
// environment (SQLite in a temporary directory, or a fresh schema in
// PostgreSQL with a Redis prefix of its own), `gatehouse serve` on a free
// port, Debian's Chromium, and the strict page watch.
//
// journey.mjs and admin.mjs import it; each is run as
//   node TEST.mjs PATH_TO_GATEHOUSE sqlite|postgresql_redis
// (postgresql_redis uses GATEHOUSE_TEST_POSTGRES_URL and GATEHOUSE_TEST_REDIS_URL)
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";

export const tally = { passed: 0, failed: 0 };
export function expect(ok, what) {
  if (ok) tally.passed++;
  else { tally.failed++; console.log("FAIL:", what); }
}
// An exception that ended a test (or a step of one).
export function fail(e) {
  tally.failed++;
  console.log("FAIL:", e.stack || e);
}

// The server's environment for `deployment`. Emails go to files in mailDir
// (GATEHOUSE_EMAIL_URL=file:), where a test can read them; cleanup() drops
// the PostgreSQL schema. GATEHOUSE_ARTEFACTS_DIR (where admin.mjs keeps its
// screenshots) is the tests', not the server's, which refuses GATEHOUSE_
// names it does not know.
export function environment(deployment) {
  const mailDir = mkdtempSync(join(tmpdir(), "gatehouse-browser-mail-"));
  const env = { ...process.env, GATEHOUSE_BIND: "127.0.0.1:0", GATEHOUSE_PBKDF2_ITERATIONS: "1000",
                GATEHOUSE_EMAIL_URL: "file:" + mailDir };
  delete env.GATEHOUSE_ARTEFACTS_DIR;
  if (deployment === "sqlite") {
    env.GATEHOUSE_DATABASE_URL = "sqlite:" + join(mkdtempSync(join(tmpdir(), "gatehouse-browser-")), "db.sqlite3");
    return { env, mailDir, cleanup: () => {} };
  }
  const base = process.env.GATEHOUSE_TEST_POSTGRES_URL, redis = process.env.GATEHOUSE_TEST_REDIS_URL;
  if (!base || !redis) throw new Error("GATEHOUSE_TEST_POSTGRES_URL and GATEHOUSE_TEST_REDIS_URL must be set (scripts/test.sh sets them)");
  const schema = "browser_" + randomBytes(6).toString("hex");
  const psql = (sql) => execFileSync("psql", [base, "-q", "-c", sql], { env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } });
  psql(`CREATE SCHEMA ${schema}`);
  env.GATEHOUSE_DATABASE_URL = base + (base.includes("?") ? "&" : "?") + "options=-c%20search_path%3D" + schema;
  env.GATEHOUSE_REDIS_URL = redis + "?prefix=" + schema + ":";
  env.GATEHOUSE_SECRET_KEY = randomBytes(32).toString("hex");
  return { env, mailDir, cleanup: () => psql(`DROP SCHEMA ${schema} CASCADE`) };
}

// The server's stderr (the access log), printed by finish() only if something failed.
let log = "";
export const serverLog = () => log;

// `gatehouse serve` with `env`; resolves to { proc, base } once it says where it listens.
export function startServer(gatehouse, env) {
  return new Promise((resolve, reject) => {
    const proc = spawn(gatehouse, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    proc.stderr.on("data", (d) => { log += d; });
    let out = "";
    const timer = setTimeout(() => reject(new Error("gatehouse serve did not start: " + out)), 60000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^/]+)\//);
      if (m) { clearTimeout(timer); resolve({ proc, base: m[1] }); }
    });
    proc.on("exit", (code) => reject(new Error(`gatehouse serve exited (${code}): ${out}`)));
  });
}

export function launchChromium() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
}

// A browser context with JavaScript disabled (unless options.javaScriptEnabled) in which every console error
// (Chromium reports CSP violations there, and every resource that failed to
// load), warning about the Content Security Policy, uncaught page error and
// failed request is a failure, named with `label`. The one exception is
// Chromium's own /favicon.ico request: no page asks for it.
export async function strictContext(browser, label, options = {}) {
  // JavaScript stays off unless a test asks for it (the passkey script is the site's only one).
  const context = await browser.newContext({ ...options, javaScriptEnabled: options.javaScriptEnabled === true });
  const favicon = (url) => { try { return new URL(url).pathname === "/favicon.ico"; } catch { return false; } };
  context.on("console", (m) => {
    const text = m.text();
    if ((m.type() === "error" || /Content[- ]Security[- ]Policy/i.test(text)) && !favicon(m.location().url))
      expect(false, `${label}: console ${m.type()} on ${m.page()?.url() ?? "?"}: ${text} (${m.location().url})`);
  });
  context.on("weberror", (e) => expect(false, `${label}: page error on ${e.page()?.url() ?? "?"}: ${e.error()}`));
  context.on("requestfailed", (r) => {
    if (!favicon(r.url())) expect(false, `${label}: request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
  });
  return context;
}

// With JavaScript disabled Chromium never checks inline scripts against the
// CSP, so they are looked for in the page: none may be there.
export async function expectNoInlineScript(page) {
  const inline = await page.locator(
    "script:not([src]), a[href^='javascript:' i], [onclick], [onload], [onsubmit], [onchange], [oninput], " +
    "[onerror], [onfocus], [onblur], [onkeydown], [onkeyup], [onmouseover]").count();
  expect(inline === 0, `no inline script or event handler on ${page.url()} (${inline} found)`);
}

// A step that throws is one failure, named; the steps after it still run.
export async function step(name, body) {
  try {
    await body();
  } catch (e) {
    fail(`${name}: ${e.stack || e}`);
  }
}

// The whole of a browser test: `before()` (which may set up the database),
// `gatehouse serve` with `env`, Chromium, `run(browser, base)`; then
// everything is stopped, `cleanup()` runs, and finish(label) exits.
export async function runBrowserTest({ gatehouse, env, cleanup, label, before, run }) {
  let proc = null, browser = null;
  try {
    if (before) await before();
    let base;
    ({ proc, base } = await startServer(gatehouse, env));
    browser = await launchChromium();
    await run(browser, base);
  } catch (e) {
    fail(e);
  } finally {
    await browser?.close();
    proc?.kill("SIGTERM");
    cleanup();
  }
  finish(label);
}

// Prints the server log if anything failed and the tally, and exits 1 on a failure.
export function finish(label) {
  if (tally.failed) console.log("server log:\n" + log);
  console.log(`${label}: ${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed ? 1 : 0);
}
