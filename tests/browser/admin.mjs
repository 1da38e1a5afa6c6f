// The admin site (/admin/) in a real browser: Debian's Chromium driven by
// playwright-core, JavaScript disabled, every console error and CSP
// violation a failure (harness.mjs, strictContext).
//
// A superuser from `gatehouse createsuperuser --noinput`, 150 members and a
// non-staff user from the JSON API (GATEHOUSE_THROTTLE=0), then: the staff
// and the non-staff login; a user added, its hash summary, its fields and
// profile inline changed, a password set (which ends its sessions), its
// history; the user list over two pages, searched, filtered and ordered;
// users deleted through the action and its confirmation, and one through its
// delete page; a view-only staff user (auth.view_user alone) who sees no Save
// button and gets 403 for a POST; the sessions panel ending one session and
// then all (the other browser contexts are logged out); a POST without the
// CSRF token refused; the last active superuser neither deletable nor
// demotable; logout. Screenshots of the index, the user list and a change
// page go to GATEHOUSE_ARTEFACTS_DIR, else build/artefacts/admin/<deployment>/.
//
// Usage: node admin.mjs PATH_TO_GATEHOUSE sqlite|postgresql_redis
// (postgresql_redis uses GATEHOUSE_TEST_POSTGRES_URL and GATEHOUSE_TEST_REDIS_URL)
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "playwright-core";
import { expect, environment, strictContext, expectNoInlineScript, step, runBrowserTest } from "./harness.mjs";

const [gatehouse, deployment] = process.argv.slice(2);
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const artefacts = process.env.GATEHOUSE_ARTEFACTS_DIR || join(repoRoot, "build", "artefacts", "admin", deployment);
mkdirSync(artefacts, { recursive: true });

const ADMIN_PASSWORD = "keep the gate 2718";
const ADA_THIRD_PASSWORD = "a third passphrase for ada 31415";
const MEMBER_PASSWORD = "plum orchard 7715";
const ADA_PASSWORD = "analytical engine 1843";
const ADA_NEW_PASSWORD = "difference engine 1822";
const VIEWER_PASSWORD = "glass window 5309";
const MEMBERS = 150;
const member = (i) => "member" + String(i).padStart(3, "0");
const STAFF_LOGIN_ERROR = "Please enter the correct username and password for a staff account. " +
                          "Note that both fields may be case-sensitive.";
const LAST_SUPERUSER_DELETE = "You cannot delete the last active superuser.";
const LAST_SUPERUSER_DEMOTE = "The last active superuser cannot be deactivated or demoted.";
const CONFIRM = "Yes, I’m sure";  // Django's wording, with its typographic apostrophe

const { env, cleanup } = environment(deployment);
env.GATEHOUSE_THROTTLE = "0";        // 150 signups from one address

// ---- helpers ---------------------------------------------------------------------------

let base = "";

// What the steps do with one page.
function tools(page) {
  const url = () => new URL(page.url());
  const t = {
    page,
    path: () => url().pathname + url().search,
    pathname: () => url().pathname,
    query: (name) => url().searchParams.get(name),
    async go(path) {
      const response = await page.goto(base + path);
      await expectNoInlineScript(page);
      return response;
    },
    // Clicks what submits a form (a selector or a locator) and waits for the page that answers.
    async submit(what) {
      const target = typeof what === "string" ? page.locator(what).first() : what.first();
      const [response] = await Promise.all([page.waitForNavigation(), target.click()]);
      await expectNoInlineScript(page);
      return response;
    },
    count: (selector) => page.locator(selector).count(),
    async text(selector) {
      const l = page.locator(selector);
      return (await l.count()) ? (await l.allInnerTexts()).join("\n") : "";
    },
    messages: async () => (await page.locator(".messagelist li").allInnerTexts()).join(" | "),
    successes: async () => (await page.locator(".messagelist li.success").allInnerTexts()).join(" | "),
    usernames: () => page.locator("#result_list tbody tr .field-username").allInnerTexts()
      .then((names) => names.map((n) => n.trim())),
    rows: () => page.locator("#result_list tbody tr").count(),
    // The value of the page's first csrfmiddlewaretoken (any form's: the token is per secret, not per form).
    async csrfToken() {
      const l = page.locator("input[name=csrfmiddlewaretoken]");
      if (!(await l.count())) throw new Error(`no csrfmiddlewaretoken on ${page.url()}`);
      return l.first().inputValue();
    },
    // Ticks Django 5.1's "password-based authentication: enabled" radio where the form has one.
    async usablePassword() {
      const radio = page.locator("input[name=usable_password][value=true]");
      if (await radio.count()) await radio.check();
    },
  };
  return t;
}

async function newPage(browser, label) {
  const context = await strictContext(browser, label);
  context.setDefaultTimeout(10000);
  return tools(await context.newPage());
}

async function adminLogin(t, username, password) {
  await t.go("/admin/login/");
  await t.page.fill("input[name=username]", username);
  await t.page.fill("input[name=password]", password);
  return t.submit("form:has(input[name=password]) [type=submit]");
}

// The accounts site's own login (not the admin's), as a member would log in.
async function accountsLogin(t, username, password) {
  await t.go("/accounts/login/");
  await t.page.fill("#id_username", username);
  await t.page.fill("#id_password", password);
  await t.submit('button:has-text("Log in")');
  return t.path() === "/accounts/profile/";
}

async function loggedOut(t) {
  await t.go("/accounts/profile/");
  return t.path().startsWith("/accounts/login/?next=");
}

// The id in a changelist row's link to the user called `username` (searched for).
async function userId(t, username) {
  await t.go("/admin/auth/user/?q=" + encodeURIComponent(username));
  const links = t.page.locator("#result_list tbody tr .field-username a");
  for (let i = 0; i < await links.count(); i++) {
    if ((await links.nth(i).innerText()).trim() !== username) continue;
    const m = (await links.nth(i).getAttribute("href")).match(/\/admin\/auth\/user\/(\d+)\/change\//);
    if (m) return m[1];
  }
  throw new Error(`no changelist row links to ${username}`);
}

// The change page's password summary: { algorithm, iterations, salt, hash } as shown.
async function hashSummary(t) {
  const text = await t.text("#content");
  const field = (name) => (text.match(new RegExp(`\\b${name}\\s*:\\s*(\\S+)`)) ?? [])[1];
  return { algorithm: field("algorithm"), iterations: field("iterations"), salt: field("salt"), hash: field("hash") };
}

// A full-page screenshot kept as a test artefact; `minHeight` checks that it is the full page.
async function screenshot(t, name, minHeight = 0) {
  const file = join(artefacts, name);
  await t.page.screenshot({ path: file, fullPage: true });
  let size = 0, height = 0;
  try {
    const png = readFileSync(file);
    size = statSync(file).size;
    height = png.readUInt32BE(20);  // IHDR: width at 16, height at 20
  } catch { /* stays 0: the expectations below fail */ }
  expect(size > 10 * 1024, `screenshot ${file} exists and is over 10 kB (${size} bytes)`);
  if (minHeight) expect(height > minHeight, `screenshot ${name} is the full page (${height} px high)`);
  console.log(`artefact: ${file} (${size} bytes)`);
}

const sorted = (names, descending) =>
  names.every((n, i) => i === 0 || (descending ? names[i - 1] >= n : names[i - 1] <= n));

// 150 members and walter (not staff) through POST /api/signup, ten at a time.
async function seedUsers() {
  const api = await request.newContext({ baseURL: base });
  try {
    const { csrfToken } = await (await api.get("/api/csrf")).json();
    const names = [...Array.from({ length: MEMBERS }, (_, i) => member(i + 1)), "walter"];
    const statuses = [];
    for (let i = 0; i < names.length; i += 10) {
      statuses.push(...await Promise.all(names.slice(i, i + 10).map(async (username) => {
        const r = await api.post("/api/signup", {
          headers: { "X-CSRFToken": csrfToken },
          data: { username, email: `${username}@example.com`, password: MEMBER_PASSWORD },
        });
        return r.status() === 201 ? 201 : `${username}: ${r.status()} ${await r.text()}`;
      })));
    }
    const bad = statuses.filter((s) => s !== 201);
    expect(bad.length === 0, `every signup answered 201 (${bad.slice(0, 3).join("; ")})`);
  } finally {
    await api.dispose();
  }
}

// ---- the test --------------------------------------------------------------------------

async function run(browser) {
  await step("150 members and walter through /api/signup", seedUsers);
  const TOTAL = MEMBERS + 4;  // members, walter, admin, ada, viewer
  const a = await newPage(browser, "admin");     // the superuser's browser
  const u = await newPage(browser, "ada");       // ada's, on the accounts site
  const ids = {};
  const id = (name) => {
    if (!ids[name]) throw new Error(`${name}'s id is unknown: an earlier step failed`);
    return ids[name];
  };

  await step("logins", async () => {
    await a.go("/admin/");
    expect(a.path() === "/admin/login/?next=/admin/", `anonymous /admin/ redirects to the login with next=: ${a.path()}`);
    await adminLogin(a, "walter", MEMBER_PASSWORD);
    expect(a.pathname() === "/admin/login/", `a non-staff login stays on the login page: ${a.path()}`);
    expect((await a.text(".errornote")).includes(STAFF_LOGIN_ERROR), "a non-staff login shows the staff-account error");
    await adminLogin(a, "admin", "not the password");
    expect((await a.text(".errornote")).includes(STAFF_LOGIN_ERROR), "a wrong password shows the same error");
    await adminLogin(a, "admin", ADMIN_PASSWORD);
    expect(a.path() === "/admin/", `the staff login lands on /admin/: ${a.path()}`);
    expect(/Site administration/.test(await a.text("#content h1")), "the index's heading");
    expect(await a.count('#content a[href="/admin/auth/user/"]') > 0, "the index links to the users");
    expect(await a.count('#content a[href="/admin/auth/group/"]') > 0, "the index links to the groups");
    expect(/\badmin\b/i.test(await a.text("#user-tools")), "the header names the logged-in user");  // Django's CSS upper-cases it
    await screenshot(a, "index.png");
  });

  await step("add a user", async () => {
    await a.go("/admin/auth/user/add/");
    await a.page.fill("input[name=username]", "ada");
    await a.usablePassword();
    await a.page.fill("input[name=password1]", ADA_PASSWORD);
    await a.page.fill("input[name=password2]", ADA_PASSWORD + "x");
    await a.submit("input[name=_save]");
    expect(a.pathname() === "/admin/auth/user/add/" && await a.count(".errornote") > 0,
           `passwords that differ keep the add form with an error note: ${a.path()}`);
    expect((await a.text("#content")).includes("didn’t match"), "the add form says the passwords didn’t match");
    await a.page.fill("input[name=username]", "ada");
    await a.usablePassword();
    await a.page.fill("input[name=password1]", ADA_PASSWORD);
    await a.page.fill("input[name=password2]", ADA_PASSWORD);
    expect(await a.count("input[name='profile-0-default_language']") > 0, "the add form has the profile inline");
    await a.page.fill("input[name='profile-0-default_language']", "de");
    await a.submit("input[name=_save]");
    const m = a.pathname().match(/^\/admin\/auth\/user\/(\d+)\/change\/$/);
    expect(m, `adding lands on the new user's change page: ${a.path()}`);
    ids.ada = m?.[1];
    expect(/was added successfully/.test(await a.successes()), `the added message: ${await a.messages()}`);
    expect(await a.page.inputValue("input[name='profile-0-default_language']") === "de", "the inline saved on add");
  });

  let summary;
  await step("the hash summary", async () => {
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    summary = await hashSummary(a);
    expect(summary.algorithm === "pbkdf2_sha256", `the summary's algorithm: ${summary.algorithm}`);
    expect(summary.iterations === "1000", `the summary's iterations: ${summary.iterations}`);
    expect(/^[^*]{1,6}\*{4,}$/.test(summary.salt ?? ""), `the salt is masked: ${summary.salt}`);
    expect(/^[^*]{1,6}\*{4,}$/.test(summary.hash ?? ""), `the hash is masked: ${summary.hash}`);
    expect(!/pbkdf2_sha256\$\d+\$/.test(await a.page.content()), "the encoded password is not in the page");
    expect(await a.count("input[name=password]") === 0, "no password input on the change page");
    expect(await a.count('#content a[href="../password/"]') > 0, "the summary links to ../password/");
  });

  await step("change fields and the inline", async () => {
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    await a.page.fill("input[name=first_name]", "Ada");
    await a.page.fill("input[name=last_name]", "Lovelace");
    await a.page.fill("input[name=email]", "ada@example.com");
    await a.page.fill("input[name='profile-0-default_language']", "fr");
    await a.page.selectOption("select[name='profile-0-default_exposure']", "unlisted");
    await a.page.selectOption("select[name='profile-0-default_expiration']", "1m");
    await a.page.check("input[name='profile-0-private']");
    await a.submit("input[name=_continue]");
    expect(a.pathname() === `/admin/auth/user/${id("ada")}/change/`, `save and continue stays on the change page: ${a.path()}`);
    expect(/was changed successfully/.test(await a.successes()), `the changed message: ${await a.messages()}`);
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    expect(await a.page.inputValue("input[name=first_name]") === "Ada", "first name saved");
    expect(await a.page.inputValue("input[name=last_name]") === "Lovelace", "last name saved");
    expect(await a.page.inputValue("input[name=email]") === "ada@example.com", "email saved");
    expect(await a.page.inputValue("input[name='profile-0-default_language']") === "fr", "inline default_language saved");
    expect(await a.page.inputValue("select[name='profile-0-default_exposure']") === "unlisted", "inline default_exposure saved");
    expect(await a.page.inputValue("select[name='profile-0-default_expiration']") === "1m", "inline default_expiration saved");
    expect(await a.page.isChecked("input[name='profile-0-private']"), "inline private saved");
    expect(await a.page.inputValue("input[name='profile-INITIAL_FORMS']") === "1", "the inline's management form counts the profile");
    expect(await a.page.inputValue("input[name='profile-0-id']") !== "", "the inline form carries the profile's id");
    expect(await a.count(".field-views") > 0 && await a.count("[name='profile-0-views']") === 0, "views is shown read-only");
    await screenshot(a, "user_change.png", 720);
  });

  await step("set a password", async () => {
    expect(await accountsLogin(u, "ada", ADA_PASSWORD), "ada logs in on the accounts site with the first password");
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    await a.submit('#content a[href="../password/"]');
    expect(a.pathname() === `/admin/auth/user/${id("ada")}/password/`, `the summary's link opens the password form: ${a.path()}`);
    await a.usablePassword();
    await a.page.fill("input[name=password1]", ADA_NEW_PASSWORD);
    await a.page.fill("input[name=password2]", ADA_NEW_PASSWORD);
    await a.submit("#content form [type=submit]");
    expect(a.pathname() === `/admin/auth/user/${id("ada")}/change/`, `setting the password returns to the change page: ${a.path()}`);
    expect((await a.successes()).includes("Password changed successfully."), `the password message: ${await a.messages()}`);
    const after = await hashSummary(a);
    expect(after.salt && after.salt !== summary?.salt, `a new salt in the summary (${summary?.salt} -> ${after.salt})`);
    expect(await loggedOut(u), "setting the password in the admin ended ada's session");
    expect(!(await accountsLogin(u, "ada", ADA_PASSWORD)), "the first password no longer works");
    expect(await accountsLogin(u, "ada", ADA_NEW_PASSWORD), "the password set in the admin works");
  });

  await step("history", async () => {
    await a.go(`/admin/auth/user/${id("ada")}/history/`);
    const rows = await a.count("#change-history tbody tr");
    const history = await a.text("#change-history");
    expect(rows >= 3, `the history lists the add, the change and the password (${rows} rows)`);
    expect(/Added/.test(history), "the history has the addition");
    expect(/Changed .*first name/i.test(history), "the history names the changed fields");
    expect(history.includes("Changed password."), "the history has the password change");
    expect(history.includes("admin"), "the history names who did it");
  });

  await step("a view-only staff user is set up", async () => {
    await a.go("/admin/auth/user/add/");
    await a.page.fill("input[name=username]", "viewer");
    await a.usablePassword();
    await a.page.fill("input[name=password1]", VIEWER_PASSWORD);
    await a.page.fill("input[name=password2]", VIEWER_PASSWORD);
    await a.submit("input[name=_save]");
    const m = a.pathname().match(/^\/admin\/auth\/user\/(\d+)\/change\/$/);
    expect(m, `viewer added: ${a.path()}`);
    ids.viewer = m?.[1];
    if (!m) return;
    await a.page.check("input[name=is_staff]");
    const option = a.page.locator("select[name=user_permissions] option", { hasText: /Can view user\s*$/ });
    expect(await option.count() === 1, `one "Can view user" permission to choose (${await option.count()})`);
    await a.page.selectOption("select[name=user_permissions]", await option.first().getAttribute("value"));
    await a.submit("input[name=_save]");
    // Granting staff status asks the acting user's password again.
    expect(a.pathname() === `/admin/auth/user/${ids.viewer}/change/`, `granting staff stays on the form: ${a.path()}`);
    expect(await a.count("input#id__reauth_password") === 1, "the form asks for the admin's password");
    expect(await a.page.isChecked("input[name=is_staff]"), "the ticked box is kept");
    await a.page.fill("input#id__reauth_password", "not the password");
    await a.submit("input[name=_save]");
    expect((await a.text("#reauth")).includes("incorrectly"), `a wrong password is refused: ${await a.text("#reauth")}`);
    await a.page.fill("input#id__reauth_password", ADMIN_PASSWORD);
    await a.submit("input[name=_save]");
    expect(a.pathname() === "/admin/auth/user/", `Save goes back to the list: ${a.path()}`);
    expect(/was changed successfully/.test(await a.successes()), `the changed message: ${await a.messages()}`);
    await a.go(`/admin/auth/user/${id("viewer")}/change/`);
    expect(await a.page.isChecked("input[name=is_staff]"), "viewer is staff");
    const chosen = await a.page.locator("select[name=user_permissions] option:checked").allInnerTexts();
    expect(chosen.length === 1 && /Can view user\s*$/.test(chosen[0]), `viewer has only auth.view_user: ${chosen}`);
  });

  await step("the user list: two pages", async () => {
    await a.go("/admin/auth/user/");
    expect(await a.count("#changelist") === 1, "the changelist");
    expect(await a.rows() === 100, `100 users on the first page (${await a.rows()})`);
    expect((await a.text(".paginator")).includes(`${TOTAL} users`), `the paginator counts ${TOTAL} users: ${await a.text(".paginator")}`);
    await screenshot(a, "user_list.png", 720);
    const first = await a.usernames();
    await a.submit('.paginator a[href*="p=2"]');
    expect(a.query("p") === "2", `the paginator's link to page 2: ${a.path()}`);
    const second = await a.usernames();
    expect(second.length === TOTAL - 100, `the rest on page 2 (${second.length})`);
    expect(second.every((n) => !first.includes(n)), "page 2 repeats nobody from page 1");
  });

  await step("the user list: search", async () => {
    await a.go("/admin/auth/user/");
    await a.page.fill("input#searchbar[name=q]", "member01");
    await Promise.all([a.page.waitForNavigation(), a.page.press("input#searchbar", "Enter")]);
    expect(a.query("q") === "member01", `the search is in the URL: ${a.path()}`);
    const names = await a.usernames();
    expect(names.length === 10 && names.every((n) => n.startsWith("member01")), `member010..member019 found: ${names}`);
    expect(await a.page.inputValue("input#searchbar") === "member01", "the search box keeps the query");
  });

  await step("the user list: filter", async () => {
    await a.go("/admin/auth/user/");
    expect(await a.count("#changelist-filter") === 1, "the filter sidebar");
    await a.submit('#changelist-filter a[href*="is_staff__exact=1"]');
    expect(a.query("is_staff__exact") === "1", `the filter is in the URL: ${a.path()}`);
    const names = (await a.usernames()).sort();
    expect(JSON.stringify(names) === JSON.stringify(["admin", "viewer"]), `staff only: ${names}`);
  });

  await step("the user list: ordering", async () => {
    await a.go("/admin/auth/user/?o=1");
    const up = await a.usernames();
    expect(up[0] === "ada" && sorted(up, false), `?o=1 orders by username, ascending: ${up.slice(0, 3)}`);
    await a.go("/admin/auth/user/?o=-1");
    const down = await a.usernames();
    expect(down[0] === "walter" && sorted(down, true), `?o=-1 orders by username, descending: ${down.slice(0, 3)}`);
  });

  await step("delete selected, with the confirmation", async () => {
    await a.go("/admin/auth/user/?q=member14");
    expect(await a.rows() === 10, `member140..member149 listed (${await a.rows()})`);
    const rows = a.page.locator("#result_list tbody tr");
    const doomed = [];
    for (let i = 0; i < 3; i++) {
      doomed.push((await rows.nth(i).locator(".field-username").innerText()).trim());
      await rows.nth(i).locator("input.action-select").check();
    }
    await a.page.selectOption("select[name=action]", "delete_selected");
    await a.submit("[name=index]");
    expect(/Are you sure/.test(await a.text("#content h1")), `the confirmation page: ${await a.text("#content h1")}`);
    const confirmation = await a.text("#content");
    expect(doomed.every((n) => confirmation.includes(n)), `the confirmation names ${doomed}`);
    await a.submit(a.page.locator("#content").getByRole("button", { name: CONFIRM, exact: true }));
    expect(a.pathname() === "/admin/auth/user/", `back on the list: ${a.path()}`);
    expect((await a.successes()).includes("Successfully deleted 3 users."), `the deleted message: ${await a.messages()}`);
    await a.go("/admin/auth/user/?q=member14");
    const left = await a.usernames();
    expect(left.length === 7 && doomed.every((n) => !left.includes(n)), `the three are gone: ${left}`);
  });

  await step("delete one, from its delete page", async () => {
    const id = await userId(a, "member150");
    await a.go(`/admin/auth/user/${id}/delete/`);
    expect((await a.text("#content")).includes("member150"), "the delete page names the user");
    await a.submit(a.page.locator("#content").getByRole("button", { name: CONFIRM, exact: true }));
    expect(a.pathname() === "/admin/auth/user/", `back on the list: ${a.path()}`);
    expect(/member150.*was deleted successfully/.test(await a.successes()), `the deleted message: ${await a.messages()}`);
    const r = await a.page.request.get(`${base}/admin/auth/user/${id}/change/`, { maxRedirects: 0 });
    expect(r.status() === 302 || r.status() === 404, `the deleted user's page is gone (${r.status()})`);
  });

  await step("a view-only user", async () => {
    const v = await newPage(browser, "viewer");
    try {
      await adminLogin(v, "viewer", VIEWER_PASSWORD);
      expect(v.path() === "/admin/", `the view-only staff user logs in: ${v.path()}`);
      await v.go("/admin/auth/user/");
      expect(await v.rows() > 0, "the view-only user sees the list");
      expect(await v.count("select[name=action]") === 0, "and no actions");
      const response = await v.go(`/admin/auth/user/${id("ada")}/change/`);
      expect(response.status() === 200, `the view-only user sees ada's page (${response.status()})`);
      expect(await v.count("input[name=_save]") === 0, "without a Save button");
      expect(await v.count("input[name=_continue]") === 0, "or Save and continue editing");
      expect(await v.count("input[name=username]") === 0 && (await v.text("#content")).includes("ada"),
             "the username is shown, not editable");
      const token = await v.csrfToken();
      const post = await v.page.request.post(`${base}/admin/auth/user/${id("ada")}/change/`, {
        form: { csrfmiddlewaretoken: token, username: "ada-by-viewer", _save: "Save" }, maxRedirects: 0 });
      expect(post.status() === 403, `a view-only POST to the change page is 403 (${post.status()})`);
      for (const path of ["add/", `${id("ada")}/delete/`, `${id("ada")}/password/`]) {
        const r = await v.page.request.get(`${base}/admin/auth/user/${path}`, { maxRedirects: 0 });
        expect(r.status() === 403, `the view-only user gets 403 for ${path} (${r.status()})`);
      }
    } finally {
      await v.page.context().close();
    }
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    expect(await a.page.inputValue("input[name=username]") === "ada", "ada is still ada");
  });

  await step("the sessions panel", async () => {
    // ada has one session, from the password step.
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    const sessions = a.page.locator("#sessions tr.session");
    expect(await sessions.count() === 1, `one session in the panel (${await sessions.count()})`);
    const row = await a.text("#sessions tr.session");
    expect(row.includes("127.0.0.1") && row.includes("Chrome"), `the row shows the address and the browser: ${row}`);
    await a.submit(sessions.first().getByRole("button", { name: "End session", exact: true }));
    expect(a.pathname() === `/admin/auth/user/${id("ada")}/change/`, `ending it returns to the change page: ${a.path()}`);
    expect(/^Ended /.test(await a.successes()), `the ended message: ${await a.messages()}`);
    expect(await a.count("#sessions tr.session") === 0, "no session left in the panel");
    expect(await loggedOut(u), "ada's browser is logged out");

    // Two sessions, both ended at once.
    const u2 = await newPage(browser, "ada-2");
    try {
      expect(await accountsLogin(u, "ada", ADA_NEW_PASSWORD) && await accountsLogin(u2, "ada", ADA_NEW_PASSWORD),
             "ada logs in from two browsers");
      await a.go(`/admin/auth/user/${id("ada")}/change/`);
      expect(await a.count("#sessions tr.session") === 2, `two sessions in the panel (${await a.count("#sessions tr.session")})`);
      await a.submit(a.page.locator("#sessions").getByRole("button", { name: "End all sessions", exact: true }));
      expect(/^Ended /.test(await a.successes()), `the ended message: ${await a.messages()}`);
      expect(await a.count("#sessions tr.session") === 0, "no session left in the panel");
      expect(await loggedOut(u) && await loggedOut(u2), "both of ada's browsers are logged out");
    } finally {
      await u2.page.context().close();
    }
  });

  await step("send a password reset email", async () => {
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    await a.submit(a.page.locator("#password-reset").getByRole("button", { name: "Send password reset email", exact: true }));
    expect(a.pathname() === `/admin/auth/user/${id("ada")}/change/`, `back on the change page: ${a.path()}`);
    expect((await a.successes()).includes("Sent a password reset email to 1 user."), `the sent message: ${await a.messages()}`);
    await a.go(`/admin/auth/user/${id("ada")}/history/`);
    expect((await a.text("#change-history")).includes("Sent a password reset email."), "the history has it");
  });

  await step("must change password at next login", async () => {
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    await a.page.check("input[name=must_change_password]");
    await a.submit("input[name=_continue]");
    expect(/was changed successfully/.test(await a.successes()), `the flag is saved: ${await a.messages()}`);
    expect(await a.page.isChecked("input[name=must_change_password]"), "the box stays ticked");
    // ada logs in: the login works and lands on the password change, whatever she asks for.
    await accountsLogin(u, "ada", ADA_NEW_PASSWORD);
    expect(u.pathname() === "/accounts/password_change/", `the login leads to the password change: ${u.path()}`);
    await u.go("/accounts/profile/");
    expect(u.pathname() === "/accounts/password_change/", `the profile waits for it: ${u.path()}`);
    await u.page.fill("input[name=old_password]", ADA_NEW_PASSWORD);
    await u.page.fill("input[name=new_password1]", ADA_THIRD_PASSWORD);
    await u.page.fill("input[name=new_password2]", ADA_THIRD_PASSWORD);
    await u.submit('button:has-text("Change")');
    await u.go("/accounts/profile/");
    expect(u.pathname() === "/accounts/profile/", `changed: the profile opens (${u.path()})`);
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    expect(!(await a.page.isChecked("input[name=must_change_password]")), "the flag is cleared by the change");
  });

  await step("CSRF", async () => {
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    const forged = await a.page.request.post(`${base}/admin/auth/user/${id("ada")}/change/`, {
      form: { username: "ada-forged", first_name: "Ada", last_name: "Lovelace", email: "ada@example.com", _save: "Save" },
      maxRedirects: 0 });
    expect(forged.status() === 403, `a change POST without csrfmiddlewaretoken is 403 (${forged.status()})`);
    const end = `${base}/admin/auth/user/${id("ada")}/sessions/end/`;
    const without = await a.page.request.post(end, { form: { session: "all" }, maxRedirects: 0 });
    expect(without.status() === 403, `an end-sessions POST without the token is 403 (${without.status()})`);
    const token = await a.csrfToken();
    const withToken = await a.page.request.post(end, { form: { csrfmiddlewaretoken: token, session: "all" }, maxRedirects: 0 });
    expect(withToken.status() === 302, `the same POST with the token is 302 (${withToken.status()})`);
    await a.go(`/admin/auth/user/${id("ada")}/change/`);
    expect(await a.page.inputValue("input[name=username]") === "ada", "the forged change did nothing");
  });

  await step("the last active superuser", async () => {
    ids.admin = await userId(a, "admin");
    await a.go(`/admin/auth/user/${id("admin")}/delete/`);
    expect((await a.text("#content")).includes(LAST_SUPERUSER_DELETE), "the delete page refuses the last superuser");
    expect(await a.page.getByRole("button", { name: CONFIRM, exact: true }).count() === 0, "with no confirm button");
    const token = await a.csrfToken();
    const post = await a.page.request.post(`${base}/admin/auth/user/${id("admin")}/delete/`, {
      form: { csrfmiddlewaretoken: token, post: "yes" }, maxRedirects: 0 });
    expect(post.status() === 403, `a delete POST for the last superuser is 403 (${post.status()})`);

    await a.go("/admin/auth/user/?q=admin");
    const rows = a.page.locator("#result_list tbody tr");
    for (let i = 0; i < await rows.count(); i++)
      if ((await rows.nth(i).locator(".field-username").innerText()).trim() === "admin")
        await rows.nth(i).locator("input.action-select").check();
    await a.page.selectOption("select[name=action]", "delete_selected");
    await a.submit("[name=index]");
    expect((await a.text("#content")).includes(LAST_SUPERUSER_DELETE), "delete_selected refuses the last superuser");
    expect(await a.page.getByRole("button", { name: CONFIRM, exact: true }).count() === 0, "with no confirm button");
    const confirmed = await a.page.request.post(`${base}/admin/auth/user/`, {
      form: { csrfmiddlewaretoken: await a.csrfToken(), action: "delete_selected", _selected_action: id("admin"),
              index: "0", post: "yes" }, maxRedirects: 0 });
    expect(confirmed.status() === 403, `a confirmed delete_selected of the last superuser is 403 (${confirmed.status()})`);

    for (const flag of ["is_superuser", "is_active"]) {
      await a.go(`/admin/auth/user/${id("admin")}/change/`);
      await a.page.uncheck(`input[name=${flag}]`);
      await a.submit("input[name=_save]");
      expect(a.pathname() === `/admin/auth/user/${id("admin")}/change/` && await a.count(".errornote") > 0,
             `unticking ${flag} keeps the form with an error note: ${a.path()}`);
      expect((await a.text("#content")).includes(LAST_SUPERUSER_DEMOTE), `unticking ${flag} says why`);
    }
    await a.go(`/admin/auth/user/${id("admin")}/change/`);
    expect(await a.page.isChecked("input[name=is_superuser]") && await a.page.isChecked("input[name=is_active]"),
           "admin is still an active superuser");
  });

  await step("logout", async () => {
    await a.go("/admin/");
    const get = await a.page.request.get(`${base}/admin/logout/`, { maxRedirects: 0 });
    expect(get.status() === 405, `GET /admin/logout/ is 405 (${get.status()})`);
    await a.submit('form[action="/admin/logout/"] [type=submit]');
    expect(a.pathname() === "/admin/logout/", `the logged-out page: ${a.path()}`);
    await a.go("/admin/");
    expect(a.path() === "/admin/login/?next=/admin/", `after logout /admin/ needs a login again: ${a.path()}`);
  });
}

await runBrowserTest({
  gatehouse, env, cleanup, label: `browser admin (${deployment})`,
  before: () => execFileSync(gatehouse, ["createsuperuser", "--username", "admin", "--email", "a@example.com", "--noinput"],
                             { env: { ...env, GATEHOUSE_SUPERUSER_PASSWORD: ADMIN_PASSWORD }, stdio: ["ignore", "pipe", "pipe"] }),
  run: (browser, b) => { base = b; return run(browser); },
});
