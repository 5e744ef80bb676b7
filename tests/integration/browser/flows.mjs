// Drives Debian's chromium through the hosted pages, as a person would:
// typing into labelled fields and pressing buttons.  Prints one JSON
// document of what it saw; the Python test asserts on it.
//
//   node flows.mjs account BASE EMAIL PASSWORD
//     sign in, see /account, end the other session, sign out
//   node flows.mjs reset BASE EMAIL LINK NEWPASSWORD
//     open the mailed reset link, set a password, sign in with it
//
// Every page's console is watched for Content Security Policy reports,
// and each page checks that its stylesheet really applied (so a CSP that
// blocked it would not pass unseen).
import { chromium } from "playwright-core";

const [mode, base, ...args] = process.argv.slice(2);
const out = { csp: [], errors: [], pages: [] };

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
	args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({
	extraHTTPHeaders: { "X-Forwarded-For": process.env.CLIENT_IP || "198.19.0.1" },
});
const page = await context.newPage();
page.on("console", (m) => {
	if (/Content Security Policy/i.test(m.text())) out.csp.push(m.text());
});
page.on("pageerror", (e) => out.errors.push(String(e)));

async function styled(label) {
	// the stylesheet sets main's max-width; without it the page is raw
	const w = await page.$eval("main", (m) => getComputedStyle(m).maxWidth);
	out.pages.push({ label, url: page.url(), styled: w !== "none",
	    title: await page.title() });
}

async function signIn(email, password) {
	await page.goto(base + "/login");
	await styled("login");
	await page.getByLabel("Email address").fill(email);
	await page.getByLabel("Password").fill(password);
	await Promise.all([page.waitForURL(/\/account/),
	    page.getByRole("button", { name: "Sign in" }).click()]);
	await styled("account");
}

try {
	if (mode === "account") {
		const [email, password] = args;
		await signIn(email, password);
		out.accountEmail = await page.textContent("#account-email");
		out.sessionsBefore = await page.locator("tr.session").count();
		// end a session that is not this one
		const other = page.locator("tr.session", { hasNotText: "this one" })
		    .first();
		out.endedId = await other.getAttribute("data-id");
		await Promise.all([page.waitForLoadState("load"),
		    other.getByRole("button", { name: "End" }).click()]);
		await styled("account after ending a session");
		out.notice = await page.textContent(".notice");
		out.sessionsAfter = await page.locator("tr.session").count();
		out.endedStillListed = await page.locator(
		    `tr.session[data-id="${out.endedId}"]`).count();
		// sign out: the button, then the page says so
		await Promise.all([page.waitForLoadState("load"),
		    page.locator("form.signout button").click()]);
		await styled("signed out");
		out.signedOutText = await page.textContent("main");
		await page.goto(base + "/account");
		out.afterSignOutUrl = page.url();
		await styled("login again");
		out.cookies = (await context.cookies()).map((c) => ({
		    name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
	} else if (mode === "reset") {
		const [email, link, fresh] = args;
		await page.goto(link);
		await styled("reset");
		await page.getByLabel("New password").fill(fresh);
		await Promise.all([page.waitForLoadState("load"),
		    page.getByRole("button", { name: "Set the password" }).click()]);
		await styled("reset done");
		out.resetText = await page.textContent("main");
		await signIn(email, fresh);
		out.accountEmail = await page.textContent("#account-email");
	} else {
		throw new Error("unknown mode " + mode);
	}
} catch (e) {
	out.failure = String(e && e.stack || e);
} finally {
	await browser.close();
}
console.log(JSON.stringify(out));
