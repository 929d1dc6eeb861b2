/**
 * sendRawHttp(port, bytes): one request written to a new connection exactly as
 * given — for what `inject` and fetch cannot send (broken headers, bad
 * Content-Length, huge request lines) — and the parsed answer.
 */
import net from 'node:net';

export interface RawHttpAnswer {
  status: number;
  /** lower-case names */
  headers: Record<string, string>;
  body: string;
}

export function sendRawHttp(
  port: number,
  request: string | Buffer,
  host = '127.0.0.1',
): Promise<RawHttpAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // a complete answer on a kept-alive connection: stop reading
      const received = Buffer.concat(chunks);
      const end = received.indexOf('\r\n\r\n');
      const length =
        end < 0 ? null : /\r\ncontent-length: *(\d+)/i.exec(received.subarray(0, end).toString('latin1'));
      if (length && received.length >= end + 4 + Number(length[1])) socket.destroy();
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) });
    });
    socket.on('error', reject);
    socket.write(request);
  });
}
