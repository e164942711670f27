/**
 * Notification sinks on loopback for alert tests: one HTTP server that answers as webhook and
 * ntfy endpoints (paths starting /refuse answer 401), and a real SMTP server (smtp-server) that
 * accepts one user. Plus a port nothing listens on, and the webhook signature check as a
 * receiver would write it (independent of the console's code).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface HttpHit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
}

export interface AlertSinks {
  httpUrl: string;
  smtpPort: number;
  /** A loopback port with nothing listening: connections are refused. */
  refusedPort: number;
  hits: HttpHit[];
  mails: ReceivedMail[];
  close(): Promise<void>;
}

export async function startAlertSinks(smtpUser: { username: string; password: string }): Promise<AlertSinks> {
  const hits: HttpHit[] = [];
  const mails: ReceivedMail[] = [];
  const http = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      hits.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(req.url?.startsWith("/refuse") ? 401 : 200).end();
    });
  });
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  const smtp = new SMTPServer({
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === smtpUser.username && auth.password === smtpUser.password) {
        cb(null, { user: auth.username });
      } else cb(new Error("535 bad credentials"));
    },
    onData(stream, session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => {
        raw += c.toString();
      });
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw,
        });
        cb();
      });
    },
  });
  const smtpPort = await new Promise<number>((done) => {
    const server = smtp.listen(0, "127.0.0.1", () => done((server.address() as AddressInfo).port));
  });
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const refusedPort = (probe.address() as AddressInfo).port;
  await new Promise((done) => probe.close(done));
  return {
    httpUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    smtpPort,
    refusedPort,
    hits,
    mails,
    close: async () => {
      http.closeAllConnections();
      await new Promise((done) => http.close(done));
      await new Promise<void>((done) => smtp.close(() => done()));
    },
  };
}

/** Checks `X-Restic-Manager-Signature: t=<unix>,v1=<hex HMAC-SHA256("<t>.<body>")>` as docs/alerts.md shows. */
export function verifyWebhookSignature(header: string | string[] | undefined, body: string, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(typeof header === "string" ? header : "");
  if (!m) return false;
  const expected = createHmac("sha256", secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2] as string, "hex"));
}
