// A real OpenID Provider (the oidc-provider package) for tok's tests.
//
// Started by the Go package one directory up (oidcprovider.Start); it is not a
// general-purpose server. Everything it needs comes from a JSON file named by
// the first argument; see writeConfig in ../oidcprovider.go for the fields.
//
// It listens on 127.0.0.1 on a port the kernel picks (so two test processes
// never race for a port), builds the issuer URL from that port and then prints
// one line, {"port":N}, on stdout for the Go side to read. It exits when its
// standard input closes, so a test binary that dies without cleaning up does
// not leave it behind.
//
// Besides the protocol endpoints it serves GET /__test/counts, guarded by a
// bearer secret from the configuration, with how many requests each endpoint
// received (token requests by grant_type) so tests can assert, for example,
// that many concurrent callers made exactly one refresh request.

import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const counts = {
  token: {},
  token_errors: {},
  authorization: 0,
  device_authorization: 0,
  revocation: 0,
  introspection: 0,
};

function isAdmin(req) {
  const want = Buffer.from(`Bearer ${config.adminSecret}`);
  const got = Buffer.from(req.headers.authorization || '');
  return got.length === want.length && timingSafeEqual(got, want);
}

// The handler is swapped in once the provider exists: the provider needs the
// issuer URL, which needs the port, which exists only after listen.
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end();
};

function serve(req, res) {
  if (req.url.startsWith('/__test/')) {
    if (!isAdmin(req)) {
      res.statusCode = 401;
      res.end();
      return;
    }
    if (req.method === 'GET' && req.url === '/__test/counts') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(counts));
      return;
    }
    res.statusCode = 404;
    res.end();
    return;
  }
  handler(req, res);
}

const server = config.tls
  ? https.createServer({
    cert: readFileSync(config.tls.certFile),
    key: readFileSync(config.tls.keyFile),
  }, serve)
  : http.createServer(serve);

function rotationPolicy(mode) {
  switch (mode) {
    case 'always': return true;
    case 'never': return false;
    default: return undefined; // oidc-provider's own policy
  }
}

function buildProvider(issuer) {
  // A fresh signing key per run: nothing a test sees can be verified with a
  // key published anywhere else (oidc-provider's built-in dev key is public).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  jwk.kid = randomBytes(8).toString('hex');
  jwk.use = 'sig';
  jwk.alg = 'RS256';

  const ttl = {};
  for (const [name, seconds] of Object.entries(config.ttl || {})) {
    if (seconds > 0) ttl[name] = seconds;
  }

  const providerConfig = {
    clients: config.clients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', 'offline_access', 'profile', 'email', ...(config.extraScopes || [])],
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email', 'email_verified'],
    },
    // Any account id typed at the login page is an account: the tests drive
    // the interaction pages, they do not test a user database.
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            name: sub,
            email: `${sub}@example.test`,
            email_verified: true,
          };
        },
      };
    },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: !!config.features.deviceFlow },
      revocation: { enabled: !!config.features.revocation },
      introspection: { enabled: !!config.features.introspection },
      clientCredentials: { enabled: !!config.features.clientCredentials },
    },
    ttl,
  };

  const rotate = rotationPolicy(config.rotateRefreshToken);
  if (rotate !== undefined) providerConfig.rotateRefreshToken = rotate;

  if (config.refreshTokenWithoutOfflineAccess) {
    providerConfig.issueRefreshToken = async (_ctx, client) => client.grantTypeAllowed('refresh_token');
  }

  const provider = new Provider(issuer, providerConfig);

  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    switch (route) {
      case 'token': {
        const grantType = ctx.oidc.params?.grant_type || '(none)';
        counts.token[grantType] = (counts.token[grantType] || 0) + 1;
        if (ctx.status >= 400) {
          counts.token_errors[grantType] = (counts.token_errors[grantType] || 0) + 1;
        }
        break;
      }
      case 'authorization':
      case 'device_authorization':
      case 'revocation':
      case 'introspection':
        counts[route] += 1;
        break;
      default:
        break;
    }

    // RFC 8628 makes "interval" optional and oidc-provider omits it, so
    // clients fall back to polling every 5 s. Tests may ask for a shorter one.
    if (route === 'device_authorization' && ctx.status === 200 && config.deviceInterval > 0) {
      ctx.body = { ...ctx.body, interval: config.deviceInterval };
    }
  });

  return provider;
}

// Leave when the Go test that started us goes away, however it went.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const scheme = config.tls ? 'https' : 'http';
  let provider;
  try {
    provider = buildProvider(`${scheme}://127.0.0.1:${port}`);
    // oidc-provider validates static clients on first use; do it now so a
    // bad registration fails the start, not some later request.
    for (const { client_id: id } of config.clients) {
      await provider.Client.find(id);
    }
  } catch (err) {
    process.stderr.write(`oidcprovider: could not configure oidc-provider: ${err.message}${err.error_description ? `: ${err.error_description}` : ''}\n`);
    process.exit(2);
  }
  handler = provider.callback();
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
