//! ARN patterns that cannot be sidestepped: sagefence's own roles matched segment by segment,
//! never across `:` or `/`, and a member-role name in the home account never counts as sagefence.

use sagefence_core::arn::{ArnPattern, OwnRoles};

const HOME: &str = "111122223333";
const MEMBER: &str = "444455556666";

fn own() -> OwnRoles {
    OwnRoles::new(
        &[
            "arn:aws:iam::111122223333:role/sagefence-GuardrailRole-1A2B3C",
            "arn:aws:sts::111122223333:assumed-role/sagefence-GuardrailRole-1A2B3C/*",
            "arn:aws:iam::*:role/sagefence-member",
            "arn:aws:sts::*:assumed-role/sagefence-member/*",
        ],
        Some(HOME.to_owned()),
    )
    .unwrap()
}

#[test]
fn an_own_role_wildcard_does_not_cross_segments() {
    let own = own();
    assert!(own.is_own("arn:aws:iam::111122223333:role/sagefence-GuardrailRole-1A2B3C"));
    assert!(own.is_own("arn:aws:sts::111122223333:assumed-role/sagefence-GuardrailRole-1A2B3C/s1"));
    for impostor in [
        "arn:aws:sts::111122223333:assumed-role/sagefence-GuardrailRole-1A2B3C/s1/x",
        "arn:aws:iam::111122223333:role/sagefence-GuardrailRole-1A2B3C-evil",
        "arn:aws:iam::111122223333:role/evil/sagefence-GuardrailRole-1A2B3C",
        "arn:aws:iam::999999999999:x:role/sagefence-member",
        "arn:aws:iam::444455556666:role/x/sagefence-member",
        "arn:aws:iam::444455556666:role/sagefence-member/x",
    ] {
        assert!(!own.is_own(impostor), "{impostor}");
    }
}

#[test]
fn the_member_role_name_in_the_home_account_is_not_sagefence() {
    let own = own();
    assert!(own.is_own(&format!("arn:aws:iam::{MEMBER}:role/sagefence-member")));
    assert!(own.is_own(&format!("arn:aws:sts::{MEMBER}:assumed-role/sagefence-member/sweep")));
    assert!(!own.is_own(&format!("arn:aws:iam::{HOME}:role/sagefence-member")));
    assert!(!own.is_own(&format!("arn:aws:sts::{HOME}:assumed-role/sagefence-member/sweep")));
    let home_unknown = OwnRoles::new(&["arn:aws:iam::*:role/sagefence-member"], None).unwrap();
    assert!(!home_unknown.is_own(&format!("arn:aws:iam::{MEMBER}:role/sagefence-member")));
}

#[test]
fn own_role_patterns_name_a_role_or_its_sessions() {
    for bad in [
        "sagefence-*",
        "arn:aws:iam::*:role/*",
        "arn:aws:iam::111122223333:*",
        "arn:aws:iam::111122223333:user/x",
        "arn:aws:*:*:*:*",
    ] {
        assert!(OwnRoles::new(&[bad], None).is_err(), "{bad}");
    }
    assert!(ArnPattern::role("arn:aws:sts::111122223333:assumed-role/sagefence-Sweeper-X/*").is_ok());
}
