import { createHmac } from 'node:crypto';

/**
 * The bearer token of the local cloud's API: LOCAL_CLOUD_TOKEN when configured (a cloud run
 * elsewhere), else derived from the agent secret, which the control plane and the cloud already
 * share — so `npm start` needs no setting, and an instance, which holds only its own agent token,
 * cannot call the cloud.
 */
export function localCloudToken(configured: string | undefined, agentSecret: string): string {
  return configured || createHmac('sha256', agentSecret).update('local-cloud-api').digest('base64url');
}
