// Which model API Claude Code talks to (claude-code-action's use_bedrock / use_vertex / use_foundry)
// and whether the API retry proxy can stand in front of it.

export const PROVIDERS = ['anthropic', 'bedrock', 'vertex', 'foundry'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface ProviderRoute {
  readonly provider: Provider;
  /** `CLAUDE_CODE_USE_*` set to 1 for the agent; none for the Anthropic API. */
  readonly useVariable: string | undefined;
  /** The variable Claude Code reads this provider's base URL from. */
  readonly baseUrlVariable: string;
  /** Where the proxy forwards to; undefined when the provider is called directly (said in `note`). */
  readonly upstream: string | undefined;
  readonly note: string | undefined;
}

const DEFAULT_ANTHROPIC_URL = 'https://api.anthropic.com';
// Claude Code's own default region for Vertex AI when CLOUD_ML_REGION is not set.
const DEFAULT_VERTEX_REGION = 'us-east5';

function vertexUrl(region: string): string {
  return region === 'global' ? 'https://aiplatform.googleapis.com/v1' : `https://${region}-aiplatform.googleapis.com/v1`;
}

/** Pure: the route for a provider given the step's environment. */
export function providerRoute(provider: Provider, env: Readonly<Record<string, string | undefined>>): ProviderRoute {
  switch (provider) {
    case 'anthropic':
      return { provider, useVariable: undefined, baseUrlVariable: 'ANTHROPIC_BASE_URL', upstream: env.ANTHROPIC_BASE_URL || DEFAULT_ANTHROPIC_URL, note: undefined };
    case 'bedrock':
      return {
        provider,
        useVariable: 'CLAUDE_CODE_USE_BEDROCK',
        baseUrlVariable: 'ANTHROPIC_BEDROCK_BASE_URL',
        upstream: undefined,
        note: 'Amazon Bedrock requests are signed (SigV4) for the Bedrock host, so they go straight to Bedrock: the API retry proxy is not used (process retry and checkpoints still are).',
      };
    case 'vertex': {
      const perModelRegion = Object.keys(env).some((name) => name.startsWith('VERTEX_REGION_') && env[name]);
      if (!env.ANTHROPIC_VERTEX_BASE_URL && perModelRegion) {
        return {
          provider,
          useVariable: 'CLAUDE_CODE_USE_VERTEX',
          baseUrlVariable: 'ANTHROPIC_VERTEX_BASE_URL',
          upstream: undefined,
          note: 'VERTEX_REGION_* sends models to different regions, which one proxy cannot follow: Vertex AI is called directly (set ANTHROPIC_VERTEX_BASE_URL to use the API retry proxy).',
        };
      }
      return {
        provider,
        useVariable: 'CLAUDE_CODE_USE_VERTEX',
        baseUrlVariable: 'ANTHROPIC_VERTEX_BASE_URL',
        upstream: env.ANTHROPIC_VERTEX_BASE_URL || vertexUrl(env.CLOUD_ML_REGION || DEFAULT_VERTEX_REGION),
        note: undefined,
      };
    }
    case 'foundry': {
      const upstream = env.ANTHROPIC_FOUNDRY_BASE_URL || (env.ANTHROPIC_FOUNDRY_RESOURCE ? `https://${env.ANTHROPIC_FOUNDRY_RESOURCE}.services.ai.azure.com/anthropic` : undefined);
      return {
        provider,
        useVariable: 'CLAUDE_CODE_USE_FOUNDRY',
        baseUrlVariable: 'ANTHROPIC_FOUNDRY_BASE_URL',
        upstream,
        note: upstream ? undefined : 'Neither ANTHROPIC_FOUNDRY_BASE_URL nor ANTHROPIC_FOUNDRY_RESOURCE is set: Microsoft Foundry is called as Claude Code decides, without the API retry proxy.',
      };
    }
  }
}
