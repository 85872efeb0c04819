// The scenarios of the attack suite: project `alpha` attacks project `beta` (and `alpha-x`, whose
// name starts with `alpha`) or sagefence itself; then the same actors' everyday steps, which
// must stay allowed. Each scenario: a name, an actor, one action on one resource, its request
// context (resource tags, request tags, condition keys) and the resource policy that applies.

export function scenarios(s) {
  const { arn, env, TAG } = s
  const A = 'alpha'
  const B = 'beta'
  const nbA = s.notebookOf(A)
  const userA = s.userOf(A)
  const adminA = s.adminOf(A)
  const dsA = s.dataScientist(A)
  const devA = s.developer(A)
  const anyone = s.developer()
  const provisioner = s.templateRole('ProvisionerRole')
  const guardrail = s.templateRole('GuardrailRole')
  const sweeper = s.templateRole('SweeperRole')
  const launch = s.templateRole('LaunchRole')
  const stack = s.template.roles
  const notebookA = arn.notebook('alpha-alice')
  const notebookB = arn.notebook('beta-bob')
  const betaRole = s.made.projects[B].notebook.RoleArn
  const alphaXRole = s.made.projects['alpha-x'].notebook.RoleArn
  const betaBucket = env(B).DataBucket
  const alphaBucket = env(A).DataBucket
  const betaKey = s.keyOf(B)
  const alphaKey = s.keyOf(A)
  const betaVpc = env(B).VpcId
  const betaAdminRole = env(B).AdminRoleArn
  const betaUserRole = env(B).UserRoleArn
  const alphaAdminRole = env(A).AdminRoleArn
  const passToSageMaker = { 'iam:PassedToService': 'sagemaker.amazonaws.com' }
  const notebookProduct = `arn:aws:catalog:${s.template.region}:${s.template.account}:product/${s.template.arns.NotebookProduct}`
  const projectProduct = `arn:aws:catalog:${s.template.region}:${s.template.account}:product/${s.template.arns.ProjectProduct}`
  const queue = (logical) => s.template.arns[logical]
  const roleTagsOf = (roleArn) => s.made.roles.find((r) => r.arn === roleArn)?.tags ?? {}
  const stackKey = s.template.resource_policies.Key
  const signingKey = s.template.resource_policies.AuditSigningKey
  const shipper = s.templateRole('AuditShipperRole')
  const signsADigest = {
    resourcePolicy: signingKey.document,
    context: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'RAW' }
  }
  const placementA = s.made.projects[A].notebook
  /// A training job of A as A's notebook is meant to start it: A's subnets, group and key,
  /// network-isolated, inter-container traffic encrypted.
  const jobInA = {
    'sagemaker:VpcSubnets': [placementA.SubnetId],
    'sagemaker:VpcSecurityGroupIds': [placementA.SecurityGroupId],
    'sagemaker:VolumeKmsKeyArn': alphaKey,
    'sagemaker:OutputKmsKeyArn': alphaKey,
    'sagemaker:NetworkIsolation': 'true',
    'sagemaker:InterContainerTrafficEncryption': 'true'
  }
  const step = (name, actor, action, resource, more = {}) => ({ name, actor, action, resource, ...more })
  /// What every project role of A tries on B's data and on A's key: read B's bucket through A's
  /// endpoint, decrypt with B's key, grant A's key outside AWS services.
  const dataAttacks = (who, actor) => [
    step(`${who} reads B's data bucket`, actor, 's3:GetObject', arn.object(betaBucket), {
      resourcePolicy: s.bucketPolicy(betaBucket),
      context: { 'aws:SourceVpce': s.endpointOf(A) }
    }),
    step(`${who} decrypts with B's key`, actor, 'kms:Decrypt', betaKey, { resourcePolicy: s.keyPolicy(B) }),
    step(`${who} grants A's key to a principal outside AWS services`, actor, 'kms:CreateGrant', alphaKey, {
      resourcePolicy: s.keyPolicy(A),
      context: { 'kms:GrantIsForAWSResource': 'false' }
    })
  ]

  const attacks = [
    // ---- a notebook of project alpha (its execution role)
    step('notebook A retags B\'s notebook into A (then opens its Jupyter)', nbA, 'sagemaker:AddTags', notebookB, {
      resourceTags: { [TAG]: B },
      requestTags: { [TAG]: A }
    }),
    step('notebook A clears the guardrail\'s restart mark on its own notebook', nbA, 'sagemaker:AddTags', notebookA, {
      resourceTags: { [TAG]: A },
      requestTags: { 'sagefence:restart': 'false' }
    }),
    step('notebook A rewrites its own violation tag', nbA, 'sagemaker:AddTags', notebookA, {
      resourceTags: { [TAG]: A },
      requestTags: { 'sagefence:violation': 'none' }
    }),
    step('notebook A fills B\'s notebook with 49 tags (the guardrail cannot tag it)', nbA, 'sagemaker:AddTags', notebookB, {
      resourceTags: { [TAG]: B },
      requestTags: Object.fromEntries([...Array(49).keys()].map((i) => [`filler-${i}`, 'x']))
    }),
    step('notebook A removes the remedy tag from its own notebook', nbA, 'sagemaker:DeleteTags', notebookA, {
      resourceTags: { [TAG]: A, 'sagefence:remedy': 'stop' },
      context: { 'aws:TagKeys': ['sagefence:remedy'] }
    }),
    step('notebook A tags a training job of B into A', nbA, 'sagemaker:AddTags', arn.trainingJob('beta-train'), {
      resourceTags: { [TAG]: B },
      requestTags: { [TAG]: A }
    }),
    step('notebook A stops B\'s training job', nbA, 'sagemaker:StopTrainingJob', arn.trainingJob('beta-train'), {
      resourceTags: { [TAG]: B }
    }),
    step('notebook A trains with B\'s key', nbA, 'sagemaker:CreateTrainingJob', arn.trainingJob('alpha-exfil'), {
      context: { ...jobInA, 'sagemaker:VolumeKmsKeyArn': betaKey, 'sagemaker:OutputKmsKeyArn': betaKey }
    }),
    step('notebook A trains outside A\'s subnets', nbA, 'sagemaker:CreateTrainingJob', arn.trainingJob('alpha-exfil'), {
      context: { ...jobInA, 'sagemaker:VpcSubnets': ['subnet-0000000000000000b'] }
    }),
    step('notebook A passes B\'s execution role to SageMaker', nbA, 'iam:PassRole', betaRole, { context: passToSageMaker }),
    ...dataAttacks('notebook A', nbA),
    step('notebook A opens B\'s Jupyter', nbA, 'sagemaker:CreatePresignedNotebookInstanceUrl', notebookB, {
      resourceTags: { [TAG]: B }
    }),
    step('notebook A tags B\'s VPC into A', nbA, 'ec2:CreateTags', arn.vpc(betaVpc), {
      resourceTags: { [TAG]: B },
      requestTags: { [TAG]: A }
    }),

    // ---- a data scientist of alpha (the template's user role, session tagged alpha)
    step('data scientist A opens B\'s Jupyter', dsA, 'sagemaker:CreatePresignedNotebookInstanceUrl', notebookB, {
      resourceTags: { [TAG]: B }
    }),
    step('data scientist A launches the environment product', dsA, 'servicecatalog:ProvisionProduct', projectProduct, {
      requestTags: { [TAG]: A }
    }),
    step('data scientist A launches a notebook into project B', dsA, 'servicecatalog:ProvisionProduct', notebookProduct, {
      requestTags: { [TAG]: B }
    }),
    step('data scientist A launches a notebook with no project tag', dsA, 'servicecatalog:ProvisionProduct', notebookProduct),
    step('data scientist A retags B\'s notebook', dsA, 'sagemaker:AddTags', notebookB, {
      resourceTags: { [TAG]: B },
      requestTags: { [TAG]: A }
    }),
    step('a federated A user takes the user role with B\'s session tag', s.identityCenter(A), 'sts:TagSession', stack.DataScienceUserRole.arn, {
      resourcePolicy: stack.DataScienceUserRole.trust,
      requestTags: { [TAG]: B }
    }),

    // ---- project alpha's user role (a user holding only it)
    step('user role A opens B\'s Jupyter', userA, 'sagemaker:CreatePresignedNotebookInstanceUrl', notebookB, {
      resourceTags: { [TAG]: B }
    }),
    ...dataAttacks('user role A', userA),
    step('user role A tags its notebook into B', userA, 'sagemaker:AddTags', notebookA, {
      resourceTags: { [TAG]: A },
      requestTags: { [TAG]: B }
    }),

    // ---- project alpha's admin role
    step('admin role A passes alpha-x\'s notebook role (prefix match)', adminA, 'iam:PassRole', alphaXRole, { context: passToSageMaker }),
    step('admin role A passes B\'s notebook role', adminA, 'iam:PassRole', betaRole, { context: passToSageMaker }),
    step('admin role A moves its notebook into project B', adminA, 'sagemaker:AddTags', notebookA, {
      resourceTags: { [TAG]: A },
      requestTags: { [TAG]: B }
    }),
    step('admin role A deletes the violation tag of its notebook', adminA, 'sagemaker:DeleteTags', notebookA, {
      resourceTags: { [TAG]: A, 'sagefence:violation': 'root-access' },
      context: { 'aws:TagKeys': ['sagefence:violation'] }
    }),
    step('admin role A opens B\'s Jupyter', adminA, 'sagemaker:CreatePresignedNotebookInstanceUrl', notebookB, {
      resourceTags: { [TAG]: B }
    }),
    ...dataAttacks('admin role A', adminA),

    // ---- any principal in the account (broad rights, not an IAM administrator)
    step('anyone forges a PASSED audit record', anyone, 'sqs:SendMessage', queue('AuditQueue'), {
      resourcePolicy: s.queuePolicy('AuditQueue')
    }),
    step('anyone forges a shard message', anyone, 'sqs:SendMessage', queue('ShardQueue'), {
      resourcePolicy: s.queuePolicy('ShardQueue')
    }),
    step('anyone assumes B\'s admin role', anyone, 'sts:AssumeRole', betaAdminRole, {
      resourcePolicy: s.made.roles.find((r) => r.arn === betaAdminRole).trust
    }),
    step('a developer of A assumes B\'s user role', devA, 'sts:AssumeRole', betaUserRole, {
      resourcePolicy: s.made.roles.find((r) => r.arn === betaUserRole).trust
    }),
    step('a developer of A assumes A\'s admin role claiming B\'s tag', devA, 'sts:TagSession', alphaAdminRole, {
      resourcePolicy: s.made.roles.find((r) => r.arn === alphaAdminRole).trust,
      requestTags: { [TAG]: B }
    }),
    step('anyone retags B\'s notebook (the SCP layer)', anyone, 'sagemaker:AddTags', notebookB, {
      resourceTags: { [TAG]: B },
      requestTags: { [TAG]: A }
    }),
    step('anyone untags B\'s VPC out of governance (the SCP layer)', anyone, 'ec2:DeleteTags', arn.vpc(betaVpc), {
      resourceTags: { [TAG]: B },
      context: { 'aws:TagKeys': [TAG] }
    }),
    step('anyone untags B\'s role out of governance (the SCP layer)', anyone, 'iam:UntagRole', betaUserRole, {
      resourceTags: { [TAG]: B },
      context: { 'aws:TagKeys': [TAG] }
    }),
    step('anyone tags themselves into project B (the SCP layer)', anyone, 'iam:TagUser', arn.user('mallory'), {
      requestTags: { [TAG]: B }
    }),
    step('anyone untags B\'s key', anyone, 'kms:UntagResource', betaKey, {
      resourcePolicy: s.keyPolicy(B),
      resourceTags: { [TAG]: B },
      context: { 'aws:TagKeys': [TAG] }
    }),
    step('anyone rewrites B\'s key policy', anyone, 'kms:PutKeyPolicy', betaKey, { resourcePolicy: s.keyPolicy(B) }),
    step('anyone grants B\'s key to a principal outside AWS services', anyone, 'kms:CreateGrant', betaKey, {
      resourcePolicy: s.keyPolicy(B),
      context: { 'kms:GrantIsForAWSResource': 'false' }
    }),
    step('anyone grants sagefence\'s own key to a principal outside AWS services', anyone, 'kms:CreateGrant', stackKey.arn, {
      resourcePolicy: stackKey.document,
      context: { 'kms:GrantIsForAWSResource': 'false' }
    }),
    step('anyone reads B\'s data bucket from outside B\'s endpoint', anyone, 's3:GetObject', arn.object(betaBucket), {
      resourcePolicy: s.bucketPolicy(betaBucket)
    }),

    // ---- a compromised provisioner
    step('provisioner tags its own role as a project role', provisioner, 'iam:TagRole', stack.ProvisionerRole.arn, {
      requestTags: { [TAG]: 'x' }
    }),
    step('provisioner widens its own (tagged) role', provisioner, 'iam:PutRolePolicy', stack.ProvisionerRole.arn, {
      resourceTags: { [TAG]: 'x' }
    }),
    step('provisioner widens the guardrail\'s (tagged) role', provisioner, 'iam:PutRolePolicy', stack.GuardrailRole.arn, {
      resourceTags: { [TAG]: 'x' }
    }),
    step('provisioner rewrites the audit bucket\'s policy', provisioner, 's3:PutBucketPolicy', s.template.arns.AuditBucket),
    step('provisioner deletes the audit bucket', provisioner, 's3:DeleteBucket', s.template.arns.AuditBucket),
    step('provisioner creates a project role without the boundary', provisioner, 'iam:CreateRole', arn.role('sagefence/alpha/escape'), {
      requestTags: { [TAG]: A }
    }),
    step('provisioner creates an unbounded role at the root path', provisioner, 'iam:CreateRole', arn.role('sagefence-escape'), {
      requestTags: { [TAG]: A }
    }),
    step('provisioner lifts a project role\'s boundary', provisioner, 'iam:DeleteRolePermissionsBoundary', alphaAdminRole, {
      resourceTags: { [TAG]: A }
    }),
    step('provisioner schedules the stack key\'s deletion', provisioner, 'kms:ScheduleKeyDeletion', stackKey.arn, {
      resourcePolicy: stackKey.document,
      resourceTags: { [TAG]: 'x' }
    }),

    // ---- a compromised guardrail or sweeper
    step('guardrail opens a subnet that belongs to no project', guardrail, 'ec2:ModifySubnetAttribute', arn.subnet('subnet-0other'), {}),
    step('guardrail revokes ingress of a group that belongs to no project', guardrail, 'ec2:RevokeSecurityGroupIngress', arn.group('sg-0other'), {}),
    step('guardrail changes a key whose project tag is empty', guardrail, 'kms:EnableKey', arn.key('0000-other'), {
      resourceTags: { [TAG]: '' }
    }),
    step('guardrail forges a shard message', guardrail, 'sqs:SendMessage', queue('ShardQueue'), {
      resourcePolicy: s.queuePolicy('ShardQueue')
    }),
    step('sweeper strips the guardrail role\'s policy', sweeper, 'iam:DeleteRolePolicy', stack.GuardrailRole.arn, {
      resourceTags: { [TAG]: 'x' }
    }),

    // ---- the launch role, driven by any product launch
    step('a launch retags B\'s existing notebook into A', launch, 'sagemaker:AddTags', notebookB, {
      resourceTags: { [TAG]: B },
      requestTags: { [TAG]: A }
    }),
    step('a launch passes the guardrail\'s role to a notebook', launch, 'iam:PassRole', stack.GuardrailRole.arn, {
      context: passToSageMaker
    }),
    step('a launch creates a notebook with an empty project tag', launch, 'sagemaker:CreateNotebookInstance', arn.notebook('nobody'), {
      requestTags: { [TAG]: '', 'sagefence:owner': 'mallory' },
      context: {
        'sagemaker:DirectInternetAccess': 'Disabled',
        'sagemaker:RootAccess': 'Disabled',
        'sagemaker:VpcSubnets': [env(A).SubnetIds.split(',')[0]],
        'sagemaker:VolumeKmsKeyArn': alphaKey
      }
    }),

    // ---- the audit trail: only the shipper signs, and nobody rewrites what it wrote
    step('anyone signs a forged digest with the trail\'s signing key', anyone, 'kms:Sign', signingKey.arn, signsADigest),
    step('the guardrail signs a forged digest', guardrail, 'kms:Sign', signingKey.arn, signsADigest),
    step('the provisioner schedules the signing key\'s deletion', provisioner, 'kms:ScheduleKeyDeletion', signingKey.arn, {
      resourcePolicy: signingKey.document,
      resourceTags: { [TAG]: 'x' }
    }),
    step('the audit-shipper deletes a committed batch', shipper, 's3:DeleteObject', arn.object(s.template.arns.AuditBucket.split(':').pop()), {
      resourcePolicy: s.template.resource_policies.AuditBucketPolicy.document
    })
  ]

  const legitimate = [
    step('the audit-shipper signs a digest', shipper, 'kms:Sign', signingKey.arn, signsADigest),
    step('data scientist A opens A\'s Jupyter', dsA, 'sagemaker:CreatePresignedNotebookInstanceUrl', notebookA, {
      resourceTags: { [TAG]: A }
    }),
    step('data scientist A launches a notebook into A', dsA, 'servicecatalog:ProvisionProduct', notebookProduct, {
      requestTags: { [TAG]: A }
    }),
    step('a federated A user takes the user role tagged A', s.identityCenter(A), 'sts:TagSession', stack.DataScienceUserRole.arn, {
      resourcePolicy: stack.DataScienceUserRole.trust,
      requestTags: { [TAG]: A }
    }),
    step('a data-science administrator launches the environment product', s.dataScienceAdmin(A), 'servicecatalog:ProvisionProduct', projectProduct, {
      requestTags: { [TAG]: A }
    }),
    step('notebook A passes its own role to SageMaker', nbA, 'iam:PassRole', nbA.arn, { context: passToSageMaker }),
    step('notebook A reads A\'s data bucket through A\'s endpoint', nbA, 's3:GetObject', arn.object(alphaBucket), {
      resourcePolicy: s.bucketPolicy(alphaBucket),
      context: { 'aws:SourceVpce': s.endpointOf(A) }
    }),
    step('notebook A decrypts with A\'s key', nbA, 'kms:Decrypt', alphaKey, { resourcePolicy: s.keyPolicy(A) }),
    step('notebook A lets SageMaker use A\'s key for a job', nbA, 'kms:CreateGrant', alphaKey, {
      resourcePolicy: s.keyPolicy(A),
      context: { 'kms:GrantIsForAWSResource': 'true' }
    }),
    step('notebook A trains inside A with A\'s key', nbA, 'sagemaker:CreateTrainingJob', arn.trainingJob('alpha-train'), {
      context: jobInA
    }),
    step('notebook A stops its own training job', nbA, 'sagemaker:StopTrainingJob', arn.trainingJob('alpha-train'), {
      resourceTags: { [TAG]: A }
    }),
    step('notebook A labels its own training job', nbA, 'sagemaker:AddTags', arn.trainingJob('alpha-train'), {
      resourceTags: { [TAG]: A },
      requestTags: { experiment: 'baseline' }
    }),
    step('user role A opens A\'s Jupyter', userA, 'sagemaker:CreatePresignedNotebookInstanceUrl', notebookA, {
      resourceTags: { [TAG]: A }
    }),
    step('user role A reads A\'s data bucket through A\'s endpoint', userA, 's3:GetObject', arn.object(alphaBucket), {
      resourcePolicy: s.bucketPolicy(alphaBucket),
      context: { 'aws:SourceVpce': s.endpointOf(A) }
    }),
    step('user role A decrypts with A\'s key', userA, 'kms:Decrypt', alphaKey, { resourcePolicy: s.keyPolicy(A) }),
    step('admin role A passes A\'s notebook role', adminA, 'iam:PassRole', nbA.arn, { context: passToSageMaker }),
    step('admin role A stops A\'s notebook', adminA, 'sagemaker:StopNotebookInstance', notebookA, {
      resourceTags: { [TAG]: A }
    }),
    step('a developer of A assumes A\'s user role', devA, 'sts:AssumeRole', env(A).UserRoleArn, {
      resourcePolicy: s.made.roles.find((r) => r.arn === env(A).UserRoleArn).trust
    }),
    step('a developer of A tags the session with A', devA, 'sts:TagSession', env(A).UserRoleArn, {
      resourcePolicy: s.made.roles.find((r) => r.arn === env(A).UserRoleArn).trust,
      requestTags: { [TAG]: A }
    }),
    step('provisioner creates a bounded project role', provisioner, 'iam:CreateRole', arn.role('sagefence/alpha/sagefence-alpha-new'), {
      requestTags: { [TAG]: A },
      context: { 'iam:PermissionsBoundary': s.template.managed.ProjectRoleBoundary?.arn ?? 'none' }
    }),
    step('provisioner puts a project role\'s policy', provisioner, 'iam:PutRolePolicy', alphaAdminRole, {
      resourceTags: roleTagsOf(alphaAdminRole)
    }),
    step('provisioner creates a project bucket', provisioner, 's3:CreateBucket', arn.bucket(alphaBucket)),
    step('guardrail records an audit record', guardrail, 'sqs:SendMessage', queue('AuditQueue'), {
      resourcePolicy: s.queuePolicy('AuditQueue')
    }),
    step('guardrail marks a notebook\'s violation', guardrail, 'sagemaker:AddTags', notebookA, {
      resourceTags: { [TAG]: A },
      requestTags: { 'sagefence:violation': 'root-access' }
    }),
    step('guardrail closes a project subnet', guardrail, 'ec2:ModifySubnetAttribute', arn.subnet(env(A).SubnetIds.split(',')[0]), {
      resourceTags: { [TAG]: A }
    }),
    step('sweeper fans out a shard', sweeper, 'sqs:SendMessage', queue('ShardQueue'), {
      resourcePolicy: s.queuePolicy('ShardQueue')
    }),
    step('a launch creates a compliant notebook tagged A', launch, 'sagemaker:CreateNotebookInstance', arn.notebook('alpha-alice'), {
      requestTags: { [TAG]: A, 'sagefence:owner': 'alice' },
      context: {
        'sagemaker:DirectInternetAccess': 'Disabled',
        'sagemaker:RootAccess': 'Disabled',
        'sagemaker:VpcSubnets': [env(A).SubnetIds.split(',')[0]],
        'sagemaker:VolumeKmsKeyArn': alphaKey
      }
    }),
    step('a launch tags the notebook it creates', launch, 'sagemaker:AddTags', arn.notebook('alpha-alice'), {
      requestTags: { [TAG]: A, 'sagefence:owner': 'alice' }
    }),
    step('a launch passes A\'s notebook role', launch, 'iam:PassRole', nbA.arn, { context: passToSageMaker })
  ]
  return { attacks, legitimate }
}
