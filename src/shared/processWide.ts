/**
 * State that must exist once per process, however many copies of keepsake it
 * loaded: an application that `import`s keepsake while one of its
 * dependencies `require`s it runs the ES module build and the CommonJS build
 * side by side. Each piece lives on `globalThis` under `Symbol.for('keepsake.<key>')`,
 * made by the first copy to ask and used by every other, so both see one
 * name registry, one set of counters, one reply channel.
 *
 * What is kept there is plain data, or instances whose methods travel with
 * them, so copies of different builds agree as long as the shapes do: a
 * shape change must change `key`.
 */
export function processWide<T extends object>(key: string, make: () => T): T {
  const slot = Symbol.for(`keepsake.${key}`)
  const global = globalThis as unknown as Record<symbol, T | undefined>
  return (global[slot] ??= make())
}

/** Counters that number anonymous branches, supervisors, children and pools, so their ids are unique in the process. */
export const counters = processWide('counters.v1', () => ({ branch: 0, supervisor: 0, child: 0, pool: 0 }))

/**
 * Makes `instanceof type` true for instances made by another copy of
 * keepsake's `type` (same name, same brand), as well as for its own: install
 * with `static [Symbol.hasInstance](value) { return isBranded(this, value, BRAND) }`.
 * `brand` is a `Symbol.for` key set on the base prototype, so only keepsake's
 * classes match; names are compared along the value's prototype chain, so a
 * subclass's instance is an instance of its base in every copy.
 */
export function isBranded(type: Function, value: unknown, brand: symbol): boolean {
  if (Function.prototype[Symbol.hasInstance].call(type, value)) return true
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false
  try {
    if (!(brand in value)) return false
    for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
      const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown
      if (typeof ctor === 'function' && ctor.name === type.name) return true
      if (Object.hasOwn(proto, brand)) return false // the base class: no further match possible
    }
  } catch {
    // A hostile value (a proxy whose traps throw) is not an instance.
  }
  return false
}
