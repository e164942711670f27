import { createHash, timingSafeEqual } from "node:crypto";
import { isIP, type Socket, connect as tcpConnect } from "node:net";
import { type PeerCertificate, type TLSSocket, connect as tlsConnect } from "node:tls";

export class TlsPinMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `TLS pin mismatch: the server presented a certificate with SHA-256 ${actual}, but tlsPinSha256 is ${expected}. Nothing was sent. If the certificate was renewed on purpose, update tlsPinSha256 in the agent config.`,
    );
    this.name = "TlsPinMismatchError";
  }
}

export class ConnectError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}

export const certificateSha256 = (cert: Pick<PeerCertificate, "raw">) =>
  createHash("sha256").update(cert.raw).digest("hex");

export interface OpenSocketOptions {
  /** Lower-case hex SHA-256 of the leaf certificate; when set it replaces CA validation. */
  tlsPinSha256?: string | null;
  timeoutMs?: number;
}

/**
 * Opens the TCP (or TLS) connection that an HTTP request or the WebSocket upgrade then runs
 * over. The certificate is checked here, after the handshake and before the caller writes a
 * byte, so the bearer never reaches a server that fails the pin. Done by hand because neither
 * Node (with a self-signed certificate) nor Bun calls `checkServerIdentity` for a pinned
 * connection; both honour a ready socket through `createConnection`.
 */
export function openSocket(url: URL, options: OpenSocketOptions = {}): Promise<Socket | TLSSocket> {
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port) || (secure ? 443 : 80);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pin = options.tlsPinSha256 ?? null;

  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = secure
      ? tlsConnect({
          host,
          port,
          // SNI must be a name, never an IP literal (RFC 6066).
          servername: isIP(host) ? undefined : host,
          // With a pin the pin is the trust anchor (self-signed proxies); without one, the CA store.
          rejectUnauthorized: pin === null,
          ALPNProtocols: ["http/1.1"],
        })
      : tcpConnect({ host, port });

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new ConnectError(`timed out after ${timeoutMs / 1000} s connecting to ${host}:${port}`)),
      timeoutMs,
    );
    socket.once("error", (err: NodeJS.ErrnoException) => {
      const what = err.code ? `${err.code}: ${err.message}` : err.message;
      fail(new ConnectError(`cannot connect to ${host}:${port}: ${what}`, { cause: err }));
    });
    socket.once(secure ? "secureConnect" : "connect", () => {
      if (settled) return;
      if (secure && pin !== null) {
        const cert = (socket as TLSSocket).getPeerCertificate(true);
        const actual = cert?.raw ? certificateSha256(cert) : "(no certificate)";
        const ok = actual.length === pin.length && timingSafeEqual(Buffer.from(actual), Buffer.from(pin));
        if (!ok) return fail(new TlsPinMismatchError(pin, actual));
      }
      settled = true;
      clearTimeout(timer);
      // The `fail` listener stays: it ignores late errors, and whoever takes the socket adds its own.
      resolve(socket);
    });
  });
}
