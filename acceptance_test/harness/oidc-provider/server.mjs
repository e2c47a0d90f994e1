// server.mjs runs oidc-provider (npm, a certified OpenID provider) for the
// acceptance suite: one HTTPS server on 127.0.0.1, one or more providers
// mounted under path prefixes, each with the clients the harness wrote.
//
//   node server.mjs CONFIG.json
//
// The harness (harness/oidcprovider.go) writes CONFIG.json and gives the
// node_modules directory install.sh filled in OIDC_PROVIDER_NODE_MODULES:
//
//   {
//     "port": 43210,                    // 127.0.0.1:port, HTTPS
//     "cert": "server.crt", "key": "server.key",
//     "providers": [{
//       "mount": "/oidc",               // path prefix, also the issuer's path
//       "issuer": "https://127.0.0.1:1234/oidc",
//       "clientAuthMethods": ["client_secret_basic", ...],
//       "clients": [{ oidc-provider client metadata }],
//       "ttl": {"client-id": seconds}   // client_credentials token lifetime per client
//     }]
//   }
//
// It logs one line per request and one per token-endpoint outcome (with
// oidc-provider's own reason for a refusal), then "ready" once listening.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const log = (...args) => console.log(new Date().toISOString(), ...args);

const modules = process.env.OIDC_PROVIDER_NODE_MODULES;
if (!modules) {
  console.error('OIDC_PROVIDER_NODE_MODULES is not set (run acceptance_test/tools/install.sh)');
  process.exit(2);
}
// oidc-provider is an ES module: import it by path, since NODE_PATH does not
// apply to ES modules.
const pkg = JSON.parse(readFileSync(join(modules, 'oidc-provider', 'package.json'), 'utf8'));
const { default: Provider } = await import(pathToFileURL(join(modules, 'oidc-provider', pkg.main)).href);
log(`oidc-provider ${pkg.version} on node ${process.version}`);

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const DEFAULT_TTL = 10 * 60;

// One signing key for all providers: client_credentials tokens are opaque,
// but a provider needs a key to serve its JWKS and sign anything else.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'acceptance-signing', use: 'sig', alg: 'RS256' };

const mounts = config.providers.map((p) => {
  const ttl = p.ttl || {};
  const provider = new Provider(p.issuer, {
    clients: p.clients,
    clientAuthMethods: p.clientAuthMethods,
    jwks: { keys: [signingKey] },
    features: {
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Confidential clients may introspect any token (the suite's resource server).
        allowedPolicy: (ctx, client) => client.clientAuthMethod !== 'none',
      },
      devInteractions: { enabled: false },
    },
    ttl: {
      ClientCredentials: (ctx, token, client) => ttl[client.clientId] ?? DEFAULT_TTL,
    },
    // Renders errors as JSON, also for a browser.
    renderError: (ctx, out) => { ctx.type = 'json'; ctx.body = out; },
  });
  const name = p.mount;
  provider.on('grant.success', (ctx) => {
    log(`${name} grant.success grant_type=${ctx.oidc.params.grant_type} client=${ctx.oidc.client?.clientId} auth=${ctx.oidc.client?.clientAuthMethod}`);
  });
  for (const event of ['grant.error', 'introspection.error', 'discovery.error', 'server_error']) {
    provider.on(event, (ctx, err) => {
      log(`${name} ${event} grant_type=${ctx.oidc?.params?.grant_type} client=${ctx.oidc?.client?.clientId ?? ctx.oidc?.params?.client_id}`,
        `error=${err.error ?? err.name} description=${JSON.stringify(err.error_description ?? err.message)} detail=${JSON.stringify(err.error_detail ?? '')}`);
    });
  }
  return { prefix: p.mount, handler: provider.callback() };
});

const server = createServer({ cert: readFileSync(config.cert), key: readFileSync(config.key) }, (req, res) => {
  const start = Date.now();
  const url = req.url;
  res.on('finish', () => log(`${req.method} ${url} ${res.statusCode} ${Date.now() - start}ms`));
  const m = mounts.find(({ prefix }) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`));
  if (!m) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not_found', error_description: `no provider at ${url}` }));
    return;
  }
  // As express mounts do: oidc-provider derives its mount path from
  // originalUrl minus url, and builds its endpoint URLs with it.
  req.originalUrl = url;
  req.url = url.slice(m.prefix.length) || '/';
  if (req.url.startsWith('?')) req.url = `/${req.url}`;
  m.handler(req, res);
});

server.listen(config.port, '127.0.0.1', () => log(`ready on https://127.0.0.1:${config.port} (${mounts.map((m) => m.prefix).join(', ')})`));

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    log(`${signal}: closing`);
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
