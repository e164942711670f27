import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { openSocket } from "./transport.js";

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * POSTs JSON over a socket from `openSocket`, so the TLS pin is checked before the body (an
 * enrolment token) is written. The answer body is capped at 64 KiB.
 */
export async function postJson(
  url: URL,
  payload: unknown,
  options: { tlsPinSha256?: string | null; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const socket = await openSocket(url, { tlsPinSha256: options.tlsPinSha256 ?? null, timeoutMs });
  const body = Buffer.from(JSON.stringify(payload));
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": String(body.length),
          accept: "application/json",
          connection: "close",
        },
        createConnection: (() => socket) as never,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 64 * 1024) chunks.push(chunk);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs / 1000} s`)));
    req.on("error", (error) => {
      socket.destroy();
      reject(error);
    });
    req.end(body);
  });
}
