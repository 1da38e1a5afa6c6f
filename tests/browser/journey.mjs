// The HTML pages in a real browser: Debian's Chromium driven by playwright-core.
// Signs up (first with a mistake, to see the form errors), logs out, checks
// that a protected page redirects to the login page with next=, logs in
// (first with a wrong password), changes the password (first with a wrong old
// one) and logs out; then the old password no longer works and the new one does.
//
// Usage: node journey.mjs PATH_TO_GATEHOUSE sqlite|postgresql_redis
// (postgresql_redis uses GATEHOUSE_TEST_POSTGRES_URL and GATEHOUSE_TEST_REDIS_URL)
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, fail, environment, startServer, launchChromium, finish } from "./harness.mjs";

const [gatehouse, deployment] = process.argv.slice(2);

// Emails go to files in mailDir (GATEHOUSE_EMAIL_URL=file:), where the test reads the reset link.
const { env, mailDir, cleanup } = environment(deployment);
function resetLink() {
  for (const f of readdirSync(mailDir).sort()) {
    // Undo quoted-printable: soft line breaks, then =XX escapes.
    const text = readFileSync(join(mailDir, f), "latin1").replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    const m = text.match(/http:\/\/[^\s]+\/accounts\/reset\/[^\s]+\//);
    if (text.includes("Password reset on") && m) return m[0];
  }
  return null;
}

const { proc, base } = await startServer(gatehouse, env);
const browser = await launchChromium();
try {
  const page = await (await browser.newContext()).newPage();
  const path = () => new URL(page.url()).pathname + new URL(page.url()).search;
  const submit = (label) => Promise.all([page.waitForNavigation(), page.click(`button:has-text("${label}")`)]);

  // A protected page sends an anonymous visitor to the login page, remembering where they were going.
  await page.goto(base + "/accounts/password_change/");
  expect(path() === "/accounts/login/?next=/accounts/password_change/", `redirected to login with next=: ${path()}`);

  // Sign up: first with passwords that differ, then properly.
  await page.goto(base + "/accounts/signup/");
  await page.fill("#id_username", "grace");
  await page.fill("#id_email", "grace@example.com");
  await page.fill("#id_password1", "cobol compiler 1959");
  await page.fill("#id_password2", "cobol compiler 1960");
  await submit("Sign up");
  expect((await page.textContent("#id_password2_errors") ?? "").includes("didn’t match"), "signup shows the mismatch next to the field");
  expect(await page.inputValue("#id_username") === "grace", "the form keeps what was typed (not the passwords)");
  expect(await page.inputValue("#id_password1") === "", "passwords are never echoed back");
  await page.fill("#id_password1", "cobol compiler 1959");
  await page.fill("#id_password2", "cobol compiler 1959");
  await submit("Sign up");
  expect(path() === "/accounts/profile/", `signup lands on the profile: ${path()}`);
  expect((await page.textContent("#welcome") ?? "").includes("grace"), "the profile greets the new user");
  const cookies = await page.context().cookies();
  const sid = cookies.find((c) => c.name === "sessionid");
  expect(sid && sid.httpOnly && sid.sameSite === "Lax", "the session cookie is HttpOnly and SameSite=Lax");

  // Log out through the link and its confirmation form.
  await Promise.all([page.waitForNavigation(), page.click("text=Log out")]);
  await submit("Log out");
  expect(await page.isVisible("#logged-out"), "the logged-out page");
  await page.goto(base + "/accounts/profile/");
  expect(path().startsWith("/accounts/login/?next="), "after logout the profile needs a login again");

  // Log in: a wrong password first, then the right one, which follows next=.
  await page.goto(base + "/accounts/login/?next=/accounts/password_change/");
  await page.fill("#id_username", "grace");
  await page.fill("#id_password", "not the password");
  await submit("Log in");
  expect((await page.textContent("#non_field_errors") ?? "").includes("Please enter a correct username and password"), "a wrong password shows the one generic error");
  await page.fill("#id_password", "cobol compiler 1959");
  await submit("Log in");
  expect(path() === "/accounts/password_change/", `login follows next=: ${path()}`);

  // Change the password: a wrong old password first.
  await page.fill("#id_old_password", "wrong old password");
  await page.fill("#id_new_password1", "nanoseconds of wire 11");
  await page.fill("#id_new_password2", "nanoseconds of wire 11");
  await submit("Change my password");
  expect((await page.textContent("#id_old_password_errors") ?? "").includes("incorrectly"), "a wrong old password is shown next to its field");
  await page.fill("#id_old_password", "cobol compiler 1959");
  await page.fill("#id_new_password1", "nanoseconds of wire 11");
  await page.fill("#id_new_password2", "nanoseconds of wire 11");
  await submit("Change my password");
  expect(path() === "/accounts/password_change/done/", `password change done: ${path()}`);
  await page.goto(base + "/accounts/profile/");
  expect(path() === "/accounts/profile/", "still logged in after changing the password");

  await Promise.all([page.waitForNavigation(), page.click("text=Log out")]);
  await submit("Log out");
  await page.goto(base + "/accounts/login/");
  await page.fill("#id_username", "grace");
  await page.fill("#id_password", "cobol compiler 1959");
  await submit("Log in");
  expect(path() === "/accounts/login/", "the old password no longer works");
  await page.fill("#id_password", "nanoseconds of wire 11");
  await submit("Log in");
  expect(path() === "/accounts/profile/", "the new password does");

  // Forgotten password: the reset link from the email, through Django's four pages.
  await Promise.all([page.waitForNavigation(), page.click("text=Log out")]);
  await submit("Log out");
  await page.goto(base + "/accounts/login/");
  await Promise.all([page.waitForNavigation(), page.click("text=Forgotten your password?")]);
  await page.fill("#id_email", "grace@example.com");
  await submit("Reset my password");
  expect(path() === "/accounts/password_reset/done/", `the reset request lands on its done page: ${path()}`);
  let link = null;
  for (let i = 0; i < 100 && !link; i++) { link = resetLink(); if (!link) await new Promise((r) => setTimeout(r, 100)); }
  expect(link !== null, "the worker emailed a reset link");
  if (link) {
    const token = link.split("/").at(-2);
    await page.goto(link);
    expect(path().endsWith("/set-password/") && !page.url().includes(token), `the token left the URL before the form: ${path()}`);
    await page.fill("#id_new_password1", "reset by link 2026");
    await page.fill("#id_new_password2", "reset by link 2026");
    await submit("Change my password");
    expect(path() === "/accounts/reset/done/", `reset complete: ${path()}`);
    await page.goto(link);
    expect((await page.textContent("#message") ?? "").includes("invalid"), "a used link is invalid");
    await page.goto(base + "/accounts/login/");
    await page.fill("#id_username", "grace");
    await page.fill("#id_password", "reset by link 2026");
    await submit("Log in");
    expect(path() === "/accounts/profile/", "the password set through the link works");
  }
} catch (e) {
  fail(e);
} finally {
  await browser.close();
  proc.kill("SIGTERM");
  cleanup();
}
finish(`browser journey (${deployment})`);
