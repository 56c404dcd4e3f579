// Spawns the built amarktai binary on a free loopback port with a temp DATA_DIR.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The binary: `AMARKTAI_BIN`, else the newest of target/{debug,release}/amarktai. */
export function findBinary() {
  if (process.env.AMARKTAI_BIN) return process.env.AMARKTAI_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(repo, 'target');
  const found = ['debug', 'release'].map((p) => path.join(target, p, 'amarktai'))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!found.length) throw new Error(`no amarktai binary under ${target}: run cargo build first`);
  return found[0];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export async function startServer(extraEnv = {}) {
  const bin = findBinary();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amarktai-e2e-'));
  const port = await freePort();
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME || '/tmp',
    DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ENV: 'development',
    JWT_SECRET: 'e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz', LOG_LEVEL: 'warn', RUST_LOG: 'warn',
    ...extraEnv,
  };
  if (env.ADMIN_BOOTSTRAP_PASSWORD && env.E2E_ADMIN_EMAIL) {
    const made = spawnSync(bin, ['create-admin', '--email', env.E2E_ADMIN_EMAIL], { env, encoding: 'utf8', input: '' });
    if (made.status !== 0) throw new Error(`create-admin failed: ${made.stderr || made.stdout}`);
  }
  const child = spawn(bin, [], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-4000); });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i += 1) {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    try {
      const r = await fetch(`${base}/api/health/ping`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
    if (i === 149) throw new Error(`server did not start: ${stderr}`);
  }
  return {
    base, bin, dataDir, env,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => { if (child.exitCode !== null) r(); else child.once('exit', r); setTimeout(r, 5000); });
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
