/** The session cookie's name. Attributes (HttpOnly, SameSite, Secure) are set by the server. */
export const SESSION_COOKIE = "rm_session";
/** The header every browser mutation carries; a cross-site form cannot set it. */
export const CSRF_HEADER = "x-rm-csrf";
