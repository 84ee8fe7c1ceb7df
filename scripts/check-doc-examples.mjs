// Type-checks the code examples users read: every ```ts / ```typescript / ```tsx block in the
// Markdown docs (README.md, packages/*/README.md, docs/, packages/*/docs/) and every fenced block
// under an `@example` tag in the TSDoc of packages/*/src. Each block is compiled as its own
// module (top-level await allowed) against the packages' sources, resolved as users import them
// (`@openrp/core`, `@openrp/browser`, ...) through the `openrp-source` export condition, so no
// build is needed.
//
// Examples may leave out their imports and use free variables (`issuer`, `client`, `tokens`):
// a name that is not declared at all is not a finding. When such a name is a public export of
// an @openrp package (the block's own package first), the block imports it; when it is one of the
// conventional names in FREE, it is declared with its type: so their uses are checked too. Every
// other diagnostic is a finding, printed as file:line:col, and the exit code is 1.
//
// A block that cannot be a program (pseudo-code, a fragment of a larger one) opts out with the
// word `nocheck` after the language: ```ts nocheck
//
//   node scripts/check-doc-examples.mjs
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const root = join(import.meta.dirname, '..')
const packages = readdirSync(join(root, 'packages')).filter((p) =>
  existsSync(join(root, 'packages', p, 'package.json')),
)
/** Public entry points as users import them: specifier -> source file. */
const entries = {}
for (const dir of packages) {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'))
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const source = target?.['openrp-source']
    if (source) entries[join(pkg.name, subpath)] = join(root, 'packages', dir, source)
  }
}

// Diagnostics for names that are not declared at all ("Cannot find name 'x'", with or without
// "Did you mean" or "Do you need to install type definitions").
const UNDECLARED = new Set([2304, 2552, 2580, 2581, 2582, 2583, 2584, 2591, 2592, 2593, 18004])
// The free variables examples conventionally use, with the type they stand for.
const FREE = {
  client: "import('@openrp/core').Client",
  core: "import('@openrp/core').ClientCore",
  tokens: "import('@openrp/core').TokenSet",
  tokenSet: "import('@openrp/core').TokenSet",
  transaction: "import('@openrp/core').AuthTransaction",
  store: "import('@openrp/core').Store",
  lock: "import('@openrp/core').Lock",
  manager: "import('@openrp/core').TokenManager",
  issuer: 'string',
  clientId: 'string',
  clientSecret: 'string',
  redirectUri: 'string',
}
const messageOf = (d) => ts.flattenDiagnosticMessageText(d.messageText, '\n  ')
// A module the user installs themselves (react-router) is like a free variable; ours must resolve.
const ignored = (d) =>
  UNDECLARED.has(d.code) || (d.code === 2307 && !messageOf(d).includes("'@openrp/"))
const FENCE = /^(\s*)```(ts|typescript|tsx)\b(.*)$/

const walk = (dir, test) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : walk(path, test)
    return test(e.name) ? [path] : []
  })

/** Fenced ts blocks in `lines`: { line (1-based, of the first code line), lang, code }. */
function fences(lines, file, inExample = () => true) {
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (!open) continue
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```')
    if (end < 0) throw new Error(`${relative(root, file)}: unclosed code fence (line ${i + 1})`)
    const code = lines.slice(i + 1, end).map((l) => l.slice(open[1].length))
    if (!/\bnocheck\b/.test(open[3]) && inExample(i)) {
      blocks.push({ line: i + 2, lang: open[2], code: code.join('\n') })
    }
    i = end
  }
  return blocks
}

/** Fenced blocks under an `@example` tag in the `/** ... *\/` comments of a source file. */
function tsdocFences(text, file) {
  const blocks = []
  for (const m of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const first = text.slice(0, m.index).split('\n').length - 1
    const body = m[0].split('\n').map((l) => l.replace(/^\s*(\/\*\*|\*\/|\*(?!\/) ?)/, ''))
    // A line is in an @example section from the tag up to the next block tag.
    let inExample = false
    const tagged = body.map((l) => {
      const tag = /^\s*@(\w+)/.exec(l)?.[1]
      if (tag) inExample = tag === 'example'
      return inExample
    })
    for (const b of fences(body, file, (i) => tagged[i])) {
      blocks.push({ ...b, line: first + b.line })
    }
  }
  return blocks
}

const isMd = (n) => n.endsWith('.md')
const inDir = (dir) => (existsSync(dir) ? walk(dir, isMd) : [])
const docs = [
  join(root, 'README.md'),
  ...inDir(join(root, 'docs')),
  ...packages.flatMap((p) => [
    join(root, 'packages', p, 'README.md'),
    ...inDir(join(root, 'packages', p, 'docs')),
  ]),
].filter(existsSync)
const sources = packages.flatMap((p) =>
  walk(join(root, 'packages', p, 'src'), (n) => /\.tsx?$/.test(n)),
)

const blocks = [
  ...docs.flatMap((file) =>
    fences(readFileSync(file, 'utf8').split('\n'), file).map((b) => ({ ...b, file })),
  ),
  ...sources.flatMap((file) =>
    tsdocFences(readFileSync(file, 'utf8'), file).map((b) => ({ ...b, file })),
  ),
]
for (const b of blocks) {
  // Next to its document, so bare imports (react, redis) resolve from that package.
  b.path = `${b.file}.L${b.line}.${b.lang === 'tsx' ? 'tsx' : 'ts'}`
  b.pkg = /packages\/([^/]+)\//.exec(relative(root, b.file))?.[1]
  b.prelude = ''
}

const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  types: ['node'],
  typeRoots: [join(root, 'node_modules/@types')],
  customConditions: ['openrp-source'],
  paths: Object.fromEntries(Object.entries(entries).map(([spec, file]) => [spec, [file]])),
  jsx: ts.JsxEmit.ReactJSX,
  strict: true,
  // A callback handed to a free variable (`app.get('/', (req, res) => ...)`) has no type to
  // infer from; its untyped parameters are not a mistake in the example.
  noImplicitAny: false,
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  noEmit: true,
}
const byPath = new Map(blocks.map((b) => [b.path, b]))
const host = ts.createCompilerHost(options)
const { getSourceFile, fileExists, readFile } = host
const textOf = (b) => b.prelude + b.code
host.fileExists = (f) => byPath.has(f) || fileExists(f)
host.readFile = (f) => (byPath.has(f) ? textOf(byPath.get(f)) : readFile(f))
host.getSourceFile = (f, version, ...rest) =>
  byPath.has(f)
    ? ts.createSourceFile(f, textOf(byPath.get(f)), version, true)
    : getSourceFile(f, version, ...rest)

const rootNames = [...byPath.keys(), ...Object.values(entries)]
let program = ts.createProgram({ rootNames, options, host })

// Pass 1: which undeclared names are public exports? Import them and compile again.
const checker = program.getTypeChecker()
const exportsOf = Object.entries(entries).map(([spec, file]) => {
  const sym = checker.getSymbolAtLocation(program.getSourceFile(file))
  return { spec, names: new Set(checker.getExportsOfModule(sym).map((s) => s.name)) }
})
const undeclaredName = (d) => /'([^']+)'/.exec(messageOf(d))?.[1]
for (const b of blocks) {
  const missing = program
    .getSemanticDiagnostics(program.getSourceFile(b.path))
    .filter((d) => UNDECLARED.has(d.code))
    .map(undeclaredName)
  const own = (e) => (b.pkg && e.spec.startsWith(`@openrp/${b.pkg}`) ? 0 : 1)
  const imports = new Map()
  const declares = []
  for (const name of new Set(missing)) {
    const from = exportsOf.toSorted((x, y) => own(x) - own(y)).find((e) => e.names.has(name))
    if (from) imports.set(from.spec, [...(imports.get(from.spec) ?? []), name])
    else if (Object.hasOwn(FREE, name)) declares.push(`declare let ${name}: ${FREE[name]};`)
  }
  const lines = [...imports].map(
    ([spec, names]) => `import { ${names.join(', ')} } from '${spec}';`,
  )
  // One line, so the block's line numbers stay put.
  b.prelude = `${[...lines, ...declares].join(' ')}\n`
}
program = ts.createProgram({ rootNames, options, host, oldProgram: program })

// Pass 2: every diagnostic but an undeclared name is a finding.
let findings = 0
for (const b of blocks) {
  const sf = program.getSourceFile(b.path)
  const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
  for (const d of diags.filter((d) => !ignored(d))) {
    const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0)
    const where = `${relative(root, b.file)}:${b.line + line - 1}:${character + 1}`
    console.error(`${where}  TS${d.code}: ${messageOf(d)}`)
    findings++
  }
}
const summary = `${blocks.length} examples in ${new Set(blocks.map((b) => b.file)).size} files`
if (findings) {
  console.error(`\n${findings} problem(s) in the code examples (${summary}).`)
  console.error('Fix the example, or mark a block that cannot be a program with ```ts nocheck.')
  process.exit(1)
}
console.log(`ok: ${summary} type-check`)
