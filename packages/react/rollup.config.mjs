import { packageConfig } from '../../scripts/rollup-package.mjs'

// Every export is for client components: the built entry starts with "use client", so React
// Server Components frameworks (Next.js app router) keep it on the client side. Rollup drops
// module-level directives from sources, so the directive is written as the banner.
const [js, types] = packageConfig(import.meta.dirname, { index: 'src/index.ts' })

export default [
  {
    ...js,
    onwarn(warning, warn) {
      if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning)
    },
    output: { ...js.output, banner: "'use client';" },
  },
  types,
]
