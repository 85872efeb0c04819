//! Notebook instances: evaluation of their rules.

use super::support::*;

#[test]
fn notebook_instance_type_is_judged_against_the_policys_own_allow_list() {
    let policy = policy("rules:\n  notebook-approved-instance-type:\n    allowed: [ml.p3.2xlarge]\n").unwrap();
    let mut gpu = compliant_notebook();
    gpu.instance_type = Fact::Known("ml.p3.2xlarge".to_owned());
    let gpu_findings = check_with(&policy, gpu, &Facts::default());
    assert_eq!(
        status(&gpu_findings, RuleId::NotebookApprovedInstanceType),
        Some(Status::Passed)
    );
    let default_type = check_with(&policy, compliant_notebook(), &Facts::default());
    assert_eq!(
        status(&default_type, RuleId::NotebookApprovedInstanceType),
        Some(Status::Failed)
    );
}

#[test]
fn notebook_missing_the_owner_tag_fails_naming_the_tag() {
    let mut notebook = compliant_notebook();
    notebook.tags = Fact::Known(Tags::from_iter([("sagefence:project", "alpha")]));
    let findings = check(notebook);
    assert_eq!(failed(&findings), [RuleId::NotebookRequiredTags]);
    let why = reason(&findings, RuleId::NotebookRequiredTags);
    assert!(
        why.contains("sagefence:owner") && !why.contains("sagefence:project"),
        "{why}"
    );
}

#[test]
fn notebook_created_without_tags_fails_naming_both_required_tags() {
    let params = without(compliant_notebook_params(), "tags");
    let findings = assess(&api_event("CreateNotebookInstance", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::NotebookRequiredTags]);
    let why = reason(&findings, RuleId::NotebookRequiredTags);
    assert!(
        why.contains("sagefence:project") && why.contains("sagefence:owner"),
        "{why}"
    );
}

#[test]
fn a_tag_with_a_blank_value_counts_as_missing() {
    let mut notebook = compliant_notebook();
    notebook.tags = Fact::Known(Tags::from_iter([
        ("sagefence:project", "alpha"),
        ("sagefence:owner", "  "),
    ]));
    let findings = check(notebook);
    assert_eq!(status(&findings, RuleId::NotebookRequiredTags), Some(Status::Failed));
    assert!(reason(&findings, RuleId::NotebookRequiredTags).contains("sagefence:owner"));
}

#[test]
fn required_tag_keys_come_from_the_policy_when_it_names_them() {
    let policy = policy("rules:\n  notebook-required-tags:\n    keys: [cost-center]\n").unwrap();
    let plain = check_with(&policy, compliant_notebook(), &Facts::default());
    assert_eq!(status(&plain, RuleId::NotebookRequiredTags), Some(Status::Failed));
    assert!(reason(&plain, RuleId::NotebookRequiredTags).contains("cost-center"));

    let mut notebook = compliant_notebook();
    notebook.tags = Fact::Known(Tags::from_iter([("cost-center", "4711")]));
    let tagged = check_with(&policy, notebook, &Facts::default());
    assert_eq!(status(&tagged, RuleId::NotebookRequiredTags), Some(Status::Passed));
}

#[test]
fn update_call_that_only_changes_root_access_leaves_the_other_settings_not_applicable() {
    let params = json!({"notebookInstanceName": "alpha-alice", "rootAccess": "Enabled"});
    let findings = assess(&api_event("UpdateNotebookInstance", params)).unwrap();
    assert_eq!(
        status(&findings, RuleId::NotebookRootAccessDisabled),
        Some(Status::Failed)
    );
    for rule in [
        RuleId::NotebookDirectInternetDisabled,
        RuleId::NotebookInProjectVpc,
        RuleId::NotebookKmsEncrypted,
        RuleId::NotebookApprovedInstanceType,
        RuleId::NotebookRequiredTags,
    ] {
        assert_eq!(status(&findings, rule), Some(Status::NotApplicable), "{rule}");
    }
}

#[test]
fn notebook_state_change_without_security_settings_gives_not_applicable_never_a_guess() {
    let detail = json!({
        "NotebookInstanceName": "alpha-alice",
        "NotebookInstanceStatus": "InService",
        "InstanceType": "ml.t3.medium",
        "Tags": [{"Key": "sagefence:project", "Value": "alpha"}, {"Key": "sagefence:owner", "Value": "alice"}]
    });
    let findings = assess(&state_event("SageMaker Notebook Instance State Change", detail)).unwrap();
    for rule in [
        RuleId::NotebookDirectInternetDisabled,
        RuleId::NotebookInProjectVpc,
        RuleId::NotebookRootAccessDisabled,
        RuleId::NotebookKmsEncrypted,
    ] {
        assert_eq!(status(&findings, rule), Some(Status::NotApplicable), "{rule}");
    }
    assert_eq!(
        status(&findings, RuleId::NotebookApprovedInstanceType),
        Some(Status::Passed)
    );
    assert_eq!(status(&findings, RuleId::NotebookRequiredTags), Some(Status::Passed));
}

#[test]
fn notebook_with_unknown_facts_is_not_applicable_for_every_rule_that_reads_them() {
    let notebook = NotebookInstance {
        instance_type: Fact::Unknown,
        direct_internet_access: Fact::Unknown,
        root_access: Fact::Unknown,
        subnet_id: Fact::Unknown,
        kms_key_id: Fact::Unknown,
        role_arn: Fact::Unknown,
        tags: Fact::Unknown,
        ..compliant_notebook()
    };
    let findings = check(notebook);
    assert_eq!(rules(&findings), NOTEBOOK_RULES);
    assert!(
        findings.iter().all(|f| f.status == Status::NotApplicable),
        "{findings:#?}"
    );
}

#[test]
fn online_a_notebook_in_a_project_subnet_with_the_project_key_passes() {
    let findings = check_with(&Policy::builtin(), compliant_notebook(), &online());
    assert_eq!(status(&findings, RuleId::NotebookInProjectVpc), Some(Status::Passed));
    assert_eq!(status(&findings, RuleId::NotebookKmsEncrypted), Some(Status::Passed));
}

#[test]
fn offline_any_present_subnet_and_key_pass_and_say_they_are_checked_online() {
    let mut notebook = compliant_notebook();
    notebook.subnet_id = Fact::Known(Some(OTHER_SUBNET.to_owned()));
    notebook.kms_key_id = Fact::Known(Some(FOREIGN_KEY.to_owned()));
    let findings = check(notebook);
    assert!(all_passed(&findings), "{findings:#?}");
    assert!(reason(&findings, RuleId::NotebookInProjectVpc).contains("online"));
    assert!(reason(&findings, RuleId::NotebookKmsEncrypted).contains("online"));
}

/// One of the facts' maps of project resources.
type FactsMap = fn(&mut Facts) -> &mut BTreeMap<String, String>;

/// Facts where every id the compliant notebook uses belongs to project `beta` instead.
fn of_beta(field: FactsMap) -> Facts {
    let mut facts = online();
    for owner in field(&mut facts).values_mut() {
        *owner = "beta".to_owned();
    }
    facts
}

#[test]
fn online_a_notebook_in_another_projects_subnet_group_key_or_role_fails() {
    let cases: [(FactsMap, RuleId, &str); 4] = [
        (|f| &mut f.project_subnets, RuleId::NotebookInProjectVpc, SUBNET),
        (
            |f| &mut f.project_security_groups,
            RuleId::NotebookInProjectVpc,
            SECURITY_GROUP,
        ),
        (|f| &mut f.project_keys, RuleId::NotebookKmsEncrypted, KEY),
        (|f| &mut f.project_roles, RuleId::NotebookRoleInProject, ROLE),
    ];
    for (field, rule, id) in cases {
        let findings = check_with(&Policy::builtin(), compliant_notebook(), &of_beta(field));
        let mut expected = vec![rule];
        if id == SUBNET {
            // its subnet says beta, its tag alpha: the tag is not the project it runs in either
            expected.push(RuleId::TagsProtected);
        }
        assert_eq!(failed(&findings), expected, "{id}");
        let why = reason(&findings, rule);
        assert!(why.contains(id) && why.contains("`alpha`"), "{why}");
    }
}

#[test]
fn online_a_notebook_whose_role_is_no_project_role_fails() {
    let mut facts = online();
    facts.project_roles.clear();
    let findings = check_with(&Policy::builtin(), compliant_notebook(), &facts);
    assert_eq!(failed(&findings), [RuleId::NotebookRoleInProject]);
}

#[test]
fn an_empty_project_tag_names_no_project() {
    let mut tags = project_tags();
    tags.0.insert("sagefence:project".to_owned(), " ".to_owned());
    let notebook = NotebookInstance {
        tags: Fact::Known(tags),
        ..compliant_notebook()
    };
    let findings = check_with(&Policy::builtin(), notebook, &online());
    assert_eq!(failed(&findings), [RuleId::NotebookRequiredTags, RuleId::TagsProtected]);
    assert!(reason(&findings, RuleId::TagsProtected).contains("blank"));
    assert!(reason(&findings, RuleId::NotebookInProjectVpc).contains("of a project"));
}
