/**
 * The warning for an option that zlink accepts, checks and reads back as libzmq does, but that has
 * no effect on Node: given once per option name per process, the first time the option is set to
 * anything but its default, so that a program moved from libzmq learns which of its settings did
 * nothing without a warning on every socket it creates.
 */
export const NO_EFFECT_CODE = "ZLINK_OPTION_NO_EFFECT"

const warned = new Set<string>()

/** Emits the no-effect warning for `name`, unless it was emitted before in this process. */
export function warnNoEffect(name: string, reason: string): void {
  if (warned.has(name)) return
  warned.add(name)
  process.emitWarning(`The ${name} option has no effect in zlink: ${reason}.`, {
    type: "Warning",
    code: NO_EFFECT_CODE,
  })
}

/** @internal Forgets which warnings were given, so that a test can watch the first one again. */
export function resetNoEffectWarnings(): void {
  warned.clear()
}
