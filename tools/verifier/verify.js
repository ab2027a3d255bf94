#!/usr/bin/env node
/*
 * Verifies a PIAA Open Badges 3.0 credential with Digital Bazaar's verifiers
 * (@digitalbazaar/vc, @digitalbazaar/data-integrity, @digitalbazaar/eddsa-rdfc-2022-cryptosuite,
 * @digitalbazaar/vc-bitstring-status-list), as an outside check on PIAA's own signer.
 *
 * Usage:
 *   node verify.js --credential CRED.json --profile ISSUER_PROFILE.json \
 *                  --status-list STATUS_LIST.json --contexts DIR
 *
 * Nothing is fetched: the document loader serves the JSON-LD contexts listed in
 * DIR/index.json (PIAA's vendored contexts, checked against their SHA-256), the issuer profile,
 * its verification method and the status list given on the command line, and fails on any
 * other URL.
 *
 * Prints one JSON object {verified, revoked, errors} and exits 0 when the proof verifies and
 * the credential is not revoked, 2 when it verifies but is revoked, 1 otherwise.
 */
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function vendoredContexts(dir) {
  const index = readJson(join(dir, 'index.json'));
  const documents = new Map();
  for(const entry of index.contexts) {
    const raw = readFileSync(join(dir, entry.file));
    const digest = createHash('sha256').update(raw).digest('hex');
    if(digest !== entry.sha256) {
      throw new Error(`vendored context ${entry.file} does not match its SHA-256`);
    }
    documents.set(entry.url, JSON.parse(raw.toString('utf8')));
  }
  return documents;
}

function buildDocumentLoader({contexts, profile, statusList}) {
  const documents = new Map(contexts);
  documents.set(profile.id, profile);
  for(const method of profile.verificationMethod || []) {
    documents.set(method.id, {'@context': MULTIKEY_CONTEXT, ...method});
  }
  if(statusList) {
    documents.set(statusList.id, statusList);
  }
  return async url => {
    const document = documents.get(url);
    if(document === undefined) {
      throw new Error(`document ${url} is not available offline`);
    }
    return {contextUrl: null, documentUrl: url, document: structuredClone(document)};
  };
}

function describe(error) {
  if(!error) {
    return [];
  }
  const list = Array.isArray(error) ? error : [error];
  return list.flatMap(e => [
    e.message || String(e),
    ...describe(e.errors || []),
  ]);
}

async function main() {
  const {values} = parseArgs({options: {
    credential: {type: 'string'},
    profile: {type: 'string'},
    'status-list': {type: 'string'},
    contexts: {type: 'string'},
  }});
  for(const name of ['credential', 'profile', 'contexts']) {
    if(!values[name]) {
      throw new Error(`--${name} is required`);
    }
  }
  const credential = readJson(values.credential);
  const documentLoader = buildDocumentLoader({
    contexts: vendoredContexts(values.contexts),
    profile: readJson(values.profile),
    statusList: values['status-list'] ? readJson(values['status-list']) : null,
  });
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus,
  });
  // vc reports verified: true for a revoked credential; the bit is in statusResult.
  const statusResults = (result.statusResult && result.statusResult.results) || [];
  const revoked = statusResults.some(r => r.status === true);
  const errors = describe(result.error);
  if(result.statusResult && result.statusResult.verified === false) {
    errors.push(...describe(result.statusResult.error));
  }
  const verified = result.verified === true &&
    (!result.statusResult || result.statusResult.verified === true);
  process.stdout.write(JSON.stringify({verified, revoked, errors}) + '\n');
  process.exitCode = verified ? (revoked ? 2 : 0) : 1;
}

main().catch(error => {
  process.stdout.write(JSON.stringify({
    verified: false, revoked: false, errors: [error.message || String(error)],
  }) + '\n');
  process.exitCode = 1;
});
