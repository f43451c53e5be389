use std::collections::HashSet;

use proptest::prelude::*;

use super::*;

const EXAMPLE: &str = include_str!("../../../reference/user-sync/rules.example.toml");

fn user(dept: &str, country: &str, upn: &str) -> GraphUser {
    GraphUser {
        user_principal_name: Some(upn.into()),
        department: Some(dept.into()),
        country: Some(country.into()),
        account_enabled: Some(true),
        ..GraphUser::new(format!("id-{upn}"))
    }
}

fn placed<'a>(rules: &'a RuleSet, u: &GraphUser, m: &Membership) -> Option<&'a str> {
    match rules.decide(u, m) {
        Decision::Place { rule, .. } => Some(rule),
        Decision::Skip => None,
    }
}

#[test]
fn the_example_file_loads_and_places_by_first_match() {
    let rules = RuleSet::from_toml(EXAMPLE, Some("rules.example.toml")).expect("example loads");
    let none = Membership::default();
    // Both sales rules match a German seller; the first one wins.
    let de = user("sales", "Germany", "ann@contoso.com");
    assert_eq!(placed(&rules, &de, &none), Some("sales-germany"));
    assert_eq!(
        placed(&rules, &user("Sales", "France", "bo@contoso.com"), &none),
        Some("sales-elsewhere")
    );
    // The filter: another domain, or a contractor, is left out.
    assert_eq!(
        placed(&rules, &user("Sales", "Germany", "x@fabrikam.com"), &none),
        None
    );
    let contractor = GraphUser {
        job_title: Some("Sales Contractor".into()),
        ..user("Sales", "Germany", "c@contoso.com")
    };
    assert_eq!(placed(&rules, &contractor, &none), None);
    // Group membership.
    let eng = user("Engineering", "Spain", "eve@contoso.com");
    assert_eq!(placed(&rules, &eng, &none), Some("default"));
    let mut members = Membership::default();
    members.insert("Support Engineers", HashSet::from([eng.id.to_uppercase()]));
    assert_eq!(placed(&rules, &eng, &members), Some("support"));
    // A skip rule.
    let intern = GraphUser {
        job_title: Some("intern".into()),
        ..user("Engineering", "Spain", "i@contoso.com")
    };
    assert_eq!(placed(&rules, &intern, &none), None);
    assert_eq!(rules.groups(), vec!["Support Engineers".to_owned()]);
    assert!(rules.managed_roles().contains("basic user"));
    assert_eq!(
        rules.business_units(),
        vec!["Sales EMEA", "Sales", "Service"]
    );
    assert!((rules.max_change_share - 0.10).abs() < 1e-9);
}

fn error_of(text: &str) -> String {
    RuleSet::from_toml(text, Some("r.toml"))
        .expect_err("must be refused")
        .to_string()
}

#[test]
fn mistakes_are_refused_with_their_line_and_a_fix() {
    let unknown_attr = error_of(
        "[[placement]]\nname = \"a\"\nwhen = { attribute = \"departement\", op = \"equals\", value = \"x\" }\nroles = [\"R\"]\n",
    );
    assert!(
        unknown_attr.contains("unknown attribute `departement`"),
        "{unknown_attr}"
    );
    assert!(unknown_attr.contains("line 3"), "{unknown_attr}");
    assert!(unknown_attr.contains("department"), "{unknown_attr}");
    assert!(unknown_attr.contains("r.toml"), "{unknown_attr}");

    let bad_regex = error_of(
        "[filter]\nattribute = \"mail\"\nop = \"regex\"\nvalue = \"(unclosed\"\n[default]\nroles = [\"R\"]\n",
    );
    assert!(bad_regex.contains("bad regex"), "{bad_regex}");
    assert!(bad_regex.contains("line 1"), "{bad_regex}");

    let bad_op = error_of(
        "[default]\nroles = [\"R\"]\n\n[filter]\nattribute = \"city\"\nop = \"like\"\nvalue = \"x\"\n",
    );
    assert!(bad_op.contains("unknown op `like`"), "{bad_op}");
    assert!(bad_op.contains("starts_with"), "{bad_op}");
    assert!(bad_op.contains("line 4"), "{bad_op}");

    let typo_key = error_of("[[placement]]\nbusiness_unt = \"X\"\n");
    assert!(typo_key.contains("business_unt"), "{typo_key}");

    assert!(error_of("[[placement]]\nname = \"x\"\n").contains("places users nowhere"));
    assert!(error_of("default = \"nothing\"\n").contains("\"skip\""));
    let typo_in_default = error_of("[default]\nrole = [\"R\"]\n");
    assert!(
        typo_in_default.contains("unknown field `role`"),
        "{typo_in_default}"
    );
    assert!(error_of("default = 3\n").contains("\"skip\" or a table"));
    assert!(error_of("default = \"skip\"\n").contains("place nobody"));
    assert!(
        error_of("[default]\nroles=[\"R\"]\n[safety]\nmax_change_share = 5.0\n")
            .contains("between 0 and 1")
    );
    assert!(
        error_of(
            "[default]\nroles=[\"R\"]\n[filter]\nmember_of = \"G\"\nnot = { member_of = \"H\" }\n"
        )
        .contains("exactly one of")
    );
    assert!(error_of("[default]\nroles=[\"R\"]\n[filter]\nall = []\n").contains("at least one"));
    assert!(
        error_of(
            "[[placement]]\nname=\"a\"\nroles=[\"R\"]\n[[placement]]\nname=\"a\"\nroles=[\"R\"]\n"
        )
        .contains("two placements are named `a`")
    );
    assert!(error_of("[[placement]]\nskip = true\nroles = [\"R\"]\n").contains("keep one"));
}

#[test]
fn operators_fold_case_unless_told_and_missing_attributes_fail() {
    let rules = RuleSet::from_toml(
        r#"
[[placement]]
name = "exact"
when = { attribute = "city", op = "equals", value = "Paris", case_sensitive = true }
roles = ["A"]

[[placement]]
name = "prefix"
when = { attribute = "city", op = "starts_with", value = "LON" }
roles = ["B"]

[[placement]]
name = "enabled-flag"
when = { attribute = "accountEnabled", op = "equals", value = false }
roles = ["C"]

[[placement]]
name = "no-city"
when = { not = { attribute = "city", op = "regex", value = ".*" } }
roles = ["D"]
"#,
        None,
    )
    .expect("loads");
    let m = Membership::default();
    let city = |c: Option<&str>, enabled: bool| GraphUser {
        city: c.map(str::to_owned),
        account_enabled: Some(enabled),
        ..GraphUser::new("u")
    };
    assert_eq!(
        placed(&rules, &city(Some("Paris"), true), &m),
        Some("exact")
    );
    assert_eq!(
        placed(&rules, &city(Some("paris"), false), &m),
        Some("enabled-flag")
    );
    assert_eq!(
        placed(&rules, &city(Some("london"), true), &m),
        Some("prefix")
    );
    assert_eq!(placed(&rules, &city(None, true), &m), Some("no-city"));
    assert_eq!(placed(&rules, &city(Some("Rome"), true), &m), None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the departments the placements test, a user lands in the first placement
    /// whose department equals theirs (case aside), else the default.
    #[test]
    fn the_first_matching_placement_wins(
        rules_depts in proptest::collection::vec("[a-c]{1,2}", 1..6),
        user_dept in "[a-cA-C]{1,2}",
    ) {
        let mut text = String::new();
        for (i, d) in rules_depts.iter().enumerate() {
            text.push_str(&format!(
                "[[placement]]\nname = \"p{i}\"\nwhen = {{ attribute = \"department\", op = \"equals\", value = \"{d}\" }}\nroles = [\"R{i}\"]\n"
            ));
        }
        text.push_str("[default]\nroles = [\"D\"]\n");
        let rules = RuleSet::from_toml(&text, None).expect("generated rules load");
        let u = GraphUser { department: Some(user_dept.clone()), ..GraphUser::new("u") };
        let expected = rules_depts
            .iter()
            .position(|d| d.eq_ignore_ascii_case(&user_dept))
            .map(|i| format!("p{i}"))
            .unwrap_or_else(|| "default".to_owned());
        let got = placed(&rules, &u, &Membership::default()).map(str::to_owned);
        prop_assert_eq!(got, Some(expected));
    }
}

#[test]
fn the_fingerprint_follows_the_decisions_not_the_layout() {
    let a = RuleSet::from_toml(
        "[[placement]]\nbusiness_unit = \"Sales\"\nroles = [\"R\"]\n",
        None,
    )
    .expect("a");
    let same = RuleSet::from_toml(
        "# a comment\n[[placement]]\nroles = [\"R\"]\nbusiness_unit = \"Sales\"\n\n[safety]\nmax_change_share = 0.3\n",
        None,
    )
    .expect("same");
    let moved = RuleSet::from_toml(
        "[[placement]]\nbusiness_unit = \"Service\"\nroles = [\"R\"]\n",
        None,
    )
    .expect("moved");
    assert_eq!(a.fingerprint(), same.fingerprint());
    assert_ne!(a.fingerprint(), moved.fingerprint());
    assert_eq!(a.fingerprint().len(), 32);
}
