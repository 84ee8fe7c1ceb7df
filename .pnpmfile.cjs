// pnpm hooks. beforePacking shapes the package.json that `pnpm pack` / `pnpm publish` put in a
// tarball: only what a user of the published package needs (publishConfig has already replaced
// `exports` with one that names only dist/, and `workspace:^` ranges are already versions).
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.scripts
      delete pkg.devDependencies
      // Its other fields were applied above; `access` is still read by `npm publish` of a tarball.
      if (pkg.publishConfig) pkg.publishConfig = { access: pkg.publishConfig.access }
      return pkg
    },
  },
}
