/** The console's page shell (navigation, who is signed in, sign out) and its sign-in page. */
import { type Html, html } from './html.ts';

export const NAV = [
  ['dependencies', 'Dependencies'],
  ['work', 'Work in flight'],
  ['dead-letters', 'Dead letters'],
  ['lineage', 'Request lineage'],
  ['versions', 'API versions'],
  ['audit', 'Audit'],
] as const;

export type Section = (typeof NAV)[number][0];

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

function shell(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Steadfast console</title><link rel="stylesheet" href="/console/assets/console.css"></head>
<body>${body}</body></html>`.markup;
}

export function flashBox(flash: Flash | undefined): Html {
  return flash ? html`<p class="flash ${flash.kind}" role="status">${flash.text}</p>` : html``;
}

export function page(options: {
  title: string;
  section: Section;
  operatorName: string;
  csrfToken: string;
  flash?: Flash;
  body: Html;
}): string {
  const nav = NAV.map(
    ([id, label]) =>
      html`<a href="/console/${id}" class="${id === options.section ? 'active' : ''}">${label}</a>`,
  );
  return shell(
    options.title,
    html`<header><a class="brand" href="/console">Steadfast</a>${nav}
<form class="inline" method="post" action="/console/sign-out"><input type="hidden" name="_csrf" value="${options.csrfToken}">
<span class="who">${options.operatorName}</span> <button type="submit">Sign out</button></form></header>
<main><h1>${options.title}</h1>${flashBox(options.flash)}${options.body}</main>`,
  );
}

/** a hidden CSRF field for a form of a signed-in page */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export function signInPage(options: { csrfToken: string; flash?: Flash }): string {
  return shell(
    'Sign in',
    html`<main class="signin"><h1>Steadfast console</h1>${flashBox(options.flash)}
<form method="post" action="/console/sign-in">
<input type="hidden" name="_csrf" value="${options.csrfToken}">
<label for="key">Operator API key</label>
<input id="key" name="key" type="password" autocomplete="off" required>
<button class="primary" type="submit">Sign in</button></form>
<p class="muted">Operator keys only (<code>steadfast key create --operator …</code>); a tenant's key is refused.</p></main>`,
  );
}

/** a page for a signed-out visitor who followed a stale link or form */
export function messagePage(title: string, text: string): string {
  return shell(
    title,
    html`<main class="signin"><h1>${title}</h1><p>${text}</p><p><a href="/console">Sign in</a></p></main>`,
  );
}
