// Usage: node verify.mjs JWKS_URL ISSUER AUDIENCE TOKEN
// Prints the verified payload as JSON, or "ERROR <code>" and exits 1.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUrl, issuer, audience, token] = process.argv.slice(2);
try {
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer, audience, algorithms: ['EdDSA'], typ: 'at+jwt',
  });
  console.log(JSON.stringify({ payload, header: protectedHeader }));
} catch (e) {
  console.log('ERROR ' + (e.code || e.name));
  process.exit(1);
}
