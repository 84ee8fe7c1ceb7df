// The packaging stage: what a user installs from the registry. Packs the four packages, checks
// each tarball (LICENSE, no exact pins, no source condition or scripts, publint, attw), installs
// them with npm into a fresh project, type-checks a consumer under `nodenext` and `bundler`
// without the DOM lib, and runs the smoke flow there under Node.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { PACKAGES, prepareProject, projectDir, root, sh } from './scratch.mjs'

const bin = (name) => join(root, 'e2e/node_modules/.bin', name)
let packed

before(async () => {
  const prepared = await prepareProject()
  packed = prepared.tarballs
  if (!prepared.reused)
    console.log(
      `# packed in ${prepared.packSec.toFixed(1)} s, installed with npm in ${prepared.installSec.toFixed(1)} s`,
    )
})

describe('each tarball', { concurrency: 4 }, () => {
  for (const name of PACKAGES) {
    test(`@openrp/${name}: LICENSE, README with absolute links, dist; a package.json that names only what it ships`, async () => {
      const { stdout } = await sh('tar', ['-tzf', packed[name]])
      const files = stdout.split('\n').filter(Boolean)
      for (const file of [
        'LICENSE',
        'README.md',
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
      ])
        assert.ok(files.includes(`package/${file}`), `${file} is in the tarball`)
      assert.ok(!files.some((f) => f.startsWith('package/src/')), 'no sources')
      const license = (await sh('tar', ['-xzOf', packed[name], 'package/LICENSE'])).stdout
      assert.equal(license, await readFile(join(root, 'LICENSE'), 'utf8'))
      const readme = (await sh('tar', ['-xzOf', packed[name], 'package/README.md'])).stdout
      for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g))
        assert.match(
          target,
          /^(https:\/\/|#)/,
          `README link ${target} works on the registry's page`,
        )
      const text = (await sh('tar', ['-xzOf', packed[name], 'package/package.json'])).stdout
      const pkg = JSON.parse(text)
      assert.equal(pkg.license, 'MIT')
      assert.match(pkg.repository?.url ?? '', /^git\+https:\/\/github\.com\/openrp\/openrp\.git$/)
      assert.equal(pkg.scripts, undefined, 'no scripts')
      assert.equal(pkg.devDependencies, undefined, 'no devDependencies')
      assert.doesNotMatch(text, /openrp-source|src\/index\.ts|workspace:|catalog:/)
      for (const [dep, range] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies }))
        assert.match(range, /^\^\d/, `${dep}: a ^range, not the exact pin ${range}`)
    })

    test(`@openrp/${name}: publint --strict`, async () => {
      await sh(bin('publint'), ['run', packed[name], '--strict'])
    })

    test(`@openrp/${name}: attw --profile esm-only`, async () => {
      await sh(bin('attw'), [
        packed[name],
        '--profile',
        'esm-only',
        '--no-color',
        '--format',
        'ascii',
      ])
    })
  }

  test('@openrp/node: redis, qrcode and undici are optional peers', async () => {
    const pkg = JSON.parse((await sh('tar', ['-xzOf', packed.node, 'package/package.json'])).stdout)
    assert.deepEqual(Object.keys(pkg.dependencies), ['@openrp/core'])
    for (const dep of ['redis', 'qrcode', 'undici']) {
      assert.match(pkg.peerDependencies[dep], /^\^/)
      assert.equal(pkg.peerDependenciesMeta[dep].optional, true)
    }
  })
})

describe('a project that installed the tarballs with npm', { concurrency: 3 }, () => {
  const tsc = (config) => async () => {
    await writeFile(
      join(projectDir, `tsconfig.${config.name}.json`),
      JSON.stringify(config.tsconfig),
    )
    await sh(bin('tsc'), ['-p', `tsconfig.${config.name}.json`], { cwd: projectDir })
  }
  const strict = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022' }
  const nodeApp = ['smoke/consumer/node-app.ts']
  test(
    'type-checks a Node app under moduleResolution nodenext, without the DOM lib',
    tsc({
      name: 'nodenext',
      tsconfig: {
        compilerOptions: {
          ...strict,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022'],
          types: ['node'],
        },
        files: nodeApp,
      },
    }),
  )
  test(
    'type-checks a Node app under moduleResolution bundler, without the DOM lib',
    tsc({
      name: 'bundler',
      tsconfig: {
        compilerOptions: {
          ...strict,
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022'],
          types: ['node'],
        },
        files: nodeApp,
      },
    }),
  )
  test(
    'type-checks a browser app (DOM lib, bundler)',
    tsc({
      name: 'browser',
      tsconfig: {
        compilerOptions: {
          ...strict,
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
        },
        files: ['smoke/consumer/browser-app.ts'],
      },
    }),
  )

  test('runs the smoke flow under Node against the installed reference server', async () => {
    const { startReferenceServer, DEMO_PRIVATE_KEY_JWK } = await importInstalled(
      '@openrp/reference-server',
    )
    const server = await startReferenceServer({ port: 0 })
    try {
      const config = JSON.stringify({ issuer: server.issuer, privateKeyJwk: DEMO_PRIVATE_KEY_JWK })
      const { stdout } = await sh(process.execPath, ['smoke/node-entry.mjs', config], {
        cwd: projectDir,
      })
      const { passed } = JSON.parse(stdout)
      assert.ok(passed.includes('TokenManager refresh over an encrypted store'), stdout)
    } finally {
      await server.close()
    }
  })

  test('without the optional peers, each feature that needs one is DEPENDENCY_MISSING naming it', async () => {
    const node = await importInstalled('@openrp/node')
    const missing = async (promise) => {
      const error = await promise.then(
        () => undefined,
        (e) => e,
      )
      assert.equal(error?.code, 'DEPENDENCY_MISSING', String(error?.stack ?? error))
      assert.ok(error instanceof node.DependencyMissingError)
      return error.dependency
    }
    const store = new node.RedisStore({ url: 'redis://127.0.0.1:9' })
    assert.equal(await missing(store.get('k')), 'redis')
    assert.equal(await missing(node.createQrCode('https://op.example/device')), 'qrcode')
    const certFetch = node.mtlsFetch({ cert: 'pem', key: 'pem' })
    assert.equal(await missing(certFetch('https://127.0.0.1:9/')), 'undici')
  })

  test('deviceLogin without qrcode: qr: true is DEPENDENCY_MISSING before any request; by default it signs in without a QR code', async () => {
    const { startReferenceServer } = await importInstalled('@openrp/reference-server')
    const core = await importInstalled('@openrp/core')
    const node = await importInstalled('@openrp/node')
    const server = await startReferenceServer({ port: 0, deviceInterval: 1 })
    try {
      const client = await core.discover(server.issuer, { clientId: 'tv' })
      const wanted = await node
        .deviceLogin(client, { output: null, qr: true, cancelOnSigint: false })
        .then(
          () => undefined,
          (e) => e,
        )
      assert.equal(wanted?.code, 'DEPENDENCY_MISSING', String(wanted?.stack ?? wanted))
      assert.equal(wanted.dependency, 'qrcode')
      assert.equal(server.control.requests({ endpoint: 'device_authorization' }).length, 0)

      for (const qr of [undefined, false]) {
        let printed = ''
        let approved = false
        const warnings = []
        const output = {
          write(text) {
            printed += text
            const code = /\b[A-Z]{4}-[A-Z]{4}\b/.exec(printed)?.[0]
            if (code && !approved) {
              approved = true
              server.control.approveDevice(code)
            }
            return true
          },
        }
        const tokens = await node.deviceLogin(client, {
          output,
          qr,
          cancelOnSigint: false,
          onWarning: (error) => warnings.push(error.code),
        })
        assert.ok(tokens.accessToken)
        assert.deepEqual(warnings, qr === false ? [] : ['DEPENDENCY_MISSING'], String(qr))
        assert.equal(printed.includes('install the qrcode package'), qr !== false)
      }
      assert.equal(server.control.requests({ endpoint: 'device_authorization' }).length, 2)
    } finally {
      await server.close()
    }
  })
})

/** Imports a package from the scratch project's node_modules, as the project itself would. */
function importInstalled(name) {
  const entry = join(projectDir, 'node_modules', name, 'dist/index.js')
  return import(pathToFileURL(entry).href)
}
