/**
 * A real SMTP server (the `smtp-server` package) on a local port that keeps every message it accepts, parsed
 * with mailparser, so tests can check what the e-mail channel sent: recipients, threading headers, both parts.
 * Recipients matching `reject` are refused at RCPT TO, as a mail server refuses an unknown mailbox.
 */
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { until } from './until.js';

export interface CapturedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
  raw: string;
}

export class SmtpCapture {
  readonly messages: CapturedMail[] = [];
  reject?: RegExp;
  private server?: SMTPServer;

  get url(): string {
    return `smtp://127.0.0.1:${(this.server!.server.address() as AddressInfo).port}?tls=off`;
  }

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (this.reject?.test(address.address)) return callback(Object.assign(new Error(`550 No such mailbox: ${address.address}`), { responseCode: 550 }));
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', async () => {
          const raw = Buffer.concat(chunks);
          this.messages.push({ envelopeTo: session.envelope.rcptTo.map((to) => to.address), parsed: await simpleParser(raw), raw: raw.toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Waits for a message to this address. */
  waitFor(to: string, timeoutMs = 20_000): Promise<CapturedMail> {
    return until(`a mail to ${to}`, async () => this.messages.find((message) => message.envelopeTo.includes(to)), timeoutMs);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
