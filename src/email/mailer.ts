import nodemailer, { type Transporter } from 'nodemailer';

/** One outgoing reply, threaded under the customer's message. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  inReplyTo: string;
  references: string[];
  /** Extra headers (Auto-Submitted: our replies must not start mail loops; AIGC: the implicit AI-content label). */
  headers?: Record<string, string>;
}

/** How replies leave: SMTP in production; an interface so a provider's HTTP API could stand in. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<{ accepted: string[] }>;
  close(): void;
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(url: string, timeoutMs: number) {
    // smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465 (TLS from the start).
    const parsed = new URL(url);
    const secure = parsed.protocol === 'smtps:';
    this.transport = nodemailer.createTransport({
      host: parsed.hostname,
      port: Number(parsed.port) || (secure ? 465 : 587),
      secure,
      auth: parsed.username ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } : undefined,
      // A local relay without TLS must keep working; STARTTLS is used whenever the server offers it.
      ignoreTLS: parsed.searchParams.get('tls') === 'off',
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(mail: OutgoingMail): Promise<{ accepted: string[] }> {
    const info = await this.transport.sendMail({ ...mail, references: mail.references.join(' ') });
    const accepted = (info.accepted ?? []).map(String);
    const rejected = (info.rejected ?? []).map(String);
    // A refused recipient is a failed send (retried, then surfaced), not a silent success.
    if (rejected.length && !accepted.length) throw new Error(`The SMTP server refused ${rejected.join(', ')}: ${info.response}`);
    return { accepted };
  }

  close(): void {
    this.transport.close();
  }
}
