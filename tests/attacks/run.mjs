// The attack suite: each scenario is one actor attempting one step against another project or
// against sagefence, judged by @cloud-copilot/iam-simulate (a third-party IAM evaluator) with the
// documents sagefence makes: the provisioner's, read back from the emulator after it ran
// (tests/examples/iam_documents.rs), and the template's with its intrinsics resolved
// (resolve_template.py), plus the optional organisation SCP (infra/scp/). Every attack must be
// denied and every legitimate step of the same actors allowed.
//
// node run.mjs <template.json> <project.json> [--scp <scp.json>] [--verbose]

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const flag = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const [templatePath, projectPath] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--scp'))
const verbose = args.includes('--verbose')
const scpPath = flag('--scp')
const template = JSON.parse(readFileSync(templatePath, 'utf8'))
const made = JSON.parse(readFileSync(projectPath, 'utf8'))
const scp = scpPath ? JSON.parse(readFileSync(scpPath, 'utf8')) : undefined

const ACCOUNT = template.account
const REGION = template.region
const TAG = 'sagefence:project'
const arn = {
  notebook: (name) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:notebook-instance/${name}`,
  trainingJob: (name) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${name}`,
  role: (name) => `arn:aws:iam::${ACCOUNT}:role/${name}`,
  user: (name) => `arn:aws:iam::${ACCOUNT}:user/${name}`,
  vpc: (id) => `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${id}`,
  subnet: (id) => `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${id}`,
  group: (id) => `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${id}`,
  key: (id) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`,
  bucket: (name) => `arn:aws:s3:::${name}`,
  object: (name) => `arn:aws:s3:::${name}/data.csv`
}

// ------------------------------------------------------------------ documents

function awsManaged(policyArn) {
  const name = policyArn.split('/').pop()
  return JSON.parse(readFileSync(join(here, 'aws-managed', `${name}.json`), 'utf8'))
}

function templateRole(logical) {
  const role = template.roles[logical]
  if (!role) throw new Error(`the template has no role \`${logical}\``)
  const identity = Object.entries(role.policies).map(([name, policy]) => ({
    name,
    policy: policy ?? awsManaged(name)
  }))
  return { arn: role.arn, identity, boundary: [], tags: role.tags ?? {}, trust: role.trust }
}

const boundaryDocument = template.managed.ProjectRoleBoundary?.document
function projectRole(roleArn) {
  const role = made.roles.find((r) => r.arn === roleArn)
  if (!role) throw new Error(`the provisioner made no role \`${roleArn}\``)
  const boundary = []
  if (role.boundary) {
    if (role.boundary !== made.boundary.arn || !boundaryDocument) {
      throw new Error(`role \`${roleArn}\` has an unknown boundary \`${role.boundary}\``)
    }
    boundary.push({ name: 'ProjectRoleBoundary', policy: boundaryDocument })
  }
  const identity = Object.entries(role.policies).map(([name, policy]) => ({ name, policy }))
  return { arn: role.arn, identity, boundary, tags: role.tags, trust: role.trust }
}

const env = (project) => made.projects[project].environment
const notebookOf = (project) => projectRole(made.projects[project].notebook.RoleArn)
const userOf = (project) => projectRole(env(project).UserRoleArn)
const adminOf = (project) => projectRole(env(project).AdminRoleArn)
const keyOf = (project) => env(project).KmsKeyArn
const keyPolicy = (project) => made.keys[keyOf(project)].policy
const bucketPolicy = (bucket) => made.buckets[bucket].policy
const endpointOf = (project) => {
  const policy = bucketPolicy(env(project).DataBucket)
  const deny = policy.Statement.find((s) => s.Sid === 'DenyOutsideTheProjectEndpoint')
  return deny.Condition.StringNotEquals['aws:SourceVpce']
}
const queuePolicy = (logical) => {
  const queueArn = template.arns[logical]
  const name = queueArn.split(':').pop()
  const found = Object.values(template.resource_policies).find((p) =>
    (p.targets ?? []).some((t) => typeof t === 'string' && t.endsWith(`/${name}`))
  )
  return found?.document
}

/// An actor: its principal ARN, identity policies, boundary and principal tags.
function tagged(actor, tags) {
  return { ...actor, tags: { ...actor.tags, ...tags } }
}
const dataScientist = (project) =>
  tagged(templateRole('DataScienceUserRole'), { [TAG]: project })
const dataScienceAdmin = (project) => tagged(templateRole('DataScienceAdminRole'), { [TAG]: project })
const identityCenter = (project) => ({
  arn: template.roles.DataScienceUserRole.trust.Statement[0].Principal.AWS,
  identity: [
    {
      name: 'federated-data-scientist',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: '*' }]
      }
    }
  ],
  boundary: [],
  tags: { [TAG]: project }
})
/// Anyone in the account: broad rights outside sagefence, but no IAM administrator.
const developer = (project) => ({
  arn: arn.role('developer'),
  identity: [
    {
      name: 'broad-developer',
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'sqs:SendMessage',
              'sts:AssumeRole',
              'sts:TagSession',
              'kms:*',
              's3:GetObject',
              'sagemaker:AddTags',
              'sagemaker:DeleteTags',
              'ec2:CreateTags',
              'ec2:DeleteTags',
              'iam:TagRole',
              'iam:UntagRole',
              'iam:TagUser'
            ],
            Resource: '*'
          }
        ]
      }
    }
  ],
  boundary: [],
  tags: project ? { [TAG]: project } : {}
})

// ------------------------------------------------------------------ evaluation

const FULL_ACCESS = {
  name: 'FullAWSAccess',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
}

async function evaluate(scenario) {
  const { actor, action, resource } = scenario
  const context = {
    'aws:PrincipalArn': actor.arn,
    'aws:PrincipalAccount': ACCOUNT,
    'aws:PrincipalType': 'AssumedRole',
    'aws:SecureTransport': 'true',
    'aws:PrincipalIsAWSService': 'false',
    'aws:RequestedRegion': REGION,
    ...Object.fromEntries(Object.entries(actor.tags ?? {}).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
    ...(scenario.context ?? {})
  }
  for (const [k, v] of Object.entries(scenario.resourceTags ?? {})) {
    context[`aws:ResourceTag/${k}`] = v
    const service = action.split(':')[0]
    if (service === 'iam' || service === 'sagemaker') context[`${service}:ResourceTag/${k}`] = v
  }
  if (scenario.requestTags) {
    context['aws:TagKeys'] = Object.keys(scenario.requestTags)
    for (const [k, v] of Object.entries(scenario.requestTags)) context[`aws:RequestTag/${k}`] = v
  }
  const simulation = {
    request: {
      principal: actor.arn,
      action,
      resource: { resource, accountId: resource.startsWith('arn:aws:s3:::') ? ACCOUNT : resource.split(':')[4] || ACCOUNT },
      contextVariables: context
    },
    identityPolicies: actor.identity,
    permissionBoundaryPolicies: actor.boundary.length ? actor.boundary : undefined,
    serviceControlPolicies: [
      { orgIdentifier: 'r-root', policies: scp ? [FULL_ACCESS, { name: 'protect-sagefence-tags', policy: scp }] : [FULL_ACCESS] }
    ],
    resourceControlPolicies: [],
    resourcePolicy: scenario.resourcePolicy
  }
  const answer = await runSimulation(simulation, {})
  if (answer.resultType === 'error') {
    return { verdict: 'error', detail: JSON.stringify(answer.errors) }
  }
  return { verdict: answer.overallResult }
}

// ------------------------------------------------------------------ scenarios

const { attacks, legitimate } = (await import('./scenarios.mjs')).scenarios({
  arn,
  env,
  made,
  template,
  TAG,
  notebookOf,
  userOf,
  adminOf,
  keyOf,
  keyPolicy,
  bucketPolicy,
  endpointOf,
  queuePolicy,
  templateRole,
  tagged,
  dataScientist,
  dataScienceAdmin,
  identityCenter,
  developer
})

let denied = 0
let allowed = 0
const misses = []
for (const scenario of attacks) {
  const { verdict, detail } = await evaluate(scenario)
  const ok = verdict === 'ExplicitlyDenied' || verdict === 'ImplicitlyDenied'
  if (ok) denied++
  else misses.push(`ATTACK ALLOWED  ${scenario.name} (${verdict}${detail ? `: ${detail}` : ''})`)
  if (verbose) console.log(`${ok ? 'denied ' : 'ALLOWED'}  ${scenario.name}  [${verdict}]`)
}
for (const scenario of legitimate) {
  const { verdict, detail } = await evaluate(scenario)
  const ok = verdict === 'Allowed'
  if (ok) allowed++
  else misses.push(`LEGITIMATE STEP REFUSED  ${scenario.name} (${verdict}${detail ? `: ${detail}` : ''})`)
  if (verbose) console.log(`${ok ? 'allowed' : 'REFUSED'}  ${scenario.name}  [${verdict}]`)
}
for (const miss of misses) console.log(miss)
console.log(`attacks: ${denied} denied of ${attacks.length}, legitimate: ${allowed} allowed of ${legitimate.length}`)
process.exit(misses.length ? 1 : 0)
