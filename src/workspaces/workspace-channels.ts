import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type Config, parseWorkspaceSecrets, type WorkspaceSecretName, type WorkspaceSecrets } from '../config/config.js';

const id = z.string().trim().min(1).max(128);

/**
 * A created workspace's own messaging channels (docs/workspaces.md): what identifies each account, never its secrets,
 * which come from the deployment's WORKSPACE_SECRETS / WORKSPACE_SECRETS_FILE under the deployment's setting names.
 * Its callbacks come to `/channels/<platform>/<workspace>`.
 */
export const workspaceChannels = z
  .object({
    wechat: z.object({ appId: id, allowPlaintext: z.boolean().optional(), transferToHuman: z.boolean().optional() }).strict(),
    wecom: z.object({ corpId: id, handoffServicer: id.optional() }).strict(),
    feishu: z
      .object({ appId: id, botOpenId: id, eventMode: z.enum(['callback', 'long-connection']).optional() })
      .strict()
      .refine(
        (feishu) => feishu.eventMode !== 'long-connection' || /^cli_[0-9a-fA-F]{16}$/.test(feishu.appId),
        'appId must be the App ID the console shows (cli_ and 16 hex digits) for the long connection',
      ),
    dingtalk: z.object({ clientId: id }).strict(),
  })
  .partial()
  .strict();
export type WorkspaceChannels = z.infer<typeof workspaceChannels>;

/** A created workspace's hand-off webhook (its secret, HANDOFF_WEBHOOK_SECRET, in WORKSPACE_SECRETS). */
export const workspaceHandoffWebhook = z.object({ url: z.string().url() }).strict();

type Secrets = Partial<Record<WorkspaceSecretName, string>>;
type ChannelParts = { channels?: WorkspaceChannels; handoffWebhook?: z.infer<typeof workspaceHandoffWebhook> };

/** The secrets each configured channel cannot work without. */
function required(channels: WorkspaceChannels): Record<keyof WorkspaceChannels, WorkspaceSecretName[]> {
  return {
    wechat: ['WECHAT_APP_SECRET', 'WECHAT_TOKEN'],
    wecom: ['WECOM_KF_SECRET', 'WECOM_KF_TOKEN', 'WECOM_KF_ENCODING_AES_KEY'],
    feishu: channels.feishu?.eventMode === 'long-connection' ? ['FEISHU_APP_SECRET'] : ['FEISHU_APP_SECRET', 'FEISHU_VERIFICATION_TOKEN'],
    dingtalk: ['DINGTALK_CLIENT_SECRET'],
  };
}

/** The secrets the workspace's configured channels still lack, per channel. */
export function missingChannelSecrets(settings: ChannelParts, secrets: Secrets): Partial<Record<keyof WorkspaceChannels, WorkspaceSecretName[]>> {
  const channels = settings.channels ?? {};
  const needs = required(channels);
  const missing: Partial<Record<keyof WorkspaceChannels, WorkspaceSecretName[]>> = {};
  for (const channel of Object.keys(channels) as (keyof WorkspaceChannels)[]) {
    const lacking = needs[channel].filter((name) => !secrets[name]);
    if (lacking.length) missing[channel] = lacking;
  }
  return missing;
}

/**
 * For the admin page's form: each channel's and the hand-off webhook's secrets that are not in WORKSPACE_SECRETS for
 * this workspace, whether the channel is configured or not (names only, never a value).
 */
export function secretsMissing(settings: ChannelParts, secrets: Secrets): Record<keyof WorkspaceChannels | 'handoffWebhook', WorkspaceSecretName[]> {
  const needs = required(settings.channels ?? {});
  const lacking = (names: WorkspaceSecretName[]) => names.filter((name) => !secrets[name]);
  return { wechat: lacking(needs.wechat), wecom: lacking(needs.wecom), feishu: lacking(needs.feishu), dingtalk: lacking(needs.dingtalk), handoffWebhook: lacking(['HANDOFF_WEBHOOK_SECRET']) };
}

/** Whether a workspace's channels connect out (Feishu's long connection, DingTalk Stream): it is built without waiting for a request. */
export function connectsOut(settings: ChannelParts): boolean {
  return Boolean(settings.channels?.dingtalk || settings.channels?.feishu?.eventMode === 'long-connection');
}

/**
 * A created workspace's secrets: WORKSPACE_SECRETS over the file WORKSPACE_SECRETS_FILE, which is read now (as a
 * `<NAME>_FILE` setting's file is at start-up, the setting itself winning), so a secret added for a new workspace
 * needs no restart.
 */
export async function readWorkspaceSecrets(config: Pick<Config, 'WORKSPACE_SECRETS' | 'WORKSPACE_SECRETS_FILE'>, workspace: string): Promise<Secrets> {
  const fromFile = config.WORKSPACE_SECRETS_FILE ? ((await readWorkspaceSecretsFile(config.WORKSPACE_SECRETS_FILE))[workspace] ?? {}) : {};
  return { ...fromFile, ...config.WORKSPACE_SECRETS[workspace] };
}

/** The file WORKSPACE_SECRETS_FILE names, read and checked now: every workspace's secrets in it. */
export async function readWorkspaceSecretsFile(file: string): Promise<WorkspaceSecrets> {
  const parsed = parseWorkspaceSecrets(await readFile(file, 'utf8'));
  if (!parsed.success) throw new Error(`WORKSPACE_SECRETS_FILE: ${file} is not valid (${parsed.error})`);
  return parsed.data;
}

/**
 * The channel and webhook settings of a created workspace: its own accounts, each only when its secrets are all there
 * (else off, never half-configured), and its own hand-off webhook (else the deployment's). The deployment's accounts
 * are never a created workspace's.
 */
export function channelConfig(settings: ChannelParts, secrets: Secrets): Partial<Config> {
  const missing = missingChannelSecrets(settings, secrets);
  const on = <K extends keyof WorkspaceChannels>(channel: K): WorkspaceChannels[K] | undefined => (missing[channel] ? undefined : settings.channels?.[channel]);
  const wechat = on('wechat');
  const wecom = on('wecom');
  const feishu = on('feishu');
  const dingtalk = on('dingtalk');
  return {
    WECHAT_APP_ID: wechat?.appId,
    WECHAT_APP_SECRET: wechat && secrets.WECHAT_APP_SECRET,
    WECHAT_TOKEN: wechat && secrets.WECHAT_TOKEN,
    WECHAT_ENCODING_AES_KEY: wechat && secrets.WECHAT_ENCODING_AES_KEY,
    WECHAT_ALLOW_PLAINTEXT: wechat?.allowPlaintext ?? false,
    WECHAT_TRANSFER_TO_HUMAN: wechat?.transferToHuman ?? false,
    WECOM_CORP_ID: wecom?.corpId,
    WECOM_KF_SECRET: wecom && secrets.WECOM_KF_SECRET,
    WECOM_KF_TOKEN: wecom && secrets.WECOM_KF_TOKEN,
    WECOM_KF_ENCODING_AES_KEY: wecom && secrets.WECOM_KF_ENCODING_AES_KEY,
    WECOM_KF_HANDOFF_SERVICER: wecom?.handoffServicer,
    FEISHU_APP_ID: feishu?.appId,
    FEISHU_APP_SECRET: feishu && secrets.FEISHU_APP_SECRET,
    FEISHU_VERIFICATION_TOKEN: feishu && secrets.FEISHU_VERIFICATION_TOKEN,
    FEISHU_ENCRYPT_KEY: feishu && secrets.FEISHU_ENCRYPT_KEY,
    FEISHU_BOT_OPEN_ID: feishu?.botOpenId,
    FEISHU_EVENT_MODE: feishu?.eventMode ?? 'callback',
    DINGTALK_CLIENT_ID: dingtalk?.clientId,
    DINGTALK_CLIENT_SECRET: dingtalk && secrets.DINGTALK_CLIENT_SECRET,
    // Its helpdesk's replies (`/v1/helpdesk/<helpdesk>/<workspace>`) are verified with its own signing secrets, never the
    // deployment's: a reply signed for the deployment (or another workspace) is not recorded in this one.
    HELPDESK_ZENDESK_SIGNING_SECRET: secrets.HELPDESK_ZENDESK_SIGNING_SECRET,
    HELPDESK_REPLY_SECRET: secrets.HELPDESK_REPLY_SECRET,
    // Its own webhook gets its own credentials only: the deployment's Authorization (a helpdesk API's token) must not
    // travel to another URL.
    ...(settings.handoffWebhook
      ? { HANDOFF_WEBHOOK_URL: settings.handoffWebhook.url, HANDOFF_WEBHOOK_SECRET: secrets.HANDOFF_WEBHOOK_SECRET, HANDOFF_WEBHOOK_AUTHORIZATION: secrets.HANDOFF_WEBHOOK_AUTHORIZATION }
      : {}),
  };
}
