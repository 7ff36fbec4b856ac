/** Replaced at build time by the package's version. */
declare const __PACKAGE_VERSION__: string
