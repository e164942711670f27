import { ADMIN_PASSWORD, expect, test } from "../harness.js";

test("first run: setup link -> admin signed in -> sign out -> sign in again", async ({ page, rm }) => {
  expect(rm.setupUrl).toMatch(/\/setup\?token=setup_/);
  await page.goto(rm.setupUrl ?? "");
  await expect(page.getByLabel("Setup token", { exact: true })).toHaveValue(/^setup_/);
  await expect(page.getByText(/At least 12 characters/).first()).toBeVisible();
  await page.getByLabel("Username", { exact: true }).fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel("Confirm password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Create admin account" }).click();

  await expect(page).toHaveURL(`${rm.url}/`);
  const userMenu = page.getByRole("button", { name: /admin/i }).first();
  await expect(userMenu).toBeVisible();

  // Right after setup the shell re-renders as the signed-in user's queries land; a menu opened in
  // that moment can close again (seen once in five CI runs), so open it until it stays open.
  const signOut = page.getByRole("menuitem", { name: "Sign out" });
  await expect(async () => {
    if (!(await signOut.isVisible())) await userMenu.click();
    await expect(signOut).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await signOut.click();
  await expect(page).toHaveURL(/\/signin/);

  // Signed-out visits redirect to sign-in and back.
  await page.goto(`${rm.url}/admin/audit`);
  await expect(page).toHaveURL(/\/signin\?redirect=/);
  await page.getByLabel("Username", { exact: true }).fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${rm.url}/admin/audit`);
  await expect(page.getByRole("cell", { name: "auth.sign_out" }).first()).toBeVisible();
});

test("a wrong setup token shows a clear error", async ({ page, rm }) => {
  await page.goto(`${rm.url}/setup?token=setup_not-the-right-one`);
  await page.getByLabel("Username", { exact: true }).fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel("Confirm password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await expect(page.getByRole("alert").filter({ hasText: /setup token is not valid/ })).toBeVisible();
  await expect(page).toHaveURL(/\/setup/);
});

test("the 13th wrong password in a minute is rate-limited", async ({ page, rm, request }) => {
  // Create the admin through the API, as a browser would.
  const token = new URL(rm.setupUrl ?? "").searchParams.get("token");
  const res = await request.post(`${rm.url}/trpc/auth.setup`, {
    headers: { "x-rm-csrf": "1", origin: rm.url },
    data: { json: { token, username: "admin", password: ADMIN_PASSWORD } },
  });
  expect(res.status()).toBe(200);

  await page.goto(`${rm.url}/signin`);
  for (let i = 1; i <= 13; i++) {
    await page.getByLabel("Username", { exact: true }).fill("admin");
    await page.getByLabel("Password", { exact: true }).fill(`wrong password ${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    const expected = i <= 12 ? /Wrong username or password/ : /Too many failed sign-ins/;
    await expect(page.getByRole("alert").filter({ hasText: expected })).toBeVisible();
  }
});

test("unknown pages show a 404 with a way home", async ({ page, rm }) => {
  await page.goto(`${rm.url}/no/such/page`);
  await expect(page.getByText(/not found/i).first()).toBeVisible();
});
